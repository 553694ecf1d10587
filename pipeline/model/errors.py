"""Errors of the model tiers, each a ModelError (a PipelineError) with the category a worker
stores.

* `TransientVlmError`: retry later (429, 503, other 5xx but 501, connection refused or reset,
  timeouts, a dropped connection). The engine backs off and retries it without counting an
  attempt; it only escapes when a healthy server keeps refusing for too long.
* `VlmRequestRejectedError`: the server refused the request for good (4xx but 408/429, 501):
  the job fails with vLLM's message.
* `UnsupportedSchemaError`: the schema is outside what xgrammar enforces; found before sending.
* `TierUnavailableError`: the server stayed down beyond the configured window; the worker parks
  the job as `waiting`.
"""

from collections.abc import Sequence

from pipeline.errors import ModelError
from schemas.enums import ErrorCategory
from schemas.json_schema_subset import SchemaProblem

__all__ = [
    "REJECTED_CATEGORY",
    "TierUnavailableError",
    "TransientVlmError",
    "UnsupportedSchemaError",
    "VlmRequestRejectedError",
]

REJECTED_CATEGORY = ErrorCategory.MODEL_REJECTED
"""Category of a request the server refused for good (no dedicated category exists yet)."""


class TransientVlmError(ModelError):
    """A failure that should go away by itself: retry with backoff."""

    def __init__(
        self, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(ErrorCategory.TRANSIENT, message)
        self.status = status
        self.retry_after = retry_after


class VlmRequestRejectedError(ModelError):
    """The server answered 4xx (not 408/429) or 501: retrying the same request cannot help."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(REJECTED_CATEGORY, f"vLLM rejected the request ({status}): {message}")
        self.status = status
        self.server_message = message


class UnsupportedSchemaError(ModelError):
    """The JSON schema is invalid or uses features xgrammar does not enforce."""

    def __init__(self, problems: Sequence[SchemaProblem | str]) -> None:
        self.problems = [str(problem) for problem in problems]
        super().__init__(
            ErrorCategory.INVALID_OPTIONS,
            "the JSON schema cannot be sent: " + "; ".join(self.problems),
        )


class TierUnavailableError(ModelError):
    """The tier's server stayed unreachable or unhealthy beyond the configured window."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCategory.TIER_UNAVAILABLE, message)
