"""The load client: hundreds of sockets in one room, speaking Engine.IO 4 / Socket.IO 5
directly over aiohttp WebSockets (no client library, so the client stays cheap), and
HTTP posts whose fan-out it times.

Each posted body carries the client's send time; every socket that receives
`message_created` records now minus that time. Prints one JSON object.
Usage: python -m bench.load <base-url> <ours|bare|seed> <sockets> <rate> <seconds> <burst>
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

PASSWORD = "bench-password-1"


@dataclass
class Target:
    base_url: str
    kind: str
    conversation_id: int = 1
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def prepare(self, http: aiohttp.ClientSession) -> None:
        if self.kind != "ours":
            return
        tokens = []
        for name in ("sender", "reader"):
            account = {"username": name, "password": PASSWORD, "display_name": name}
            async with http.post(f"{self.base_url}/auth/register", json=account) as response:
                assert response.status == 201, await response.text()
            login = {"username": name, "password": PASSWORD}
            async with http.post(f"{self.base_url}/auth/login", json=login) as response:
                tokens.append((await response.json())["access_token"])
            if name == "sender":
                self.headers = {"Authorization": f"Bearer {tokens[0]}"}
        async with http.get(
            f"{self.base_url}/me", headers={"Authorization": f"Bearer {tokens[1]}"}
        ) as me:
            reader_id = (await me.json())["id"]
        group = {"kind": "group", "title": "Bench", "participant_ids": [reader_id]}
        async with http.post(
            f"{self.base_url}/conversations", json=group, headers=self.headers
        ) as response:
            self.conversation_id = (await response.json())["id"]
        self.token = tokens[1]

    async def post(self, http: aiohttp.ClientSession, sent_at: float) -> None:
        body = f"{sent_at:.9f}"
        if self.kind == "ours":
            url = f"{self.base_url}/conversations/{self.conversation_id}/messages"
            payload: dict[str, Any] = {"body": body}
        else:
            url = f"{self.base_url}/send"
            payload = {"conversation_id": self.conversation_id, "body": body}
        async with http.post(url, json=payload, headers=self.headers) as response:
            assert response.status == 201, await response.text()


class Socket:
    """One Socket.IO client: connect, join the room, time every message_created."""

    def __init__(self, latencies: list[float], arrived: asyncio.Event) -> None:
        self.latencies = latencies
        self.arrived = arrived
        self.joined = asyncio.Event()
        self.events = 0  # every event received, whatever its name

    async def run(self, http: aiohttp.ClientSession, target: Target) -> None:
        url = target.base_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(url, max_msg_size=0) as ws:
            await ws.receive()  # Engine.IO open packet
            auth = json.dumps({"token": target.token}) if target.token else ""
            await ws.send_str("40" + auth)
            join = json.dumps(["join_conversation", {"conversation_id": target.conversation_id}])
            async for frame in ws:
                text: str = frame.data
                if text == "2":
                    await ws.send_str("3")
                elif text.startswith("40"):
                    await ws.send_str("421" + join)
                elif text.startswith("431"):
                    self.joined.set()
                elif text.startswith("42"):
                    self.events += 1
                if text.startswith('42["message_created"'):
                    received = time.perf_counter()
                    payload = json.loads(text[2:])[1]
                    self.latencies.append(received - float(payload["body"]))
                    self.arrived.set()
                elif text.startswith("44"):
                    raise RuntimeError(f"connection refused: {text}")


async def main(
    base_url: str, kind: str, sockets: int, rate: float, seconds: float, burst: int
) -> None:
    target = Target(base_url, kind)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        await target.prepare(http)
        latencies: list[float] = []
        arrived = asyncio.Event()
        clients = [Socket(latencies, arrived) for _ in range(sockets)]
        tasks = [asyncio.create_task(c.run(http, target)) for c in clients]
        await asyncio.wait_for(asyncio.gather(*(c.joined.wait() for c in clients)), 60)

        async def wait_all(expected: int) -> None:
            deadline = time.perf_counter() + 30
            while len(latencies) < expected and time.perf_counter() < deadline:
                arrived.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(arrived.wait(), 1)

        # Phase 1, latency at a steady offered rate.
        sends = int(rate * seconds)
        started = time.perf_counter()
        posts = []
        for n in range(sends):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            posts.append(asyncio.create_task(target.post(http, time.perf_counter())))
        await asyncio.gather(*posts)
        await wait_all(sends * sockets)
        steady = sorted(latencies)
        steady_lost = sends * sockets - len(steady)

        # Phase 2, throughput: `burst` posts at once, as fast as the server takes them.
        latencies.clear()
        events_before = sum(c.events for c in clients)
        started = time.perf_counter()
        posters = 8

        async def poster(count: int) -> None:
            for _ in range(count):
                await target.post(http, time.perf_counter())

        await asyncio.gather(*(poster(burst // posters) for _ in range(posters)))
        expected = (burst // posters) * posters * sockets
        await wait_all(expected)
        elapsed = time.perf_counter() - started
        burst_received = len(latencies)
        all_events = sum(c.events for c in clients) - events_before
        for task in tasks:
            task.cancel()

    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    print(
        json.dumps(
            {
                "kind": kind,
                "sockets": sockets,
                "steady_rate_msgs": rate,
                "steady_events": len(steady),
                "steady_lost": steady_lost,
                "p50_ms": pct(steady, 0.50),
                "p99_ms": pct(steady, 0.99),
                "mean_ms": statistics.fmean(steady) * 1000 if steady else float("nan"),
                "burst_messages": (burst // posters) * posters,
                "burst_events": burst_received,
                "burst_lost": expected - burst_received,
                "events_per_s": burst_received / elapsed,
                "all_events_per_s": all_events / elapsed,
            }
        )
    )


if __name__ == "__main__":
    url, kind, sockets, rate, seconds, burst = sys.argv[1:7]
    asyncio.run(main(url, kind, int(sockets), float(rate), float(seconds), int(burst)))
