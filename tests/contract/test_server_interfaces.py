"""The generated server interfaces bind the code to the contract: every operation of
the spec is served by a method of the implementation, and an implementation that lacks
one or types one differently from the spec does not build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generated.http_server import OPERATIONS, HttpOperations, http_routes
from service.http.operations import Operations
from tests.schemas import load
from tools.specs import operations

ROOT = Path(__file__).resolve().parents[2]
MYPY = Path(sys.executable).with_name("mypy")


def test_every_http_operation_of_the_spec_is_bound_to_its_method() -> None:
    spec = [
        (walked.operation["operationId"], walked.method, walked.path)
        for walked in operations(load("openapi.yaml"))
    ]
    served = [
        (route.endpoint.__name__, method, route.path)
        for route in http_routes(Operations())
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]

    assert list(OPERATIONS) == spec
    assert served == spec
    assert sorted(HttpOperations.__abstractmethods__) == sorted(o[0] for o in spec)


def test_an_implementation_missing_an_operation_cannot_be_built() -> None:
    partial = type("Partial", (HttpOperations,), {"get_health": Operations.get_health})

    with pytest.raises(TypeError, match="abstract"):
        partial()
    assert "send_message" in getattr(partial, "__abstractmethods__", ())


MISTYPED = """
from typing import Literal

from generated import models
from service.http.binding import Caller, Reply
from service.http.operations import Operations


class Mistyped(Operations):
    # The spec's conversation_id is an integer and the answer a Message with 200 or 201.
    async def send_message(
        self, call: Caller, conversation_id: str, body: models.SendMessageRequest
    ) -> Reply[Literal[200, 201], models.Message]:
        raise NotImplementedError

    async def get_me(self, call: Caller) -> Reply[Literal[202], models.User]:
        raise NotImplementedError

    async def logout(self, call: Caller, everywhere: bool) -> None:
        raise NotImplementedError


Mistyped()
"""


def test_an_implementation_typed_unlike_the_spec_fails_mypy(tmp_path: Path) -> None:
    (tmp_path / "mistyped.py").write_text(MISTYPED)
    done = subprocess.run(
        [str(MYPY), "--strict", "--no-incremental", "--follow-imports=silent", "mistyped.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"MYPYPATH": str(ROOT), "PATH": ""},
        check=False,
    )

    assert done.returncode == 1, done.stdout
    assert 'Argument 2 of "send_message" is incompatible with supertype' in done.stdout
    assert 'Return type "Coroutine[Any, Any, Reply[Literal[202], User]]" of "get_me"' in done.stdout
    assert 'Signature of "logout" incompatible with supertype' in done.stdout
