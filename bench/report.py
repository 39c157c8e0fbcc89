"""The benchmark's report: one Markdown table, every figure beside the same figure of
the other servers from the same run, ours as a ratio to each (and ours on PostgreSQL +
Redis as a ratio to ours on SQLite); then issue 16's targets, met or missed by how
much."""

from __future__ import annotations

from typing import Any

# (scenario, label, key path into that scenario's result)
ROWS: list[tuple[str, str, tuple[str, ...]]] = [
    ("group", "(a) steady p99 delivery, ms", ("steady_p99_ms",)),
    ("group", "(a) steady deliveries lost", ("steady_lost",)),
    ("group", "(a) burst deliveries/s", ("burst_deliveries_per_s",)),
    ("group", "(a) burst deliveries lost", ("burst_lost",)),
    ("group", "(a) sockets closed by the server", ("disconnects",)),
    ("group", "(a) burst sends refused with 503, then retried", ("burst_sends_refused",)),
    ("group", "(a) server CPU ms per post to 500", ("server_cpu_ms_per_post",)),
    ("group", "(a) SQL statements per post to 500", ("statements_per_post",)),
    (
        "chat",
        "(b) highest sustained posts/s (p99 <= 250 ms), median run",
        ("highest_sustained_posts_per_s",),
    ),
    ("chat", "(b) the same, each run", ("highest_of_each_run",)),
    ("chat", "(b) server CPU ms per post to 3", ("at_highest", "server_cpu_ms_per_post")),
    ("chat", "(b) SQL statements per post to 3", ("at_highest", "statements_per_post")),
    ("backlog", "(c) send p99 ms, no backlog", ("without_backlog", "send_p99_ms")),
    ("backlog", "(c) send p99 ms, 10,000 unread", ("with_backlog", "send_p99_ms")),
    ("backlog", "(c) backlog / none, send p99", ("p99_ratio",)),
    ("backlog", "(c) SQL statements per send, backlog", ("with_backlog", "statements_per_post")),
    ("storm", "(d) seconds until all back and joined", ("storm_seconds_until_all_joined",)),
    ("storm", "(d) deliveries lost after the storm", ("lost_after_storm",)),
    ("storm", "(d) refused reconnect attempts", ("storm_refused_attempts",)),
    ("storm", "(d) server CPU ms per reconnect", ("storm_cpu_ms_per_socket",)),
    ("storm", "(d) connect, 64 at a time: seconds", ("connect_seconds",)),
    ("storm", "(d) server CPU ms per connect", ("connect_cpu_ms_per_socket",)),
    ("storm", "(d) SQL statements per connect", ("connect_statements_per_socket",)),
    ("storm", "(e) memory KiB per idle socket", ("memory_kib_per_socket",)),
]


def figure(results: dict[str, Any], kind: str, scenario: str, path: tuple[str, ...]) -> Any:
    value: Any = results.get(kind, {}).get(scenario)
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    if isinstance(value, list):
        return ", ".join(map(show, value))
    return str(value)


def ratio(ours: Any, other: Any) -> str:
    if not isinstance(ours, int | float) or not isinstance(other, int | float) or not other:
        return "-"
    return f"{ours / other:.2f}x"


def report(results: dict[str, Any], machine: str) -> str:
    others = [k for k in ("bare", "seed", "node") if k in results]
    ours = [k for k in ("ours", "ours-pg") if k in results]
    head = ["figure", *others, *ours, *(f"ours/{k}" for k in others)]
    if len(ours) == 2:
        head.append("ours-pg/ours")
    lines = [
        f"Server pinned to core 0, load client to core 1 (with PostgreSQL and Redis for "
        f"ours-pg); {machine}. `make bench`.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for scenario, label, path in ROWS:
        mine = figure(results, "ours", scenario, path)
        values = [figure(results, k, scenario, path) for k in others]
        shapes = [figure(results, k, scenario, path) for k in ours]
        cells = [label, *map(show, values), *map(show, shapes)]
        cells += [ratio(mine, v) for v in values]
        if len(ours) == 2:
            cells.append(ratio(shapes[1], shapes[0]))
        lines.append("| " + " | ".join(cells) + " |")
    failed = [
        f"- {kind} {scenario}: {outcome['failed']}"
        for kind, result in results.items()
        for scenario, outcome in result.items()
        if isinstance(outcome, dict) and "failed" in outcome
    ]
    limited = [k for k in results if figure(results, k, "chat", ("load_client_was_the_limit",))]
    if limited:
        lines += [
            "",
            f"(b): the load client, not the server, was the limit for {', '.join(limited)}.",
        ]
    if failed:
        lines += ["", "Scenarios that failed:", *failed]
    lines += ["", "Targets (issue 16):", *targets(results)]
    return "\n".join(lines)


def targets(results: dict[str, Any]) -> list[str]:
    def get(kind: str, scenario: str, *path: str) -> Any:
        return figure(results, kind, scenario, path)

    checks: list[tuple[str, Any, Any, str]] = [
        # (what, ours, bound, how): "<=" or ">=" against the bound
        (
            "(a) burst: 0 deliveries lost",
            (get("ours", "group", "steady_lost") or 0) + (get("ours", "group", "burst_lost") or 0),
            0,
            "<=",
        ),
        ("(a) burst: 0 sockets closed", get("ours", "group", "disconnects"), 0, "<="),
        (
            "(a) burst deliveries/s >= bare's",
            get("ours", "group", "burst_deliveries_per_s"),
            get("bare", "group", "burst_deliveries_per_s"),
            ">=",
        ),
        ("(a) steady p99 <= 100 ms", get("ours", "group", "steady_p99_ms"), 100, "<="),
        (
            "(b) sustained posts/s >= seed's",
            get("ours", "chat", "highest_sustained_posts_per_s"),
            get("seed", "chat", "highest_sustained_posts_per_s"),
            ">=",
        ),
        (
            "(b) sustained posts/s >= 0.8x bare's",
            get("ours", "chat", "highest_sustained_posts_per_s"),
            _times(get("bare", "chat", "highest_sustained_posts_per_s"), 0.8),
            ">=",
        ),
        (
            "(b) server CPU per post to 3 <= seed's",
            get("ours", "chat", "at_highest", "server_cpu_ms_per_post"),
            get("seed", "chat", "at_highest", "server_cpu_ms_per_post"),
            "<=",
        ),
        (
            "(d) connect CPU per socket <= 2x bare's",
            get("ours", "storm", "connect_cpu_ms_per_socket"),
            _times(get("bare", "storm", "connect_cpu_ms_per_socket"), 2),
            "<=",
        ),
        (
            "(d) all back after the storm in <= 2x bare's time",
            get("ours", "storm", "storm_seconds_until_all_joined"),
            _times(get("bare", "storm", "storm_seconds_until_all_joined"), 2),
            "<=",
        ),
        (
            "(b) ours on PostgreSQL + Redis >= 0.8x ours on SQLite",
            get("ours-pg", "chat", "highest_sustained_posts_per_s"),
            _times(get("ours", "chat", "highest_sustained_posts_per_s"), 0.8),
            ">=",
        ),
        ("(c) send p99 with backlog <= 1.2x none", get("ours", "backlog", "p99_ratio"), 1.2, "<="),
        (
            "(c) same statements per send, 3 or 500 members, backlog or not",
            _spread(results),
            0,
            "<=",
        ),
        ("(d) nothing lost after the storm", get("ours", "storm", "lost_after_storm"), 0, "<="),
    ]
    lines = []
    for what, ours, bound, how in checks:
        if ours is None or bound is None:
            lines.append(f"- {what}: not measured in this run")
            continue
        met = ours <= bound if how == "<=" else ours >= bound
        verdict = "met" if met else "MISSED"
        lines.append(f"- {what}: {verdict} (ours {show(ours)}, bound {show(bound)})")
    return lines


def _times(value: Any, factor: float) -> float | None:
    return value * factor if isinstance(value, int | float) else None


def _spread(results: dict[str, Any]) -> float | None:
    """How far apart ours' statements per send are across group sizes and backlogs.
    Each figure is the statements of a whole phase over its posts, so it also holds the
    odd statement of something else (a socket's join, a token check): rounded."""
    seen = [
        figure(results, "ours", "group", ("statements_per_post",)),
        figure(results, "ours", "chat", ("at_highest", "statements_per_post")),
        figure(results, "ours", "backlog", ("without_backlog", "statements_per_post")),
        figure(results, "ours", "backlog", ("with_backlog", "statements_per_post")),
    ]
    numbers = [round(s) for s in seen if isinstance(s, int | float)]
    return max(numbers) - min(numbers) if len(numbers) > 1 else None
