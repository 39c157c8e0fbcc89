"""The contract documents are valid, complete, share one set of DTOs, and match the code."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel, ValidationError

from generated import models
from generated.http_server import http_routes
from service.domain.errors import InvalidInput
from service.http.operations import Operations
from service.services.rules import clean_text
from tests.schemas import SPECS, load, validate_event, validator

SCHEMA_REF_PREFIX = "./schemas.yaml#/$defs/"
DEFS: dict[str, Any] = load("schemas.yaml")["$defs"]


def _walk(node: Any, path: str = "") -> list[tuple[str, Any]]:
    found = [(path, node)]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _walk(value, f"{path}/{index}")
    return found


def test_openapi_passes_the_official_validator() -> None:
    validate(load("openapi.yaml"), base_uri=(SPECS / "openapi.yaml").as_uri())


@pytest.mark.parametrize("name", sorted(DEFS))
def test_every_shared_schema_has_a_description_and_valid_examples(name: str) -> None:
    schema = DEFS[name]
    assert schema.get("description"), name
    assert schema.get("examples"), name
    for example in schema["examples"]:
        validator(SCHEMA_REF_PREFIX + name).validate(example)


@pytest.mark.parametrize("name", sorted(DEFS))
def test_every_object_schema_is_generated_and_forbids_extra_fields(name: str) -> None:
    if DEFS[name].get("type") == "string" and "enum" not in DEFS[name]:
        # A constrained string (Emoji) is collapsed into the fields that use it.
        assert not hasattr(models, name)
        return
    generated = getattr(models, name)
    if DEFS[name].get("type") == "object":
        assert issubclass(generated, BaseModel)
        assert generated.model_config.get("extra") == "forbid"
        for example in DEFS[name]["examples"]:
            generated.model_validate(example)


def test_specs_use_only_shared_schemas() -> None:
    for document in ("openapi.yaml", "asyncapi.yaml"):
        for path, node in _walk(load(document)):
            is_schema = path.endswith("/schema") or (
                path.endswith("/payload") and "/examples/" not in path
            )
            if is_schema and isinstance(node, dict) and node:
                ref = node.get("$ref", "")
                inline_scalar = (
                    node.get("type") in ("string", "integer", "object") and "properties" not in node
                )
                assert ref.startswith(SCHEMA_REF_PREFIX) or inline_scalar, (document, path)
                if ref:
                    assert ref.removeprefix(SCHEMA_REF_PREFIX) in DEFS, (document, path)


def test_every_shared_schema_is_used() -> None:
    text = (load("openapi.yaml"), load("asyncapi.yaml"), DEFS)
    refs = {
        node["$ref"].rsplit("/", 1)[-1]
        for doc in text
        for _, node in _walk(doc)
        if isinstance(node, dict) and "$ref" in node
    }
    assert set(DEFS) - refs == set()


def test_every_operation_has_description_and_documented_errors() -> None:
    spec = load("openapi.yaml")
    for template, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation.get("description"), (template, method)
            assert operation.get("operationId"), (template, method)
            if operation.get("security", spec["security"]):
                assert "401" in operation["responses"], (template, method)


def test_openapi_examples_validate_against_their_schemas() -> None:
    checked = 0
    for _, node in _walk(load("openapi.yaml")):
        if not (isinstance(node, dict) and "schema" in node):
            continue
        ref = node["schema"].get("$ref")
        named = [example["value"] for example in node.get("examples", {}).values()]
        for example in [node["example"]] if "example" in node else named:
            if ref:
                validator(ref).validate(example)
                checked += 1
    assert checked > 20


def test_every_message_has_a_description_and_valid_examples() -> None:
    for key, message in load("asyncapi.yaml")["components"]["messages"].items():
        assert message.get("description"), key
        assert message.get("examples"), key
        for example in message["examples"]:
            validator(message["payload"]["$ref"]).validate(example["payload"])


def test_routes_and_openapi_operations_are_the_same_set() -> None:
    spec = load("openapi.yaml")
    documented = {
        (template, method.upper(), operation["operationId"])
        for template, item in spec["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }
    served = {
        (route.path, method, route.endpoint.__name__)
        for route in http_routes(Operations())
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert served == documented


def test_a_broken_example_would_be_caught() -> None:
    with pytest.raises(jsonschema.ValidationError):
        validator(SCHEMA_REF_PREFIX + "Message").validate({"id": 1})


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("message_shouted", {}),
        # Client-to-server events and acknowledgements are not events a server emits.
        ("join_conversation", {"conversation_id": 1}),
        ("roomAck", {"ok": True, "conversation_id": 1}),
        # `typing` from the server carries the typist, not the client's request.
        ("typing", {"conversation_id": 1, "state": "start"}),
        ("conversation_deleted", {"conversation_id": 1}),
        ("conversation_deleted", {"conversation_id": 1, "reason": "deleted", "extra": 1}),
        ("unread_count_updated", {"conversation_id": 1, "unread_count": -1, "total_unread": 0}),
    ],
)
def test_the_event_checker_used_by_integration_tests_rejects_off_contract_events(
    event: str, payload: dict[str, Any]
) -> None:
    with pytest.raises((AssertionError, jsonschema.ValidationError)):
        validate_event(event, payload)
    validate_event("conversation_deleted", {"conversation_id": 1, "reason": "removed"})


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        ("SendMessageRequest", "body"),
        ("RegisterRequest", "display_name"),
        ("CreateConversationRequest", "title"),
        ("UpdateConversationRequest", "title"),
    ],
)
def test_text_patterns_and_the_service_agree_on_every_character(schema: str, field: str) -> None:
    pattern = re.compile(DEFS[schema]["properties"][field]["pattern"])
    model: type[BaseModel] = getattr(models, schema)
    example = DEFS[schema]["examples"][0]
    multiline = field == "body"

    def service_accepts(text: str) -> bool:
        try:
            clean_text(f"body.{field}", text, multiline=multiline)
        except InvalidInput:
            return False
        return True

    # Every blank, invisible, control and bidi character is in the BMP.
    for code in range(0, 0x10000):
        character = chr(code)
        shows_something = service_accepts(character)
        assert bool(pattern.fullmatch(character)) is shows_something, hex(code)
        # ... and beside a visible letter, where only the refused ones still fail.
        assert bool(pattern.fullmatch("a" + character)) is service_accepts("a" + character)
        if code in {0x20, 0x85, 0x3000, 0x200B, 0xFEFF, 0x41, 0x4E00, 0x1B, 0x202E}:
            # The generated model (Rust regex) reads the pattern the same way.
            try:
                model.model_validate({**example, field: character})
            except ValidationError:
                accepted = False
            else:
                accepted = True
            assert accepted is shows_something, hex(code)


CLIENT_INPUTS = {
    "RegisterRequest",
    "LoginRequest",
    "CreateConversationRequest",
    "UpdateConversationRequest",
    "AddParticipantsRequest",
    "SendMessageRequest",
    "EditMessageRequest",
    "MarkReadRequest",
    "TypingRequest",
    "RefreshTokenRequest",
    "MarkDeliveredRequest",
    "ConversationRef",
    "HandshakeAuth",
    "ResumeRequest",
}


@pytest.mark.parametrize("name", sorted(n for n in DEFS if DEFS[n].get("type") == "object"))
def test_what_the_server_sends_is_open_to_additive_change_and_inputs_are_closed(
    name: str,
) -> None:
    """A client generated from this version must survive a later server adding a
    field; the server refuses fields it does not know in what clients send."""
    declared = DEFS[name].get("additionalProperties", True)
    assert declared is (name not in CLIENT_INPUTS), name


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("Message", {"thread_id": 7}),
        ("Problem", {"code": "gone_fishing"}),
        ("AckError", {"error": {"code": "gone_fishing", "message": "?"}}),
    ],
)
def test_the_tests_still_refuse_what_this_version_does_not_declare(
    name: str, change: dict[str, Any]
) -> None:
    example = DEFS[name]["examples"][0]
    validator(SCHEMA_REF_PREFIX + name).validate(example)
    with pytest.raises(jsonschema.ValidationError):
        validator(SCHEMA_REF_PREFIX + name).validate({**example, **change})
