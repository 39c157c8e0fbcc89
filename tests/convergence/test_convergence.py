"""The convergence property (issue 21): a client that fetches its state once and then
applies the server's events by the rules of `model.py` holds what a fresh fetch
answers, after every step of random use by three users.

A Hypothesis state machine drives the service as users run it (`python -m service`,
its own process, a real SQLite file) with real python-socketio clients: sends (with
replies and mentions), reads, groups created, renamed, joined, left and deleted,
edits, deletions, pins, reactions, sockets that go away while the others act and come
back resuming (their state kept: what they missed must bring it level with a fresh
fetch), and sockets that reconnect afresh and fetch. After each step every connected
socket's events (with their positions) are validated against
asyncapi.yaml (as `tests.live.SocketUser` does in every test), applied, and the result
compared with `GET /conversations` and the joined conversations' messages and pins.
The traces (fetched state, events, fresh fetches) are then replayed under Node through
the TypeScript client's `applyEvent`, which must reach the same states.

EXAMPLES examples of STEPS steps, derandomized: the same inputs in CI and on a laptop.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import itertools
import json
import shutil
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx
import pytest
import socketio
from conversations_client import SERVER_EVENTS as CLIENT_EVENTS
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from generated.socket_server import SERVER_EVENTS
from tests.commands import run
from tests.convergence.model import RULES, ClientState, Json, apply_event, fetch
from tests.live import Account, Observation, SocketUser, register
from tests.processes import service_process

EXAMPLES = 10
STEPS = 25
# Every client's trace (fetched state, events, fresh fetches) that applied events is
# replayed through the TypeScript client's applyEvent, up to this many.
TRACES = 60
EMOJIS = ("👍", "🎉", "❤️")
T = TypeVar("T")
_names = itertools.count()
APPLIED: collections.Counter[str] = collections.Counter()
# Resumes that replayed something (True) and that had nothing to replay (False).
RESUMES: collections.Counter[bool] = collections.Counter()
ACTIONS: collections.Counter[str] = collections.Counter()
HERE = Path(__file__).parent
ROOT = HERE.parents[1]


class Service:
    """The service as users run it (`python -m service`, its own process, a real SQLite
    file) and an event loop for the clients, so that the (synchronous) state machine
    can drive its async clients between steps."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients = asyncio.Runner()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a client's work on the clients' loop."""
        return self.clients.run(asyncio.wait_for(work, 60))

    def close(self) -> None:
        self.clients.close()


class Client:
    """One user's device: a socket in the rooms of the conversations it holds, and the
    state it built from one fetch and the events since."""

    def __init__(
        self, account: Account, http: httpx.AsyncClient, traces: list[Json] | None
    ) -> None:
        self.account = account
        self.http = http
        self.socket: SocketUser | None = None
        self.state = ClientState(account.id)
        self.applied = 0
        self.traces = traces  # where to record what it applies, if anywhere
        self.steps: list[Json] = []
        self.sync: Json = {}
        self.resume: dict[str, str] | None = None  # while away: where it left off
        self.away_rooms: set[int] = set()

    def record(self, step: Json) -> None:
        if self.traces is not None:
            self.steps.append(step)

    async def connect(self, url: str, resume: dict[str, str] | None = None) -> bool:
        """Connect asking for positions; resume when given where an earlier socket
        left off (the state is kept, and what was missed follows), else fetch. Whether
        it resumed."""
        client = socketio.AsyncClient(reconnection=False)
        self.socket = SocketUser(self.account, client, Observation(), positioned=True)
        if resume is not None:
            self.socket.joined.update(self.away_rooms)  # the session brings them back
        client.on("*", self.socket.record)
        auth = {"token": self.account.token, "resume": resume or {}}
        await client.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
        first = self.socket.received[0]
        assert first.event == "sync", first
        self.sync = first.data
        self.applied = 1  # `sync` starts the stream; it changes no state
        if self.sync["resumed"]:
            return True
        # Join first, then fetch: nothing posted in between can pass the socket by.
        listed = await fetch(self.http, self.account.headers, self.account.id, set())
        for cid in listed.conversations:
            await self.socket.join(cid)
        self.state = await fetch(self.http, self.account.headers, self.account.id, self.rooms)
        if self.traces is not None:
            self.steps = []
            self.traces.append({"start": self.state.as_json(), "steps": self.steps})
        return False

    async def go_away(self) -> None:
        """The network goes: the socket closes with what it had; the state stays."""
        assert self.socket is not None
        # What arrived before the drop is applied; the rest is the server's to replay.
        await self.catch_up(join=False)
        positions = [r.position for r in self.socket.received if r.position is not None]
        self.resume = {
            "session": self.sync["session"],
            "position": positions[-1] if positions else self.sync["position"],
        }
        self.away_rooms = self.rooms
        await self.disconnect()

    @property
    def rooms(self) -> set[int]:
        assert self.socket is not None
        return set(self.socket.joined)

    async def disconnect(self) -> None:
        if self.socket is not None:
            await self.socket.client.disconnect()
            assert self.socket.violations == [], self.socket.violations
            self.socket = None

    async def catch_up(self, join: bool = True) -> None:
        """Apply what arrived; join conversations it learnt of, and fetch their history."""
        assert self.socket is not None
        await self.socket.barrier()
        assert self.socket.violations == [], self.socket.violations
        for received in self.socket.received[self.applied :]:
            apply_event(self.state, received.event, received.data)
            APPLIED[received.event] += 1
            self.record({"event": received.event, "payload": received.data})
        self.applied = len(self.socket.received)
        if not join:
            return
        for cid in sorted(self.state.conversations.keys() - self.rooms):
            await self.socket.join(cid)
            joined = await fetch(self.http, self.account.headers, self.account.id, {cid})
            self.state.messages[cid] = joined.messages.get(cid, [])
            self.state.pins[cid] = joined.pins.get(cid, [])
            held = {"messages": joined.messages.get(cid, []), "pins": joined.pins.get(cid, [])}
            self.record({"joined": cid, **copy.deepcopy(held)})
        for cid in self.rooms - self.state.conversations.keys():
            await self.socket.call("leave_conversation", {"conversation_id": cid})

    async def fresh(self) -> ClientState:
        return await fetch(self.http, self.account.headers, self.account.id, self.rooms)


def _pick(items: list[T], index: int) -> T:
    return items[index % len(items)]


class Convergence(RuleBasedStateMachine):
    service: Service
    traces: ClassVar[list[Json]] = []
    steps: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        self.http = httpx.AsyncClient(base_url=self.service.url, timeout=10)
        run = next(_names)
        accounts = [
            self.service.run(register(self.http, f"u{run}{name}")) for name in ("ann", "ben", "cat")
        ]
        self.clients = [Client(account, self.http, self.traces) for account in accounts]
        for client in self.clients:
            self.service.run(client.connect(self.service.url))
        # Every example starts where every rule can act: a group of all three and a
        # direct conversation.
        ben, cat = (c.account.id for c in self.clients[1:])
        for body in (
            {"kind": "group", "title": "Launch", "participant_ids": [ben, cat]},
            {"kind": "direct", "participant_ids": [ben]},
        ):
            assert self._call(self.clients[0], "POST", "/conversations", json=body).is_success

    def teardown(self) -> None:
        for client in self.clients:
            self.service.run(client.disconnect())
        self.service.run(self.http.aclose())

    # --- what the users do ------------------------------------------------------------

    def _call(self, client: Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
        request = self.http.request(method, url, headers=client.account.headers, **kwargs)
        response = self.service.run(request)
        assert response.status_code < 500, response.text
        ACTIONS[f"{method} {response.status_code}"] += 1
        return response

    def _present(self, who: int) -> Client | None:
        """The user who acts, unless away: a user acts again once back (their state
        may be stale meanwhile)."""
        client = self.clients[who]
        return None if client.socket is None else client

    def _conversations(self, client: Client) -> list[Json]:
        return sorted(client.state.conversations.values(), key=lambda c: c["id"])

    def _messages(self, client: Client, cid: int) -> list[Json]:
        return client.state.messages.get(cid, [])

    @rule(who=st.integers(0, 2), others=st.sets(st.integers(0, 2), max_size=2))
    def create_group(self, who: int, others: set[int]) -> None:
        client = self._present(who)
        if client is None:
            return
        ids = [self.clients[i].account.id for i in sorted(others - {who})] or [client.account.id]
        body = {"kind": "group", "title": f"Group {next(_names)}", "participant_ids": ids}
        assert self._call(client, "POST", "/conversations", json=body).status_code == 201

    @precondition(lambda self: any(c.state.conversations for c in self.clients))
    @rule(
        who=st.integers(0, 2),
        which=st.integers(0, 99),
        reply=st.booleans(),
        mention=st.sets(st.integers(0, 2), max_size=3),
    )
    def send(self, who: int, which: int, reply: bool, mention: set[int]) -> None:
        client = self._present(who)
        if client is None:
            return
        conversations = self._conversations(client)
        if not conversations:
            return
        conversation = _pick(conversations, which)
        body: Json = {"body": f"message {next(_names)}"}
        standing = [m for m in self._messages(client, conversation["id"]) if not m["deleted_at"]]
        if reply and standing:
            body["reply_to"] = _pick(standing, which)["id"]
        participants = [p["id"] for p in conversation["participants"]]
        wanted = [self.clients[i].account.id for i in mention]
        body["mentions"] = [uid for uid in wanted if uid in participants]
        url = f"/conversations/{conversation['id']}/messages"
        assert self._call(client, "POST", url, json=body).status_code == 201

    @precondition(lambda self: any(c.state.messages for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99))
    def read(self, who: int, which: int) -> None:
        client = self._present(who)
        if client is None:
            return
        held = [(cid, m) for cid, ms in client.state.messages.items() for m in ms]
        if not held:
            return
        cid, message = _pick(held, which)
        url = f"/conversations/{cid}/read"
        assert self._call(client, "POST", url, json={"message_id": message["id"]}).is_success

    @precondition(lambda self: any(c.state.conversations for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99))
    def rename(self, who: int, which: int) -> None:
        client = self._present(who)
        if client is None:
            return
        groups = [c for c in self._conversations(client) if c["kind"] == "group"]
        if groups:
            cid = _pick(groups, which)["id"]
            body = {"title": f"Renamed {next(_names)}"}
            assert self._call(client, "PATCH", f"/conversations/{cid}", json=body).is_success

    @precondition(lambda self: any(c.state.conversations for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99), whom=st.integers(0, 2))
    def add_participant(self, who: int, which: int, whom: int) -> None:
        client = self._present(who)
        if client is None:
            return
        groups = [c for c in self._conversations(client) if c["kind"] == "group"]
        if groups:
            cid = _pick(groups, which)["id"]
            body = {"user_ids": [self.clients[whom].account.id]}
            url = f"/conversations/{cid}/participants"
            assert self._call(client, "POST", url, json=body).status_code in (200, 403)

    @precondition(lambda self: any(c.state.conversations for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99), whom=st.integers(0, 2))
    def remove_participant(self, who: int, which: int, whom: int) -> None:
        client = self._present(who)
        if client is None:
            return
        groups = [c for c in self._conversations(client) if c["kind"] == "group"]
        if groups:
            conversation = _pick(groups, which)
            target = _pick(conversation["participants"], whom)["id"]
            url = f"/conversations/{conversation['id']}/participants/{target}"
            assert self._call(client, "DELETE", url).status_code in (204, 403)

    @precondition(lambda self: any(c.state.conversations for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99))
    def delete_conversation(self, who: int, which: int) -> None:
        client = self._present(who)
        if client is None:
            return
        owned = [c for c in self._conversations(client) if c["owner_id"] == client.account.id]
        if owned:
            cid = _pick(owned, which)["id"]
            assert self._call(client, "DELETE", f"/conversations/{cid}").status_code == 204

    def _standing(self, client: Client, mine: bool) -> list[tuple[int, Json]]:
        return [
            (cid, m)
            for cid, ms in sorted(client.state.messages.items())
            for m in ms
            if not m["deleted_at"] and (not mine or m["sender"]["id"] == client.account.id)
        ]

    @precondition(lambda self: any(c.state.messages for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99))
    def edit(self, who: int, which: int) -> None:
        client = self._present(who)
        if client is None:
            return
        mine = self._standing(client, mine=True)
        if mine:
            cid, message = _pick(mine, which)
            url = f"/conversations/{cid}/messages/{message['id']}"
            body = {"body": f"edited {next(_names)}"}
            assert self._call(client, "PATCH", url, json=body).is_success

    @precondition(lambda self: any(c.state.messages for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99))
    def delete_message(self, who: int, which: int) -> None:
        client = self._present(who)
        if client is None:
            return
        mine = self._standing(client, mine=True)
        if mine:
            cid, message = _pick(mine, which)
            url = f"/conversations/{cid}/messages/{message['id']}"
            assert self._call(client, "DELETE", url).status_code == 204

    @precondition(lambda self: any(c.state.messages for c in self.clients))
    @rule(who=st.integers(0, 2), which=st.integers(0, 99), pin=st.booleans())
    def pin(self, who: int, which: int, pin: bool) -> None:
        client = self._present(who)
        if client is None:
            return
        held = [(cid, m) for cid, ms in sorted(client.state.messages.items()) for m in ms]
        if held:
            cid, message = _pick(held, which)
            url = f"/conversations/{cid}/pins/{message['id']}"
            assert self._call(client, "PUT" if pin else "DELETE", url).is_success

    @precondition(lambda self: any(c.state.messages for c in self.clients))
    @rule(
        who=st.integers(0, 2),
        which=st.integers(0, 99),
        emoji=st.sampled_from(EMOJIS),
        add=st.booleans(),
    )
    def react(self, who: int, which: int, emoji: str, add: bool) -> None:
        client = self._present(who)
        if client is None:
            return
        standing = self._standing(client, mine=False)
        if standing:
            cid, message = _pick(standing, which)
            url = f"/conversations/{cid}/messages/{message['id']}/reactions/{emoji}"
            assert self._call(client, "PUT" if add else "DELETE", url).is_success

    @precondition(lambda self: sum(c.socket is not None for c in self.clients) > 1)
    @rule(who=st.integers(0, 2))
    def go_away(self, who: int) -> None:
        client = self.clients[who]
        if client.socket is None:
            return
        self.service.run(client.go_away())

    @precondition(lambda self: all(c.socket is not None for c in self.clients))
    @rule(who=st.integers(0, 2), sender=st.integers(1, 2), count=st.integers(1, 3))
    def miss_messages(self, who: int, sender: int, count: int) -> None:
        """Away while someone writes in a conversation it holds, then back: the resume
        must bring exactly those messages and their activity."""
        client, other = self.clients[who], self.clients[(who + sender) % 3]
        shared = sorted(client.state.conversations.keys() & other.state.conversations.keys())
        self.service.run(client.go_away())
        for n in range(count if shared else 0):
            url = f"/conversations/{_pick(shared, n)}/messages"
            assert self._call(other, "POST", url, json={"body": f"missed {n}"}).status_code == 201
        self.come_back(0)

    @precondition(lambda self: any(c.socket is None for c in self.clients))
    @rule(which=st.integers(0, 2))
    def come_back(self, which: int) -> None:
        """Resume where it left off: exactly what it missed, or the invariant fails."""
        client = _pick([c for c in self.clients if c.socket is None], which)
        resumed = self.service.run(client.connect(self.service.url, client.resume))
        assert resumed, client.sync
        RESUMES[client.sync["replayed"] > 0] += 1

    @rule(who=st.integers(0, 2), chance=st.integers(0, 3))
    def reconnect_afresh(self, who: int, chance: int) -> None:
        if chance:  # one draw in four: a fresh connection costs a whole fetch
            return
        client = self.clients[who]
        self.service.run(client.disconnect())
        self.service.run(client.connect(self.service.url))

    # --- the property -----------------------------------------------------------------

    @invariant()
    def every_client_holds_what_a_fresh_fetch_answers(self) -> None:
        Convergence.steps += 1
        present = [client for client in self.clients if client.socket is not None]
        for client in present:
            self.service.run(client.catch_up())
        for client in present:
            fresh = self.service.run(client.fresh())
            assert client.state.comparable() == fresh.comparable(), client.account.username
            client.record({"expect": fresh.as_json()})


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("convergence")
    database = f"sqlite+aiosqlite:///{folder / 'chat.db'}"
    with service_process(database, folder / "service.log") as url:
        running = Service(url)
        yield running
        running.close()


def test_applying_the_events_converges_on_a_fresh_fetch(service: Service, tmp_path: Path) -> None:
    Convergence.service, Convergence.traces, Convergence.steps = service, [], 0
    run_state_machine_as_test(
        Convergence,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,  # the same examples in CI and on a laptop
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )

    # The same traces through the TypeScript client's rules, under Node.
    traces = tmp_path / "traces.json"
    applying = [t for t in Convergence.traces if any("event" in step for step in t["steps"])]
    # The TypeScript rules cover every event a client receives, `sync` included.
    recorded = {"events": list(CLIENT_EVENTS), "traces": applying[:TRACES]}
    traces.write_text(json.dumps(recorded))
    node = shutil.which("node")
    assert node, "Node.js replays the traces through the TypeScript client"
    run(ROOT / "node_modules" / ".bin" / "tsc", "-p", ROOT / "clients" / "typescript", cwd=ROOT)
    replayed = json.loads(run(node, HERE / "replay.mjs", traces, cwd=ROOT))
    print(f"convergence: {Convergence.steps} steps, TypeScript replay {replayed}")
    print(f"actions {dict(ACTIONS)}\napplied {dict(APPLIED)}\nresumes {dict(RESUMES)}")
    assert RESUMES[True] > 0, "no example resumed after missing anything"
    assert replayed["traces"] == min(len(applying), TRACES) > 0
    assert replayed["applied"] > 0, replayed
    assert replayed["compared"] > 0, replayed


def test_every_server_event_of_the_spec_has_a_rule() -> None:
    assert sorted(RULES) == sorted(SERVER_EVENTS)
