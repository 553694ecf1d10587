"""`greenhouse show ID --format json|markdown|html|text`: a document's result, read from the
configured database (no API needed), rendered by the same code the REST API uses."""

import argparse
import io
import sys
from typing import TextIO

from schemas.enums import TERMINAL_DOCUMENT_STATUSES
from schemas.rendering.results import ResultFormat, render_result
from schemas.results import DocumentResultOut
from schemas.settings import Settings
from storage.database import SessionFactory, make_engine, make_session_factory, transaction
from storage.documents import get_document
from storage.models import Document
from storage.results import get_document_result

__all__ = ["NO_RESULT", "UNKNOWN_DOCUMENT", "run_show", "show_result"]

NO_RESULT = 1
"""Exit code: the document exists but has no result (unfinished, or failed without one)."""
UNKNOWN_DOCUMENT = 2
"""Exit code: no document has that id."""


def run_show(settings: Settings, arguments: argparse.Namespace) -> int:
    """Print the result to stdout (UTF-8); 1 without a result, 2 for an unknown id."""
    engine = make_engine(settings.database_url)
    try:
        return show_result(
            make_session_factory(engine),
            arguments.document_id,
            ResultFormat(arguments.result_format),
            include_furniture=arguments.include_furniture,
            out=_utf8(sys.stdout),
            err=sys.stderr,
        )
    finally:
        engine.dispose()


def show_result(
    sessions: SessionFactory,
    document_id: str,
    result_format: ResultFormat,
    *,
    include_furniture: bool,
    out: TextIO,
    err: TextIO,
) -> int:
    """Write the document's result in `result_format` to `out`; the exit code."""
    with transaction(sessions) as session:
        document = get_document(session, document_id)
        if document is None:
            err.write(f"greenhouse: no document with id {document_id!r}\n")
            return UNKNOWN_DOCUMENT
        stored = get_document_result(session, document_id)
        if stored is None:
            err.write(f"greenhouse: {_why_no_result(document)}\n")
            return NO_RESULT
        result = DocumentResultOut(
            document_id=document.id,
            kind=stored.kind,
            data=stored.data,
            created_at=stored.created_at,
        )
        title = document.filename or document.id
    if result_format == ResultFormat.JSON:
        out.write(result.model_dump_json(indent=2) + "\n")
        return 0
    out.write(
        render_result(
            result.kind,
            result.data,
            result_format,
            title=title,
            include_furniture=include_furniture,
        )
    )
    return 0


def _why_no_result(document: Document) -> str:
    if document.status not in TERMINAL_DOCUMENT_STATUSES:
        return f"document {document.id} is still {document.status}; try again when it finishes"
    if document.jobs_total > 0:
        return f"document {document.id} is {document.status}; its result is being assembled"
    reason = f" ({document.error_category})" if document.error_category else ""
    return f"document {document.id} ended {document.status} without a result{reason}"


def _utf8(stream: TextIO) -> TextIO:
    if isinstance(stream, io.TextIOWrapper) and stream.encoding.lower() != "utf-8":
        stream.reconfigure(encoding="utf-8")
    return stream
