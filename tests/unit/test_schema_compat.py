"""The shared JSON Schema check judges a change by the way the schema travels."""

from __future__ import annotations

from typing import Any

import pytest

from tools.contract_diff.operations import compare_operations
from tools.contract_diff.schemas import Direction, compare, open_enums


def _text(**bounds: Any) -> dict[str, Any]:
    return {"Text": {"type": "object", "properties": {"v": {"type": "string", **bounds}}}}


@pytest.mark.parametrize(
    ("old", "new", "way", "breaking"),
    [
        ({"maxLength": 10}, {"maxLength": 5}, "input", True),  # clients' text now refused
        ({"maxLength": 10}, {"maxLength": 5}, "output", False),  # less arrives: fine
        ({"maxLength": 5}, {"maxLength": 10}, "output", True),  # more than clients accept
        ({"maxLength": 5}, {"maxLength": 10}, "input", False),
        ({}, {"pattern": "^[a-z]+$"}, "output", True),  # undecidable: breaking
        ({"type": "string"}, {"type": ["string", "null"]}, "output", True),
        ({"type": "string"}, {"type": ["string", "null"]}, "input", False),
        ({"enum": ["a", "b"]}, {"enum": ["a"]}, "output", True),  # clients' code names it
        ({"enum": ["a", "b"]}, {"enum": ["a"]}, "input", True),
    ],
)
def test_the_direction_decides(
    old: dict[str, Any], new: dict[str, Any], way: Direction, breaking: bool
) -> None:
    changes = compare(_text(**old), _text(**new), {"Text": {way}})

    assert changes
    assert any(change.breaking for change in changes) == breaking, changes


def test_a_new_required_field_breaks_senders_and_a_dropped_one_breaks_readers() -> None:
    old = {"R": {"type": "object", "required": ["a"], "properties": {"a": {}, "b": {}}}}
    new = {"R": {"type": "object", "required": ["b"], "properties": {"a": {}, "b": {}}}}

    as_input = compare(old, new, {"R": {"input"}})
    as_output = compare(old, new, {"R": {"output"}})

    assert [c.message for c in as_input if c.breaking] == ["newly required ['b']"]
    assert [c.message for c in as_output if c.breaking] == ["no longer required ['a']"]


def test_an_enum_clients_read_with_a_string_fallback_may_grow() -> None:
    defs = {
        "Code": {"type": "string", "enum": ["a"]},
        "Problem": {
            "properties": {"code": {"anyOf": [{"$ref": "#/$defs/Code"}, {"type": "string"}]}}
        },
        "Kind": {"type": "string", "enum": ["x"]},
        "Thing": {"properties": {"kind": {"$ref": "#/$defs/Kind"}}},
    }
    grown = {
        **defs,
        "Code": {"type": "string", "enum": ["a", "b"]},
        "Kind": {"type": "string", "enum": ["x", "y"]},
    }

    changes = compare(defs, grown, {name: {"output"} for name in defs})

    assert open_enums(grown) == {"Code"}
    assert {c.where.split("/")[-2] for c in changes if c.breaking} == {"Kind"}


def test_a_renamed_operation_id_breaks_the_clients_named_after_it() -> None:
    old = {"paths": {"/x": {"get": {"operationId": "get_x", "responses": {}}}}}
    new = {"paths": {"/x": {"get": {"operationId": "fetch_x", "responses": {}}}}}

    changes = list(compare_operations(old, new))

    assert [(c.message, c.breaking) for c in changes] == [("operationId renamed", True)]
