"""Choosing the tier of a job: a pure function of the chunk, the request and the configured tiers.

| chunk                              | default tier                     |
|------------------------------------|----------------------------------|
| PDF page with a usable text layer  | local (PyMuPDF), moe with schema |
| scanned page, image, video frame   | moe when configured, else local  |
| speech segment                     | edge when configured, else local |
| section, slide, sheet range        | local (read by their structure)  |

A tier named in the request wins for the chunks it can process: `moe` reads pictures (pages,
images, frames, pictures embedded in office files), `edge` speech; structured chunks always
run locally, whatever the request (an office file asked on `moe` may instead be chunked as the
pages of its PDF conversion: `pipeline.planning.office_pages`). A model tier the request or a
schema needs but that is not configured is returned with a waiting reason: the job is parked,
never silently downgraded.
"""

from dataclasses import dataclass

from pipeline.errors import PipelineError
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, Tier
from schemas.media import STRUCTURED_KINDS, VISUAL_KINDS

__all__ = [
    "ConfiguredTiers",
    "Route",
    "RoutingRequest",
    "choose_route",
    "may_reach_model_tier",
    "waiting_reason_for",
]

_HOW_TO_CONFIGURE = {
    Tier.MOE: "set GREENHOUSE_VLLM_URL and GREENHOUSE_VLLM_MODEL",
    Tier.EDGE: "set GREENHOUSE_EDGE_URL and GREENHOUSE_EDGE_MODEL",
}


@dataclass(frozen=True)
class ConfiguredTiers:
    """Which model tiers have a server configured (the local tier always exists)."""

    moe: bool = False
    edge: bool = False

    def has(self, tier: Tier) -> bool:
        """True when jobs of `tier` can run."""
        return (
            tier is Tier.LOCAL
            or (tier is Tier.MOE and self.moe)
            or (tier is Tier.EDGE and self.edge)
        )


@dataclass(frozen=True)
class RoutingRequest:
    """What the document's request asked for."""

    tier: str | None = None
    schema: str | None = None


@dataclass(frozen=True)
class Route:
    """The tier of a job and, when it cannot run yet, why it waits."""

    tier: Tier
    waiting_reason: str | None = None


def choose_route(
    chunk: ChunkDescriptor, request: RoutingRequest, configured: ConfiguredTiers
) -> Route:
    """Pick the tier for one chunk.

    A requested tier applies to the chunks it can process (`moe` to visual chunks, `edge` to
    speech): asking for `moe` on a video sends its frames to the MoE tier and its speech to
    the default speech tier.
    """
    requested = _requested_tier(request.tier)
    if requested is not None and _can_process(requested, chunk.kind):
        tier = requested
    else:
        tier = _default_tier(chunk, request, configured)
    return Route(tier, waiting_reason_for(tier, configured))


def may_reach_model_tier(request: RoutingRequest, configured: ConfiguredTiers) -> bool:
    """Whether any visual chunk of the document can be routed to the MoE tier (and so needs
    a visual token budget), asked of `choose_route` itself for every visual kind, with and
    without a text layer. When none can, every page, image and frame runs on the local tier
    and nothing reads their legibility measures."""
    return any(choose_route(probe, request, configured).tier is Tier.MOE for probe in _PROBES)


_PROBES = tuple(
    ChunkDescriptor(seq=0, kind=kind, page_number=1, has_text_layer=has_text_layer)
    for kind in sorted(VISUAL_KINDS)
    for has_text_layer in (True, False)
)
"""One chunk of each visual kind, with and without a text layer: what routing looks at."""


def waiting_reason_for(tier: Tier, configured: ConfiguredTiers) -> str | None:
    """Why a job of `tier` cannot run with this configuration (None: it can)."""
    if configured.has(tier):
        return None
    return f"tier {tier.value!r} is not configured: {_HOW_TO_CONFIGURE[tier]}"


def _requested_tier(value: str | None) -> Tier | None:
    if value is None:
        return None
    try:
        return Tier(value)
    except ValueError as exc:
        raise PipelineError(ErrorCategory.INVALID_OPTIONS, f"unknown tier {value!r}") from exc


def _default_tier(
    chunk: ChunkDescriptor, request: RoutingRequest, configured: ConfiguredTiers
) -> Tier:
    if chunk.kind is ChunkKind.SPEECH_SEGMENT:
        return Tier.EDGE if configured.edge else Tier.LOCAL
    if chunk.kind in STRUCTURED_KINDS:
        return Tier.LOCAL
    if request.schema is not None and chunk.kind in VISUAL_KINDS:
        return Tier.MOE
    native_page = chunk.kind is ChunkKind.PDF_PAGE and chunk.has_text_layer is not False
    if native_page:
        return Tier.LOCAL
    return Tier.MOE if configured.moe else Tier.LOCAL


def _can_process(tier: Tier, kind: ChunkKind) -> bool:
    if tier is Tier.EDGE:
        return kind is ChunkKind.SPEECH_SEGMENT
    if tier is Tier.MOE:
        return kind in VISUAL_KINDS
    return True
