"""Re-processing a finished document: what a caller may ask, which jobs it re-runs, and the
results it keeps."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.api import SCHEMA_NAME_PATTERN
from schemas.budget import VISUAL_BUDGETS, is_visual_budget
from schemas.enums import ChunkKind, Tier

__all__ = [
    "SCHEMA_KINDS",
    "JobPlanChange",
    "ReprocessIn",
    "ResultHistoryItem",
    "ResultHistoryPage",
    "plan_change",
]

SCHEMA_KINDS = frozenset({ChunkKind.PDF_PAGE, ChunkKind.IMAGE, ChunkKind.VIDEO_FRAME})
"""The chunks the MoE tier fills a schema for."""
_TIER_KINDS: dict[Tier, frozenset[ChunkKind]] = {
    Tier.MOE: SCHEMA_KINDS,
    Tier.EDGE: frozenset({ChunkKind.SPEECH_SEGMENT}),
    Tier.LOCAL: frozenset(ChunkKind),
}
"""The kinds each tier can process (routing keeps structured chunks local whatever is asked)."""
_STRUCTURED = frozenset({ChunkKind.SECTION, ChunkKind.SLIDE, ChunkKind.SHEET})


class ReprocessIn(BaseModel):
    """What to change for the new run; every key is optional (an empty body re-runs the
    schema's jobs with the schema's latest version)."""

    model_config = ConfigDict(extra="forbid")

    schema_name: str | None = Field(
        default=None,
        alias="schema",
        pattern=SCHEMA_NAME_PATTERN,
        description="A registered schema to extract into instead of the document's.",
    )
    schema_version: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="The schema's version; default the latest.",
    )
    tier: Tier | None = Field(default=None, description="Run the jobs it can process there.")
    budget: int | None = Field(default=None, description=f"One of {list(VISUAL_BUDGETS)}.")

    @field_validator("budget")
    @classmethod
    def _visual(cls, value: int | None) -> int | None:
        if value is not None and not is_visual_budget(value):
            raise ValueError(f"budget must be one of {list(VISUAL_BUDGETS)}")
        return value


@dataclass(frozen=True)
class JobPlanChange:
    """A job's tier and budget for the new run, and whether it runs again."""

    tier: Tier
    budget: int | None
    rerun: bool


def plan_change(
    kind: ChunkKind,
    tier: Tier,
    budget: int | None,
    request: ReprocessIn,
    schema: str | None,
    tier_pinned: bool = False,
) -> JobPlanChange:
    """A job runs again when its tier or budget changes, or when it fills the schema (a
    MoE-tier page, image or frame of a document with a schema: the point of reprocessing).
    `tier_pinned`: the document's options name a tier, which a schema does not override."""
    new_tier = tier
    if request.tier is not None and kind in _TIER_KINDS[request.tier] and kind not in _STRUCTURED:
        new_tier = request.tier
    elif request.tier is None and schema and not tier_pinned and kind is ChunkKind.PDF_PAGE:
        new_tier = Tier.MOE  # routing sends a page to the model when a schema is asked
    new_budget = budget
    if request.budget is not None and kind in SCHEMA_KINDS:
        new_budget = request.budget
    fills_schema = schema is not None and new_tier is Tier.MOE and kind in SCHEMA_KINDS
    rerun = new_tier is not tier or new_budget != budget or fills_schema
    return JobPlanChange(new_tier, new_budget, rerun)


class ResultHistoryItem(BaseModel):
    """A result a reprocess replaced."""

    generation: int = Field(ge=1)
    kind: str
    schema_name: str | None = Field(default=None, description="The schema it was made with.")
    schema_version: int | None = None
    data: dict[str, Any]
    created_at: datetime
    replaced_at: datetime


class ResultHistoryPage(BaseModel):
    """A document's earlier results, newest generation first."""

    items: list[ResultHistoryItem]
