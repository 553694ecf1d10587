"""A planned job: what the planner decides for a chunk and what the ledger records."""

from dataclasses import dataclass

from schemas.chunks import ChunkDescriptor
from schemas.enums import Tier
from schemas.tasks import queue_for


@dataclass(frozen=True)
class JobPlan:
    """One job to create: its chunk, tier, visual budget and, when it cannot run yet, why."""

    chunk: ChunkDescriptor
    tier: Tier
    budget: int | None
    waiting_reason: str | None

    @property
    def queue(self) -> str:
        """The queue whose workers run the job (derived from its tier and chunk kind)."""
        return queue_for(self.tier, self.chunk.kind)
