"""The one decision `run_job` and job runs make for a job after its engine ran once."""

import pytest

from pipeline.engines.base import ExtractionResult
from pipeline.errors import PipelineError
from schemas.enums import ErrorCategory
from workers.isolation.messages import IsolationError
from workers.job_decisions import Complete, Fail, Park, Release, decide

RESULT = ExtractionResult(kind="page_content", data={"text": "x"}, provenance={}, engine="e")


def test_a_result_completes_the_job() -> None:
    assert decide(RESULT, attempts=1, max_attempts=3) == Complete(RESULT)


@pytest.mark.parametrize(
    ("category", "decision"),
    [
        (ErrorCategory.TIER_UNAVAILABLE, Park),
        (ErrorCategory.TRANSIENT, Release),
        (ErrorCategory.PAGE_ERROR, Fail),
        (ErrorCategory.INTERNAL, Fail),
        (ErrorCategory.INVALID_OPTIONS, Fail),
    ],
)
def test_pipeline_errors_park_release_or_fail_whatever_the_attempts(
    category: ErrorCategory, decision: type
) -> None:
    error = PipelineError(category, "m")
    for attempts in (1, 3, 9):
        decided = decide(error, attempts=attempts, max_attempts=3)
        assert type(decided) is decision
        assert not isinstance(decided, Complete) and decided.error is error


@pytest.mark.parametrize(
    "category", [ErrorCategory.CRASHED, ErrorCategory.TIMEOUT, ErrorCategory.TOO_LARGE]
)
def test_an_isolation_outcome_is_retried_below_max_attempts_then_fails(
    category: ErrorCategory,
) -> None:
    outcome = IsolationError(category, "the child died")
    assert [type(decide(outcome, attempts=n, max_attempts=3)) for n in (1, 2, 3, 4)] == [
        Release,
        Release,
        Fail,
        Fail,
    ]
