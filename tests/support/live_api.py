"""The API served by a real uvicorn in a thread, for tests that stream over a socket."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from tests.support.services import free_port

START_TIMEOUT_SECONDS = 30


@contextmanager
def live_api(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free local port; yields its base URL and stops it at the end."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="live-api", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


class DiskPeak:
    """Samples the bytes held under some folders from a thread; `peak` is the largest total."""

    def __init__(self, *roots: Path) -> None:
        self._roots = roots
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="disk-peak", daemon=True)

    def __enter__(self) -> "DiskPeak":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.total())

    def total(self) -> int:
        """Bytes in regular files under the roots now."""
        size = 0
        for root in self._roots:
            for path in root.rglob("*"):
                try:
                    if path.is_file():
                        size += path.stat().st_size
                except FileNotFoundError:
                    continue
        return size

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.total())
