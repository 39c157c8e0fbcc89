"""What operators see: /metrics scraped as Prometheus would, and python-socketio's
Socket.IO Admin UI instrumentation, off unless its own credentials are set."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families

from tests.live import connected, create_group, live_server, refusal, register, tight
from tests.processes import service_process


async def scrape(http: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_count_sockets_events_latency_errors_and_rate_limits(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path / "chat.db", rate_send=tight(2)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        cid = await create_group(http, alice, bob)
        async with connected(url, bob) as bob_socket:
            await bob_socket.join(cid)
            statuses = [
                (
                    await http.post(
                        f"/conversations/{cid}/messages", headers=alice.headers, json={"body": "hi"}
                    )
                ).status_code
                for _ in range(3)
            ]
            await bob_socket.wait_for("message_created", lambda m: m["seq"] == 2)
            refused_join = await bob_socket.join(cid + 1)
            await refusal(url, {"token": "forged"})
            samples = await scrape(http)

    assert statuses == [201, 201, 429]
    assert refused_join["error"]["code"] == "not_found"
    assert value(samples, "chat_connected_sockets") == 1
    assert value(samples, "chat_events_emitted_total", event="message_created") == 2
    assert value(samples, "chat_events_emitted_total", event="conversation_activity") == 2
    sends = {"operation": "send_message", "method": "POST"}
    assert value(samples, "chat_http_request_duration_seconds_count", **sends, status="201") == 2
    assert value(samples, "chat_http_request_duration_seconds_count", **sends, status="429") == 1
    assert value(samples, "chat_message_send_duration_seconds_count") == 2
    assert value(samples, "chat_errors_total", transport="http", code="rate_limited") == 1
    assert value(samples, "chat_errors_total", transport="socket", code="not_found") == 1
    assert value(samples, "chat_errors_total", transport="handshake", code="unauthorized") == 1
    assert value(samples, "chat_rate_limited_total", policy="send") == 1


async def test_an_unknown_path_is_timed_as_unmatched(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path / "chat.db") as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        assert (await http.get("/no/such/thing")).status_code == 404
        samples = await scrape(http)

    unmatched = {"operation": "unmatched", "method": "GET", "status": "404"}
    assert value(samples, "chat_http_request_duration_seconds_count", **unmatched) == 1
    assert value(samples, "chat_errors_total", transport="http", code="not_found") == 1


async def _admin_ui(url: str, auth: dict[str, str]) -> dict[str, object]:
    """Connect to /admin as the Admin UI does; the `config` it is sent on connect."""
    client = socketio.AsyncClient(reconnection=False)
    config: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()
    client.on("config", config.set_result, namespace="/admin")
    try:
        await client.connect(
            url, namespaces=["/admin"], auth=auth, transports=["websocket"], wait_timeout=5
        )
        return await asyncio.wait_for(config, 10)
    finally:
        await client.disconnect()


ADMIN = {"username": "ops", "password": "a long admin password"}


@contextmanager
def admin_ui_service(tmp_path: Path, **env: str) -> Iterator[str]:
    """`python -m service` with the Admin UI on, credentials ADMIN; yields its URL.

    The instrumentation patches Engine.IO's socket class for the whole process, so the
    service runs in a process of its own, as operators run it.
    """
    with service_process(
        f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        tmp_path / "service.log",
        CHAT_ADMIN_UI_USERNAME=ADMIN["username"],
        CHAT_ADMIN_UI_PASSWORD=ADMIN["password"],
        **env,
    ) as url:
        yield url


async def test_the_admin_ui_answers_its_own_credentials_only(tmp_path: Path) -> None:
    credentials = ADMIN
    with admin_ui_service(tmp_path) as url:
        config = await _admin_ui(url, credentials)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await _admin_ui(url, {**credentials, "password": "wrong"})

    # Production mode and read-only by default: aggregated counts, no per-event
    # reports, no emitting, joining or disconnecting from the UI.
    assert config == {"supportedFeatures": ["AGGREGATED_EVENTS"]}


async def test_the_admin_ui_is_off_by_default(tmp_path: Path) -> None:
    with (
        service_process(
            f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", tmp_path / "service.log"
        ) as url,
        pytest.raises(socketio.exceptions.ConnectionError),
    ):
        await _admin_ui(url, {"username": "ops", "password": "a long admin password"})


async def test_admin_ui_sign_ins_are_bounded_the_right_one_too(tmp_path: Path) -> None:
    credentials = ADMIN
    with admin_ui_service(tmp_path, CHAT_RATE_ADMIN_UI=tight(3)) as url:
        for guess in ("guess-1", "guess-2", "guess-3"):
            with pytest.raises(socketio.exceptions.ConnectionError):
                await _admin_ui(url, {**credentials, "password": guess})
        with pytest.raises(socketio.exceptions.ConnectionError):
            await _admin_ui(url, credentials)


# Methods uvicorn's parser accepts, each of which would otherwise be a series of its own.
WEBDAV_METHODS = ("PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH")


async def test_request_methods_outside_the_standard_ones_are_one_series(tmp_path: Path) -> None:
    async with (
        live_server(tmp_path / "chat.db") as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        for method in WEBDAV_METHODS:
            odd = await http.request(method, "/healthz")
            assert odd.status_code == 405
        samples = await scrape(http)

    methods = {
        dict(labels)["method"]
        for name, labels in samples
        if name == "chat_http_request_duration_seconds_count"
    }
    other = {"operation": "get_health", "method": "OTHER", "status": "405"}
    assert methods.isdisjoint(WEBDAV_METHODS), methods
    assert value(samples, "chat_http_request_duration_seconds_count", **other) == len(
        WEBDAV_METHODS
    )


async def test_metrics_behind_a_token_answer_only_its_bearer(tmp_path: Path) -> None:
    token = "scrape-token-of-prometheus"
    async with (
        live_server(tmp_path / "chat.db", metrics_token=token) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        anonymous = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer not-the-token"})
        scraped = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})

    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert wrong.status_code == 401
    assert scraped.status_code == 200
    assert "chat_connected_sockets" in scraped.text
