"""The seed design's stack: Flask-SocketIO on eventlet.

`fanout` mode does what bench/bare_server.py does (emit the posted body, nothing
else). `product` mode does a send the way the seed design would, so the stacks are
compared on the same work as ours: store the message in SQLite (WAL, like ours),
count the recipient's unread messages, then emit `message_created` to the room and
`conversation_updated` and `unread_count_updated` to the recipient's user room.
Usage: python -m bench.seed_server <port> [fanout|product]
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
MODE = sys.argv[2] if len(sys.argv) > 2 else "fanout"
SENDER = {"id": 1, "username": "sender", "display_name": "sender"}
READER = {"id": 2, "username": "reader", "display_name": "reader"}

database = sqlite3.connect(Path(tempfile.mkdtemp()) / "seed.db", isolation_level=None)
database.execute("PRAGMA journal_mode=WAL")
database.execute("PRAGMA synchronous=NORMAL")
database.execute(
    "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER,"
    " sender_id INTEGER, body TEXT, created_at TEXT)"
)


@socketio.on("join_conversation")
def join_conversation(data: dict[str, Any]) -> dict[str, Any]:
    join_room(f"conversation:{data['conversation_id']}")
    join_room("user:2")  # every benchmark socket is the reader's
    return {"ok": True, "conversation_id": data["conversation_id"]}


@app.post("/send")
def send() -> tuple[str, int]:
    payload = request.get_json()
    cid = payload["conversation_id"]
    room = f"conversation:{cid}"
    if MODE == "fanout":
        socketio.emit("message_created", payload, to=room)
        return "", 201
    now = datetime.now(UTC).isoformat()
    database.execute("BEGIN IMMEDIATE")
    cursor = database.execute(
        "INSERT INTO messages (conversation_id, sender_id, body, created_at) VALUES (?, 1, ?, ?)",
        (cid, payload["body"], now),
    )
    unread = database.execute(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND sender_id != 2", (cid,)
    ).fetchone()[0]
    database.execute("COMMIT")
    message = {
        "id": cursor.lastrowid,
        "conversation_id": cid,
        "sender": SENDER,
        "body": payload["body"],
        "client_message_id": None,
        "created_at": now,
    }
    socketio.emit("message_created", message, to=room)
    conversation = {
        "id": cid,
        "kind": "group",
        "title": "Bench",
        "participants": [SENDER, READER],
        "created_by": 1,
        "created_at": now,
        "updated_at": now,
        "last_message": message,
        "unread_count": unread,
    }
    socketio.emit("conversation_updated", conversation, to="user:2")
    badge = {"conversation_id": cid, "unread_count": unread, "total_unread": unread}
    socketio.emit("unread_count_updated", badge, to="user:2")
    return "", 201


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_output=False)
