"""The opaque cursor of `GET /conversations`: a position in the list, encoded for the
URL. Services take and return `ActivityCursor`; the encoding is HTTP's business."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from service.domain.errors import InputError, InvalidRequest
from service.domain.model import ActivityCursor
from service.validation import canonical_id


def encode_cursor(cursor: ActivityCursor) -> str:
    raw = f"{cursor.updated_at.isoformat()}|{cursor.conversation_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(value: str) -> ActivityCursor:
    invalid = InvalidRequest(
        "The cursor is not valid.", (InputError("query.cursor", "not a valid cursor"),)
    )
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _, conversation_id = raw.partition("|")
        updated_at = datetime.fromisoformat(stamp)
        if updated_at.tzinfo is None:
            raise invalid
        # In range as UTC too: 0001-01-01T00:00+01:00 is not, and fails in the database.
        updated_at = updated_at.astimezone(UTC)
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
        raise invalid from exc
    # Only the ids encode_cursor writes: one beyond 64 bits would fail in the database.
    cursor_id = canonical_id(conversation_id)
    if cursor_id is None:
        raise invalid
    return ActivityCursor(updated_at, cursor_id)
