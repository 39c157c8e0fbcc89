"""The generated TypeScript package (clients/typescript) as a frontend team uses it:
`tsc --strict` refuses the planted mistakes of typescript/mistakes.ts, and the
walkthrough of examples/typescript compiles with zero hand-written types and runs
with Node against a live service."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.test_python_client import assert_whole_walkthrough, run_walkthrough
from tests.live import create_group, live_server, register, send_message
from tests.network import link

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "node_modules" / ".bin" / "tsc"
MISTAKES = Path(__file__).with_name("typescript")
DIAGNOSTIC = re.compile(r"^(?P<file>[^(]+)\((?P<line>\d+),\d+\): error (?P<code>TS\d+):", re.M)


def _tsc(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TSC), "-p", str(project), "--pretty", "false"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def built_package() -> None:
    """clients/typescript compiled from its current sources, as `npm install` would."""
    assert TSC.exists(), "TypeScript is missing: run `make install-node`"
    build = _tsc(ROOT / "clients" / "typescript")
    assert build.returncode == 0, build.stdout + build.stderr


def test_tsc_refuses_each_planted_mistake_with_its_error_and_nothing_else(
    built_package: None,
) -> None:
    source = (MISTAKES / "mistakes.ts").read_text(encoding="utf-8").splitlines()
    expected = {
        (number, match.group(1))
        for number, line in enumerate(source, start=1)
        if (match := re.search(r"// expect (TS\d+)$", line))
    }

    checked = _tsc(MISTAKES)
    found = {(int(m["line"]), m["code"]) for m in DIAGNOSTIC.finditer(checked.stdout)}

    assert len(expected) == 9
    assert checked.returncode != 0
    assert found == expected, checked.stdout


async def test_the_typescript_walkthrough_compiles_strict_and_runs_against_a_live_service(
    built_package: None, tmp_path: Path
) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the TypeScript walkthrough"
    example = ROOT / "examples" / "typescript"
    compiled = _tsc(example)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr

    async with live_server(tmp_path / "chat.db") as url:
        steps = await run_walkthrough([node, str(example / "dist" / "walkthrough.js"), url])

    assert_whole_walkthrough(steps)


async def test_the_typescript_client_resumes_by_itself_when_its_network_comes_back(
    built_package: None, tmp_path: Path
) -> None:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the TypeScript client"
    async with (
        live_server(tmp_path / "chat.db") as url,
        link(url) as network,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        alice, bob = await register(http, "alice"), await register(http, "bob")
        group = await create_group(http, bob, alice)
        script = str(MISTAKES / "resume.mjs")
        process = await asyncio.create_subprocess_exec(
            node,
            script,
            network.url,
            alice.token,
            str(group),
            "4",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdout is not None
        lines: list[dict[str, Any]] = []

        async def next_line() -> dict[str, Any]:
            assert process.stdout is not None
            raw = await asyncio.wait_for(process.stdout.readline(), 30)
            assert raw, (lines, (await process.communicate())[1].decode())
            lines.append(json.loads(raw))
            return lines[-1]

        try:
            assert await next_line() == {
                "step": "sync",
                "resumed": False,
                "replayed": 0,
                "reason": "not_requested",
            }
            assert await next_line() == {"step": "ready"}
            await send_message(http, bob, group, "before")
            assert (await next_line())["body"] == "before"
            network.offline()
            for body in ("while", "away"):
                await send_message(http, bob, group, body)
            network.online()
            resumed = await next_line()
            await send_message(http, bob, group, "after")
            bodies = [(await next_line())["body"] for _ in range(3)]
            assert await asyncio.wait_for(process.wait(), 30) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    assert resumed["step"] == "sync"
    assert resumed["resumed"] is True
    assert resumed["replayed"] in (4, 5)
    assert bodies == ["while", "away", "after"]
    assert all(line["positioned"] for line in lines if line["step"] == "message")
