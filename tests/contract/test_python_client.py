"""The generated Python client (clients/python) against a live service: the README
walkthrough as a process, and every refusal arriving as the typed error that carries
the service's answer."""

from __future__ import annotations

import asyncio
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conversations_client import (
    CONTRACT_VERSION,
    SERVER_EVENTS,
    AckRefused,
    ConnectionRefused,
    HttpClient,
    ProblemError,
    SocketClient,
    models,
)

from tests.live import live_server
from tests.network import link

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"


def _spec(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((SPECS / name).read_text(encoding="utf-8"))
    return document


WALKTHROUGH_STEPS = [
    "registered",
    "registered",
    "group",
    "joined",
    "joined",
    "message_created",
    "typing",
    "message_read",
    "message_mentioned",
    "message_updated",
    "reaction_updated",
    "pins_updated",
    "quote_followed",
    "message_deleted",
    "done",
]


async def run_walkthrough(command: list[str]) -> list[dict[str, Any]]:
    """Run a walkthrough to its end; its JSON lines, or a failure with what it printed."""
    process = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, f"{command} failed: {err.decode()}{out.decode()}"
    return [json.loads(line) for line in out.decode().splitlines()]


def assert_whole_walkthrough(steps: list[dict[str, Any]]) -> None:
    """Register, log in, group, join, message_created, typing, message_read: in order,
    and each with what the other side did."""
    names = [step["step"] for step in steps]
    assert names == WALKTHROUGH_STEPS, names
    by_name = {step["step"]: step["detail"] for step in steps}
    alice, bob = steps[0]["detail"], steps[1]["detail"]
    conversation_id = by_name["group"]["id"]
    assert by_name["joined"] == {"ok": True, "conversation_id": conversation_id}
    assert by_name["message_created"]["body"] == "See you at ten."
    assert by_name["typing"]["user_id"] == alice["id"]
    assert by_name["typing"]["state"] == "start"
    assert by_name["message_read"]["reader"] == bob["username"]
    assert by_name["message_read"]["last_read_message_id"] == by_name["message_created"]["id"]
    first = by_name["message_created"]["id"]
    assert by_name["message_mentioned"] == {"reply_to": first, "mentions": [alice["id"]]}
    assert by_name["message_updated"] == {"id": first, "body": "See you at half past ten."}
    assert by_name["reaction_updated"] == {"emoji": "👍", "count": 1}
    assert by_name["pins_updated"] == {"pinned": [first]}
    assert by_name["quote_followed"] == {
        "preview": "See you at half past ten.",
        "reactions": [{"emoji": "👍", "count": 1, "reacted": True}],
    }
    assert by_name["message_deleted"] == {"id": first, "deleted": True}


async def test_the_python_walkthrough_runs_against_a_live_service(tmp_path: Path) -> None:
    async with live_server(tmp_path / "chat.db") as url:
        steps = await run_walkthrough([sys.executable, "examples/walkthrough.py", url])

    assert_whole_walkthrough(steps)


async def test_refusals_raise_typed_errors_carrying_the_services_answer(tmp_path: Path) -> None:
    async with live_server(tmp_path / "chat.db") as url, HttpClient(url) as http:
        await http.register("alice", "alice-password", "Alice")
        await http.register("carol", "carol-password", "Carol")
        with pytest.raises(ProblemError) as wrong_password:
            await http.login("alice", "not-her-password")
        with pytest.raises(ProblemError) as duplicate:
            await http.register("alice", "alice-password", "Alice again")
        http.token = (await http.login("alice", "alice-password")).access_token
        group = await http.create_conversation(models.ConversationKind.group, [2], title="Ours")

        with pytest.raises(ConnectionRefused) as forged:
            await SocketClient(url, "forged").connect()
        carol_token = (await http.login("carol", "carol-password")).access_token
        async with SocketClient(url, carol_token) as carol:
            with pytest.raises(AckRefused) as outsider:
                await carol.join_conversation(group.id + 1)
            joined = await carol.join_conversation(group.id)

    assert (wrong_password.value.status, wrong_password.value.problem.code) == (401, "unauthorized")
    assert (duplicate.value.status, duplicate.value.problem.code) == (409, "conflict")
    assert forged.value.refusal is not None
    assert forged.value.refusal.data.code == "unauthorized"
    assert (outsider.value.event, outsider.value.error.code) == ("join_conversation", "not_found")
    assert joined == models.RoomAck(ok=True, conversation_id=group.id)


async def test_the_client_resumes_by_itself_when_its_network_comes_back(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path / "chat.db") as url,
        link(url) as network,
        HttpClient(url) as alice,
        HttpClient(url) as bob,
    ):
        for http, name in ((alice, "alice"), (bob, "bob")):
            await http.register(name, f"{name}-password", name.title())
            http.token = (await http.login(name, f"{name}-password")).access_token
        group = await bob.create_conversation(models.ConversationKind.group, [1], title="Ours")
        socket = SocketClient(network.url, alice.token or "", reconnect=True)
        syncs: asyncio.Queue[models.SyncState] = asyncio.Queue()
        bodies: list[str] = []
        arrived = asyncio.Event()

        def note(message: models.Message) -> None:
            bodies.append(message.body)
            arrived.set()

        async def until_bodies(count: int) -> None:
            while len(bodies) < count:
                arrived.clear()
                await arrived.wait()

        socket.on_sync(syncs.put)
        socket.on_message_created(note)
        async with socket:
            fresh = await asyncio.wait_for(syncs.get(), 10)
            await socket.join_conversation(group.id)
            await bob.send_message(group.id, "before")
            await asyncio.wait_for(until_bodies(1), 10)
            network.offline()
            for body in ("while", "away"):
                await bob.send_message(group.id, body)
            network.online()
            resumed = await asyncio.wait_for(syncs.get(), 30)
            await bob.send_message(group.id, "after")  # only a live socket gets it
            await asyncio.wait_for(until_bodies(4), 10)

    assert (fresh.resumed, fresh.reason) == (False, "not_requested")
    assert (resumed.resumed, resumed.session) == (True, fresh.session)
    # Two messages and their two activities at least; more when the first message's
    # activity was still on its way as the network went.
    assert resumed.replayed in (4, 5)
    assert bodies == ["before", "while", "away", "after"]


async def test_an_unreachable_service_is_a_connection_refusal_without_a_reason() -> None:
    # Port 9 (discard) has nothing listening on loopback here.
    with pytest.raises(ConnectionRefused) as refused:
        await SocketClient("http://127.0.0.1:9", "token").connect()

    assert refused.value.refusal is None


def test_every_operation_and_event_of_the_specs_has_its_typed_method() -> None:
    operations = {
        operation["operationId"]
        for item in _spec("openapi.yaml")["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    asyncapi = _spec("asyncapi.yaml")
    messages = asyncapi["components"]["messages"]
    client_events, server_events = set(), set()
    for operation in asyncapi["operations"].values():
        for ref in operation["messages"]:
            name = messages[ref["$ref"].rsplit("/", 1)[-1]]["name"]
            if operation["action"] == "receive":
                client_events.add(name)
            elif name != "connect_error":
                server_events.add(name)

    assert {name for name in operations if callable(getattr(HttpClient, name, None))} == operations
    assert {e for e in client_events if callable(getattr(SocketClient, e, None))} == client_events
    assert set(SERVER_EVENTS) == server_events
    assert all(callable(getattr(SocketClient, f"on_{e}", None)) for e in server_events)


def test_a_later_server_adding_fields_and_codes_does_not_break_the_client() -> None:
    """What a client generated from this version must accept: the published schemas are
    open, so the generated models ignore what they do not know."""
    example = _spec("asyncapi.yaml")["components"]["messages"]["messageCreated"]["examples"][0]
    message = models.Message.model_validate({**example["payload"], "thread_id": 7})
    problem = models.Problem.model_validate(
        {"type": "about:blank", "title": "Gone", "status": 410, "code": "gone_for_good"}
    )

    assert message.id == example["payload"]["id"]
    assert problem.code == "gone_for_good"


def test_both_client_packages_carry_the_contract_version() -> None:
    version = _spec("openapi.yaml")["info"]["version"]
    package = json.loads((ROOT / "clients/typescript/package.json").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "clients/python/pyproject.toml").read_text(encoding="utf-8"))

    assert (package["version"], project["project"]["version"], CONTRACT_VERSION) == (
        version,
        version,
        version,
    )


def test_generated_signatures_read_as_written_by_hand() -> None:
    package = ROOT / "clients" / "python" / "conversations_client"
    for name in ("http.py", "socket.py"):
        text = (package / name).read_text(encoding="utf-8")
        assert "None | None" not in text, name
