"""POST /v1/documents: stream the upload into the blob store, then accept it atomically.

A document is accepted together with its pending chunking message (the outbox), in the
transaction that places its blob; the message is sent after the commit, and when the broker
is down the answer is still 202: the outbox keeps the message until the API's retry thread or
a worker's reaper sends it. Any failure before the commit leaves neither row nor blob.
"""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from api.auth import Caller
from api.errors import ApiError
from api.state import ApiState
from api.upload_stream import (
    FILE_FIELD,
    FILENAME_MAX_LENGTH,
    FORM_FIELDS_MAX_BYTES,
    AbandonedUploadError,
    ReceivedUpload,
    invalid,
    receive_upload,
    too_large,
)
from schemas.budget import VISUAL_BUDGETS
from schemas.document_options import (
    COLLECTION_MAX_LENGTH,
    DEFAULT_COLLECTION,
    SCHEMA_NAME_MAX_LENGTH,
    DocumentOptions,
    InvalidDocumentOptionsError,
)
from schemas.enums import Tier
from storage.database import transaction
from storage.extraction_schemas import get_schema
from storage.intake import IntakeResult, take_in_staged

UPLOAD_REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {
                        FILE_FIELD: {
                            "type": "string",
                            "format": "binary",
                            "description": "The document, image, audio or video file "
                            f"(its filename at most {FILENAME_MAX_LENGTH} characters).",
                        },
                        "collection": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": COLLECTION_MAX_LENGTH,
                            "default": DEFAULT_COLLECTION,
                        },
                        "tier": {"type": "string", "enum": [tier.value for tier in Tier]},
                        "budget": {"type": "integer", "enum": list(VISUAL_BUDGETS)},
                        "schema": {"type": "string", "maxLength": SCHEMA_NAME_MAX_LENGTH},
                    },
                }
            }
        },
    }
}
"""The multipart body the route parses itself, described for /openapi.json."""


async def accept_upload(request: Request, state: ApiState, caller: Caller) -> IntakeResult:
    """Receive, validate and record an upload, and send its message (or leave it to the
    outbox's retries). 413 past `MAX_UPLOAD_BYTES`, 422 for invalid options, 403 outside the
    caller's collections; AbandonedUploadError when refused before the body was read."""
    limit = state.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if (
        declared is not None
        and declared.isdigit()
        and int(declared) > limit + FORM_FIELDS_MAX_BYTES
    ):
        raise AbandonedUploadError.of(too_large(limit))
    upload = await receive_upload(request, state.blobs, limit)
    try:
        options = _options(upload.fields)
        caller.require_collection(options.collection)
        intake = await run_in_threadpool(_record, state, upload, options)
    except BaseException:
        state.blobs.discard(upload.staged)
        raise
    if intake.created:
        await run_in_threadpool(state.outbox.send, intake.document.id)
    return intake


def _options(fields: dict[str, str]) -> DocumentOptions:
    tier = fields.get("tier")
    budget = fields.get("budget")
    try:
        return DocumentOptions(
            collection=fields.get("collection", DEFAULT_COLLECTION),
            tier=Tier(tier) if tier else None,
            budget=int(budget) if budget else None,
            schema=fields.get("schema") or None,
        )
    except InvalidDocumentOptionsError as exc:
        raise invalid(str(exc)) from exc
    except ValueError as exc:
        raise invalid(f"tier must be one of {[t.value for t in Tier]}, budget an integer") from exc


def _record(state: ApiState, upload: ReceivedUpload, options: DocumentOptions) -> IntakeResult:
    if options.schema is not None:
        with transaction(state.sessions) as session:
            if get_schema(session, options.schema) is None:
                raise ApiError(
                    422,
                    "unknown_schema",
                    f"no schema is registered as {options.schema!r}; POST it to /v1/schemas first",
                )
    return take_in_staged(
        state.sessions,
        state.blobs,
        upload.staged,
        filename=upload.filename,
        collection=options.collection,
        options=options.stored(),
        with_outbox=True,
    )
