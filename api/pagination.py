"""Opaque keyset cursors over (created_at, id)."""

import base64
import json
from datetime import datetime

from api.errors import ApiError


def encode_cursor(created_at: datetime, row_id: str) -> str:
    """An opaque cursor pointing after this row."""
    raw = json.dumps([created_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Parse a cursor, or raise a 400 ApiError."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created_at, row_id = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(created_at), str(row_id)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "invalid_cursor", "the cursor is not valid") from exc
