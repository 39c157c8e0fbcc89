"""Schemathesis drives `python -m service` from openapi.yaml and finds no contract violation.

Every check, every phase (examples, coverage, fuzzing, and stateful scenarios that follow
the spec's links), settings in `schemathesis.toml`. The seed is fixed so that CI is
reproducible; set CHAT_FUZZ_SEED to explore other inputs.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.databases import wipe
from tests.processes import service_process
from tests.schemas import SPECS, load
from tools.specs import follow, operations

CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = os.environ.get("CHAT_FUZZ_SEED", "20261124")
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

# Only a second request for the same direct conversation answers 200 (found), and
# random data almost never names the same pair twice in one scenario.
UNREACHED = {"POST /conversations -> [200] GetConversation -> GET /conversations/{conversation_id}"}


def declared_links() -> set[str]:
    """Every link of openapi.yaml, as schemathesis names the transition it follows."""
    spec = load("openapi.yaml")
    by_id = {o.operation["operationId"]: f"{o.method} {o.path}" for o in operations(spec)}
    found = set()
    for walked in operations(spec):
        for status, response in walked.operation.get("responses", {}).items():
            for name, link in follow(spec, response).get("links", {}).items():
                target = by_id[follow(spec, link)["operationId"]]
                found.add(f"{walked.method} {walked.path} -> [{status}] {name} -> {target}")
    return found


def _tokens(base_url: str) -> tuple[str, str]:
    """Two tokens of the fuzzing account: one for every operation, one for logout to revoke."""
    account = {"username": "fuzzer", "password": "fuzzer-password", "display_name": "Fuzzer"}
    credentials = {k: account[k] for k in ("username", "password")}
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.post("/auth/register", json=account).status_code == 201
        tokens = [http.post("/auth/login", json=credentials).json()["access_token"] for _ in "ab"]
    return tokens[0], tokens[1]


def _applied_transitions(events: Path) -> set[str]:
    applied = set()
    for line in events.read_text().splitlines():
        scenario = json.loads(line).get("ScenarioFinished")
        if scenario is None or scenario.get("phase") != "stateful":
            continue
        for case in scenario.get("recorder", {}).get("cases", {}).values():
            transition = case.get("transition")
            if transition and case.get("is_transition_applied", True):
                applied.add(transition["id"])
    return applied


def test_the_http_api_keeps_openapi_yaml(database_url: str, tmp_path: Path) -> None:
    asyncio.run(wipe(database_url))
    events = tmp_path / "schemathesis.ndjson"
    with service_process(database_url, tmp_path / "service.log") as base_url:
        token, logout_token = _tokens(base_url)
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(CONFIG),
                "run",
                str(SPECS / "openapi.yaml"),
                "--url",
                base_url,
                "--seed",
                SEED,
                "--no-color",
                "--report",
                "ndjson",
                "--report-ndjson-path",
                str(events),
            ],
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
            # schemathesis.toml gives logout its own token, so revoking it leaves the
            # token of every other operation alone.
            env={**os.environ, "CHAT_FUZZ_TOKEN": token, "CHAT_FUZZ_LOGOUT_TOKEN": logout_token},
        )
    report = run.stdout[-8000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    # Every link a client journey can take is followed: the stateful phase reaches
    # every operation a link leads to, and the run fails when that coverage drops.
    expected = declared_links() - UNREACHED
    missing = expected - _applied_transitions(events)
    assert len(expected) >= 12
    assert not missing, f"stateful testing never followed {sorted(missing)}\n{report}"
