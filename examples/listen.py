"""Print every event one user receives: `python examples/listen.py TOKEN [CONVERSATION_ID]`.

Built on the generated Python client (clients/python). Connects where
`python -m service` listens, read from the same settings (CHAT_HOST, CHAT_PORT;
127.0.0.1:8000 by default). A refused connection prints the server's reason and
exits with status 1.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable

from conversations_client import SERVER_EVENTS, ConnectionRefused, SocketClient
from pydantic import BaseModel

from service.settings import Settings


def printer(event: str) -> Callable[[BaseModel], None]:
    return lambda payload: print(event, json.dumps(payload.model_dump(mode="json")), flush=True)


async def main(url: str, token: str, conversation_id: int | None) -> int:
    client = SocketClient(url, token)
    for event in SERVER_EVENTS:
        getattr(client, f"on_{event}")(printer(event))
    try:
        await client.connect()
    except ConnectionRefused as refused:
        reason = refused.refusal.model_dump(mode="json") if refused.refusal else str(refused)
        print(f"refused by {url}: {json.dumps(reason)}", file=sys.stderr)
        return 1
    if conversation_id is not None:
        ack = await client.join_conversation(conversation_id)
        print("join_conversation ->", json.dumps(ack.model_dump(mode="json")), flush=True)
    await client.wait()
    print("disconnect", flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    room = int(sys.argv[2]) if len(sys.argv) > 2 else None
    settings = Settings()
    sys.exit(asyncio.run(main(f"http://{settings.host}:{settings.port}", sys.argv[1], room)))
