"""The HTTP API on a real server and SQLite file; each response is checked against openapi.yaml."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.live import Account, register


async def _create(http: httpx.AsyncClient, caller: Account, **body: Any) -> httpx.Response:
    return await http.post("/conversations", headers=caller.headers, json=body)


async def test_register_login_me_and_directory(http: httpx.AsyncClient) -> None:
    alice = await register(http, "alice")
    await register(http, "alfred")
    await register(http, "bob")

    me = await http.get("/me", headers=alice.headers)
    assert me.json()["username"] == "alice"
    assert "password" not in me.text

    first = await http.get("/users", params={"q": "AL", "limit": 1}, headers=alice.headers)
    assert [u["username"] for u in first.json()["items"]] == ["alice"]
    after = first.json()["next_after"]
    rest = await http.get("/users", params={"q": "al", "after": after}, headers=alice.headers)
    assert [u["username"] for u in rest.json()["items"]] == ["alfred"]
    assert rest.json()["next_after"] is None
    one = await http.get(f"/users/{alice.id}", headers=alice.headers)
    assert one.json() == me.json()


async def test_wrong_credentials_and_taken_usernames(http: httpx.AsyncClient) -> None:
    await register(http, "alice")

    wrong = await http.post("/auth/login", json={"username": "alice", "password": "nope-nope"})
    missing = await http.post("/auth/login", json={"username": "zed", "password": "nope-nope"})
    taken = await http.post(
        "/auth/register",
        json={"username": "alice", "password": "12345678", "display_name": "Again"},
    )

    assert wrong.status_code == missing.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.json()["detail"] == missing.json()["detail"]
    assert taken.status_code == 409
    assert taken.json()["code"] == "conflict"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer x.y.z"},
    ],
)
async def test_protected_routes_need_a_valid_bearer_token(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/me"),
        ("GET", "/me/unread"),
        ("GET", "/users"),
        ("GET", "/conversations"),
        ("POST", "/conversations"),
        ("GET", "/conversations/1/messages"),
    ]:
        response = await http.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "unauthorized"


async def test_direct_conversation_is_created_once(http: httpx.AsyncClient) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")

    first = await _create(http, alice, kind="direct", participant_ids=[bob.id])
    again = await _create(http, bob, kind="direct", participant_ids=[alice.id])

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["title"] is None


async def test_messages_idempotency_cursors_and_unread(http: httpx.AsyncClient) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = (await _create(http, alice, kind="group", title="T", participant_ids=[bob.id])).json()[
        "id"
    ]
    url = f"/conversations/{cid}/messages"

    ids = []
    for i in range(5):
        sent = await http.post(url, headers=alice.headers, json={"body": f"m{i}"})
        assert sent.status_code == 201
        ids.append(sent.json()["id"])
    retry_body = {"body": "once", "client_message_id": "k-1"}
    once = await http.post(url, headers=alice.headers, json=retry_body)
    twice = await http.post(url, headers=alice.headers, json=retry_body)
    assert (once.status_code, twice.status_code) == (201, 200)
    assert twice.json() == once.json()
    ids.append(once.json()["id"])
    assert ids == sorted(ids)

    latest = (await http.get(url, params={"limit": 2}, headers=bob.headers)).json()
    assert [m["id"] for m in latest["items"]] == ids[-2:]
    assert latest["has_more"] is True
    caught_up = (await http.get(url, params={"after": ids[1]}, headers=bob.headers)).json()
    assert [m["id"] for m in caught_up["items"]] == ids[2:]
    assert caught_up["has_more"] is False
    older = (await http.get(url, params={"before": ids[2]}, headers=bob.headers)).json()
    assert [m["id"] for m in older["items"]] == ids[:2]

    unread = (await http.get("/me/unread", headers=bob.headers)).json()
    assert unread == {
        "total_unread": 6,
        "total_unread_mentions": 0,
        "conversations": [{"conversation_id": cid, "unread_count": 6, "unread_mentions": 0}],
    }
    read = await http.post(
        f"/conversations/{cid}/read", headers=bob.headers, json={"message_id": ids[3]}
    )
    assert read.json()["unread_count"] == 2
    listed = (await http.get("/conversations", headers=bob.headers)).json()
    assert listed["items"][0]["unread_count"] == 2
    assert listed["items"][0]["last_message"]["id"] == ids[-1]


async def test_conversation_list_orders_by_activity_and_pages(http: httpx.AsyncClient) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cids = [
        (await _create(http, alice, kind="group", title=f"c{i}", participant_ids=[bob.id])).json()[
            "id"
        ]
        for i in range(3)
    ]
    await http.post(f"/conversations/{cids[0]}/messages", headers=bob.headers, json={"body": "up"})

    first = (await http.get("/conversations", params={"limit": 2}, headers=alice.headers)).json()
    second = (
        await http.get(
            "/conversations",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=alice.headers,
        )
    ).json()

    assert [c["id"] for c in first["items"] + second["items"]] == [cids[0], cids[2], cids[1]]
    assert second["next_cursor"] is None
    since = first["items"][0]["updated_at"]
    recent = await http.get(
        "/conversations", params={"updated_since": since}, headers=alice.headers
    )
    assert [c["id"] for c in recent.json()["items"]] == [cids[0]]


async def test_outsiders_get_404_and_non_creators_get_403(http: httpx.AsyncClient) -> None:
    alice, bob, eve = [await register(http, n) for n in ("alice", "bob", "eve")]
    cid = (await _create(http, alice, kind="group", title="T", participant_ids=[bob.id])).json()[
        "id"
    ]

    for method, path, body in [
        ("GET", f"/conversations/{cid}", None),
        ("PATCH", f"/conversations/{cid}", {"title": "mine now"}),
        ("DELETE", f"/conversations/{cid}", None),
        ("GET", f"/conversations/{cid}/messages", None),
        ("POST", f"/conversations/{cid}/messages", {"body": "let me in"}),
        ("POST", f"/conversations/{cid}/participants", {"user_ids": [eve.id]}),
    ]:
        response = await http.request(method, path, headers=eve.headers, json=body)
        assert response.status_code == 404, (method, path)

    forbidden = [
        await http.delete(f"/conversations/{cid}", headers=bob.headers),
        await http.delete(f"/conversations/{cid}/participants/{alice.id}", headers=bob.headers),
    ]
    assert [r.status_code for r in forbidden] == [403, 403]
    still = await http.get(f"/conversations/{cid}", headers=alice.headers)
    assert [p["id"] for p in still.json()["participants"]] == [alice.id, bob.id]


async def _snapshot(http: httpx.AsyncClient, caller: Account, cid: int) -> Any:
    conversation = (await http.get(f"/conversations/{cid}", headers=caller.headers)).json()
    messages = (await http.get(f"/conversations/{cid}/messages", headers=caller.headers)).json()
    users = (await http.get("/users", headers=caller.headers)).json()
    listed = (await http.get("/conversations", headers=caller.headers)).json()
    return conversation, messages, users, listed


BAD_REQUESTS: list[tuple[str, str, dict[str, Any], int]] = [
    ("POST", "/conversations/{cid}/messages", {"content": b"{not json"}, 400),
    ("POST", "/conversations/{cid}/messages", {"content": b"\xff\xfe"}, 400),
    ("POST", "/conversations/{cid}/messages", {"json": {}}, 422),
    ("POST", "/conversations/{cid}/messages", {"json": {"body": ""}}, 422),
    ("POST", "/conversations/{cid}/messages", {"json": {"body": "   "}}, 422),
    ("POST", "/conversations/{cid}/messages", {"json": {"body": "x" * 4001}}, 422),
    ("POST", "/conversations/{cid}/messages", {"json": {"body": 5}}, 422),
    ("POST", "/conversations/{cid}/messages", {"json": {"body": "hi", "extra": 1}}, 422),
    ("POST", "/conversations/{cid}/messages", {"json": ["body"]}, 422),
    ("POST", "/conversations/{cid}/messages", {"json": {"body": "nul\u0000"}}, 422),
    ("POST", "/conversations/{cid}/messages", {"content": b"x" * 70_000}, 413),
    (
        "POST",
        "/conversations/{cid}/messages",
        {"content": b'{"body": "hi"}', "headers": {"content-type": "text/plain"}},
        415,
    ),
    ("POST", "/conversations", {"json": {"kind": "group", "participant_ids": [1]}}, 422),
    ("POST", "/conversations", {"json": {"kind": "party", "participant_ids": [1]}}, 422),
    (
        "POST",
        "/conversations",
        {"json": {"kind": "group", "title": "t", "participant_ids": []}},
        422,
    ),
    (
        "POST",
        "/conversations",
        {"json": {"kind": "group", "title": "t", "participant_ids": [99]}},
        422,
    ),
    (
        "POST",
        "/conversations",
        {"json": {"kind": "group", "title": "t", "participant_ids": [2, 2]}},
        422,
    ),
    ("POST", "/conversations", {"json": {"kind": "direct", "participant_ids": [1, 2]}}, 422),
    (
        "POST",
        "/conversations",
        {"json": {"kind": "direct", "title": "t", "participant_ids": [2]}},
        422,
    ),
    (
        "POST",
        "/conversations",
        {"json": {"kind": "group", "title": "t", "participant_ids": [2**63]}},
        422,
    ),
    ("PATCH", "/conversations/{cid}", {"json": {"title": ""}}, 422),
    ("PATCH", "/conversations/{cid}", {"json": {"title": None}}, 422),
    ("POST", "/conversations/{cid}/read", {"json": {"message_id": 0}}, 422),
    ("POST", "/conversations/{cid}/read", {"json": {"message_id": 123456}}, 422),
    ("POST", "/conversations/{cid}/participants", {"json": {"user_ids": [424242]}}, 422),
    ("GET", "/conversations/abc", {}, 422),
    ("GET", "/conversations/0", {}, 422),
    ("GET", "/conversations/99999999999999999999999", {}, 422),
    ("GET", "/conversations/424242", {}, 404),
    ("GET", "/conversations/{cid}/messages", {"params": {"limit": 0}}, 422),
    ("GET", "/conversations/{cid}/messages", {"params": {"limit": 201}}, 422),
    ("GET", "/conversations/{cid}/messages", {"params": {"after": "x"}}, 422),
    ("GET", "/conversations/{cid}/messages", {"params": {"after": "\u00b3"}}, 422),
    ("GET", "/conversations", {"params": {"limit": "\u0663"}}, 422),
    ("GET", "/conversations/{cid}/messages", {"params": {"limit": " 5"}}, 422),
    ("GET", "/conversations/{cid}/messages", {"params": {"before": -1}}, 422),
    ("GET", "/conversations", {"params": {"cursor": "garbage!"}}, 422),
    ("GET", "/conversations", {"params": {"updated_since": "yesterday"}}, 422),
    ("GET", "/conversations", {"params": {"updated_since": "2026-01-01T00:00:00"}}, 422),
    ("GET", "/users", {"params": {"q": ""}}, 422),
    ("GET", "/users/0", {}, 422),
    ("GET", "/users/31337", {}, 404),
    ("PUT", "/conversations", {}, 405),
    ("GET", "/no/such/route", {}, 404),
]


@pytest.mark.parametrize(("method", "path", "request_args", "status"), BAD_REQUESTS)
async def test_bad_input_gets_a_problem_and_changes_nothing(
    http: httpx.AsyncClient, method: str, path: str, request_args: dict[str, Any], status: int
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = (await _create(http, alice, kind="group", title="T", participant_ids=[bob.id])).json()[
        "id"
    ]
    await http.post(f"/conversations/{cid}/messages", headers=alice.headers, json={"body": "one"})
    before = await _snapshot(http, alice, cid)
    headers = {**alice.headers, **request_args.pop("headers", {})}
    if "content" in request_args and "content-type" not in {h.lower() for h in headers}:
        headers["content-type"] = "application/json"

    response = await http.request(method, path.format(cid=cid), headers=headers, **request_args)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["detail"]
    assert await _snapshot(http, alice, cid) == before


async def test_health_and_contract_documents(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    for name in ("openapi.yaml", "asyncapi.yaml", "schemas.yaml"):
        served = await http.get(f"/specs/{name}")
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("application/yaml")
    assert (await http.get("/specs/passwd")).status_code == 404


async def test_integers_follow_json_schema_not_python(http: httpx.AsyncClient) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = (await _create(http, alice, kind="group", title="T", participant_ids=[bob.id])).json()[
        "id"
    ]
    sent = await http.post(
        f"/conversations/{cid}/messages", headers=alice.headers, json={"body": "x"}
    )
    mid = sent.json()["id"]
    url = f"/conversations/{cid}/read"
    as_json = {"authorization": bob.headers["Authorization"], "content-type": "application/json"}

    integral = await http.post(url, headers=as_json, content=f'{{"message_id": {mid}.0}}')
    assert integral.status_code == 200
    assert integral.json()["last_read_message_id"] == mid
    for body in (f'{{"message_id": "{mid}"}}', '{"message_id": 1.5}', '{"message_id": true}'):
        assert (await http.post(url, headers=as_json, content=body)).status_code == 422, body
    assert (await http.post(url, headers=as_json, content='{"message_id": NaN}')).status_code == 400


async def test_wrong_method_lists_every_allowed_method(http: httpx.AsyncClient) -> None:
    response = await http.put("/conversations/1")

    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, PATCH"


async def test_a_group_outlives_its_creator_leaving(http: httpx.AsyncClient) -> None:
    alice, bob, carol = [await register(http, n) for n in ("alice", "bob", "carol")]
    created = await _create(http, bob, kind="group", title="x", participant_ids=[carol.id])
    cid = created.json()["id"]
    assert created.json()["owner_id"] == bob.id
    await http.post(
        f"/conversations/{cid}/participants", headers=bob.headers, json={"user_ids": [alice.id]}
    )

    left = await http.delete(f"/conversations/{cid}/participants/{bob.id}", headers=bob.headers)
    seen = await http.get(f"/conversations/{cid}", headers=alice.headers)

    # Carol joined with the group, Alice later: Carol has stood longest.
    assert left.status_code == 204
    assert seen.json()["owner_id"] == carol.id
    refused = await http.delete(f"/conversations/{cid}", headers=alice.headers)
    assert refused.status_code == 403
    deleted = await http.delete(f"/conversations/{cid}", headers=carol.headers)
    assert deleted.status_code == 204


async def test_a_reused_client_message_id_with_another_body_is_409(
    http: httpx.AsyncClient,
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = (await _create(http, alice, kind="direct", participant_ids=[bob.id])).json()["id"]
    url = f"/conversations/{cid}/messages"

    first = await http.post(
        url, headers=alice.headers, json={"body": "hi", "client_message_id": "k1"}
    )
    same = await http.post(
        url, headers=alice.headers, json={"body": "hi", "client_message_id": "k1"}
    )
    other = await http.post(
        url, headers=alice.headers, json={"body": "yo", "client_message_id": "k1"}
    )

    assert (first.status_code, same.status_code, other.status_code) == (201, 200, 409)
    assert same.json() == first.json()
    history = await http.get(url, headers=alice.headers)
    assert [m["body"] for m in history.json()["items"]] == ["hi"]


async def test_a_body_is_stored_and_answered_trimmed_and_retries_compare_trimmed(
    http: httpx.AsyncClient,
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = (await _create(http, alice, kind="direct", participant_ids=[bob.id])).json()["id"]
    url = f"/conversations/{cid}/messages"

    sent = await http.post(
        url, headers=alice.headers, json={"body": " \n hi\n  there \t", "client_message_id": "k"}
    )
    retried = await http.post(
        url, headers=alice.headers, json={"body": "hi\n  there", "client_message_id": "k"}
    )
    history = await http.get(url, headers=bob.headers)

    assert (sent.status_code, retried.status_code) == (201, 200)
    assert sent.json()["body"] == "hi\n  there"
    assert retried.json() == sent.json()
    assert [m["body"] for m in history.json()["items"]] == ["hi\n  there"]
