"""Input rules the services enforce for every entry point (the spec states them too)."""

from __future__ import annotations

from collections.abc import Iterable

from service.domain.errors import InputError, InvalidInput, NotFound

# What shows nothing: Unicode White_Space and the zero-width characters, exactly the
# characters the spec's "not blank" patterns (specs/schemas.yaml) name.
BLANKS = (
    "\t\n\v\f\r \x85\xa0\u1680\u180e"
    + "".join(chr(c) for c in range(0x2000, 0x200E))
    + "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)


def clean_text(location: str, value: str) -> str:
    """Trimmed text that is not blank and holds no NUL (PostgreSQL cannot store it)."""
    if "\x00" in value:
        raise InvalidInput(
            "The text contains a NUL character.", (InputError(location, "must not contain NUL"),)
        )
    cleaned = value.strip(BLANKS)
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
