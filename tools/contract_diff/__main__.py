"""`make contract-diff`: the contract in the working tree (or at --head) against the
last release in specs/releases.yaml (or --base); Markdown report on stdout (and in
--output), exit status 1 when the change is not acknowledged."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tools.contract_diff.gate import ROOT, assess
from tools.contract_diff.releases import git_show, releases, specs_at
from tools.contract_diff.report import markdown


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.contract_diff")
    parser.add_argument("--base", help="commit to compare with (default: the last release)")
    parser.add_argument("--head", help="commit to judge (default: the working tree)")
    parser.add_argument("--output", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    last = releases()[-1]
    base_commit = args.base or last.commit
    with tempfile.TemporaryDirectory() as scratch:
        base = specs_at(base_commit, Path(scratch) / "base")
        if args.head:
            head = specs_at(args.head, Path(scratch) / "head")
            changelog = git_show(args.head, "CHANGELOG.md", missing_ok=True)
        else:
            head, changelog = ROOT / "specs", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
        verdict = assess(base, head, changelog)
    base_name = f"release {base_commit[:7]}" if not args.base else base_commit[:7]
    report = markdown(verdict, base_name, args.head[:7] if args.head else "working tree")
    print(report)
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
