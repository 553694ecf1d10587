"""A local webhook receiver for the tests: a threading HTTP server that records every request
and answers from a script (status, extra headers, delay before answering)."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from schemas.webhook_signature import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    verify_signature,
)


@dataclass(frozen=True)
class Answer:
    """What the receiver answers to one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"


@dataclass(frozen=True)
class Arrival:
    """One request the receiver got, and when (time.time())."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def delivery_id(self) -> str:
        return self.headers[DELIVERY_HEADER.lower()]

    @property
    def event(self) -> str:
        return self.headers[EVENT_HEADER.lower()]

    def signed_with(self, secret: str) -> bool:
        return verify_signature(secret, self.headers[SIGNATURE_HEADER.lower()], self.body)


class Receiver:
    """Answers the n-th request (0-based) with `script(n)`."""

    def __init__(self, script: Callable[[int], Answer]) -> None:
        self.arrivals: list[Arrival] = []
        self._script = script
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver._lock:
                    number = len(receiver.arrivals)
                    receiver.arrivals.append(
                        Arrival(
                            self.path,
                            {name.lower(): value for name, value in self.headers.items()},
                            body,
                            time.time(),
                        )
                    )
                answer = receiver._script(number)
                time.sleep(answer.delay)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start(self) -> "Receiver":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, seconds: float) -> list[Arrival]:
        """The arrivals once there are `count` of them; fails after `seconds`."""
        deadline = time.monotonic() + seconds
        while len(self.arrivals) < count:
            assert time.monotonic() < deadline, f"{len(self.arrivals)} of {count} arrived"
            time.sleep(0.02)
        return list(self.arrivals)


@contextmanager
def receiver(script: Callable[[int], Answer] | None = None) -> Iterator[Receiver]:
    """A started receiver (200 to everything by default), stopped on exit."""
    running = Receiver(script or (lambda n: Answer())).start()
    try:
        yield running
    finally:
        running.stop()
