"""Each event of asyncapi.yaml reaches the right sockets, and only those."""

from __future__ import annotations

import httpx
import pytest

from tests.live import connected, create_group, refusal, register, send_message
from tests.schemas import validate_ack


async def test_conversation_created_reaches_participants_only(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob, eve = [await register(http, n) for n in ("alice", "bob", "eve")]
    async with (
        connected(base_url, alice) as a,
        connected(base_url, bob) as b,
        connected(base_url, eve) as e,
    ):
        cid = await create_group(http, alice, bob)

        for user in (a, b):
            created = await user.wait_for("conversation_created")
            assert created["id"] == cid
            assert [p["id"] for p in created["participants"]] == [alice.id, bob.id]
        await e.barrier()
        assert e.received == []


async def test_message_created_reaches_joined_sockets_not_outsiders(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob, eve = [await register(http, n) for n in ("alice", "bob", "eve")]
    cid = await create_group(http, alice, bob)
    async with (
        connected(base_url, alice) as a,
        connected(base_url, bob) as b,
        connected(base_url, eve) as e,
    ):
        assert validate_ack("joinConversation", await b.join(cid)) == "roomAck"
        refused = await e.join(cid)
        assert validate_ack("joinConversation", refused) == "ackError"
        assert refused["error"]["code"] == "not_found"

        message = await send_message(http, alice, cid, "hello bob")

        assert await b.wait_for("message_created") == message
        # Every participant's sockets, joined or not, get the same activity.
        activity = {
            "conversation_id": cid,
            "seq": 1,
            "updated_at": message["created_at"],
            "last_message": {
                k: message[k]
                for k in ("id", "seq", "sender", "body", "created_at", "edited_at", "deleted_at")
            },
        }
        assert await b.wait_for("conversation_activity") == activity
        assert await a.wait_for("conversation_activity") == activity
        await a.barrier()
        assert a.events("message_created") == []
        assert a.events("unread_count_updated") == []
        await e.barrier()
        assert e.received == []


async def test_every_socket_of_a_user_receives_private_events(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    async with connected(base_url, bob) as tab1, connected(base_url, bob) as tab2:
        cid = await create_group(http, alice, bob)

        for tab in (tab1, tab2):
            assert (await tab.wait_for("conversation_created"))["id"] == cid


async def test_message_read_goes_to_room_and_reader_devices(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    first = await send_message(http, alice, cid, "one")
    second = await send_message(http, alice, cid, "two")
    async with (
        connected(base_url, alice) as a,
        connected(base_url, bob) as b_joined,
        connected(base_url, bob) as b_other_tab,
    ):
        await a.join(cid)
        await b_joined.join(cid)

        read = await http.post(
            f"/conversations/{cid}/read", headers=bob.headers, json={"message_id": second["id"]}
        )
        assert read.json() == {
            "conversation_id": cid,
            "last_read_message_id": second["id"],
            "last_read_seq": 2,
            "unread_count": 0,
            "unread_mentions": 0,
        }

        expected = {
            "conversation_id": cid,
            "reader": {"id": bob.id, "username": "bob", "display_name": "Bob"},
            "message_ids": [first["id"], second["id"]],
            "last_read_message_id": second["id"],
        }
        for user in (a, b_joined, b_other_tab):
            assert await user.wait_for("message_read") == expected
        for tab in (b_joined, b_other_tab):
            badge = await tab.wait_for("unread_count_updated")
            assert badge == {
                "conversation_id": cid,
                "unread_count": 0,
                "total_unread": 0,
                "unread_mentions": 0,
                "total_unread_mentions": 0,
            }
        # In both rooms, but told once.
        await b_joined.barrier()
        assert len(b_joined.events("message_read")) == 1
        await a.barrier()
        assert a.events("unread_count_updated") == []


async def test_rename_add_remove_and_delete_events(base_url: str, http: httpx.AsyncClient) -> None:
    alice, bob, carol = [await register(http, n) for n in ("alice", "bob", "carol")]
    cid = await create_group(http, alice, bob)
    async with (
        connected(base_url, alice) as a,
        connected(base_url, bob) as b,
        connected(base_url, carol) as c,
    ):
        await b.join(cid)
        renamed = await http.patch(
            f"/conversations/{cid}", headers=bob.headers, json={"title": "Renamed"}
        )
        assert renamed.status_code == 200
        for user in (a, b):
            assert (await user.wait_for("conversation_updated"))["title"] == "Renamed"

        added = await http.post(
            f"/conversations/{cid}/participants",
            headers=alice.headers,
            json={"user_ids": [carol.id]},
        )
        assert added.status_code == 200
        welcome = await c.wait_for("conversation_created")
        assert welcome["title"] == "Renamed"
        assert [p["id"] for p in welcome["participants"]] == [alice.id, bob.id, carol.id]
        joined = await a.wait_for("conversation_updated", lambda d: d["participants_added"])
        assert [p["id"] for p in joined["participants_added"]] == [carol.id]
        # Carol's socket is now among the participants': activity reaches her.
        await send_message(http, alice, cid, "welcome carol")
        assert (await c.wait_for("conversation_activity"))["seq"] == 1

        removed = await http.delete(
            f"/conversations/{cid}/participants/{bob.id}", headers=alice.headers
        )
        assert removed.status_code == 204
        gone = await b.wait_for("conversation_deleted")
        assert gone == {"conversation_id": cid, "reason": "removed"}
        left = await c.wait_for("conversation_updated", lambda d: d["participants_removed"])
        assert left["participants_removed"] == [bob.id]

        # Bob's socket left both rooms: he gets nothing more from them.
        await send_message(http, alice, cid, "after bob left")
        await c.wait_for("conversation_activity", lambda d: d["seq"] == 2)
        await b.barrier()
        assert [e.data["body"] for e in b.events("message_created")] == ["welcome carol"]
        assert [e.data["seq"] for e in b.events("conversation_activity")] == [1]
        assert (await b.join(cid))["error"]["code"] == "not_found"

        deleted = await http.delete(f"/conversations/{cid}", headers=alice.headers)
        assert deleted.status_code == 204
        for user in (a, c):
            event = await user.wait_for("conversation_deleted")
            assert event == {"conversation_id": cid, "reason": "deleted"}


async def test_bad_socket_input_gets_error_acks_and_the_socket_stays_usable(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob = await register(http, "alice"), await register(http, "bob")
    cid = await create_group(http, alice, bob)
    async with connected(base_url, alice) as a:
        bad_payloads: list[tuple[object, ...]] = [
            ({},),
            ({"conversation_id": "1"},),
            ({"conversation_id": 0},),
            ({"conversation_id": 2**60},),
            ({"conversation_id": 1, "extra": True},),
            ("not an object",),
            (None,),
            ([1, 2],),
            ({"conversation_id": cid}, "second argument"),
        ]
        for args in bad_payloads:
            ack = await a.call("join_conversation", *args)
            assert validate_ack("joinConversation", ack) == "ackError", args
            assert ack["error"]["code"] == "validation_error", (args, ack)
            ack = await a.call("leave_conversation", *args)
            assert validate_ack("leaveConversation", ack) == "ackError", args

        unknown = await a.call("send_spam", {"x": 1})
        assert unknown["ok"] is False
        assert unknown["error"]["code"] == "bad_request"

        assert (await a.join(cid))["ok"] is True
        await send_message(http, bob, cid, "still alive")
        assert (await a.wait_for("message_created"))["body"] == "still alive"


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"token": ""}, {"token": "not-a-jwt"}, {"token": 12}, "a string"],
)
async def test_sockets_without_a_valid_token_are_refused(base_url: str, auth: object) -> None:
    payload = await refusal(base_url, auth)

    assert payload == {"message": "Missing or invalid token.", "data": {"code": "unauthorized"}}


async def test_a_token_for_another_server_secret_is_refused(base_url: str) -> None:
    import socketio

    from service.auth.tokens import TokenCodec
    from service.domain.clock import utc_now

    forged = TokenCodec("not-the-server-secret-" + "q" * 32, 60, utc_now).issue(1)
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            base_url, auth={"token": forged.token}, transports=["websocket"], wait_timeout=5
        )


async def test_presence_lists_contacts_with_a_connected_socket(
    base_url: str, http: httpx.AsyncClient
) -> None:
    alice, bob, loner = [await register(http, n) for n in ("alice", "bob", "loner")]
    await create_group(http, alice, bob)

    async def online() -> list[int]:
        listed: list[int] = (await http.get("/presence", headers=alice.headers)).json()[
            "online_user_ids"
        ]
        return listed

    async with connected(base_url, alice) as a, connected(base_url, loner) as lone:
        assert await online() == []
        async with connected(base_url, bob):
            came = await a.wait_for("presence_changed", lambda e: bob.id in e["online"])
            assert came["offline"] == []  # Alice's own arrival may be told with Bob's
            assert await online() == [bob.id]
        went = await a.wait_for("presence_changed", lambda e: bob.id in e["offline"])
        assert went == {"online": [], "offline": [bob.id]}
        assert await online() == []
        # The loner shares no conversation with anyone: told nothing, told of by nobody.
        await lone.barrier()
        assert lone.events("presence_changed") == []
        assert all(loner.id not in e.data["online"] for e in a.events("presence_changed"))
