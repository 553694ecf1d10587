"""Reading a multipart upload as it streams in, with the size limit enforced on the way.

The request body is fed chunk by chunk to python-multipart's streaming parser; the `file`
part goes straight into a blob writer that stops (and removes what it wrote) as soon as it
holds more than the limit, and the whole body may not exceed the limit plus a small
allowance for the form fields. Nothing is buffered beyond one chunk, and no more than the
limit ever reaches the disk, whether the client declared a Content-Length or sent chunks.
"""

from dataclasses import dataclass, field
from typing import Any

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from api.errors import ApiError, error_body
from schemas.text_rules import text_problem
from storage.blobs import BlobStore, BlobTooLargeError, BlobWriter, StagedBlob

FILE_FIELD = "file"
FORM_FIELDS_MAX_BYTES = 64 * 1024
"""Room for the form fields, part headers and boundaries around the file."""
FILENAME_MAX_LENGTH = 1000
"""The longest filename a document records."""
FEED_BYTES = 256 * 1024
"""Received bytes are handed to the parser (in a worker thread) this many at a time."""


@dataclass
class ReceivedUpload:
    """The staged file and the form fields of an upload."""

    staged: StagedBlob
    filename: str | None
    fields: dict[str, str]


class AbandonedUploadError(ApiError):
    """An upload refused before its body was read to the end. Its answer closes the
    connection, so the client stops sending instead of streaming the rest into the void."""

    def response(self) -> JSONResponse:
        """The error, with `Connection: close`."""
        return JSONResponse(
            error_body(self.code, self.message, self.detail),
            status_code=self.status,
            headers={"Connection": "close"},
        )

    @classmethod
    def of(cls, error: ApiError) -> "AbandonedUploadError":
        """The same error, raised with the body unread."""
        return cls(error.status, error.code, error.message, error.detail)


def invalid(message: str) -> ApiError:
    """422 for a malformed upload."""
    return ApiError(422, "invalid_request", message)


def too_large(limit: int) -> ApiError:
    """413 past the size limit."""
    return ApiError(413, "too_large", f"the upload exceeds the limit of {limit} bytes")


@dataclass
class _Part:
    headers: dict[str, bytes] = field(default_factory=dict)
    header_name: bytearray = field(default_factory=bytearray)
    header_value: bytearray = field(default_factory=bytearray)
    name: str | None = None
    writer: BlobWriter | None = None
    value: bytearray = field(default_factory=bytearray)


class _MultipartUpload:
    """Parser callbacks: the file part to a blob writer, the other parts to small strings."""

    def __init__(self, blobs: BlobStore, boundary: bytes, max_bytes: int) -> None:
        self._blobs = blobs
        self._max_bytes = max_bytes
        self._part = _Part()
        self._field_bytes = 0
        self._writer: BlobWriter | None = None
        self.staged: StagedBlob | None = None
        self.filename: str | None = None
        self.fields: dict[str, str] = {}
        self.finished = False
        callbacks: Any = {
            "on_part_begin": self._on_part_begin,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_end": self._on_end,
        }
        self._parser = MultipartParser(boundary, callbacks)

    def feed(self, data: bytes) -> None:
        """Parse the next bytes of the body."""
        try:
            self._parser.write(data)
        except MultipartParseError as exc:
            raise invalid(f"the multipart body is malformed: {exc}") from exc

    def abort(self) -> None:
        """Remove whatever was written to the blob store."""
        if self._writer is not None:
            self._writer.abort()
        if self.staged is not None:
            self._blobs.discard(self.staged)

    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._part.header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._part.header_value += data[start:end]

    def _on_header_end(self) -> None:
        part = self._part
        name = part.header_name.decode("latin-1").strip().lower()
        part.headers[name] = bytes(part.header_value)
        part.header_name.clear()
        part.header_value.clear()

    def _on_headers_finished(self) -> None:
        part = self._part
        disposition, parameters = parse_options_header(part.headers.get("content-disposition"))
        name = parameters.get(b"name")
        if disposition != b"form-data" or name is None:
            raise invalid("every multipart part needs a form-data Content-Disposition and name")
        part.name = name.decode("utf-8", "replace")
        if part.name != FILE_FIELD:
            return
        if self.staged is not None or self._writer is not None:
            raise invalid(f"only one {FILE_FIELD!r} part is accepted")
        raw_filename = parameters.get(b"filename")
        if raw_filename is not None:
            filename = raw_filename.decode("utf-8", "replace")
            if len(filename) > FILENAME_MAX_LENGTH:
                raise invalid(f"the filename is longer than {FILENAME_MAX_LENGTH} characters")
            _require_storable("the filename", filename)
            self.filename = filename or None
        self._writer = part.writer = self._blobs.writer(self._max_bytes)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part.writer is not None:
            try:
                part.writer.write(data[start:end])
            except BlobTooLargeError as exc:
                raise too_large(self._max_bytes) from exc
            return
        self._field_bytes += end - start
        if self._field_bytes > FORM_FIELDS_MAX_BYTES:
            raise invalid(f"the form fields exceed {FORM_FIELDS_MAX_BYTES} bytes")
        part.value += data[start:end]

    def _on_part_end(self) -> None:
        part = self._part
        if part.writer is not None:
            self.staged = part.writer.finish()
            self._writer = None
            return
        if part.name is None:
            return
        try:
            value = part.value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise invalid(f"the form field {part.name!r} is not UTF-8") from exc
        _require_storable(f"the form field {part.name!r}", value)
        self.fields[part.name] = value

    def _on_end(self) -> None:
        self.finished = True


def _require_storable(what: str, value: str) -> None:
    problem = text_problem(value)
    if problem is not None:
        raise invalid(f"{what} {problem}")


def multipart_boundary(request: Request) -> bytes:
    """The boundary of a multipart/form-data request; 422 for any other body."""
    content_type, parameters = parse_options_header(request.headers.get("content-type"))
    boundary = parameters.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise invalid("the upload must be multipart/form-data with a boundary")
    return boundary


async def receive_upload(request: Request, blobs: BlobStore, max_bytes: int) -> ReceivedUpload:
    """Stage the `file` part of a multipart upload and collect its other fields.

    413 once the file holds more than `max_bytes` or the body more than that plus
    FORM_FIELDS_MAX_BYTES, 422 for a malformed body or a missing file; raised as
    AbandonedUploadError while the rest of the body is unread. On any failure nothing stays
    in the blob store."""
    try:
        boundary = multipart_boundary(request)
    except ApiError as refusal:
        raise AbandonedUploadError.of(refusal) from refusal
    upload = _MultipartUpload(blobs, boundary, max_bytes)
    body_limit = max_bytes + FORM_FIELDS_MAX_BYTES
    received = 0
    pending = bytearray()
    try:
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > body_limit:
                    raise too_large(max_bytes)
                pending += chunk
                if len(pending) >= FEED_BYTES:
                    await run_in_threadpool(upload.feed, bytes(pending))
                    pending.clear()
        except ApiError as refusal:
            raise AbandonedUploadError.of(refusal) from refusal
        await run_in_threadpool(upload.feed, bytes(pending))
        if not upload.finished:
            raise invalid("the multipart body ended before its closing boundary")
        if upload.staged is None:
            raise invalid(f"the upload has no {FILE_FIELD!r} part")
    except ClientDisconnect as exc:
        upload.abort()
        raise invalid("the client disconnected during the upload") from exc
    except BaseException:
        upload.abort()
        raise
    return ReceivedUpload(staged=upload.staged, filename=upload.filename, fields=upload.fields)
