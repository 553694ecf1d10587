"""GET /v1/exports: document results as JSONL, CSV or Parquet rows, streamed, incremental.

The response's `X-Greenhouse-Watermark` header is fixed before the first byte: the rows are
exactly the results (in the key's collections, matching the filters) whose last change is
numbered in (`since`, watermark], so passing the header back as the next `since` returns every
later change once (storage/exports.py). With `schema=` the rows are the filled fields,
flattened; an array of objects is a second table, chosen with `table=` (its dotted path).
Without `schema=` a row is a result's text and Markdown.
"""

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.auth import ReadCaller
from api.content_disposition import attachment
from api.errors import ApiError
from api.export_stream import (
    ExportRequestError,
    UnknownExportSchemaError,
    encoded_table,
    plan_export,
)
from api.openapi import errors
from api.state import ApiState, api_state
from schemas.exports.encoders import MEDIA_TYPES, ExportFormat
from schemas.exports.layout import MAIN_TABLE

router = APIRouter(prefix="/v1/exports", tags=["exports"])

WATERMARK_HEADER = "X-Greenhouse-Watermark"
TABLES_HEADER = "X-Greenhouse-Tables"
MAX_CHANGE = 2**63 - 1
_CONTENT: dict[str, Any] = {
    media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    for media_type in MEDIA_TYPES.values()
}
_HEADERS = {
    WATERMARK_HEADER: {
        "description": "The next export's `since`: every change up to it is in this one.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    TABLES_HEADER: {
        "description": "The export's tables, percent-encoded, comma-separated (`main` first).",
        "schema": {"type": "string"},
    },
}


@router.get(
    "",
    response_class=StreamingResponse,
    responses={
        200: {"content": _CONTENT, "headers": _HEADERS, "description": "The rows."},
        **errors(400, 403),
    },
)
def export_results(
    state: Annotated[ApiState, Depends(api_state)],
    caller: ReadCaller,
    export_format: Annotated[
        ExportFormat, Query(alias="format", description="jsonl, csv or parquet.")
    ] = ExportFormat.JSONL,
    schema: Annotated[
        str | None,
        Query(max_length=64, description="The filled fields of documents read with it."),
    ] = None,
    schema_version: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="With schema: the version whose columns to use."),
    ] = None,
    table: Annotated[
        str,
        Query(max_length=1000, description="With schema: `main` or an array's dotted path."),
    ] = MAIN_TABLE,
    collection: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[
        int | None,
        Query(ge=0, le=MAX_CHANGE, description="A previous export's watermark: changes after it."),
    ] = None,
    until: Annotated[
        int | None,
        Query(ge=0, le=MAX_CHANGE, description="Changes up to this watermark only."),
    ] = None,
) -> StreamingResponse:
    """Every row carries `document_id`, `collection`, `updated_at` and `watermark` (its
    change number); rows come in change order."""
    if collection is not None:
        caller.require_collection(collection)
    if schema_version is not None and schema is None:
        raise ApiError(
            400,
            "invalid_query",
            "schema_version needs schema",
            detail={"parameter": "schema_version"},
        )
    try:
        plan = plan_export(
            state.sessions,
            collections=caller.collections,
            collection=collection,
            schema=schema,
            schema_version=schema_version,
            since=since,
            until=until,
        )
    except UnknownExportSchemaError as exc:
        raise ApiError(422, "unknown_schema", exc.message, detail={"parameter": "schema"}) from exc
    except ExportRequestError as exc:
        raise ApiError(
            400, "invalid_query", exc.message, detail={"parameter": exc.parameter}
        ) from exc
    chosen = plan.layout.table(table)
    if chosen is None:
        raise ApiError(
            400,
            "invalid_query",
            f"this export has no table {table!r}",
            detail={"parameter": "table", "tables": plan.layout.table_names},
        )
    extension = export_format.value
    headers = {
        WATERMARK_HEADER: str(plan.watermark),
        TABLES_HEADER: ",".join(quote(name, safe=".-_") for name in plan.layout.table_names),
        "Content-Disposition": attachment(f"{chosen.name}.{extension}", f"export.{extension}"),
    }
    return StreamingResponse(
        encoded_table(state.sessions, plan, chosen, export_format),
        media_type=MEDIA_TYPES[export_format],
        headers=headers,
    )
