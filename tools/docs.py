"""Build the HTML docs of both specs (`make docs`), served at /docs and /docs/events.

Redocly renders them with its script inlined (`--inlineBundle`), so the pages fetch
nothing at view time. Redocly shows an operation's reply messages as plain titles; a
frontend reading `join_conversation` must find what its acknowledgement carries, so the
AsyncAPI page is built from a copy whose receive operations end with links to their
reply messages' payloads and examples. The committed spec stays renderer-neutral: the
links use Redocly's own routes and mean nothing to another renderer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tools.specs import SPECS, follow, load

ROOT = SPECS.parent
OUTPUT = ROOT / "service" / "web" / "docs"
# Redoc's attribution fetches its logo from Redocly's CDN: an empty image instead.
_LOGO = re.compile(r"https://cdn\.redoc\.ly/redoc/logo-mini(-full)?\.svg")


def message_route(ref: str) -> str:
    """Redocly's route to a channel's message (`#/channels/c/messages/m`)."""
    parts = ref.removeprefix("#/").split("/")
    if len(parts) != 4 or parts[0] != "channels" or parts[2] != "messages":
        raise ValueError(f"a reply message must be one of its channel's messages: {ref}")
    channel, message = parts[1].lower(), parts[3].lower()
    return f"#/channels/{channel}#channels/{channel}/messages&m={message}"


def with_reply_links(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with each replying operation's description ending in its reply links."""
    for operation in spec.get("operations", {}).values():
        reply = operation.get("reply")
        if not reply:
            continue
        links = []
        for ref in reply["messages"]:
            message = follow(spec, ref)
            title = message.get("title") or message.get("name") or ref["$ref"].rsplit("/", 1)[1]
            links.append(f"[{title}]({message_route(ref['$ref'])})")
        text = operation.get("description", "").rstrip()
        operation["description"] = f"{text}\n\nAcknowledgement: {' or '.join(links)}.".lstrip()
    return spec


def render(source: Path, output: Path) -> None:
    environment = {
        **os.environ,
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    }
    command = ["npx", "--no-install", "redocly", "build-docs", str(source), "--inlineBundle"]
    subprocess.run(
        [*command, "--output", str(output)],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    output.write_text(_LOGO.sub("data:,", output.read_text(encoding="utf-8")), encoding="utf-8")


def main() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    render(SPECS / "openapi.yaml", OUTPUT / "openapi.html")
    events = with_reply_links(load(SPECS / "asyncapi.yaml"))
    # Beside the original, so its relative `schemas.yaml` references still resolve.
    with tempfile.NamedTemporaryFile(
        "w", dir=SPECS, prefix=".docs-", suffix=".yaml", encoding="utf-8"
    ) as copy:
        yaml.safe_dump(events, copy, sort_keys=False, allow_unicode=True)
        copy.flush()
        render(Path(copy.name), OUTPUT / "asyncapi.html")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as failed:
        sys.exit(failed.returncode)
