"""Queue names and which queue serves which tier."""

from schemas.enums import Tier

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

CHUNK_DOCUMENT_TASK = "greenhouse.chunk_document"
RUN_JOB_TASK = "greenhouse.run_job"


def queue_for_tier(tier: str) -> str:
    """The queue whose workers run jobs of `tier`."""
    return QUEUE_FOR_TIER[Tier(tier)]
