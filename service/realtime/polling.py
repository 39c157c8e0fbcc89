"""Ending a long-polling client's pending poll when its session closes.

When a polling client closes its session (Engine.IO `close` packet), python-engineio
closes the session without waking the GET request the client still has pending: that
request, and so the client's own `disconnect()`, waited out the ping interval and
timeout (about 30 s). A WebSocket session is not affected: its close ends its
connection.
"""

from __future__ import annotations

import inspect
from typing import Any


def end_polls_on_close(engineio_server: Any) -> None:
    """Answer a closing polling session's pending poll at once (an empty payload).

    Registered with Engine.IO's documented `on("disconnect")`, around the handler
    python-socketio registered there, which still runs as before.
    """
    handler = engineio_server.handlers.get("disconnect")

    async def disconnected(eio_sid: str, *args: Any) -> Any:
        socket = engineio_server.sockets.get(eio_sid)
        if socket is not None and not socket.upgraded:
            # poll() answers an empty payload for None; a WebSocket writer would end.
            socket.queue.put_nowait(None)
        if handler is None:
            return None
        result = handler(eio_sid, *args)
        return await result if inspect.isawaitable(result) else result

    engineio_server.on("disconnect", disconnected)
