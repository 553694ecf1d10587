"""Backoff with jitter and patience for transient failures, on an injected clock."""

import pytest

from pipeline.model.errors import TierUnavailableError, TransientVlmError
from pipeline.model.retry import RetryPolicy, TransientRetrier
from schemas.enums import ErrorCategory


class FakeTime:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


def failing(times, error=None):
    calls = {"n": 0}

    def function():
        calls["n"] += 1
        if calls["n"] <= times:
            raise error or TransientVlmError("HTTP 503: busy", status=503)
        return "ok"

    return function, calls


def test_delays_grow_exponentially_with_jitter_up_to_the_cap():
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    assert [policy.delay(n, 0.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert [policy.delay(n, 0.999) for n in range(1, 6)] == pytest.approx(
        [1.0, 2.0, 4.0, 8.0, 10.0], abs=0.01
    )
    assert policy.delay(1000, 0.5) == 7.5


def test_retry_after_is_a_floor_capped_at_max_delay():
    policy = RetryPolicy(base_delay=1.0, max_delay=10.0)
    assert policy.delay(1, 0.0, retry_after=3.0) == 3.0
    assert policy.delay(1, 0.0, retry_after=300.0) == 10.0
    assert policy.delay(4, 0.0, retry_after=0.1) == 4.0


def test_transient_failures_are_retried_and_counted():
    fake = FakeTime()
    retrier = TransientRetrier(RetryPolicy(), lambda: True, fake.sleep, fake.clock, lambda: 0.5)
    function, calls = failing(4)
    result = retrier.call(function)
    assert (result.value, result.transient_failures, calls["n"]) == ("ok", 4, 5)
    assert fake.sleeps == [0.375, 0.75, 1.5, 3.0]


def test_other_errors_propagate_at_once():
    fake = FakeTime()
    retrier = TransientRetrier(RetryPolicy(), lambda: True, fake.sleep, fake.clock)
    function, calls = failing(1, ValueError("bug"))
    with pytest.raises(ValueError, match="bug"):
        retrier.call(function)
    assert calls["n"] == 1


def test_a_server_down_beyond_the_window_is_unavailable():
    fake = FakeTime()
    health_checks = []

    def health():
        health_checks.append(fake.now)
        return False

    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, unavailable_after=60.0, min_failures=3)
    retrier = TransientRetrier(policy, health, fake.sleep, fake.clock, lambda: 0.5)
    function, _ = failing(10_000, TransientVlmError("ConnectError: refused"))
    with pytest.raises(TierUnavailableError) as caught:
        retrier.call(function)
    assert caught.value.category is ErrorCategory.TIER_UNAVAILABLE
    assert "ConnectError: refused" in caught.value.message
    assert len(health_checks) == 1
    assert 60.0 <= health_checks[0] < 70.0


def test_min_failures_keeps_one_slow_failure_from_parking_the_job():
    fake = FakeTime()
    policy = RetryPolicy(unavailable_after=1.0, min_failures=3)
    checks: list[float] = []

    def health():
        checks.append(fake.now)
        return False

    retrier = TransientRetrier(policy, health, fake.sleep, fake.clock)
    function, _ = failing(2)
    assert retrier.call(function).value == "ok"
    assert checks == []


def test_a_healthy_but_overloaded_server_is_retried_until_give_up():
    fake = FakeTime()
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0, unavailable_after=10.0, give_up_after=30.0)
    retrier = TransientRetrier(policy, lambda: True, fake.sleep, fake.clock, lambda: 0.0)
    function, _ = failing(10_000)
    with pytest.raises(TransientVlmError) as caught:
        retrier.call(function)
    assert caught.value.status == 503
    assert 30.0 <= fake.now < 40.0


def test_a_server_that_comes_back_within_the_window_is_fine():
    fake = FakeTime()
    policy = RetryPolicy(base_delay=1.0, max_delay=4.0, unavailable_after=10.0)
    retrier = TransientRetrier(policy, lambda: False, fake.sleep, fake.clock, lambda: 0.0)
    function, _ = failing(4)
    assert retrier.call(function).transient_failures == 4
    assert fake.now < policy.unavailable_after


def test_policy_is_validated():
    with pytest.raises(ValueError, match="base_delay"):
        RetryPolicy(base_delay=0)
    with pytest.raises(ValueError, match="give_up_after"):
        RetryPolicy(unavailable_after=100, give_up_after=10)
