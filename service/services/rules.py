"""Input rules the services enforce for every entry point (the spec states them too)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from confusable_homoglyphs import confusables
from emoji import EMOJI_DATA, STATUS

from service.domain.errors import InputError, InvalidInput, NotFound
from service.domain.model import Message
from service.storage.ports import UnitOfWork

# What shows nothing: Unicode White_Space and the zero-width characters, exactly the
# characters the spec's "not blank" patterns (specs/schemas.yaml) name.
BLANKS = (
    "\t\n\v\f\r \x85\xa0\u1680\u180e"
    + "".join(chr(c) for c in range(0x2000, 0x200E))
    + "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)
# Unicode's Bidi_Control characters: marks, embeddings, overrides and isolates. They
# show nothing themselves, and reorder what follows them (CVE-2021-42574).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Embeddings and overrides turn text around for as long as they last; isolates and
# marks are what right-to-left writers need in a message, and stay allowed there.
BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e")
# The rest of the invisible formatting range (invisible operators, deprecated formats).
_INVISIBLE = frozenset(chr(c) for c in range(0x2061, 0x2070)) | BIDI_CONTROLS
_LINE_BREAKS = frozenset("\t\n\r")


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"  # C0, DEL and C1: terminal escapes among them


def clean_text(field: str, value: str, *, multiline: bool = False) -> str:
    """Trimmed text with something visible in it, no NUL (PostgreSQL cannot store it),
    no control character (tab and line breaks only when `multiline`), and no bidi
    override or embedding; single-line text (a title, a name) has no bidi control at
    all. specs/schemas.yaml states the same rules as patterns."""
    if "\x00" in value:
        raise InvalidInput(
            "The text contains a NUL character.", (InputError(field, "must not contain NUL"),)
        )
    for char in value:
        if _is_control(char) and not (multiline and char in _LINE_BREAKS):
            raise _refused(field, char, "a control character")
        if char in BIDI_OVERRIDES or (not multiline and char in BIDI_CONTROLS):
            raise _refused(field, char, "a bidirectional formatting character")
    cleaned = value.strip(BLANKS)
    if not cleaned or all(char in BLANKS or char in _INVISIBLE for char in cleaned):
        raise InvalidInput("The text is blank.", (InputError(field, "must not be blank"),))
    return cleaned


def display_name(field: str, value: str) -> str:
    """A name shown to others: single-line clean text in which no word mixes scripts
    with look-alike letters (a Cyrillic a, U+0430, in "admin"), after Unicode's confusables
    data (UTS #39) as the confusable_homoglyphs library ships it."""
    cleaned = clean_text(field, value)
    for word in cleaned.split():
        if confusables.is_dangerous(word):
            raise InvalidInput(
                "The name mixes scripts with look-alike letters.",
                (InputError(field, f"{word!r} mixes scripts with look-alike letters"),),
            )
    return cleaned


def _refused(field: str, char: str, kind: str) -> InvalidInput:
    code = f"U+{ord(char):04X}"
    return InvalidInput(
        f"The text contains {kind} ({code}).", (InputError(field, f"must not contain {code}"),)
    )


def unique_ids(field: str, ids: Iterable[int]) -> list[int]:
    items = list(ids)
    if len(set(items)) != len(items):
        raise InvalidInput("Ids are repeated.", (InputError(field, "items must be unique"),))
    return items


def unknown_users(field: str, missing: Iterable[int]) -> InvalidInput:
    # 422, not 404: a 404 would tell the client that the URL's resource is gone.
    listed = ", ".join(str(user_id) for user_id in sorted(missing))
    return InvalidInput(
        f"No users with ids {listed}.", (InputError(field, f"no users with ids {listed}"),)
    )


def conversation_not_found(conversation_id: int) -> NotFound:
    # One message for "absent" and "not yours", so ids reveal nothing to outsiders.
    return NotFound(f"Conversation {conversation_id} does not exist or you are not a participant.")


async def participants_message(
    uow: UnitOfWork, caller_id: int, conversation_id: int, message_id: int
) -> Message:
    """A message of a conversation the caller is in; `NotFound` otherwise (the id in
    the URL names nothing the caller may see)."""
    if not await uow.conversations.is_participant(conversation_id, caller_id):
        raise conversation_not_found(conversation_id)
    message = await uow.messages.get(conversation_id, message_id)
    if message is None:
        raise NotFound(f"Message {message_id} is not in conversation {conversation_id}.")
    return message


def fully_qualified_emoji(field: str, value: str) -> str:
    """One fully-qualified emoji, after Unicode's emoji data as the emoji library ships
    it: one spelling per reaction (`❤️`, never `❤`), and nothing that merely looks like
    one."""
    if EMOJI_DATA.get(value, {}).get("status") != STATUS["fully_qualified"]:
        raise InvalidInput(
            "Not an emoji.", (InputError(field, "must be one fully-qualified emoji"),)
        )
    return value
