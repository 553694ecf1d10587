"""What the broker may have lost: its whole data, or the sends made while it was unreachable.

A marker key lives in the broker's database with no expiry. When a reaper finds it missing,
every message sent before that moment is gone with it: the reaper that re-creates the marker
(SET NX: exactly one does) re-sends all queued work at once instead of waiting out the
visibility window. A broker that keeps its data (AOF/RDB) keeps the marker.

The same probe, made every sweep, tells when the broker was unreachable: sends stamped from
shortly before the last good probe until the first good one after it may have failed, and are
re-sent when the broker answers again.

The Redis client is imported when a BrokerMemory is made, so that a run without a broker (the
embedded `greenhouse ingest`, which imports the reaper's sweep) does not load it.
"""

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.types import utcnow

MARKER_KEY = "greenhouse:broker-marker"
TIMEOUT_SECONDS = 5.0
SEND_MARGIN = timedelta(seconds=10)
"""A send is stamped just before it is made and retried briefly: work stamped this long before
the last good probe may still have been sent after the broker went away."""


@dataclass(frozen=True)
class BrokerCheck:
    """The broker lost its data (re-send everything queued), or it was unreachable and sends
    stamped since `resend_sent_since` may have failed (None: nothing to re-send)."""

    lost_data: bool
    resend_sent_since: datetime | None


class BrokerMemory:
    """Probes the Redis broker once per sweep; see the module docstring."""

    def __init__(self, broker_url: str, clock: Callable[[], datetime] = utcnow) -> None:
        import redis

        self._client: redis.Redis = redis.Redis.from_url(
            broker_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        self._clock = clock
        self._last_reachable: datetime | None = None
        self._unreachable = False

    def check(self) -> BrokerCheck:
        """Probe the broker; raises the client's error while it is unreachable."""
        from redis.exceptions import RedisError

        marker = f"{socket.gethostname()} {time.time():.3f}"
        try:
            created = bool(self._client.set(MARKER_KEY, marker, nx=True))
        except RedisError:
            self._unreachable = True
            raise
        resend_since = None
        if self._unreachable and self._last_reachable is not None:
            resend_since = self._last_reachable - SEND_MARGIN
        self._unreachable = False
        self._last_reachable = self._clock()
        return BrokerCheck(lost_data=created, resend_sent_since=resend_since)

    def close(self) -> None:
        self._client.close()
