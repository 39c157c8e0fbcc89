"""Input rules the services enforce for every entry point (the spec states them too)."""

from __future__ import annotations

from collections.abc import Iterable

from service.domain.errors import InputError, InvalidInput, NotFound

# ASCII whitespace only: every regex engine's \s includes it, so this rule is never
# stricter than the spec's `[^\s]` patterns, whichever engine a client validates with.
_BLANKS = " \t\n\r\f\v"


def clean_text(location: str, value: str) -> str:
    """Trimmed text that is not blank and holds no NUL (PostgreSQL cannot store it)."""
    if "\x00" in value:
        raise InvalidInput(
            "The text contains a NUL character.", (InputError(location, "must not contain NUL"),)
        )
    cleaned = value.strip(_BLANKS)
    if not cleaned:
        raise InvalidInput("The text is blank.", (InputError(location, "must not be blank"),))
    return cleaned


def unique_ids(location: str, ids: Iterable[int]) -> list[int]:
    items = list(ids)
    if len(set(items)) != len(items):
        raise InvalidInput("Ids are repeated.", (InputError(location, "items must be unique"),))
    return items


def unknown_users(location: str, missing: Iterable[int]) -> InvalidInput:
    # 422, not 404: a 404 would tell the client that the URL's resource is gone.
    listed = ", ".join(str(user_id) for user_id in sorted(missing))
    return InvalidInput(
        f"No users with ids {listed}.", (InputError(location, f"no users with ids {listed}"),)
    )


def conversation_not_found(conversation_id: int) -> NotFound:
    # One message for "absent" and "not yours", so ids reveal nothing to outsiders.
    return NotFound(f"Conversation {conversation_id} does not exist or you are not a participant.")
