"""The service as an operator installs it: a wheel built from the repository, installed
into a fresh virtual environment, started outside the repository. It must serve its
health, both specs, the pages and the docs from what the wheel carries (an editable
install, as `make install` makes, would hide a missing file). Needs the package index
for the dependencies, as any install does; the lock's versions are the ones taken."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
import yaml

from tests.commands import run
from tests.processes import installed_service

ROOT = Path(__file__).resolve().parents[2]
SPECS = ("openapi.yaml", "asyncapi.yaml", "schemas.yaml")
PAGES = ("/", "/demo", "/demo/demo.js", "/docs", "/docs/events")
# Not part of the source a wheel is built from.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "node_modules",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "*.db",
    "clients",
    "bench",
    "tests",
    "examples",
)


def _pins(lock: Path, into: Path) -> Path:
    """The lock's `name==version; marker` lines, without hashes, as pip constraints."""
    pins = [
        line.removesuffix("\\").strip()
        for line in lock.read_text().splitlines()
        if line[:1].isalnum()
    ]
    into.write_text("\n".join(pins) + "\n")
    return into


def test_the_wheel_runs_outside_the_repository(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    wheels = tmp_path / "wheels"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "-w",
        wheels,
        source,
        cwd=tmp_path,
    )
    [wheel] = wheels.glob("conversations_service-*.whl")

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = str(venv / "bin" / "python")
    constraints = _pins(ROOT / "requirements" / "dev.lock", tmp_path / "constraints.txt")
    run(python, "-m", "pip", "install", "--quiet", "-c", constraints, wheel, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url_db = f"sqlite+aiosqlite:///{elsewhere / 'chat.db'}"
    with (
        installed_service(python, elsewhere, url_db, tmp_path / "service.log", {}) as url,
        httpx.Client(base_url=url) as http,
    ):
        health = http.get("/healthz")
        specs = {name: http.get(f"/specs/{name}") for name in SPECS}
        pages = {path: http.get(path) for path in PAGES}
    log = (tmp_path / "service.log").read_text()
    where = run(python, "-c", "import service; print(service.__file__)", cwd=elsewhere)

    assert health.status_code == 200, log
    for name, answer in specs.items():
        assert answer.status_code == 200, (name, answer.text)
        assert answer.content == (ROOT / "specs" / name).read_bytes()
        assert yaml.safe_load(answer.text)
    assert {path: answer.status_code for path, answer in pages.items()} == dict.fromkeys(pages, 200)
    # It ran from the wheel, not from this checkout.
    assert where.strip().startswith(str(venv)), where
