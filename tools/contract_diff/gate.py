"""The breaking-change gate: compare two states of specs/ and judge the change against
the version and CHANGELOG.md.

Three checkers, one report. Optic (OpenAPI 3.1: operations, parameters, responses, with
schemas.yaml inlined), @asyncapi/diff with our override rules (asyncapi.yaml: channels,
operations, messages, replies, the handshake), and the shared JSON Schema check of
schemas.yaml (tools/contract_diff/schemas.py), which knows which way each schema
travels.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.contract_diff.operations import (
    compare_operations,
    compare_security_schemes,
    reworded,
)
from tools.contract_diff.schemas import Change, compare, directions
from tools.specs import load

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
DOCUMENTS = ("openapi.yaml", "asyncapi.yaml", "schemas.yaml")
_OPTIC_OPERATION = re.compile(r"^[x✔] ((?:GET|PUT|POST|PATCH|DELETE|HEAD|OPTIONS) \S+):")
_OPTIC_FAILURE = re.compile(r"^\s+x \[(?P<rule>[^\]]+)\] (?P<message>.+)$")


@dataclass
class Finding:
    source: str
    where: str
    message: str
    breaking: bool


@dataclass
class Verdict:
    base_version: str
    head_version: str
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    changed: bool = False

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def breaking(self) -> list[Finding]:
        return [f for f in self.findings if f.breaking]


@dataclass(frozen=True)
class Documents:
    """One state of specs/, each document read once."""

    openapi: dict[str, Any]
    asyncapi: dict[str, Any]
    schemas: dict[str, Any]

    @classmethod
    def read(cls, directory: Path) -> Documents:
        return cls(*(load(directory / name) for name in DOCUMENTS))

    @property
    def defs(self) -> dict[str, Any]:
        defs: dict[str, Any] = self.schemas["$defs"]
        return defs


def optic(base: Path, head: Path) -> list[Finding]:
    """Optic's breaking-change rules on openapi.yaml. `--validation loose`: Optic's own
    validator refuses request bodies in OpenAPI links, which the official one accepts."""
    result = subprocess.run(
        [
            str(NODE_BIN / "optic"),
            "diff",
            str(base / "openapi.yaml"),
            str(head / "openapi.yaml"),
            "--check",
            "--validation",
            "loose",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "OPTIC_TELEMETRY_LEVEL": "off", "NO_COLOR": "1"},
    )
    findings, operation = [], "openapi.yaml"
    for line in result.stdout.splitlines():
        if match := _OPTIC_OPERATION.match(line):
            operation = match.group(1)
            findings.append(Finding("optic", operation, "operation changed", False))
        elif match := _OPTIC_FAILURE.match(line):
            message = f"{match['rule']}: {match['message']}"
            findings.append(Finding("optic", operation, message, True))
    # Optic exits 1 when a check fails; anything else, or 1 without a failure, is Optic
    # itself failing, which must not pass for "no breaking change".
    failed = any(f.breaking for f in findings)
    if result.returncode != int(failed):
        raise RuntimeError(f"optic failed ({result.returncode}): {result.stderr or result.stdout}")
    return findings


def asyncapi_diff(base: Path, head: Path) -> list[Finding]:
    output = subprocess.run(
        [
            "node",
            str(Path(__file__).with_name("asyncapi_diff.mjs")),
            str(base / "asyncapi.yaml"),
            str(head / "asyncapi.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    changes = json.loads(output.stdout)
    findings = []
    for kind, breaking in (("breaking", True), ("unclassified", True), ("nonBreaking", False)):
        for change in changes[kind]:
            note = " (unclassified: treated as breaking)" if kind == "unclassified" else ""
            findings.append(
                Finding("@asyncapi/diff", change["path"], f"{change['action']}{note}", breaking)
            )
    return findings


def schema_check(base: Documents, head: Documents) -> list[Finding]:
    ways = directions(head.openapi, head.asyncapi, head.defs)
    # A schema that changed direction is judged both ways.
    for name, used in directions(base.openapi, base.asyncapi, base.defs).items():
        ways.setdefault(name, set()).update(used)
    changes: list[Change] = compare(base.defs, head.defs, ways)
    return [Finding("schemas.yaml", c.where, c.message, c.breaking) for c in changes]


def operations_check(base: Documents, head: Documents, wording_only: set[str]) -> list[Finding]:
    changes = [
        *compare_operations(base.openapi, head.openapi, wording_only),
        *compare_security_schemes(base.asyncapi, head.asyncapi),
    ]
    return [Finding("openapi.yaml", c.where, c.message, c.breaking) for c in changes]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def changelog_entry(changelog: str, version: str) -> str | None:
    """The text of `## <version>` in CHANGELOG.md, up to the next entry."""
    match = re.search(rf"^## {re.escape(version)}\s*$(.*?)(?=^##? |\Z)", changelog, re.M | re.S)
    return match.group(1) if match else None


def assess(base_dir: Path, head_dir: Path, changelog: str) -> Verdict:
    base, head = Documents.read(base_dir), Documents.read(head_dir)
    base_version = base.openapi["info"]["version"]
    head_version = head.openapi["info"]["version"]
    versions = {head_version, head.asyncapi["info"]["version"]}
    verdict = Verdict(base_version, head_version)
    verdict.changed = (base.openapi, base.asyncapi, base.schemas) != (
        head.openapi,
        head.asyncapi,
        head.schemas,
    )
    if len(versions) != 1:
        verdict.problems.append(
            f"openapi.yaml and asyncapi.yaml carry different versions: {sorted(versions)}"
        )
    if not verdict.changed:
        return verdict
    entry = changelog_entry(changelog, head_version)
    verdict.findings = [
        *optic(base_dir, head_dir),
        *operations_check(base, head, reworded(entry)),
        *asyncapi_diff(base_dir, head_dir),
        *schema_check(base, head),
    ]
    if head_version == base_version:
        verdict.problems.append(
            f"the contract changed but its version is still {base_version}: bump info.version "
            "in both specs and write the CHANGELOG entry"
        )
        return verdict
    if _version(head_version) < _version(base_version):
        verdict.problems.append(f"version {head_version} is older than the release {base_version}")
    if entry is None:
        verdict.problems.append(f"CHANGELOG.md has no entry `## {head_version}`")
    if verdict.breaking:
        major = 1 if _version(head_version)[0] == 0 else 0  # 0.x: the minor is the major
        if _version(head_version)[: major + 1] == _version(base_version)[: major + 1]:
            verdict.problems.append(
                f"breaking changes need a {'minor' if major else 'major'} version bump "
                f"({base_version} -> {head_version} is not one)"
            )
        if entry is not None and "**Breaking**" not in entry:
            verdict.problems.append(
                f"breaking changes, but the CHANGELOG entry {head_version} marks none **Breaking**"
            )
    return verdict
