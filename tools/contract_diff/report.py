"""The gate's verdict as Markdown, for a CI log or a pull request comment."""

from __future__ import annotations

from tools.contract_diff.gate import Finding, Verdict


def _table(findings: list[Finding]) -> list[str]:
    rows = ["| source | where | change |", "|---|---|---|"]
    rows += [
        f"| {f.source} | `{f.where}` | {f.message.replace('|', '/')} |"
        for f in sorted(findings, key=lambda f: (f.source, f.where))
    ]
    return rows


def markdown(verdict: Verdict, base: str, head: str) -> str:
    lines = [
        f"## Contract diff: {verdict.base_version} ({base}) -> {verdict.head_version} ({head})",
        "",
    ]
    if not verdict.changed:
        lines.append("**PASS**: the contract documents did not change.")
        return "\n".join(lines) + "\n"
    lines.append("**PASS**" if verdict.passed else "**FAIL**")
    lines.append("")
    lines += [f"- {problem}" for problem in verdict.problems]
    breaking = verdict.breaking
    other = [f for f in verdict.findings if not f.breaking]
    lines += ["", f"### Breaking changes ({len(breaking)})", ""]
    lines += _table(breaking) if breaking else ["None found."]
    lines += ["", f"<details><summary>Other changes ({len(other)})</summary>", ""]
    lines += _table(other) if other else ["None."]
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
