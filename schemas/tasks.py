"""Task and queue names: the contract between whoever sends work and the workers that run it."""

from schemas.enums import ChunkKind, Tier
from schemas.media import STRUCTURED_KINDS

CHUNK_DOCUMENT_TASK = "greenhouse.chunk_document"
"""Cuts a queued document into jobs; takes `document_id`."""
RUN_JOB_TASK = "greenhouse.run_job"
"""Runs one job; takes `job_id`."""
RUN_JOB_RUN_TASK = "greenhouse.run_job_run"
"""Runs the queued jobs of a run (consecutive local-tier pages of a document); takes `run_id`."""

INGEST_QUEUE = "ingest"
LOCAL_QUEUE = "local"
VLM_QUEUE = "vlm"
ASR_QUEUE = "asr"
ALL_QUEUES = (INGEST_QUEUE, LOCAL_QUEUE, VLM_QUEUE, ASR_QUEUE)

QUEUE_FOR_TIER: dict[Tier, str] = {
    Tier.LOCAL: LOCAL_QUEUE,
    Tier.MOE: VLM_QUEUE,
    Tier.EDGE: ASR_QUEUE,
}


def queue_for(tier: Tier, kind: ChunkKind) -> str:
    """The queue whose workers run a job: speech goes to `asr` (Moonshine or the edge tier),
    visual jobs to `local` (CPU) or `vlm` (I/O bound, many in flight), structured chunks
    (sections, slides, sheets: read on the CPU) to `local`."""
    if kind is ChunkKind.SPEECH_SEGMENT:
        return ASR_QUEUE
    if kind in STRUCTURED_KINDS:
        return LOCAL_QUEUE
    return QUEUE_FOR_TIER[tier]
