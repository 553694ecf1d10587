"""Several vLLM replicas serving one tier: the least-loaded healthy one gets each request.

`ReplicaPool` holds a `Replica` per server URL, each with its own adaptive in-flight window
(`backpressure.InFlightLimiter`, fed by that replica's `/metrics`). `acquire` takes a slot on
the healthy replica with the lowest pressure: the requests its `/metrics` reported (running +
waiting, less ours at that moment: other clients' load; scraped every `metrics_interval`, or
as often as the windows poll) plus ours in flight now, over its window; ties go to the emptier
KV cache, then to the lower index. While every healthy replica's window is full the caller waits.

A refused or timed-out connection or a failed `/health` check drains a replica at once; other
transient failures (a 5xx, a dropped connection) after `drain_after` in a row. A draining
replica gets no requests while a healthy one exists; its `/health` is checked again after
`recheck_after` seconds (doubling up to `max_recheck_after` while it stays down) and a 200, or
any answer to a request, brings it back. With no healthy replica a request still goes to the
one that failed longest ago: with a single replica this is what a single-server client does,
and the engine's retry policy decides when the tier is unavailable. Scrapes and re-checks run
outside the pool's lock, on short-lived daemon threads (`spawn`, injectable so tests decide
exactly).
"""

import functools
import math
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from pipeline.model.backpressure import BackpressureConfig, InFlightLimiter, ServerLoad, server_load

__all__ = ["Replica", "ReplicaPolicy", "ReplicaPool", "Spawn"]

Spawn = Callable[[Callable[[], None]], None]


def _daemon(task: Callable[[], None]) -> None:
    threading.Thread(target=task, daemon=True).start()


@dataclass(frozen=True)
class ReplicaPolicy:
    """How replicas are watched (seconds)."""

    metrics_interval: float = 1.0
    drain_after: int = 3
    """Transient failures in a row (5xx, dropped connections) that drain a replica."""
    recheck_after: float = 2.0
    max_recheck_after: float = 30.0
    slot_wait: float = 0.1
    """How long a caller waits for a released slot before looking at every replica again."""

    def __post_init__(self) -> None:
        if self.metrics_interval <= 0 or self.slot_wait <= 0 or self.drain_after < 1:
            raise ValueError("metrics_interval and slot_wait must be positive, drain_after >= 1")
        if not 0 < self.recheck_after <= self.max_recheck_after:
            raise ValueError("need 0 < recheck_after <= max_recheck_after")

    def recheck_delay(self, drains: int) -> float:
        """Seconds before the `drains`-th consecutive drain's /health re-check."""
        return min(self.max_recheck_after, self.recheck_after * 2.0 ** min(drains - 1, 32))


class Replica:
    """One server of a tier: its window, health and last known load (guarded by the pool)."""

    def __init__(
        self,
        index: int,
        url: str,
        max_in_flight: int,
        backpressure: BackpressureConfig | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.index = index
        self.url = url
        metrics = self.cached_metrics if backpressure is not None else None
        self.limiter = InFlightLimiter(max_in_flight, backpressure, metrics, clock)
        self.draining = False
        self.failures = 0
        """Transient failures since the last answer."""
        self.drains = 0
        """Drains and failed re-checks since the last answer (the re-check backoff)."""
        self.last_failure = -math.inf
        self.next_check = math.inf
        self.checking = False
        self.next_scrape = -math.inf
        self.scraping = False
        self.load: ServerLoad | None = None
        self.metrics_text: str | None = None
        self.own_at_scrape = 0
        self.answered = 0
        self.failed = 0

    def cached_metrics(self) -> str:
        """The last /metrics text scraped (the window's metrics source: no I/O)."""
        if self.metrics_text is None:
            raise LookupError(f"no /metrics from {self.url} yet")
        return self.metrics_text

    def pressure(self) -> float:
        """Requests at the server (other clients' as last scraped, ours now) over the window."""
        others = 0.0
        if self.load is not None:
            seen = (self.load.running or 0.0) + (self.load.waiting or 0.0)
            others = max(0.0, seen - self.own_at_scrape)
        return (others + self.limiter.in_flight) / self.limiter.limit

    def rank(self) -> tuple[float, float, int]:
        kv = self.load.kv_cache_usage if self.load is not None else None
        return self.pressure(), kv or 0.0, self.index


class ReplicaPool:
    """Chooses, for each request, a replica and a slot on it; safe to share between threads."""

    def __init__(
        self,
        urls: Sequence[str],
        max_in_flight: int,
        backpressure: BackpressureConfig | None,
        probe: Callable[[str], bool],
        scrape: Callable[[str], str],
        policy: ReplicaPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        spawn: Spawn = _daemon,
    ) -> None:
        if not urls or len(set(urls)) != len(urls):
            raise ValueError("need at least one replica URL, each once")
        self.policy = policy or ReplicaPolicy()
        self.replicas = tuple(
            Replica(index, url, max_in_flight, backpressure, clock)
            for index, url in enumerate(urls)
        )
        self._probe = probe
        self._scrape = scrape
        self._clock = clock
        self._spawn = spawn
        self._scrape_every = self.policy.metrics_interval
        if backpressure is not None:  # the windows read the scrapes: as fresh as they poll
            self._scrape_every = min(self._scrape_every, backpressure.poll_interval)
        self._cond = threading.Condition()

    def acquire(self, exclude: Collection[Replica] = ()) -> Replica | None:
        """A slot on the best replica outside `exclude`, waiting while their windows are full.

        None when none may be tried: `exclude` holds every healthy replica (a request that
        failed on each gives up rather than trying the draining ones).
        """
        while True:
            self._refresh()
            with self._cond:
                choices = self._choices(exclude)
                if not choices:
                    return None
                for replica in choices:
                    if replica.limiter.acquire(timeout=0):
                        return replica
                self._cond.wait(self.policy.slot_wait)

    def release(self, replica: Replica) -> None:
        """Give back the slot `acquire` took."""
        replica.limiter.release()
        with self._cond:
            self._cond.notify_all()

    def report_answer(self, replica: Replica) -> None:
        """The replica answered (any HTTP answer but a transient failure): it is up."""
        with self._cond:
            replica.answered += 1
            replica.failures = replica.drains = 0
            if replica.draining:
                self._restore(replica)

    def report_failure(self, replica: Replica, *, connect: bool) -> None:
        """A transient failure; `connect`: the connection itself was refused or timed out."""
        with self._cond:
            replica.failed += 1
            replica.failures += 1
            replica.last_failure = self._clock()
            if not replica.draining and (connect or replica.failures >= self.policy.drain_after):
                self._drain(replica)

    def check(self, replica: Replica) -> bool:
        """Probe the replica's /health now (blocking) and drain or restore it accordingly."""
        healthy = self._probe(replica.url)
        with self._cond:
            if healthy and replica.draining:
                self._restore(replica)
            elif not healthy and not replica.draining:
                replica.last_failure = self._clock()
                self._drain(replica)
        return healthy

    def _choices(self, exclude: Collection[Replica]) -> list[Replica]:
        allowed = [replica for replica in self.replicas if replica not in exclude]
        healthy = [replica for replica in allowed if not replica.draining]
        if healthy:
            return sorted(healthy, key=Replica.rank)
        if exclude or not allowed:
            return []
        return [min(allowed, key=lambda replica: (replica.last_failure, replica.index))]

    def _drain(self, replica: Replica) -> None:
        replica.draining = True
        replica.drains += 1
        replica.next_check = self._clock() + self.policy.recheck_delay(replica.drains)
        replica.load = replica.metrics_text = None

    def _restore(self, replica: Replica) -> None:
        replica.draining = False
        replica.failures = 0
        replica.next_check = math.inf
        replica.next_scrape = -math.inf
        self._cond.notify_all()

    def _refresh(self) -> None:
        """Start the scrapes and re-checks that are due (outside the lock)."""
        now = self._clock()
        tasks: list[Callable[[], None]] = []
        with self._cond:
            for replica in self.replicas:
                if replica.draining and not replica.checking and now >= replica.next_check:
                    replica.checking = True
                    tasks.append(functools.partial(self._recheck, replica))
                elif not replica.draining and not replica.scraping and now >= replica.next_scrape:
                    replica.scraping = True
                    replica.next_scrape = now + self._scrape_every
                    tasks.append(functools.partial(self._read_metrics, replica))
        for task in tasks:
            self._spawn(task)

    def _recheck(self, replica: Replica) -> None:
        healthy = self._probe(replica.url)
        with self._cond:
            replica.checking = False
            if not replica.draining:
                return
            if healthy:
                self._restore(replica)
            else:
                replica.drains += 1
                replica.next_check = self._clock() + self.policy.recheck_delay(replica.drains)

    def _read_metrics(self, replica: Replica) -> None:
        own = replica.limiter.in_flight
        try:
            text: str | None = self._scrape(replica.url)
            load = server_load(text or "")
        except Exception:  # a failed scrape forgets the load; requests decide health
            text, load = None, None
        with self._cond:
            replica.scraping = False
            if not replica.draining:
                replica.metrics_text, replica.load, replica.own_at_scrape = text, load, own
