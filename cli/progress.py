"""A one-line progress bar on a terminal; silent when output is not a terminal."""

import sys
import time
from typing import TextIO

BAR_WIDTH = 30


class ProgressBar:
    """Redraws `done/total` in place on stderr at most ten times a second."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty()
        self._started = time.monotonic()
        self._last_draw = 0.0

    def update(self, done: int, total: int) -> None:
        """Show progress; the final update is always drawn."""
        if not self._enabled or total <= 0:
            return
        now = time.monotonic()
        if done < total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        filled = int(BAR_WIDTH * done / total)
        rate = done / max(now - self._started, 1e-9)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self._stream.write(f"\r{self._label} [{bar}] {done}/{total} jobs  {rate:.1f}/s")
        if done >= total:
            self._stream.write("\n")
        self._stream.flush()
