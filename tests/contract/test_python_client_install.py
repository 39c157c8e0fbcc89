"""The Python client as an integrator installs it: `pip install clients/python` with the
interpreter's bundled pip into a fresh virtual environment, nothing from this
repository's environment, then a script that imports it and is type-checked with mypy
--strict against what was installed. Needs the package index, as any install does."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tests.commands import run

ROOT = Path(__file__).resolve().parents[2]
MYPY = Path(sys.executable).with_name("mypy")

SCRIPT = """
from conversations_client import HttpClient, SocketClient, models

event = models.PresenceChangedEvent.model_validate({"online": [7, 8], "offline": [3]})
online: list[int] = event.online
assert 7 in event.online and event.offline == [3], event
listed = models.PresenceList.model_validate({"online_user_ids": [5]})
assert listed.online_user_ids == [5], listed
read = models.MessageReadEvent.model_validate(
    {
        "conversation_id": 1,
        "reader": {"id": 2, "username": "bob", "display_name": "Bob"},
        "message_ids": [3, 4],
        "last_read_message_id": 4,
    }
)
assert read.message_ids == [3, 4] and sum(read.message_ids) == 7, read
clients: tuple[type[HttpClient], type[SocketClient]] = (HttpClient, SocketClient)


async def plain_strings_type_check(http: HttpClient, socket: SocketClient) -> None:
    # An enum's value as a plain string, as the TypeScript client takes it.
    await http.create_conversation("group", [2], title="Plans")
    await http.create_conversation(models.ConversationKind.direct, [2])
    await socket.typing(1, "start")


print("ok")
"""


def test_a_plain_pip_install_imports_and_type_checks(tmp_path: Path) -> None:
    source = tmp_path / "client"
    shutil.copytree(
        ROOT / "clients" / "python",
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"),
    )
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)  # with ensurepip's own pip
    python = venv / "bin" / "python"
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        source,
        cwd=tmp_path,
    )
    script = tmp_path / "integration.py"
    script.write_text(SCRIPT)

    assert run(python, script, cwd=tmp_path).strip() == "ok"
    run(
        MYPY,
        "--strict",
        "--no-incremental",
        "--python-executable",
        python,
        script,
        cwd=tmp_path,
    )
