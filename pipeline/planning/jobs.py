"""Planning the jobs of a document: a tier, a visual budget and maybe a waiting reason each."""

from collections.abc import Iterable, Iterator

from pipeline.planning.budget import UNMEASURED_BUDGET, VisualChunkProfile, choose_budget
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest, choose_route
from schemas.budget import VisualBudget, is_visual_budget
from schemas.chunks import ChunkDescriptor
from schemas.enums import Tier
from schemas.media import STRUCTURED_KINDS, VISUAL_KINDS
from schemas.plans import JobPlan

__all__ = ["chunk_budget", "plan_jobs"]


def plan_jobs(
    chunks: Iterable[ChunkDescriptor],
    request: RoutingRequest,
    budget_override: int | None,
    configured: ConfiguredTiers,
) -> Iterator[JobPlan]:
    """Route every chunk; visual chunks on the MoE tier also get a token budget, structured
    chunks (sections, slides, sheets) never have one."""
    for chunk in chunks:
        route = choose_route(chunk, request, configured)
        budget = None if chunk.kind in STRUCTURED_KINDS else budget_override
        if route.tier is Tier.MOE and chunk.kind in VISUAL_KINDS:
            budget = chunk_budget(chunk, budget_override)
        yield JobPlan(chunk, route.tier, budget, route.waiting_reason)


def chunk_budget(chunk: ChunkDescriptor, override: int | None = None) -> VisualBudget:
    """The visual budget of a visual chunk from what chunking recorded of it (its size and
    legibility measures), or `override`."""
    if not (chunk.width and chunk.height):
        return (
            override if override is not None and is_visual_budget(override) else UNMEASURED_BUDGET
        )
    profile = VisualChunkProfile(
        kind=chunk.kind,
        width=chunk.width,
        height=chunk.height,
        text_chars=chunk.text_chars,
        min_font_pt=chunk.min_font_pt,
        text_area_share=chunk.text_area_share,
        min_text_height=chunk.min_text_height,
        override=override,
    )
    return choose_budget(profile)
