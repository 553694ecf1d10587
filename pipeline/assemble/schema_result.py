"""The schema part of a document's result: the pages' answers merged, with provenance. Pure."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.assemble.document import JobSnapshot
from pipeline.assemble.schema_merge import PageAnswer, merge_answers
from schemas.enums import ChunkKind

__all__ = ["SCHEMA_EXTRACTION_KIND", "SchemaVersion", "schema_result_keys"]

SCHEMA_EXTRACTION_KIND = "schema_extraction"


@dataclass(frozen=True)
class SchemaVersion:
    """The registered schema version a document's answers were made with."""

    name: str
    version: int | None
    json_schema: Mapping[str, Any]


def schema_result_keys(
    schema: SchemaVersion, jobs: Sequence[JobSnapshot], generation: int
) -> dict[str, Any]:
    """`schema`, `generation`, `fields`, `field_provenance` and `conflicts` for the result of
    a document that asked for `schema` (docs/architecture.md, Document-level schema results)."""
    answers = [_answer(job) for job in sorted(jobs, key=lambda job: job.seq) if _answers(job)]
    merged = merge_answers(schema.json_schema, answers)
    return {
        "schema": {"name": schema.name, "version": schema.version},
        "generation": generation,
        "fields": merged.fields,
        "field_provenance": merged.provenance,
        "conflicts": merged.conflicts,
    }


def _answers(job: JobSnapshot) -> bool:
    return job.extraction_kind == SCHEMA_EXTRACTION_KIND and job.data is not None


def _answer(job: JobSnapshot) -> PageAnswer:
    data = job.data or {}
    fields = data.get("fields")
    grounding = data.get("grounding")
    is_frame = job.kind == ChunkKind.VIDEO_FRAME
    return PageAnswer(
        page=job.page_number or job.seq + 1,
        fields=fields if isinstance(fields, Mapping) else None,
        grounding=grounding if isinstance(grounding, Mapping) else {},
        seconds=(job.start_seconds or 0.0) if is_frame else None,
    )
