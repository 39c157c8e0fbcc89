"""Released contract versions (specs/releases.yaml) and specs/ as of any commit."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools.contract_diff.gate import DOCUMENTS, ROOT

RELEASES = ROOT / "specs" / "releases.yaml"


@dataclass(frozen=True)
class Release:
    version: str
    commit: str


def releases(path: Path = RELEASES) -> list[Release]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Release(str(r["version"]), str(r["commit"])) for r in document["releases"]]


def git_show(commit: str, path: str, *, missing_ok: bool = False) -> str:
    shown = subprocess.run(
        ["git", "show", f"{commit}:{path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0 and missing_ok and "exists on disk" in shown.stderr:
        return ""
    if shown.returncode != 0:
        raise RuntimeError(
            f"cannot read {path} at {commit} ({shown.stderr.strip()}): "
            "the gate needs the repository's history (not a shallow clone)"
        )
    return shown.stdout


def specs_at(commit: str, into: Path) -> Path:
    """specs/ of `commit`, written into `into`."""
    into.mkdir(parents=True, exist_ok=True)
    for name in DOCUMENTS:
        (into / name).write_text(git_show(commit, f"specs/{name}"), encoding="utf-8")
    return into
