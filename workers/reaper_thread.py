"""The reaper's thread in a long-lived worker: sweeps (`workers.reaper.reap_once`) every
interval, with the broker's memory probed first, and survives any failure of a sweep. Kept
apart from the sweep so that a one-shot embedded run imports no broker client."""

import logging
import threading
from collections.abc import Callable

from kombu.exceptions import KombuError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from workers.broker_memory import BrokerMemory
from workers.context import WorkerContext
from workers.reaper import reap_once

__all__ = ["UNREACHABLE", "ReaperThread", "sweep_surviving"]

logger = logging.getLogger(__name__)

UNREACHABLE = (SQLAlchemyError, RedisError, KombuError, OSError)
"""A database or broker outage: logged in one line, not with a traceback every sweep."""


def sweep_surviving(sweep: Callable[[WorkerContext], object], context: WorkerContext) -> bool:
    """Run one sweep; any exception (database, broker, a bug) is logged and the reaper goes on.

    Returns whether the sweep completed."""
    try:
        sweep(context)
    except UNREACHABLE as exc:
        logger.warning(
            "reaper sweep failed (database or broker unreachable), will retry: %s: %s",
            type(exc).__name__,
            exc,
        )
    except Exception:
        logger.exception("reaper sweep failed, will retry")
    else:
        return True
    return False


class ReaperThread(threading.Thread):
    """Sweeps every `reaper_interval_seconds` until stopped; every worker runs one."""

    def __init__(
        self, context: WorkerContext, sweep: Callable[[WorkerContext], object] | None = None
    ) -> None:
        super().__init__(name="greenhouse-reaper", daemon=True)
        self._context = context
        self._sweep = sweep or self._sweep_with_broker
        broker_url = context.settings.broker_url
        self._broker = BrokerMemory(broker_url) if broker_url and sweep is None else None
        self._stop_event = threading.Event()

    def _sweep_with_broker(self, context: WorkerContext) -> None:
        reap_once(context, self._broker)

    def start(self) -> None:
        """Sweep once now, before the worker takes work (a broker that lost its data is noticed
        before new messages arrive), then every interval in the thread."""
        sweep_surviving(self._sweep, self._context)
        super().start()

    def run(self) -> None:
        interval = self._context.settings.reaper_interval_seconds
        while not self._stop_event.wait(interval):
            sweep_surviving(self._sweep, self._context)
        if self._broker is not None:
            self._broker.close()

    def stop(self) -> None:
        """Ask the thread to finish after its current sweep."""
        self._stop_event.set()
