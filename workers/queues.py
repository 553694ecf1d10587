"""Queue and task names, re-exported for `workers.celery_app`; they are defined in
`schemas.tasks`, which is what new code imports."""

from schemas.tasks import (
    ALL_QUEUES,
    ASR_QUEUE,
    CHUNK_DOCUMENT_TASK,
    INGEST_QUEUE,
    LOCAL_QUEUE,
    QUEUE_FOR_TIER,
    RUN_JOB_TASK,
    VLM_QUEUE,
    queue_for,
)

__all__ = [
    "ALL_QUEUES",
    "ASR_QUEUE",
    "CHUNK_DOCUMENT_TASK",
    "INGEST_QUEUE",
    "LOCAL_QUEUE",
    "QUEUE_FOR_TIER",
    "RUN_JOB_TASK",
    "VLM_QUEUE",
    "queue_for",
]
