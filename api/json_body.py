"""JSON request bodies checked once, at the boundary, for every route: a string holding a NUL
character or a lone surrogate, or a number JSON columns cannot hold (NaN, Infinity, 1e400), is
a 422 naming where it is, before any route or database sees it.

The body (already capped) is read whole, parsed once here, then replayed to the app unchanged;
a body that does not parse is passed on, so the route's own parser answers for it.
"""

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive

from schemas.schema_limits import find_unstorable


class BodyTooLargeError(HTTPException):
    """A non-multipart body crossed the cap while it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds the limit of {limit} bytes")


def is_json(headers: Headers) -> bool:
    """application/json or any +json media type."""
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole body; BodyTooLargeError as soon as it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that hands `body` to the app, then defers to the client."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def body_problems(body: bytes) -> list[dict[str, Any]]:
    """Where the parsed body holds text or numbers that cannot be stored, as validation-error
    entries (`loc` starts with "body"); empty when it is clean or does not parse."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return []
    return [
        {"loc": ["body", *_tokens(problem.pointer)], "msg": problem.message}
        for problem in find_unstorable(value)
    ]


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]
