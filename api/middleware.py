"""The API's outer boundary, as one ASGI middleware around the app.

- Every response carries an `X-Request-ID` (the client's, when it sent a sane one).
- A path or query string holding a NUL character or invalid Unicode is refused with a 422
  before any route runs (PostgreSQL cannot compare text with NUL).
- Bodies other than multipart uploads are capped: a declared `Content-Length` over the cap is
  a 413 at once, and a body streamed past it stops with a 413 as soon as it crosses the cap.
- A JSON body holding NUL, a lone surrogate or a non-finite number is a 422 (api/json_body.py).
- Any exception no handler took becomes a 500 in the error shape with the request id, and its
  traceback is logged server-side only.
"""

import json
import logging
import re
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.json_body import BodyTooLargeError, body_problems, is_json, read_body, replay
from schemas.text_rules import text_problem

REQUEST_ID_HEADER = "X-Request-ID"
JSON_BODY_MAX_BYTES = 256 * 1024
"""Cap on request bodies other than multipart uploads (the upload route has its own limit)."""

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_log = logging.getLogger("greenhouse.api")


class BoundaryMiddleware:
    """Request ids, hostile path/query refusal, the body cap and the catch-all 500."""

    def __init__(self, app: ASGIApp, body_max_bytes: int = JSON_BODY_MAX_BYTES) -> None:
        self.app = app
        self.body_max_bytes = body_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = _request_id(headers.get(REQUEST_ID_HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode()),
                ]
            await send(message)

        refusal = _refusal(scope, headers, self.body_max_bytes)
        if refusal is not None:
            status, refused = refusal
            refused["error"]["request_id"] = request_id
            await _send_json(send_with_id, status, refused)
            return
        if is_json(headers):
            try:
                body = await read_body(receive, self.body_max_bytes)
            except BodyTooLargeError as exc:
                too_large = error_body("too_large", str(exc.detail), request_id=request_id)
                await _send_json(send_with_id, 413, too_large)
                return
            problems = body_problems(body)
            if problems:
                invalid = error_body(
                    "invalid_request", "the request is not valid", problems, request_id
                )
                await _send_json(send_with_id, 422, invalid)
                return
            receive = replay(body, receive)
        try:
            await self.app(scope, self._capped(headers, receive), send_with_id)
        except Exception:
            _log.exception(
                "unhandled error in %s %s [%s]", scope["method"], scope["path"], request_id
            )
            if started:
                raise
            failed = error_body(
                "internal_error",
                "the server failed to handle this request; quote the request id when reporting it",
                request_id=request_id,
            )
            await _send_json(send_with_id, 500, failed)

    def _capped(self, headers: Headers, receive: Receive) -> Receive:
        if _is_multipart(headers):
            return receive
        limit = self.body_max_bytes
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        return capped_receive


def _request_id(offered: str | None) -> str:
    if offered is not None and _SANE_REQUEST_ID.match(offered):
        return offered
    return uuid.uuid4().hex


def _is_multipart(headers: Headers) -> bool:
    return headers.get("content-type", "").lower().startswith("multipart/form-data")


def _refusal(
    scope: Scope, headers: Headers, body_max_bytes: int
) -> tuple[int, dict[str, Any]] | None:
    problems: list[dict[str, Any]] = []
    path_problem = text_problem(scope["path"])
    if path_problem is not None:
        problems.append({"loc": ["path"], "msg": f"the path {path_problem}"})
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        for part, text in (("name", name), ("value", value)):
            problem = text_problem(text)
            if problem is not None:
                problems.append({"loc": ["query", _safe(name)], "msg": f"the {part} {problem}"})
    if problems:
        return 422, error_body("invalid_request", "the request is not valid", problems)
    declared = headers.get("content-length")
    if (
        declared is not None
        and declared.isdigit()
        and int(declared) > body_max_bytes
        and not _is_multipart(headers)
    ):
        message = f"the request body exceeds the limit of {body_max_bytes} bytes"
        return 413, error_body("too_large", message)
    return None


def _safe(text: str) -> str:
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
