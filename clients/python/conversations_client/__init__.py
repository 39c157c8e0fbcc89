"""Typed async client of the conversations service, generated from its contract.

async with HttpClient("http://127.0.0.1:8000") as http:
    token = (await http.login("alice", "correct horse battery staple")).access_token
async with SocketClient("http://127.0.0.1:8000", token) as socket:
    socket.on_message_created(print)
    ack = await socket.join_conversation(42)   # RoomAck; AckError raises AckRefused
"""

from conversations_client import models
from conversations_client.errors import AckRefused, ConnectionRefused, ProblemError
from conversations_client.http import HttpClient
from conversations_client.socket import CONTRACT_VERSION, SERVER_EVENTS, SocketClient

__all__ = [
    "CONTRACT_VERSION",
    "SERVER_EVENTS",
    "AckRefused",
    "ConnectionRefused",
    "HttpClient",
    "ProblemError",
    "SocketClient",
    "models",
]
