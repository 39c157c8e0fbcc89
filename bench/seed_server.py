"""The seed design's stack doing the seed's work: Flask-SocketIO on eventlet, each
post stored in SQLite (WAL, like ours) before `message_created` goes to the room.

The handshake's `auth.token` is taken as the user's id and joins `user:{id}`;
`join_conversation` enters `conversation:{id}`; `POST /send` inserts the message and
emits it. No auth, no validation, no unread counts: less work than ours does.
Usage: python -m bench.seed_server <port>
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sqlite3  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet", logger=False, engineio_logger=False)

database = sqlite3.connect(Path(tempfile.mkdtemp()) / "seed.db", isolation_level=None)
database.execute("PRAGMA journal_mode=WAL")
database.execute("PRAGMA synchronous=NORMAL")
database.execute(
    "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER,"
    " sender_id INTEGER, body TEXT, created_at TEXT)"
)


@socketio.on("connect")
def connect(auth: dict[str, Any]) -> None:
    join_room(f"user:{auth['token']}")


@socketio.on("join_conversation")
def join_conversation(data: dict[str, Any]) -> dict[str, Any]:
    join_room(f"conversation:{data['conversation_id']}")
    return {"ok": True, "conversation_id": data["conversation_id"]}


@app.post("/send")
def send() -> tuple[str, int]:
    payload = request.get_json()
    now = datetime.now(UTC).isoformat()
    cursor = database.execute(
        "INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES (?, ?, ?, ?)",
        (payload["conversation_id"], payload["sender_id"], payload["body"], now),
    )
    message = {**payload, "id": cursor.lastrowid, "created_at": now}
    socketio.emit("message_created", message, to=f"conversation:{payload['conversation_id']}")
    return "", 201


if __name__ == "__main__":
    # eventlet.wsgi serves at most 1,024 connections at once by default; an operator
    # holding thousands of sockets raises it, so the benchmark does too.
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False, max_size=1_000_000)
