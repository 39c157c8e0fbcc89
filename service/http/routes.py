"""HTTP routes. Each handler is named after its operationId in specs/openapi.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from generated import models as dto
from service import dto as to_dto
from service.auth.tokens import TokenClaims, bearer_token
from service.domain.errors import Unauthorized
from service.domain.model import ConversationKind
from service.http.inputs import (
    path_id,
    query_datetime,
    query_int,
    query_limit,
    query_text,
    read_body,
)
from service.http.observed import metrics_of
from service.http.problems import problem
from service.ratelimit import RateLimited
from service.services.container import Services
from service.services.conversations import encode_cursor

SPEC_DOCUMENTS = ("openapi.yaml", "asyncapi.yaml", "schemas.yaml")

M = TypeVar("M", bound=BaseModel)


def _services(request: Request) -> Services:
    services: Services = request.state.services
    return services


async def _claims(request: Request) -> TokenClaims:
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise Unauthorized("Missing or invalid bearer token.")
    return await _services(request).users.authenticate(token)


async def _caller(request: Request) -> int:
    return (await _claims(request)).user_id


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


async def _body(request: Request, model: type[M]) -> M:
    return await read_body(request, model, _services(request).settings.max_body_bytes)


async def get_health(request: Request) -> Response:
    try:
        await _services(request).users.ping()
    except Exception:
        return problem(request, "internal_error", "The database does not answer.", status=503)
    return _json(dto.Health(status=dto.Status.ok))


async def get_spec_document(request: Request) -> Response:
    name = request.path_params["document"]
    if name not in SPEC_DOCUMENTS:
        return problem(request, "not_found", f"No contract document named {name[:64]}.")
    path = Path(_services(request).settings.specs_dir) / name
    return Response(path.read_bytes(), media_type="application/yaml")


def _address(request: Request) -> str:
    # The peer, or what a trusted proxy reports (CHAT_FORWARDED_ALLOW_IPS).
    return request.client.host if request.client else "unknown"


async def _limit_by_address(request: Request, policy: str) -> None:
    await _services(request).limits.hit(policy, _address(request))


async def register(request: Request) -> Response:
    await _limit_by_address(request, "auth")
    body = await _body(request, dto.RegisterRequest)
    user = await _services(request).users.register(body.username, body.password, body.display_name)
    return _json(to_dto.user(user), 201)


async def login(request: Request) -> Response:
    await _limit_by_address(request, "auth")
    body = await _body(request, dto.LoginRequest)
    result = await _services(request).users.login(body.username, body.password, _address(request))
    return _json(
        dto.TokenResponse(
            access_token=result.token.token,
            token_type=dto.TokenType.bearer,
            expires_in=result.token.expires_in,
            user=to_dto.user(result.user),
        )
    )


async def logout(request: Request) -> Response:
    await _services(request).sessions.logout(await _claims(request))
    return Response(status_code=204)


async def get_me(request: Request) -> Response:
    return _json(to_dto.user(await _services(request).users.me(await _caller(request))))


async def get_presence(request: Request) -> Response:
    online = await _services(request).presence.online_contacts(await _caller(request))
    return _json(dto.PresenceList(online_user_ids=list(online)))


async def get_unread_summary(request: Request) -> Response:
    summary = await _services(request).messages.unread_summary(await _caller(request))
    return _json(
        dto.UnreadSummary(
            total_unread=summary.total_unread,
            conversations=[
                dto.ConversationUnread(conversation_id=cid, unread_count=count)
                for cid, count in summary.per_conversation
            ],
        )
    )


async def list_users(request: Request) -> Response:
    await _caller(request)
    prefix = query_text(request, "q", 1, 64)
    after = query_int(request, "after", 0, 2**53 - 1) or 0
    page = await _services(request).users.directory(prefix, after, query_limit(request))
    return _json(
        dto.UserPage(items=[to_dto.user(u) for u in page.items], next_after=page.next_after)
    )


async def get_user(request: Request) -> Response:
    await _caller(request)
    user = await _services(request).users.get(path_id(request, "user_id"))
    return _json(to_dto.user(user))


async def list_conversations(request: Request) -> Response:
    caller = await _caller(request)
    limit = query_limit(request)
    cursor = query_text(request, "cursor", 1, 128)
    since = query_datetime(request, "updated_since")
    page = await _services(request).conversations.list_for(caller, limit, cursor, since)
    return _json(
        dto.ConversationPage(
            items=[to_dto.conversation_view(v) for v in page.items],
            next_cursor=None if page.next_cursor is None else encode_cursor(page.next_cursor),
        )
    )


async def create_conversation(request: Request) -> Response:
    caller = await _caller(request)
    body = await _body(request, dto.CreateConversationRequest)
    result = await _services(request).conversations.create(
        caller,
        ConversationKind(body.kind.value),
        body.title,
        list(body.participant_ids),
    )
    return _json(to_dto.conversation_view(result.view), 201 if result.created else 200)


async def get_conversation(request: Request) -> Response:
    caller = await _caller(request)
    view = await _services(request).conversations.get(caller, path_id(request, "conversation_id"))
    return _json(to_dto.conversation_view(view))


async def update_conversation(request: Request) -> Response:
    caller = await _caller(request)
    conversation_id = path_id(request, "conversation_id")
    body = await _body(request, dto.UpdateConversationRequest)
    view = await _services(request).conversations.rename(caller, conversation_id, body.title)
    return _json(to_dto.conversation_view(view))


async def delete_conversation(request: Request) -> Response:
    caller = await _caller(request)
    await _services(request).conversations.delete(caller, path_id(request, "conversation_id"))
    return Response(status_code=204)


async def add_participants(request: Request) -> Response:
    caller = await _caller(request)
    conversation_id = path_id(request, "conversation_id")
    body = await _body(request, dto.AddParticipantsRequest)
    view = await _services(request).conversations.add_participants(
        caller, conversation_id, list(body.user_ids)
    )
    return _json(to_dto.conversation_view(view))


async def remove_participant(request: Request) -> Response:
    caller = await _caller(request)
    conversation_id = path_id(request, "conversation_id")
    user_id = path_id(request, "user_id")
    await _services(request).conversations.remove_participant(caller, conversation_id, user_id)
    return Response(status_code=204)


async def list_messages(request: Request) -> Response:
    caller = await _caller(request)
    conversation_id = path_id(request, "conversation_id")
    after = query_int(request, "after", 0, 2**53 - 1)
    before = query_int(request, "before", 1, 2**53 - 1)
    page = await _services(request).messages.history(
        caller, conversation_id, after, before, query_limit(request)
    )
    return _json(
        dto.MessagePage(items=[to_dto.message(m) for m in page.items], has_more=page.has_more)
    )


async def send_message(request: Request) -> Response:
    caller = await _caller(request)
    conversation_id = path_id(request, "conversation_id")
    try:
        await _services(request).limits.hit("send", caller)
    except RateLimited:
        # A retry of a send that was stored stores nothing: it is answered, not limited,
        # or a client that lost an answer could never learn it had got through.
        retried = await _body(request, dto.SendMessageRequest)
        if retried.client_message_id is not None:
            first = await _services(request).messages.sent_before(
                caller, conversation_id, retried.body, retried.client_message_id
            )
            if first is not None:
                return _json(to_dto.message(first), 200)
        raise
    body = await _body(request, dto.SendMessageRequest)
    with metrics_of(request).send.time():
        sent = await _services(request).messages.send(
            caller, conversation_id, body.body, body.client_message_id
        )
    return _json(to_dto.message(sent.message), 201 if sent.created else 200)


async def mark_read(request: Request) -> Response:
    caller = await _caller(request)
    conversation_id = path_id(request, "conversation_id")
    body = await _body(request, dto.MarkReadRequest)
    state = await _services(request).messages.mark_read(caller, conversation_id, body.message_id)
    return _json(
        dto.ReadState(
            conversation_id=state.conversation_id,
            last_read_message_id=state.last_read_message_id,
            last_read_seq=state.last_read_seq,
            unread_count=state.unread_count,
        )
    )


def routes() -> list[Route]:
    return [
        Route("/healthz", get_health, methods=["GET"]),
        Route("/specs/{document}", get_spec_document, methods=["GET"]),
        Route("/auth/register", register, methods=["POST"]),
        Route("/auth/login", login, methods=["POST"]),
        Route("/auth/logout", logout, methods=["POST"]),
        Route("/me", get_me, methods=["GET"]),
        Route("/presence", get_presence, methods=["GET"]),
        Route("/me/unread", get_unread_summary, methods=["GET"]),
        Route("/users", list_users, methods=["GET"]),
        Route("/users/{user_id}", get_user, methods=["GET"]),
        Route("/conversations", list_conversations, methods=["GET"]),
        Route("/conversations", create_conversation, methods=["POST"]),
        Route("/conversations/{conversation_id}", get_conversation, methods=["GET"]),
        Route("/conversations/{conversation_id}", update_conversation, methods=["PATCH"]),
        Route("/conversations/{conversation_id}", delete_conversation, methods=["DELETE"]),
        Route("/conversations/{conversation_id}/participants", add_participants, methods=["POST"]),
        Route(
            "/conversations/{conversation_id}/participants/{user_id}",
            remove_participant,
            methods=["DELETE"],
        ),
        Route("/conversations/{conversation_id}/messages", list_messages, methods=["GET"]),
        Route("/conversations/{conversation_id}/messages", send_message, methods=["POST"]),
        Route("/conversations/{conversation_id}/read", mark_read, methods=["POST"]),
    ]
