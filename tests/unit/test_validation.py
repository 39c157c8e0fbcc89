from __future__ import annotations

from typing import Any

import pytest

from service.realtime.packets import ContractPacket, Refusal
from service.validation import MAX_DEPTH, nesting_depth


@pytest.mark.parametrize(
    ("value", "depth"),
    [(5, 0), ("x", 0), ([], 1), ({}, 1), ([{"a": [1]}], 3), ({"a": 1, "b": [[]]}, 3)],
)
def test_nesting_depth_counts_lists_and_objects(value: Any, depth: int) -> None:
    assert nesting_depth(value) == depth


def test_nesting_depth_stops_one_level_past_its_limit() -> None:
    deep: list[Any] = []
    for _ in range(100_000):  # far past the recursion limit: the walk must not recurse
        deep = [deep]

    assert nesting_depth(deep) == MAX_DEPTH + 1
    assert nesting_depth(deep, 5) == 6


def test_binary_events_decode_with_no_attachments_to_wait_for() -> None:
    decoded = ContractPacket(encoded_packet='5999999999-3["x",{"_placeholder":true,"num":0}]')

    assert decoded.attachment_count == 0
    assert decoded.id == 3
    assert isinstance(decoded.data[0], Refusal)
