"""The attempt policy of a model-tier job: retry, raise the temperature, raise the budget, give up.

An attempt is one answer from the server. A failed attempt (see `pipeline.model.answers`:
`finish_reason` not `stop`, padding, repetition, invalid JSON, schema violation) is retried at
the next temperature of `temperature_steps` (added to the client's base temperature); when those
are used up, the image is re-rendered at the next budget up through the caller's `render`
callback and tried with `escalated_temperature_steps`, `budget_escalations` times; then the
engine gives up and the outcome says to fall back to the local tier. Transient failures (503,
dropped connections...) are retried inside an attempt by `pipeline.model.retry` and never count.

Permanent errors propagate: `UnsupportedSchemaError` (checked before anything is rendered or
sent), `VlmRequestRejectedError`; so does `TierUnavailableError` (park the job as waiting).
The engine keeps no state between calls: one instance serves all of a worker's threads.
"""

import functools
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pipeline.model.answers import FailureKind, check_answer
from pipeline.model.client import (
    ChatRequest,
    ContentPart,
    Message,
    VlmClient,
    audio_part,
    check_schema,
    image_part,
    text_part,
)
from pipeline.model.prompts import StructuredPrompt
from pipeline.model.render import RenderedImage
from pipeline.model.retry import RetryPolicy, TransientRetrier
from schemas.budget import VISUAL_BUDGETS, VisualBudget

__all__ = [
    "Attempt",
    "AttemptPolicy",
    "AttemptStep",
    "RenderFn",
    "VlmEngine",
    "VlmOutcome",
    "attempt_plan",
]

RenderFn = Callable[[VisualBudget], RenderedImage]
"""Renders the job's page or frame at a budget's target size (see `pipeline.model.render`)."""


@dataclass(frozen=True)
class AttemptPolicy:
    """How many attempts a job gets, at which temperatures and budgets."""

    temperature_steps: tuple[float, ...] = (0.0, 0.3, 0.6)
    budget_escalations: int = 1
    escalated_temperature_steps: tuple[float, ...] = (0.0, 0.3)
    max_tokens: int | None = None
    """None: the client's `max_tokens`."""

    def __post_init__(self) -> None:
        if not self.temperature_steps:
            raise ValueError("temperature_steps must not be empty")
        steps = self.temperature_steps + self.escalated_temperature_steps
        if any(step < 0 for step in steps) or self.budget_escalations < 0:
            raise ValueError("temperature steps and budget_escalations must not be negative")


@dataclass(frozen=True)
class AttemptStep:
    """One planned attempt."""

    budget: VisualBudget | None
    temperature: float


def attempt_plan(
    policy: AttemptPolicy, base_temperature: float, budget: VisualBudget | None
) -> list[AttemptStep]:
    """Every attempt a job may take, in order (no budget escalation without a budget)."""
    steps = [AttemptStep(budget, base_temperature + t) for t in policy.temperature_steps]
    if budget is None:
        return steps
    higher = [b for b in VISUAL_BUDGETS if b > budget][: policy.budget_escalations]
    for escalated in higher:
        steps += [
            AttemptStep(escalated, base_temperature + t) for t in policy.escalated_temperature_steps
        ]
    return steps


@dataclass(frozen=True)
class Attempt:
    """What one attempt cost and how it ended (`failure` None: it succeeded)."""

    number: int
    budget: VisualBudget | None
    temperature: float
    failure: FailureKind | None
    detail: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_seconds: float
    queue_seconds: float
    transient_failures: int
    """Transient errors (503, dropped connections...) retried before this answer came,
    on the same replica later or at once on another."""
    model: str
    image_size: tuple[int, int] | None = None
    replica: str | None = None
    """The URL of the replica that answered."""

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict for the job ledger."""
        record = {name: getattr(self, name) for name in self.__dataclass_fields__}
        record["failure"] = self.failure.value if self.failure is not None else None
        record["image_size"] = list(self.image_size) if self.image_size else None
        return record


@dataclass(frozen=True)
class VlmOutcome:
    """The result of a job on a model tier: a validated value, or a fallback, with every attempt."""

    value: Any
    """The answer's JSON value, valid against the prompt's schema; None when `fell_back`."""
    attempts: tuple[Attempt, ...]

    @property
    def succeeded(self) -> bool:
        return bool(self.attempts) and self.attempts[-1].failure is None

    @property
    def fell_back(self) -> bool:
        """Every attempt failed: the caller runs the local tier and records that it did."""
        return not self.succeeded

    @property
    def budget(self) -> VisualBudget | None:
        """The budget of the last attempt."""
        return self.attempts[-1].budget if self.attempts else None

    @property
    def model(self) -> str | None:
        return self.attempts[-1].model if self.attempts else None

    @property
    def prompt_tokens(self) -> int:
        return sum(a.prompt_tokens for a in self.attempts)

    @property
    def completion_tokens(self) -> int:
        return sum(a.completion_tokens for a in self.attempts)

    @property
    def latency_seconds(self) -> float:
        return sum(a.latency_seconds for a in self.attempts)

    @property
    def transient_failures(self) -> int:
        return sum(a.transient_failures for a in self.attempts)

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready summary for the job ledger (the value itself is stored elsewhere)."""
        return {
            "fell_back": self.fell_back,
            "budget": self.budget,
            "model": self.model,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "latency_seconds": self.latency_seconds,
            "transient_failures": self.transient_failures,
            "attempts": [attempt.to_record() for attempt in self.attempts],
        }


@dataclass(frozen=True)
class _Media:
    part: ContentPart
    size: tuple[int, int] | None


class VlmEngine:
    """Runs structured-output jobs on one tier with the attempt and retry policies."""

    def __init__(
        self,
        client: VlmClient,
        policy: AttemptPolicy | None = None,
        retry: RetryPolicy | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.policy = policy or AttemptPolicy()
        self.retrier = TransientRetrier(retry or RetryPolicy(), client.health, sleep, clock, rand)

    def extract_visual(
        self, prompt: StructuredPrompt, budget: VisualBudget, render: RenderFn
    ) -> VlmOutcome:
        """Run `prompt` on the image `render` produces, escalating the budget if needed."""

        def media(step_budget: VisualBudget | None) -> _Media:
            assert step_budget is not None
            rendered = render(step_budget)
            if rendered.budget != step_budget:
                raise ValueError(f"render({step_budget}) returned a {rendered.budget} image")
            return _Media(image_part(rendered.data_url), (rendered.width, rendered.height))

        return self._run(prompt, attempt_plan(self.policy, self._base, budget), media)

    def extract_audio(self, prompt: StructuredPrompt, wav: bytes) -> VlmOutcome:
        """Run `prompt` on one WAV clip (no budget; temperatures only)."""
        part = _Media(audio_part(wav), None)
        return self._run(prompt, attempt_plan(self.policy, self._base, None), lambda _: part)

    @property
    def _base(self) -> float:
        return self.client.config.temperature

    def _run(
        self,
        prompt: StructuredPrompt,
        steps: Sequence[AttemptStep],
        media: Callable[[VisualBudget | None], _Media],
    ) -> VlmOutcome:
        check_schema(prompt.schema)
        prepared: dict[VisualBudget | None, _Media] = {}
        attempts: list[Attempt] = []
        for number, step in enumerate(steps, start=1):
            if step.budget not in prepared:
                prepared[step.budget] = media(step.budget)
            item = prepared[step.budget]
            request = ChatRequest(
                messages=_messages(prompt, item.part),
                schema=prompt.schema,
                schema_name=prompt.name,
                temperature=step.temperature,
                max_tokens=prompt.max_tokens or self.policy.max_tokens,
                max_soft_tokens=step.budget,
            )
            retried = self.retrier.call(functools.partial(self.client.complete, request))
            response = retried.value
            verdict = check_answer(
                response.content, response.finish_reason, prompt.schema, prompt.extra_check
            )
            attempts.append(
                Attempt(
                    number=number,
                    budget=step.budget,
                    temperature=step.temperature,
                    failure=verdict.failure,
                    detail=verdict.detail,
                    finish_reason=response.finish_reason,
                    prompt_tokens=response.prompt_tokens,
                    completion_tokens=response.completion_tokens,
                    latency_seconds=response.latency_seconds,
                    queue_seconds=response.queue_seconds,
                    transient_failures=retried.transient_failures + response.failovers,
                    model=response.model,
                    image_size=item.size,
                    replica=response.replica or None,
                )
            )
            if verdict.ok:
                return VlmOutcome(verdict.value, tuple(attempts))
        return VlmOutcome(None, tuple(attempts))


def _messages(prompt: StructuredPrompt, media: ContentPart) -> list[Message]:
    """System prompt, instructions and schema first, the same bytes for every request of the
    prompt (vLLM's automatic prefix caching reuses them); then the media and per-request text."""
    messages: list[Message] = []
    if prompt.system:
        messages.append({"role": "system", "content": prompt.system})
    content = [text_part(prompt.instructions), media]
    if prompt.details:
        content.append(text_part(prompt.details))
    messages.append({"role": "user", "content": content})
    return messages
