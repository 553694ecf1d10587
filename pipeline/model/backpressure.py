"""A per-process limit on requests in flight to one tier's server, adapted to the server's load.

The limit (the window) never exceeds the configured cap; without a metrics source it is the
cap. With one it follows an AIMD law driven by vLLM's `GET /metrics`, read at most once per
`poll_interval` by whichever request thread comes along (no background thread):

* shrink (x `decrease_factor`) when more than `waiting_high` requests wait in the server's
  queue, or on a 503 admission rejection (`report_overload`), at most once per
  `decrease_cooldown`;
* hold when the KV cache is at least `kv_cache_high` full and a queue has formed: the server is
  memory-bound, more requests would only wait (a full KV cache alone is not overload: a
  saturated server is supposed to use it);
* otherwise grow when the window was actually used since the last poll: doubling until the
  first shrink (slow start), then `increase_step` per poll.

A few waiting requests are wanted: they are ready to be scheduled the moment a running one
ends, so the GPU never idles while a client prepares its next request.
"""

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = [
    "KV_CACHE_METRICS",
    "RUNNING_METRIC",
    "WAITING_METRIC",
    "BackpressureConfig",
    "InFlightLimiter",
    "ServerLoad",
    "parse_prometheus",
    "server_load",
]

WAITING_METRIC = "vllm:num_requests_waiting"
RUNNING_METRIC = "vllm:num_requests_running"
KV_CACHE_METRICS = ("vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc")
"""The KV-cache gauge; older vLLM releases named it `gpu_cache_usage_perc`."""


@dataclass(frozen=True)
class BackpressureConfig:
    """How the window adapts; `initial_in_flight` None starts at the cap."""

    min_in_flight: int = 1
    initial_in_flight: int | None = None
    poll_interval: float = 2.0
    waiting_high: float = 4.0
    kv_cache_high: float = 0.9
    decrease_factor: float = 0.7
    increase_step: int = 1
    decrease_cooldown: float | None = None
    """Seconds between two decreases; None means `poll_interval`."""

    def __post_init__(self) -> None:
        if self.min_in_flight < 1 or self.increase_step < 1:
            raise ValueError("min_in_flight and increase_step must be at least 1")
        if not 0 < self.decrease_factor < 1:
            raise ValueError("decrease_factor must be in (0, 1)")
        if self.poll_interval <= 0 or self.waiting_high < 0:
            raise ValueError("poll_interval must be positive and waiting_high not negative")


@dataclass(frozen=True)
class ServerLoad:
    """What /metrics said: totals over all engines (KV usage: the fullest engine)."""

    running: float | None = None
    waiting: float | None = None
    kv_cache_usage: float | None = None


def parse_prometheus(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples of a Prometheus text exposition: name -> [(labels, value)]; bad lines skipped."""
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parsed = _parse_sample(line)
        if parsed is not None:
            name, labels, value = parsed
            samples.setdefault(name, []).append((labels, value))
    return samples


def server_load(text: str) -> ServerLoad:
    """The load gauges of a vLLM /metrics page (None where a gauge is missing)."""
    samples = parse_prometheus(text)

    def values(name: str) -> list[float]:
        return [value for _, value in samples.get(name, []) if math.isfinite(value)]

    running, waiting = values(RUNNING_METRIC), values(WAITING_METRIC)
    kv = next((v for name in KV_CACHE_METRICS if (v := values(name))), [])
    return ServerLoad(
        running=sum(running) if running else None,
        waiting=sum(waiting) if waiting else None,
        kv_cache_usage=max(kv) if kv else None,
    )


class InFlightLimiter:
    """Counts requests in flight against an adaptive window; safe to share between threads."""

    def __init__(
        self,
        max_in_flight: int,
        config: BackpressureConfig | None = None,
        metrics: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config = config or BackpressureConfig()
        if max_in_flight < config.min_in_flight:
            raise ValueError("max_in_flight must be at least min_in_flight")
        self.max_in_flight = max_in_flight
        self._metrics = metrics
        self._clock = clock
        self._cooldown = (
            config.poll_interval if config.decrease_cooldown is None else config.decrease_cooldown
        )
        initial = config.initial_in_flight or max_in_flight
        self._limit = max(config.min_in_flight, min(max_in_flight, initial))
        self._in_flight = 0
        self._used = False
        self._slow_start = True
        self._polling = False
        self._next_poll = clock()
        self._last_decrease = -math.inf
        self.last_load: ServerLoad | None = None
        self.poll_failures = 0
        self._cond = threading.Condition()

    @property
    def limit(self) -> int:
        with self._cond:
            return self._limit

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._in_flight

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting while the window is full; False if `timeout` passed first."""
        self._maybe_poll()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._in_flight >= self._limit:
                self._used = True
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            self._in_flight += 1
            if self._in_flight >= self._limit:
                self._used = True
            return True

    def release(self) -> None:
        """Give a slot back."""
        with self._cond:
            if self._in_flight <= 0:
                raise RuntimeError("release() without acquire()")
            self._in_flight -= 1
            self._cond.notify()

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the block."""
        self.acquire()
        try:
            yield
        finally:
            self.release()

    def report_overload(self) -> None:
        """The server rejected a request (503): shrink, unless it shrank very recently.

        Without a metrics source the window is fixed (nothing would ever grow it back).
        """
        if self._metrics is None:
            return
        with self._cond:
            self._decrease()

    def observe(self, load: ServerLoad) -> None:
        """Adapt the window to one reading of the server's load (what a poll does)."""
        config = self.config
        with self._cond:
            self.last_load = load
            waiting = load.waiting or 0.0
            kv = load.kv_cache_usage or 0.0
            if waiting > config.waiting_high:
                self._decrease()
            elif kv >= config.kv_cache_high and waiting > 0:
                pass
            elif self._used:
                step = self._limit if self._slow_start else config.increase_step
                self._set_limit(self._limit + step)
            self._used = self._in_flight >= self._limit

    def _decrease(self) -> None:
        now = self._clock()
        if now - self._last_decrease < self._cooldown:
            return
        self._last_decrease = now
        self._slow_start = False
        self._set_limit(math.floor(self._limit * self.config.decrease_factor))

    def _set_limit(self, limit: int) -> None:
        self._limit = max(self.config.min_in_flight, min(self.max_in_flight, limit))
        self._cond.notify_all()

    def _maybe_poll(self) -> None:
        if self._metrics is None:
            return
        with self._cond:
            now = self._clock()
            if self._polling or now < self._next_poll:
                return
            self._polling = True
            self._next_poll = now + self.config.poll_interval
        try:
            load = server_load(self._metrics())
        except Exception:  # a failed poll keeps the window as it is
            with self._cond:
                self.poll_failures += 1
            return
        finally:
            with self._cond:
                self._polling = False
        self.observe(load)


def _parse_sample(line: str) -> tuple[str, dict[str, str], float] | None:
    """`name{a="x",b="y"} value [timestamp]` -> (name, labels, value)."""
    brace = line.find("{")
    space = line.find(" ")
    labels: dict[str, str] = {}
    if brace != -1 and (space == -1 or brace < space):
        name = line[:brace]
        parsed = _parse_labels(line, brace + 1)
        if parsed is None:
            return None
        labels, end = parsed
        rest = line[end:].split()
    else:
        name, *rest = line.split()
    if not name or not rest:
        return None
    try:
        return name, labels, float(rest[0])
    except ValueError:
        return None


def _parse_labels(line: str, start: int) -> tuple[dict[str, str], int] | None:
    """Labels from just after `{`; returns them and the index after `}`."""
    labels: dict[str, str] = {}
    index = start
    while index < len(line):
        while index < len(line) and line[index] in " ,":
            index += 1
        if index < len(line) and line[index] == "}":
            return labels, index + 1
        equals = line.find("=", index)
        if equals == -1 or equals + 1 >= len(line) or line[equals + 1] != '"':
            return None
        key = line[index:equals].strip()
        value, index = _parse_quoted(line, equals + 2)
        if index < 0:
            return None
        labels[key] = value
    return None


def _parse_quoted(line: str, index: int) -> tuple[str, int]:
    """A label value from after its opening quote; (-1) as the index when unterminated."""
    chars: list[str] = []
    escapes = {"n": "\n", '"': '"', "\\": "\\"}
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line):
            chars.append(escapes.get(line[index + 1], "\\" + line[index + 1]))
            index += 2
        elif char == '"':
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    return "", -1
