"""The only place that spells Socket.IO room names."""

from __future__ import annotations


def user(user_id: int) -> str:
    return f"user:{user_id}"


def conversation(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def members(conversation_id: int) -> str:
    return f"members:{conversation_id}"


def session(token_id: str) -> str:
    return f"session:{token_id}"
