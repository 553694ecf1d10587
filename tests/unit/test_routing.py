"""The routing table and job planning."""

import pytest

from pipeline.errors import PipelineError
from pipeline.planning.jobs import plan_jobs
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest, choose_route
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, Tier

NONE = ConfiguredTiers()
MOE = ConfiguredTiers(moe=True)
BOTH = ConfiguredTiers(moe=True, edge=True)


def _chunk(kind: ChunkKind, has_text_layer: bool | None = None) -> ChunkDescriptor:
    return ChunkDescriptor(
        seq=0,
        kind=kind,
        page_number=1 if kind is ChunkKind.PDF_PAGE else None,
        width=612,
        height=792,
        has_text_layer=has_text_layer,
    )


NATIVE = _chunk(ChunkKind.PDF_PAGE, True)
SCAN = _chunk(ChunkKind.PDF_PAGE, False)
IMAGE = _chunk(ChunkKind.IMAGE)
FRAME = _chunk(ChunkKind.VIDEO_FRAME)
SPEECH = _chunk(ChunkKind.SPEECH_SEGMENT)


@pytest.mark.parametrize(
    ("chunk", "request_", "configured", "tier", "waits"),
    [
        (NATIVE, RoutingRequest(), NONE, Tier.LOCAL, False),
        (NATIVE, RoutingRequest(), BOTH, Tier.LOCAL, False),
        (NATIVE, RoutingRequest(schema="invoice"), MOE, Tier.MOE, False),
        (NATIVE, RoutingRequest(schema="invoice"), NONE, Tier.MOE, True),
        (NATIVE, RoutingRequest(tier="moe"), NONE, Tier.MOE, True),
        (NATIVE, RoutingRequest(tier="local", schema="invoice"), MOE, Tier.LOCAL, False),
        (SCAN, RoutingRequest(), NONE, Tier.LOCAL, False),
        (SCAN, RoutingRequest(), MOE, Tier.MOE, False),
        (IMAGE, RoutingRequest(), MOE, Tier.MOE, False),
        (IMAGE, RoutingRequest(), NONE, Tier.LOCAL, False),
        (FRAME, RoutingRequest(), BOTH, Tier.MOE, False),
        (SPEECH, RoutingRequest(), NONE, Tier.LOCAL, False),
        (SPEECH, RoutingRequest(), BOTH, Tier.EDGE, False),
        (SPEECH, RoutingRequest(tier="edge"), NONE, Tier.EDGE, True),
        (SPEECH, RoutingRequest(tier="moe"), NONE, Tier.LOCAL, False),
        (SPEECH, RoutingRequest(schema="invoice"), NONE, Tier.LOCAL, False),
        (FRAME, RoutingRequest(tier="edge"), MOE, Tier.MOE, False),
    ],
)
def test_routing_table(
    chunk: ChunkDescriptor,
    request_: RoutingRequest,
    configured: ConfiguredTiers,
    tier: Tier,
    waits: bool,
) -> None:
    route = choose_route(chunk, request_, configured)
    assert route.tier is tier
    assert (route.waiting_reason is not None) is waits
    if waits:
        assert "not configured" in (route.waiting_reason or "")
        assert "GREENHOUSE_" in (route.waiting_reason or "")


def test_unknown_tier_is_an_invalid_option() -> None:
    with pytest.raises(PipelineError) as raised:
        choose_route(NATIVE, RoutingRequest(tier="gpu"), NONE)
    assert raised.value.category is ErrorCategory.INVALID_OPTIONS


def test_planning_gives_moe_visual_jobs_a_budget_and_local_jobs_none() -> None:
    plans = list(plan_jobs([NATIVE, SCAN, SPEECH], RoutingRequest(), None, MOE))
    assert [p.tier for p in plans] == [Tier.LOCAL, Tier.MOE, Tier.LOCAL]
    assert plans[0].budget is None and plans[2].budget is None
    assert plans[1].budget == 560  # a page without a text layer is a scan


def test_planning_honours_a_budget_override() -> None:
    (plan,) = plan_jobs([SCAN], RoutingRequest(), 1120, MOE)
    assert plan.budget == 1120
