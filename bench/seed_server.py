"""The seed design's stack: Flask-SocketIO on eventlet, doing the benchmark's fan-out.

Same behaviour as bench/bare_server.py (no database, no validation, no auth).
Usage: python -m bench.seed_server <port>
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", logger=False, engineio_logger=False)


@socketio.on("join_conversation")
def join_conversation(data: dict[str, Any]) -> dict[str, Any]:
    join_room(f"conversation:{data['conversation_id']}")
    return {"ok": True, "conversation_id": data["conversation_id"]}


@app.post("/send")
def send() -> tuple[str, int]:
    payload = request.get_json()
    socketio.emit("message_created", payload, to=f"conversation:{payload['conversation_id']}")
    return "", 201


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False)
