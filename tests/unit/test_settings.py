from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from service.settings import Settings, describe


@pytest.fixture(autouse=True)
def _no_chat_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only what each test sets: not the developer's or CI's own CHAT_* variables.
    for name in list(os.environ):
        if name.startswith("CHAT_"):
            monkeypatch.delenv(name)


def test_settings_come_from_chat_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_PORT", "8123")
    monkeypatch.setenv("CHAT_CORS_ORIGINS", " https://a.example , https://b.example,")
    monkeypatch.setenv("CHAT_LOG_LEVEL", "debug")
    monkeypatch.setenv("CHAT_REDIS_URL", "")

    settings = Settings()

    assert settings.port == 8123
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    assert settings.log_level == "DEBUG"
    assert settings.redis_url is None
    assert settings.jwt_secret_is_random


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CHAT_PORT", "eighty"),
        ("CHAT_PORT", "70000"),
        ("CHAT_JWT_SECRET", "short"),
        ("CHAT_TOKEN_TTL_SECONDS", "0"),
        ("CHAT_LOG_LEVEL", "LOUD"),
        ("CHAT_REDIS_URL", "localhost:6379"),
        ("CHAT_MAX_BODY_BYTES", "-1"),
    ],
)
def test_a_bad_variable_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ValidationError) as refused:
        Settings()

    line = describe(refused.value)
    assert line.startswith(f"{variable}: ")
    assert "\n" not in line
    assert (value in line) is (variable != "CHAT_JWT_SECRET")  # secrets are never echoed


def test_the_service_refuses_bad_settings_with_one_line_and_no_traceback() -> None:
    env = {"CHAT_PORT": "eighty", "CHAT_TYPING_TTL_SECONDS": "-3", "PATH": "/usr/bin:/bin"}

    run = subprocess.run(
        [sys.executable, "-m", "service"], env=env, capture_output=True, text=True, timeout=60
    )

    assert run.returncode == 2
    assert run.stderr.count("\n") == 1, run.stderr
    assert "CHAT_PORT" in run.stderr
    assert "CHAT_TYPING_TTL_SECONDS" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "variables",
    [
        {"CHAT_ADMIN_UI_USERNAME": "ops"},
        {"CHAT_ADMIN_UI_PASSWORD": "a long admin password"},
        {"CHAT_ADMIN_UI_USERNAME": "ops", "CHAT_ADMIN_UI_PASSWORD": "too short"},
        # Its emit/join/disconnect do nothing in production mode: not offered.
        {
            "CHAT_ADMIN_UI_USERNAME": "ops",
            "CHAT_ADMIN_UI_PASSWORD": "a long admin password",
            "CHAT_ADMIN_UI_READ_ONLY": "false",
        },
        {"CHAT_METRICS_TOKEN": "short"},
        {"CHAT_FORWARDED_ALLOW_IPS": "10.0.0.1,proxy.example"},
    ],
)
def test_operator_secrets_and_surfaces_are_checked_at_start_up(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str]
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError):
        Settings()


def test_the_admin_ui_password_never_shows_in_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAT_ADMIN_UI_USERNAME", "ops")
    monkeypatch.setenv("CHAT_ADMIN_UI_PASSWORD", "a long admin password")

    settings = Settings()

    assert settings.admin_ui_password is not None
    assert settings.admin_ui_password.get_secret_value() == "a long admin password"
    assert "a long admin password" not in repr(settings)
