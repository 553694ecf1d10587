"""Retry transient failures with exponential backoff and jitter; detect a server that stays down.

Transient failures (`TransientVlmError`) are not attempts: the same request is sent again
after `min(max_delay, base_delay * 2**(n-1))`, half of it fixed and half random ("equal
jitter"), and never sooner than a Retry-After header asks. Once failures have lasted
`unavailable_after` seconds (and at least `min_failures` of them), each further failure checks
`GET /health`: a server that is not healthy raises `TierUnavailableError` (the worker parks the
job as `waiting`); a healthy one that keeps refusing (overloaded) is retried until
`give_up_after`, then the last `TransientVlmError` propagates for the task queue to retry.
Sleep, clock and randomness are injected so tests run instantly.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pipeline.model.errors import TierUnavailableError, TransientVlmError

__all__ = ["Retried", "RetryPolicy", "TransientRetrier"]

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff and patience for transient failures (seconds)."""

    base_delay: float = 0.5
    max_delay: float = 30.0
    unavailable_after: float = 300.0
    min_failures: int = 3
    give_up_after: float = 1800.0

    def __post_init__(self) -> None:
        if self.base_delay <= 0 or self.max_delay < self.base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")
        if self.min_failures < 1 or self.give_up_after < self.unavailable_after:
            raise ValueError("need min_failures >= 1 and give_up_after >= unavailable_after")

    def delay(self, failures: int, rand: float, retry_after: float | None = None) -> float:
        """Seconds to wait after the `failures`-th consecutive failure; `rand` is in [0, 1)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** min(failures - 1, 32))
        wait = ceiling / 2 + rand * ceiling / 2
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


@dataclass(frozen=True)
class Retried(Generic[T]):
    """A result and how many transient failures preceded it."""

    value: T
    transient_failures: int


class TransientRetrier:
    """Calls a function until it stops raising TransientVlmError, within the policy's patience."""

    def __init__(
        self,
        policy: RetryPolicy,
        health: Callable[[], bool],
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.policy = policy
        self._health = health
        self._sleep = sleep
        self._clock = clock
        self._rand = rand

    def call(self, function: Callable[[], T]) -> Retried[T]:
        """`function()`, retried on transient failures; may raise TierUnavailableError."""
        failures = 0
        first_failure = 0.0
        while True:
            try:
                return Retried(function(), failures)
            except TransientVlmError as exc:
                now = self._clock()
                if failures == 0:
                    first_failure = now
                failures += 1
                self._check_patience(exc, failures, now - first_failure)
                self._sleep(self.policy.delay(failures, self._rand(), exc.retry_after))

    def _check_patience(self, error: TransientVlmError, failures: int, elapsed: float) -> None:
        policy = self.policy
        if failures < policy.min_failures or elapsed < policy.unavailable_after:
            return
        if not self._health():
            raise TierUnavailableError(
                f"the server is down: {failures} failures over {elapsed:.0f} s and "
                f"/health is not OK; last error: {error.message}"
            ) from error
        if elapsed >= policy.give_up_after:
            raise error
