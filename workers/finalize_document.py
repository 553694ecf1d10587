"""Writing a finished document's result: its jobs' extractions assembled in order."""

import logging

from pipeline.assemble.document import JobSnapshot, assemble_document
from pipeline.assemble.schema_result import SchemaVersion, schema_result_keys
from schemas.enums import TERMINAL_DOCUMENT_STATUSES
from storage.database import Session, transaction
from storage.documents import get_document
from storage.extraction_schemas import get_schema, get_schema_version
from storage.families import member_summaries, settle_member
from storage.results import job_rows_with_extractions, result_generation, save_document_result
from storage.webhook_events import record_document_events
from workers.context import WorkerContext

logger = logging.getLogger(__name__)


def _schema_of(session: Session, name: object, version: int | None) -> SchemaVersion | None:
    """The schema version the document's answers were made with (its merge rules)."""
    if not isinstance(name, str):
        return None
    row = get_schema_version(session, name, version) if version is not None else None
    if row is None:
        latest = get_schema(session, name)
        if latest is None:
            return SchemaVersion(name, version, {})
        return SchemaVersion(name, latest.version, latest.json_schema)
    return SchemaVersion(name, row.version, row.json_schema)


def finalize_document(context: WorkerContext, document_id: str) -> bool:
    """Assemble and store the result of a finished document, and queue its webhook event in the
    same transaction (once, however often this runs); idempotent. False if unfinished."""
    with transaction(context.sessions) as session:
        document = get_document(session, document_id)
        if document is None or document.status not in TERMINAL_DOCUMENT_STATUSES:
            return False
        media_type = document.media_type
        snapshots = [
            JobSnapshot(
                seq=job.seq,
                state=job.state,
                kind=job.kind,
                start_seconds=job.chunk.get("start_seconds"),
                page_number=job.chunk.get("page_number"),
                extraction_id=extraction.id if extraction else None,
                extraction_kind=extraction.kind if extraction else None,
                data=extraction.data if extraction else None,
                error_category=job.error_category,
                error_message=job.error_message,
                part=job.chunk.get("part"),
            )
            for job, extraction in job_rows_with_extractions(session, document_id)
        ]
        members = member_summaries(session, document_id) if document.children_total else None
        schema = _schema_of(session, document.options.get("schema"), document.schema_version)
        generation = result_generation(session, document_id) if schema is not None else None
    result = assemble_document(media_type, snapshots)
    data = result.data if members is None else {**result.data, "members": members}
    if schema is not None and generation is not None:
        data = {**data, **schema_result_keys(schema, snapshots, generation)}
    with transaction(context.sessions) as session:
        if save_document_result(session, document_id, result.kind, data) is None:
            return False
        events = record_document_events(session, document_id)
    if events and context.deliveries is not None:
        context.deliveries.kick()
    logger.info("document %s finalised (%d jobs)", document_id, len(snapshots))
    with transaction(context.sessions) as session:
        finished_containers = settle_member(session, document_id)
    for container_id in finished_containers:
        finalize_document(context, container_id)
    return True
