"""The rules for text a person shows others: the service and the spec's patterns agree.

Display names, titles and message bodies refuse control characters (terminal escapes),
bidi overrides (text that reads other than it is stored), invisible-only text, and, in
names, words that mix scripts with look-alike letters.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from service.domain.errors import InvalidInput
from service.services.rules import clean_text, display_name

SCHEMAS = yaml.safe_load((Path(__file__).parents[2] / "specs" / "schemas.yaml").read_text())


def _pattern(schema: str, field: str) -> re.Pattern[str]:
    return re.compile(SCHEMAS["$defs"][schema]["properties"][field]["pattern"])


BODY = _pattern("SendMessageRequest", "body")
TITLE = _pattern("UpdateConversationRequest", "title")
NAME = _pattern("RegisterRequest", "display_name")


def _accepts(check: object, *args: object, **kwargs: object) -> bool:
    try:
        check(*args, **kwargs)  # type: ignore[operator]
    except InvalidInput:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "as_body", "as_title"),
    [
        ("See you at ten.", True, True),
        ("two\nlines\twith a tab", True, False),
        ("\u200f", False, False),  # a lone right-to-left mark shows nothing
        ("\u200f\u2066 \u2069", False, False),
        ("abc\u202edcba", False, False),  # an override: reads "abcabcd"
        ("\u05e9\u05dc\u05d5\u05dd \u200fok", True, False),  # a mark among RTL words
        ("\u2067\u05e9\u05dc\u05d5\u05dd\u2069 ok", True, False),  # an isolate
        ("\x1b[2J\x1b[31mred", False, False),  # clears a terminal, then colours it
        ("csi \x9b31m", False, False),
        ("bell \x07", False, False),
        ("\u00a0\u3000", False, False),
        ("\u0417\u043e\u0435 \U0001f680", True, True),
    ],
)
def test_text_rules(text: str, as_body: bool, as_title: bool) -> None:
    assert _accepts(clean_text, "body", text, multiline=True) is as_body
    assert _accepts(clean_text, "title", text) is as_title
    assert bool(BODY.fullmatch(text)) is as_body
    assert bool(TITLE.fullmatch(text)) is as_title


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("Alice Liddell", True),
        ("\u0430dmin", False),  # a Cyrillic a in a Latin word
        ("Ivan \u0418\u0432\u0430\u043d\u043e\u0432", True),  # each word one script
        ("\u0410\u043b\u0438\u0441\u0430", True),
        ("\u674e\u5c0f\u9f8d", True),
        ("\u0639\u0644\u064a", True),
        ("Zo\u00eb", True),
    ],
)
def test_display_names_refuse_words_mixing_scripts_with_look_alikes(
    name: str, accepted: bool
) -> None:
    assert _accepts(display_name, "display_name", name) is accepted
    assert NAME.fullmatch(name)  # the spec's pattern cannot say it: its description does


# Characters where the rules draw their lines, and ordinary ones between them.
_EDGES = st.sampled_from(
    list("\x00\x07\t\n\r\x1b\x7f\x85\x9b\xa0 a\u05d0\u061c\u1680\u200b\u200e\u200f")
    + list("\u2028\u202a\u202e\u202f\u2060\u2061\u2066\u2069\u206f\u3000\ufeff\U0001f600")
)
_TEXT = st.text(_EDGES | st.characters(codec="utf-8"), min_size=1, max_size=12)


# 300 examples each: every edge character several times over, in a fraction of a second.
@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_the_service_accepts_a_body_exactly_when_the_spec_does(text: str) -> None:
    assert _accepts(clean_text, "body", text, multiline=True) is bool(BODY.fullmatch(text))


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_the_service_accepts_a_title_exactly_when_the_spec_does(text: str) -> None:
    assert _accepts(clean_text, "title", text) is bool(TITLE.fullmatch(text))
