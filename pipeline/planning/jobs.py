"""Planning the jobs of a document: a tier, a visual budget and maybe a waiting reason each."""

from collections.abc import Iterable, Iterator

from pipeline.planning.budget import UNMEASURED_BUDGET, VisualChunkProfile, choose_budget
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest, choose_route
from schemas.chunks import ChunkDescriptor
from schemas.enums import Tier
from schemas.media import STRUCTURED_KINDS, VISUAL_KINDS
from schemas.plans import JobPlan

__all__ = ["plan_jobs"]


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
            budget = _visual_budget(chunk, budget_override)
        yield JobPlan(chunk, route.tier, budget, route.waiting_reason)


def _visual_budget(chunk: ChunkDescriptor, override: int | None) -> int:
    if not (chunk.width and chunk.height):
        return override or UNMEASURED_BUDGET
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
