"""Print every event one user receives: `python examples/listen.py TOKEN [CONVERSATION_ID]`.

Connects where `python -m service` listens, read from the same settings
(CHAT_HOST, CHAT_PORT; 127.0.0.1:8000 by default). A refused connection prints
the server's reason and exits with status 1.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import socketio

from service.settings import Settings


async def main(url: str, token: str, conversation_id: int | None) -> int:
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    client.on("connect_error", refusals.append)
    client.on("disconnect", lambda *_reason: events.put_nowait(("disconnect", None)))
    client.on("*", lambda event, *args: events.put_nowait((event, args[0] if args else None)))
    try:
        await client.connect(url, auth={"token": token}, transports=["websocket"])
    except socketio.exceptions.ConnectionError as exc:
        reason = refusals[0] if refusals else str(exc)
        print(f"refused by {url}: {json.dumps(reason)}", file=sys.stderr)
        return 1
    if conversation_id is not None:
        ack = await client.call("join_conversation", {"conversation_id": conversation_id})
        print("join_conversation ->", json.dumps(ack), flush=True)
    while True:
        event, payload = await events.get()
        print(event, json.dumps(payload), flush=True)
        if event == "disconnect":
            return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    room = int(sys.argv[2]) if len(sys.argv) > 2 else None
    settings = Settings()
    sys.exit(asyncio.run(main(f"http://{settings.host}:{settings.port}", sys.argv[1], room)))
