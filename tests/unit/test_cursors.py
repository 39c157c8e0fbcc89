"""The opaque cursor of `GET /conversations`, as service/http/cursors.py encodes it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.domain.errors import InvalidInput
from service.domain.model import ActivityCursor
from service.http.cursors import decode_cursor, encode_cursor


def test_a_cursor_reads_back_as_the_position_it_encodes() -> None:
    position = ActivityCursor(datetime(2026, 11, 24, 10, 2, 11, 5, tzinfo=UTC), 42)

    encoded = encode_cursor(position)

    assert decode_cursor(encoded) == position
    assert encoded.isascii()
    assert "=" not in encoded


@pytest.mark.parametrize("cursor", ["", "!!!", "bm90LWEtY3Vyc29y", "MjAyNi0xMS0yNFQxMDowMnw0Mg"])
def test_bad_cursors_are_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(cursor)
