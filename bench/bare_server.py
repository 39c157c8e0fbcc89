"""The ceiling: python-socketio on uvicorn doing the benchmark's fan-out and nothing else.

No database, no validation, no auth: the handshake's `auth.token` is taken as the
user's id and joins `user:{id}`, `join_conversation` enters the room, and `POST /send`
emits its JSON body as `message_created` to the room.
Usage: python -m bench.bare_server <port>
"""

from __future__ import annotations

import json
import sys
from typing import Any

import socketio
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi")


@sio.on("connect")  # type: ignore[untyped-decorator]
async def connect(sid: str, _environ: dict[str, Any], auth: dict[str, Any]) -> None:
    await sio.enter_room(sid, f"user:{auth['token']}")


@sio.on("join_conversation")  # type: ignore[untyped-decorator]
async def join_conversation(sid: str, data: dict[str, Any]) -> dict[str, Any]:
    await sio.enter_room(sid, f"conversation:{data['conversation_id']}")
    return {"ok": True, "conversation_id": data["conversation_id"]}


async def http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    payload = json.loads(body)
    await sio.emit("message_created", payload, to=f"conversation:{payload['conversation_id']}")
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b""})


if __name__ == "__main__":
    app = socketio.ASGIApp(sio, other_asgi_app=http)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
