"""Progress on stderr: a bar redrawn in place on a terminal, plain lines otherwise (logs, CI,
pipes), so a long embedded run shows it is moving wherever its output goes."""

import sys
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30
BAR_REDRAW_SECONDS = 0.1
LINE_SECONDS = 1.0
LINE_STEPS = 10
"""Plain lines: at most one a second, or one for each further tenth of the total."""


class ProgressBar:
    """Shows `done/total`: redrawn in place at most ten times a second on a terminal; else a
    plain line (`line` formatted with `done` and `total`) at most once a second or on each new
    tenth of the total. The final count is always shown, and a count is never repeated."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        *,
        unit: str = "jobs",
        line: str = "jobs {done}/{total} done",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._label = label
        self._clock = clock
        self._unit = unit
        self._line = line
        self._stream = stream or sys.stderr
        self._terminal = self._stream.isatty()
        self._started = clock()
        self._last_shown = 0.0
        self._last_counts: tuple[int, int] | None = None

    def update(self, done: int, total: int) -> None:
        """Show progress, if it is time to."""
        if total <= 0 or (done, total) == self._last_counts:
            return
        now = self._clock()
        final = done >= total
        if self._terminal:
            if final or now - self._last_shown >= BAR_REDRAW_SECONDS:
                self._draw_bar(done, total, now)
        elif final or self._line_due(done, total, now):
            self._stream.write(self._line.format(done=done, total=total) + "\n")
        else:
            return
        self._stream.flush()
        self._last_shown = now
        self._last_counts = (done, total)

    def _line_due(self, done: int, total: int, now: float) -> bool:
        if self._last_counts is None or now - self._last_shown >= LINE_SECONDS:
            return True
        last_done, last_total = self._last_counts
        return done * LINE_STEPS // total > last_done * LINE_STEPS // last_total

    def _draw_bar(self, done: int, total: int, now: float) -> None:
        filled = int(BAR_WIDTH * done / total)
        rate = done / max(now - self._started, 1e-9)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self._stream.write(f"\r{self._label} [{bar}] {done}/{total} {self._unit}  {rate:.1f}/s")
        if done >= total:
            self._stream.write("\n")


class DrainDisplay:
    """The progress of an embedded run: documents chunked, then jobs done."""

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._documents = ProgressBar(
            "chunking",
            stream,
            unit="documents",
            line="chunked {done}/{total} documents",
            clock=clock,
        )
        self._jobs = ProgressBar("ingest", stream, clock=clock)

    def documents(self, done: int, total: int) -> None:
        self._documents.update(done, total)

    def jobs(self, done: int, total: int) -> None:
        self._jobs.update(done, total)
