"""Opaque keyset cursors: (created_at, id) for documents, extractions and results, (rank, id)
for a relevance-ordered search, a name for schemas.

A cursor comes from the client, so decoding is strict: at most CURSOR_MAX_LENGTH characters
(which also bounds JSON nesting), exactly the expected shape, a timezone-aware timestamp that
converts to UTC, and ids that PostgreSQL can compare. Anything else is a 400 `invalid_cursor`.
"""

import base64
import binascii
import json
import math
from datetime import UTC, datetime

from api.errors import ApiError
from schemas.text_rules import text_problem

CURSOR_MAX_LENGTH = 512


def encode_cursor(created_at: datetime, row_id: str) -> str:
    """An opaque cursor pointing after this row."""
    return _encode([created_at.isoformat(), row_id])


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Parse a (created_at, id) cursor, or raise a 400 ApiError."""
    value = _decode(cursor)
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise _invalid()
    stamp, row_id = value
    try:
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise _invalid()
        created_at = created_at.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _invalid() from exc
    return created_at, _checked_text(row_id)


def encode_rank_cursor(rank: float, row_id: str) -> str:
    """An opaque cursor pointing after this row of a relevance-ordered listing."""
    return _encode({"rank": rank, "id": row_id})


def decode_rank_cursor(cursor: str) -> tuple[float, str]:
    """Parse a (rank, id) cursor, or raise a 400 ApiError (a finite number, a text id)."""
    value = _decode(cursor)
    if not (isinstance(value, dict) and set(value) == {"rank", "id"}):
        raise _invalid()
    rank, row_id = value["rank"], value["id"]
    if isinstance(rank, bool) or not isinstance(rank, int | float) or not isinstance(row_id, str):
        raise _invalid()
    try:
        number = float(rank)
    except OverflowError as exc:
        raise _invalid() from exc
    if not math.isfinite(number):
        raise _invalid()
    return number, _checked_text(row_id)


def encode_name_cursor(name: str) -> str:
    """An opaque cursor pointing after the row named `name`."""
    return _encode({"after": name})


def decode_name_cursor(cursor: str) -> str:
    """Parse a name cursor, or raise a 400 ApiError."""
    value = _decode(cursor)
    name = value.get("after") if isinstance(value, dict) and len(value) == 1 else None
    if not isinstance(name, str):
        raise _invalid()
    return _checked_text(name)


def _encode(value: object) -> str:
    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> object:
    if len(cursor) > CURSOR_MAX_LENGTH:
        raise _invalid()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise _invalid() from exc


def _checked_text(text: str) -> str:
    if text_problem(text) is not None:
        raise _invalid()
    return text


def _invalid() -> ApiError:
    return ApiError(400, "invalid_cursor", "the cursor is not valid")
