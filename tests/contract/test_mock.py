"""`make mock`: the service mocked from the specs' examples, as a frontend team uses it
before the backend runs. The TypeScript walkthrough runs against it as against the
service; every answer is one the spec documents; bad input gets the spec'd refusal."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.contract.test_python_client import WALKTHROUGH_STEPS, run_walkthrough
from tests.contract.test_typescript_client import ROOT, _tsc
from tests.live import live_server, serving
from tests.raw_socket import raw_socket
from tests.schemas import load, validate_ack, validate_event, validate_response
from tools.mock.app import create_mock_app
from tools.specs import operations


def _example_requests() -> list[tuple[str, str, Any]]:
    """Every operation with its path filled from parameter examples and its body example;
    deletions last and the conversation's own last, as the mock keeps them deleted."""
    requests = []
    for walked in operations(load("openapi.yaml")):
        url = walked.path
        for param in walked.parameters:
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", str(param["example"]))
        content = walked.operation.get("requestBody", {}).get("content", {})
        body = content.get("application/json", {})
        named = [example["value"] for example in body.get("examples", {}).values()]
        for example in [body.get("example")] if "example" in body or not named else named:
            requests.append((walked.method, url, example))
    return sorted(requests, key=lambda request: (request[0] == "DELETE", -request[1].count("/")))


async def test_every_operation_answers_what_the_spec_documents() -> None:
    async with serving(create_mock_app()) as url, httpx.AsyncClient(base_url=url) as http:
        for method, path, body in _example_requests():
            if path == "/auth/register":  # the example's username is the mock's own account
                body = {**body, "username": "someone-new"}
            response = await http.request(
                method, path, json=body, headers={"Authorization": "Bearer any-token"}
            )
            media_type = response.headers.get("content-type", "").split(";")[0]
            assert response.is_success, (method, path, response.text)
            validate_response(method, path, response.status_code, media_type, response.content)


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "location"),
    [
        ("GET", "/me", None, {}, 401, None),
        ("POST", "/auth/register", {"username": "A"}, {}, 422, "body.username"),
        ("GET", "/users", None, {"Authorization": "Bearer t"}, 200, None),
        ("GET", "/users?limit=0", None, {"Authorization": "Bearer t"}, 422, "query.limit"),
        (
            "GET",
            "/conversations/abc",
            None,
            {"Authorization": "Bearer t"},
            422,
            "path.conversation_id",
        ),
        ("GET", "/no/such/path", None, {}, 404, None),
    ],
)
async def test_a_request_off_the_spec_gets_the_specd_problem(
    method: str, path: str, body: Any, headers: dict[str, str], status: int, location: str | None
) -> None:
    async with serving(create_mock_app()) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.request(method, path, json=body, headers=headers)

    assert response.status_code == status, response.text
    if status == 404 and path == "/no/such/path":
        assert response.json()["code"] == "not_found"
        return
    validate_response(
        method, path.split("?")[0], status, response.headers["content-type"], response.content
    )
    if location is not None:
        assert location in {error["location"] for error in response.json()["errors"]}


async def test_sockets_need_a_token_get_reply_examples_and_hear_played_events() -> None:
    async with serving(create_mock_app()) as url:
        refused: list[Any] = []
        anonymous = socketio.AsyncClient(reconnection=False)
        anonymous.on("connect_error", refused.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await anonymous.connect(url, transports=["websocket"], wait_timeout=5)

        heard: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        alice, bob = socketio.AsyncClient(), socketio.AsyncClient()
        bob.on("*", lambda event, data: heard.put_nowait((event, data)))
        for client in (alice, bob):
            await client.connect(url, auth={"token": "t"}, transports=["websocket"], wait_timeout=5)
        try:
            joined = await alice.call("join_conversation", {"conversation_id": 42}, timeout=5)
            refusal = await alice.call("join_conversation", {"conversation_id": "x"}, timeout=5)
            typing = await alice.call(
                "typing", {"conversation_id": 42, "state": "start"}, timeout=5
            )
            played = await asyncio.wait_for(heard.get(), 5)
            async with httpx.AsyncClient(base_url=url) as http:
                sent = await http.post(
                    "/conversations/42/messages",
                    json={"body": "hi"},
                    headers={"Authorization": "Bearer t"},
                )
            events = {(await asyncio.wait_for(heard.get(), 5))[0] for _ in range(2)}
        finally:
            await alice.disconnect()
            await bob.disconnect()

    validate_event("connect_error", refused[0])
    assert validate_ack("joinConversation", joined) == "roomAck"
    assert validate_ack("joinConversation", refusal) == "ackError"
    assert refusal["error"]["code"] == "validation_error"
    assert validate_ack("typing", typing) == "typingAck"
    assert played[0] == "typing"
    validate_event(*played)
    assert sent.status_code == 201
    assert events == {"message_created", "conversation_activity"}


async def test_the_typescript_walkthrough_runs_against_the_mock(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the TypeScript walkthrough"
    example = ROOT / "examples" / "typescript"
    build = _tsc(ROOT / "clients" / "typescript")
    assert build.returncode == 0, build.stdout
    compiled = _tsc(example)
    assert compiled.returncode == 0, compiled.stdout

    async with serving(create_mock_app()) as url:
        steps = await run_walkthrough([node, str(example / "dist" / "walkthrough.js"), url])

    assert [step["step"] for step in steps] == WALKTHROUGH_STEPS


HOSTILE_BODIES = [
    b'{"username": "A", "password": "short", "display_name": ""}',
    b'{"username": "alice", "password": "12345678"}',
    b'{"username": "alice", "password": "12345678", "display_name": "A", "admin": true}',
    b'{"username": 5, "password": ["x"], "display_name": null}',
    b"[" * 30_000 + b"]" * 30_000,  # deeper than any parser's stack, within the size bound
    b'{"username": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}",
    b'{"username": "\\ud800", "password": "12345678", "display_name": "A"}',
    b'{"username": "\\udc00x", "password": "12345678", "display_name": "A"}',
    b'{"username": "alice", "password": NaN, "display_name": "A"}',
    b'{"username": "al',
]


async def test_hostile_bodies_are_refused_by_the_mock_exactly_as_by_the_service(
    tmp_path: Path,
) -> None:
    answers: list[list[tuple[int, str]]] = []  # status, and the problem without instance
    async with (
        live_server(tmp_path / "chat.db") as service,
        serving(create_mock_app()) as mock,
        httpx.AsyncClient(timeout=30) as http,
    ):
        for base in (service, mock):
            seen = []
            for raw in HOSTILE_BODIES:
                response = await http.post(
                    f"{base}/auth/register",
                    content=raw,
                    headers={"content-type": "application/json"},
                )
                validate_response(
                    "POST",
                    "/auth/register",
                    response.status_code,
                    response.headers["content-type"],
                    response.content,
                )
                answer = response.json()
                del answer["instance"]  # the same path on two hosts
                seen.append((response.status_code, json.dumps(answer, sort_keys=True)))
            answers.append(seen)

    service_answers, mock_answers = answers
    assert mock_answers == service_answers
    assert {status for status, _ in service_answers} == {400, 422}


async def test_a_hostile_socket_frame_gets_the_services_refusal_from_the_mock() -> None:
    async with serving(create_mock_app()) as url, raw_socket(url, "any-token") as raw:
        # Deeper than Python's parser goes: the old mock's decoder raised, and reset.
        await raw.send("20" + '["typing", ' + "[" * 50_000 + "]" * 50_000 + "]")
        refused = await raw.ack(0)

    assert validate_ack("typing", refused) == "ackError"
    assert refused["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/conversations/42", None, 404),
        ("POST", "/conversations/42/messages", {"body": "hi"}, 429),
        ("POST", "/conversations/42/messages", {"body": "hi"}, 503),
        ("PATCH", "/conversations/42", {"title": "T"}, 409),
        ("DELETE", "/conversations/42", None, 403),
    ],
)
async def test_a_frontend_asks_the_mock_for_a_declared_answer(
    method: str, path: str, body: Any, status: int
) -> None:
    headers = {"Authorization": "Bearer t", "Prefer": f"code={status}"}
    async with serving(create_mock_app()) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.request(method, path, json=body, headers=headers)
        undeclared = await http.request(
            method, path, json=body, headers={**headers, "Prefer": "code=418"}
        )

    assert response.status_code == status, response.text
    validate_response(method, path, status, response.headers["content-type"], response.content)
    assert undeclared.status_code == 400
    assert "declares no 418 answer" in undeclared.json()["detail"]


async def test_the_others_hear_someone_come_online() -> None:
    async with serving(create_mock_app()) as url:
        heard: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        bob, alice = socketio.AsyncClient(), socketio.AsyncClient()
        bob.on("*", lambda event, data: heard.put_nowait((event, data)))
        await bob.connect(url, auth={"token": "t"}, transports=["websocket"], wait_timeout=5)
        try:
            await alice.connect(url, auth={"token": "t"}, transports=["websocket"], wait_timeout=5)
            event, payload = await asyncio.wait_for(heard.get(), 5)
        finally:
            await alice.disconnect()
            await bob.disconnect()

    assert event == "presence_changed"
    validate_event(event, payload)


async def test_the_happy_path_keeps_state_and_unknown_ids_are_not_found() -> None:
    carol = {"username": "carol", "password": "carol-password"}
    async with serving(create_mock_app()) as url, httpx.AsyncClient(base_url=url) as http:
        registered = await http.post("/auth/register", json={**carol, "display_name": "Carol"})
        again = await http.post("/auth/register", json={**carol, "display_name": "Carol"})
        wrong = await http.post("/auth/login", json={**carol, "password": "not-her-password"})
        login = await http.post(
            "/auth/login", json={"username": "carol", "password": carol["password"]}
        )
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = await http.get("/me", headers=auth)
        before = await http.get("/conversations", headers=auth)
        created = await http.post(
            "/conversations",
            json={"kind": "group", "title": "Plans", "participant_ids": [1]},
            headers=auth,
        )
        conversation_id = created.json()["id"]
        messages_path = f"/conversations/{conversation_id}/messages"
        sent = await http.post(messages_path, json={"body": " Hello "}, headers=auth)
        after = await http.get("/conversations", headers=auth)
        history = await http.get(messages_path, headers=auth)
        message_path = f"{messages_path}/{sent.json()['id']}"
        edited = await http.patch(message_path, json={"body": "Hello!"}, headers=auth)
        deleted = await http.delete(f"{messages_path}/987654", headers=auth)
        edited_history = await http.get(messages_path, headers=auth)
        unknown = await http.get("/conversations/987654", headers=auth)
        socket = socketio.AsyncClient()
        await socket.connect(url, auth={"token": "t"}, transports=["websocket"], wait_timeout=5)
        try:
            joined = await socket.call(
                "join_conversation", {"conversation_id": conversation_id}, timeout=5
            )
            nowhere = await socket.call("join_conversation", {"conversation_id": 987654}, timeout=5)
        finally:
            await socket.disconnect()

    assert [registered.status_code, again.status_code, wrong.status_code] == [201, 409, 401]
    assert me.json() == registered.json()
    assert conversation_id not in [c["id"] for c in before.json()["items"]]
    assert [c["id"] for c in after.json()["items"]] == [conversation_id]
    assert [p["id"] for p in created.json()["participants"]] == [me.json()["id"], 1]
    assert sent.json()["body"] == "Hello"
    assert history.json()["items"] == [sent.json()]
    assert edited.json()["body"] == "Hello!"
    assert edited_history.json()["items"] == [edited.json()]
    assert deleted.status_code == 404
    assert unknown.status_code == 404
    assert joined == {"ok": True, "conversation_id": conversation_id}
    assert validate_ack("joinConversation", nowhere) == "ackError"
    assert nowhere["error"]["code"] == "not_found"
    for method, path, response in [
        ("POST", "/auth/register", registered),
        ("POST", "/auth/register", again),
        ("POST", "/auth/login", wrong),
        ("POST", "/auth/login", login),
        ("GET", "/conversations", after),
        ("POST", "/conversations", created),
        ("POST", "/conversations/{conversation_id}/messages", sent),
        ("GET", "/conversations/{conversation_id}/messages", history),
        ("PATCH", "/conversations/{conversation_id}/messages/{message_id}", edited),
        ("DELETE", "/conversations/{conversation_id}/messages/{message_id}", deleted),
        ("GET", "/conversations/{conversation_id}", unknown),
    ]:
        media_type = response.headers["content-type"]
        validate_response(method, path, response.status_code, media_type, response.content)


async def test_the_mocks_refusals_read_as_the_services(tmp_path: Path) -> None:
    carol = {"username": "carol", "password": "carol-password"}
    answers: list[list[Any]] = []
    async with serving(create_mock_app()) as mock, live_server(tmp_path / "chat.db") as service:
        for url in (mock, service):
            async with httpx.AsyncClient(base_url=url) as http:
                await http.post("/auth/register", json={**carol, "display_name": "Carol"})
                taken = await http.post("/auth/register", json={**carol, "display_name": "Carol"})
                wrong = await http.post("/auth/login", json={**carol, "password": "not-hers!"})
                login = await http.post("/auth/login", json={**carol})
                auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
                unknown = await http.get("/conversations/987654", headers=auth)
                off_spec = [
                    await http.get(path, headers=auth)
                    for path in ("/conversations/abc", "/users?limit=0", "/conversations?cursor=$")
                ]
            socket = socketio.AsyncClient()
            await socket.connect(
                url, auth={"token": login.json()["access_token"]}, transports=["websocket"]
            )
            try:
                nowhere = await socket.call("join_conversation", {"conversation_id": 987654})
            finally:
                await socket.disconnect()
            refused = (taken, wrong, unknown, *off_spec)
            answers.append([(r.status_code, r.json()) for r in refused] + [nowhere])

    mock_answers, service_answers = answers
    assert mock_answers == service_answers
