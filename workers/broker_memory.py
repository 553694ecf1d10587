"""Noticing a broker that lost its data (Redis restarted without persistence, or flushed).

A marker key lives in the broker's database with no expiry. When a reaper finds it missing,
every message sent before that moment is gone with it: the reaper that re-creates the marker
(SET NX: exactly one does) re-sends all queued work at once instead of waiting out the
visibility window. A broker that keeps its data (AOF/RDB) keeps the marker, and nothing happens.
"""

import socket
import time

import redis

MARKER_KEY = "greenhouse:broker-marker"
TIMEOUT_SECONDS = 5.0


class BrokerMemory:
    """Asks the Redis broker whether it still holds what it was sent."""

    def __init__(self, broker_url: str) -> None:
        self._client = redis.Redis.from_url(
            broker_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )

    def lost_its_data(self) -> bool:
        """True exactly once per loss, for the one caller that re-created the marker (a fresh
        broker counts as a loss: messages may have been sent to one that is gone)."""
        marker = f"{socket.gethostname()} {time.time():.3f}"
        return bool(self._client.set(MARKER_KEY, marker, nx=True))

    def close(self) -> None:
        self._client.close()
