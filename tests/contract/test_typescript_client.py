"""The generated TypeScript package (clients/typescript) as a frontend team uses it:
`tsc --strict` refuses the planted mistakes of typescript/mistakes.ts, and the
walkthrough of examples/typescript compiles with zero hand-written types and runs
with Node against a live service."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.contract.test_python_client import assert_whole_walkthrough, run_walkthrough
from tests.live import live_server

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
