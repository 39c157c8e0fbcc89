"""Prometheus metrics of one app, exposed at /metrics (prometheus-client).

Each app has its own registry rather than the library's global one, so that several
apps in one process (the tests make many) never share or clash over a metric.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from service.domain.errors import DomainError
from service.ratelimit import RateLimited

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Chat latencies are milliseconds when healthy and seconds when not.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sockets = Gauge(
            "chat_connected_sockets",
            "Engine.IO connections open on this process.",
            registry=self.registry,
        )
        self.events = Counter(
            "chat_events_emitted",
            "Socket.IO events emitted, by event name: one per emit, however many receive it.",
            ["event"],
            registry=self.registry,
        )
        self.http = Histogram(
            "chat_http_request_duration_seconds",
            "HTTP requests by operationId (`unmatched` for no route), method and status.",
            ["operation", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.send = Histogram(
            "chat_message_send_duration_seconds",
            "Sending a message: stored, committed and handed to the fan-out.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "chat_errors",
            "Refusals by error code and transport (http, socket, handshake).",
            ["transport", "code"],
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "chat_rate_limited",
            "Requests, events and handshakes refused by a rate limit, by policy.",
            ["policy"],
            registry=self.registry,
        )

        self.slow_sockets = Counter(
            "chat_slow_sockets_closed",
            "Sockets closed because their client did not drain what it was sent.",
            registry=self.registry,
        )
        self.held_back = Counter(
            "chat_sends_held_back",
            "Sends that found the server behind on its deliveries: `waited` for the "
            "writers, then went through or were `refused` (503 unavailable).",
            ["outcome"],
            registry=self.registry,
        )
        self.queued = Gauge(
            "chat_queued_packets",
            "Packets queued for this process's sockets, not yet written.",
            registry=self.registry,
        )

    def count_sockets(self, open_sockets: Callable[[], int]) -> None:
        self.sockets.set_function(open_sockets)

    def count_queued(self, queued: Callable[[], int]) -> None:
        self.queued.set_function(queued)

    def refused(self, transport: str, code: str) -> None:
        self.errors.labels(transport, code).inc()

    def refused_by(self, transport: str, error: DomainError) -> None:
        """A domain refusal: its code, and its policy when a rate limit refused it."""
        self.refused(transport, error.code)
        self.limited(error)

    def limited(self, error: Exception) -> None:
        if isinstance(error, RateLimited):
            self.rate_limited.labels(error.policy).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
