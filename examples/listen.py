"""Print every event one user receives: `python examples/listen.py TOKEN [CONVERSATION_ID]`."""

from __future__ import annotations

import asyncio
import json
import sys

import socketio


async def main(url: str, token: str, conversation_id: int | None) -> None:
    async with socketio.AsyncSimpleClient() as client:
        await client.connect(url, auth={"token": token}, transports=["websocket"])
        if conversation_id is not None:
            ack = await client.call("join_conversation", {"conversation_id": conversation_id})
            print("join_conversation ->", json.dumps(ack), flush=True)
        while True:
            event, *args = await client.receive()
            print(event, json.dumps(args[0] if args else None), flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    room = int(sys.argv[2]) if len(sys.argv) > 2 else None
    asyncio.run(main("http://127.0.0.1:8000", sys.argv[1], room))
