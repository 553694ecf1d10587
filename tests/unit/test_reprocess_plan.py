"""Which jobs a reprocess runs again, on which tier and budget."""

import pytest
from pydantic import ValidationError

from schemas.enums import ChunkKind, Tier
from schemas.reprocess import JobPlanChange, ReprocessIn, plan_change

PAGE, SHEET, SPEECH = ChunkKind.PDF_PAGE, ChunkKind.SHEET, ChunkKind.SPEECH_SEGMENT


def _change(
    kind: ChunkKind, tier: Tier, budget: int | None, schema: str | None, /, **asked: object
) -> JobPlanChange:
    return plan_change(kind, tier, budget, ReprocessIn.model_validate(asked), schema)


def test_schema_jobs_run_again_and_others_stay() -> None:
    assert _change(PAGE, Tier.MOE, 280, "invoice") == JobPlanChange(Tier.MOE, 280, True)
    assert _change(SHEET, Tier.LOCAL, None, "invoice") == JobPlanChange(Tier.LOCAL, None, False)
    assert _change(SPEECH, Tier.EDGE, None, "invoice") == JobPlanChange(Tier.EDGE, None, False)


def test_a_new_schema_moves_text_pages_to_the_model_unless_the_tier_is_pinned() -> None:
    assert _change(PAGE, Tier.LOCAL, 140, "invoice") == JobPlanChange(Tier.MOE, 140, True)
    pinned = plan_change(PAGE, Tier.LOCAL, 140, ReprocessIn(), "invoice", tier_pinned=True)
    assert pinned == JobPlanChange(Tier.LOCAL, 140, False)


def test_tier_and_budget_apply_where_they_can() -> None:
    assert _change(PAGE, Tier.MOE, 280, None, tier="local") == JobPlanChange(Tier.LOCAL, 280, True)
    assert _change(SPEECH, Tier.LOCAL, None, None, tier="moe") == JobPlanChange(
        Tier.LOCAL, None, False
    )
    assert _change(SHEET, Tier.LOCAL, None, None, tier="moe", budget=560) == JobPlanChange(
        Tier.LOCAL, None, False
    )
    assert _change(PAGE, Tier.MOE, 280, None, budget=1120) == JobPlanChange(Tier.MOE, 1120, True)
    assert _change(PAGE, Tier.LOCAL, 280, None) == JobPlanChange(Tier.LOCAL, 280, False)


@pytest.mark.parametrize(
    "body",
    [{"budget": 100}, {"schema_version": 0}, {"schema": "Bad Name"}, {"colour": "red"}],
)
def test_bad_requests_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ReprocessIn.model_validate(body)
