"""The reaper thread outlives any exception of a sweep: it logs it and sweeps again."""

import logging
import threading
from typing import Any, cast

import pytest

from schemas.settings import Settings
from workers.context import WorkerContext
from workers.reaper import resend_after_seconds
from workers.reaper_thread import ReaperThread


class FlakySweep:
    """Fails with a broker error, then a bug, then succeeds from the third sweep on."""

    def __init__(self) -> None:
        self.calls = 0
        self.succeeded = threading.Event()

    def __call__(self, context: WorkerContext) -> None:
        del context
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6397. Connection refused.")
        if self.calls == 2:
            raise AttributeError("'NoneType' object has no attribute 'hostname'")
        if self.calls >= 4:
            self.succeeded.set()


def test_the_reaper_logs_any_exception_and_sweeps_again(caplog: pytest.LogCaptureFixture) -> None:
    context = cast(Any, type("Context", (), {}))()
    context.settings = Settings(reaper_interval_seconds=0.01)
    sweep = FlakySweep()
    reaper = ReaperThread(context, sweep)
    with caplog.at_level(logging.WARNING, logger="workers.reaper_thread"):
        reaper.start()
        assert sweep.succeeded.wait(10)
        reaper.stop()
        reaper.join(5)
    assert not reaper.is_alive()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[:2] == [
        "reaper sweep failed (database or broker unreachable), will retry: ConnectionError: "
        "Error 111 connecting to 127.0.0.1:6397. Connection refused.",
        "reaper sweep failed, will retry",
    ]
    (bug,) = [r for r in caplog.records if r.exc_info]  # an unexpected error: with traceback
    assert isinstance(bug.exc_info[1], AttributeError) if bug.exc_info else False


def test_lost_work_is_resent_after_the_visibility_window_and_the_stale_interval() -> None:
    distributed = Settings(
        broker_url="redis://broker", broker_visibility_timeout=3600, stale_queued_seconds=900
    )
    assert resend_after_seconds(distributed) == 4500
    assert resend_after_seconds(Settings(broker_url=None, stale_queued_seconds=900)) == 900
