"""A faithful fake of vLLM's OpenAI-compatible server for Gemma 4, served over real HTTP.

`running_fake_vllm(config)` starts it on a free loopback port in a background thread and yields
`(base_url, control)`. Endpoints: `GET /health`, `GET /v1/models`, `GET /metrics` (Prometheus
text) and `POST /v1/chat/completions` (no streaming).

Requests are validated as vLLM does (`vllm_requests`: 404 for an unknown model, 400/501 for bad
media, budgets, image limits and schemas, in vLLM's error shape), plus one check of the fake's
own: every image must already have a native size for the requested budget. `guided_json`,
which vLLM silently ignores, is recorded so tests can assert the client never sends it.

Answers (`vllm_answers`) are deterministic and derived from the request: JSON schema instances
whose strings describe the images (size, budget, soft tokens) or audio (duration, rate), with
`usage` counting image soft tokens (+2 for `<boi>`/`<eoi>`) and audio tokens like vLLM. The
control handle sets latency and injects faults: 503 admission rejections, whitespace padding to
`finish_reason=length`, repetition loops, invalid JSON and connections dropped mid-response.
"""

import asyncio
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from tests.fakes.vllm_answers import Fault, answer, chat_completion, misbehave
from tests.fakes.vllm_requests import (
    EDGE_MODEL,
    MOE_MODEL,
    AudioInfo,
    FakeVllmConfig,
    ImageInfo,
    ParsedChat,
    VllmError,
    audio_tokens,
    count_tokens,
    parse_chat_request,
)

__all__ = [
    "EDGE_MODEL",
    "MOE_MODEL",
    "FakeVllmConfig",
    "FakeVllmControl",
    "FakeVllmServer",
    "FakeVllmStats",
    "Fault",
    "RecordedRequest",
    "audio_tokens",
    "build_app",
    "count_tokens",
    "running_fake_vllm",
]


@dataclass
class RecordedRequest:
    """One POST to /v1/chat/completions as the fake saw it."""

    body: Any
    status: int = 0
    fault: Fault | None = None
    images: list[ImageInfo] = field(default_factory=list)
    audio: list[AudioInfo] = field(default_factory=list)

    @property
    def sent_guided_json(self) -> bool:
        return isinstance(self.body, dict) and "guided_json" in self.body


@dataclass(frozen=True)
class FakeVllmStats:
    """Counters for benchmarks: utilisation = slot_seconds / (capacity * elapsed_seconds)."""

    received: int
    served: int
    rejected: int
    failed: int
    dropped: int
    running: int
    waiting: int
    max_running: int
    busy_seconds: float
    slot_seconds: float
    elapsed_seconds: float
    capacity: int

    @property
    def utilisation(self) -> float:
        return self.slot_seconds / (self.capacity * self.elapsed_seconds or 1.0)


class FakeVllmControl:
    """Thread-safe handle to steer the fake and read what it saw."""

    def __init__(self, config: FakeVllmConfig) -> None:
        self.config = config
        self.token_latency = 0.0
        self.request_latency = 0.0
        self.reject_rate = 0.0
        self.healthy = True
        self.kv_cache_usage: float | None = None
        self.schema_answerer: Callable[[dict[str, Any], Any], Any] | None = None
        """(schema, request body) → the answer to a schema request, or None for the default
        (generated instance); run in a thread (tests/fakes/page_reader.py reads the image)."""
        self._lock = threading.Lock()
        self._rng = random.Random(config.seed)
        self._faults: deque[Fault] = deque()
        self.reset()

    def reset(self) -> None:
        """Forget requests, queued faults and counters (not settings); call it while idle."""
        with self._lock:
            self._faults.clear()
            self._requests: list[RecordedRequest] = []
            self._counts = {"received": 0, "served": 0, "rejected": 0, "failed": 0, "dropped": 0}
            self._running = self._waiting = self._max_running = 0
            self._busy_seconds = self._slot_seconds = 0.0
            self._busy_since: float | None = None
            self._started = time.monotonic()

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Apply `fault` to the next `times` requests that reach it (queued in order)."""
        with self._lock:
            self._faults.extend([fault] * times)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def stats(self) -> FakeVllmStats:
        with self._lock:
            now = time.monotonic()
            ongoing = now - self._busy_since if self._busy_since is not None else 0.0
            return FakeVllmStats(
                **self._counts,
                running=self._running,
                waiting=self._waiting,
                max_running=self._max_running,
                busy_seconds=self._busy_seconds + ongoing,
                slot_seconds=self._slot_seconds,
                elapsed_seconds=now - self._started,
                capacity=self.config.capacity,
            )

    def metrics_text(self) -> str:
        with self._lock:
            running, waiting = self._running, self._waiting
        usage = self.kv_cache_usage
        if usage is None:
            usage = min(1.0, running / self.config.capacity)
        labels = f'{{engine="0",model_name="{self.config.model}"}}'
        gauges = [
            (
                "vllm:num_requests_running",
                "Number of requests in model execution batches.",
                running,
            ),
            ("vllm:num_requests_waiting", "Number of requests waiting to be processed.", waiting),
            ("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", usage),
        ]
        return "".join(
            f"# HELP {name} {doc}\n# TYPE {name} gauge\n{name}{labels} {float(value)}\n"
            for name, doc, value in gauges
        )

    # Used by the server thread.

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._counts["received"] += 1

    def _count(self, outcome: str) -> None:
        with self._lock:
            self._counts[outcome] += 1

    def _admission_fault(self) -> bool:
        with self._lock:
            if self._faults and self._faults[0] is Fault.REJECT_503:
                self._faults.popleft()
                return True
            return self.reject_rate > 0 and self._rng.random() < self.reject_rate

    def _generation_fault(self) -> Fault | None:
        with self._lock:
            if self._faults and self._faults[0] is not Fault.REJECT_503:
                return self._faults.popleft()
            return None

    def _enter_queue(self) -> None:
        with self._lock:
            self._waiting += 1

    def _start(self) -> float:
        with self._lock:
            self._waiting -= 1
            self._running += 1
            self._max_running = max(self._max_running, self._running)
            now = time.monotonic()
            if self._running == 1:
                self._busy_since = now
            return now

    def _finish(self, started: float) -> None:
        with self._lock:
            now = time.monotonic()
            self._running -= 1
            self._slot_seconds += now - started
            if self._running == 0 and self._busy_since is not None:
                self._busy_seconds += now - self._busy_since
                self._busy_since = None


class ConnectionDroppedError(Exception):
    """Raised after a partial response so the server closes the connection."""


def _error_response(error: VllmError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


class _DroppedResponse(Response):
    """Starts a 200 response, sends a fragment, then makes the server close the connection."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"4096")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"id": "chatcmpl-', "more_body": True})
        raise ConnectionDroppedError("fake-vllm dropped the connection")


def build_app(config: FakeVllmConfig, control: FakeVllmControl) -> Starlette:
    """The ASGI app; one instance per server (its slot semaphore lives in the server loop)."""
    slots: list[asyncio.Semaphore] = []

    async def health(request: Request) -> Response:
        return Response(status_code=200 if control.healthy else 503)

    async def models(request: Request) -> Response:
        card = {
            "id": config.model,
            "object": "model",
            "created": int(time.time()),
            "owned_by": "vllm",
            "root": config.model,
            "parent": None,
            "max_model_len": config.max_model_len,
            "permission": [],
        }
        return JSONResponse({"object": "list", "data": [card]})

    async def metrics(request: Request) -> Response:
        return PlainTextResponse(control.metrics_text(), media_type="text/plain; version=0.0.4")

    async def chat(request: Request) -> Response:
        try:
            body: Any = json.loads(await request.body())
        except ValueError:
            body = None
        recorded = RecordedRequest(body)
        control._record(recorded)
        response = await _serve_chat(body, recorded)
        recorded.status = response.status_code
        return response

    async def _serve_chat(body: Any, recorded: RecordedRequest) -> Response:
        if control._admission_fault():
            control._count("rejected")
            recorded.fault = Fault.REJECT_503
            return _error_response(VllmError("Server is overloaded; request rejected.", status=503))
        try:
            parsed = parse_chat_request(body, config)
        except VllmError as exc:
            control._count("failed")
            return _error_response(exc)
        recorded.images, recorded.audio = parsed.images, parsed.audio
        recorded.fault = fault = control._generation_fault()
        if not slots:
            slots.append(asyncio.Semaphore(config.capacity))
        control._enter_queue()
        async with slots[0]:
            started = control._start()
            try:
                content, finish = misbehave(await _content(parsed, body), fault, parsed.max_tokens)
                tokens = count_tokens(content)
                delay = control.request_latency + control.token_latency * tokens
                if fault is Fault.DROP_CONNECTION:
                    await asyncio.sleep(delay / 2)
                    control._count("dropped")
                    return _DroppedResponse()
                await asyncio.sleep(delay)
            finally:
                control._finish(started)
        control._count("served")
        return JSONResponse(chat_completion(config.model, content, finish, parsed.prompt_tokens))

    async def _content(parsed: ParsedChat, body: Any) -> str:
        answerer = control.schema_answerer
        if answerer is not None and parsed.schema is not None:
            value = await asyncio.to_thread(answerer, parsed.schema, body)
            if value is not None:
                return json.dumps(value, ensure_ascii=False)
        return answer(parsed)

    routes = [
        Route("/health", health, methods=["GET"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/v1/chat/completions", chat, methods=["POST"]),
    ]
    return Starlette(routes=routes)


class FakeVllmServer(NamedTuple):
    """What `running_fake_vllm` yields."""

    base_url: str
    control: FakeVllmControl


@contextmanager
def running_fake_vllm(config: FakeVllmConfig | None = None) -> Iterator[FakeVllmServer]:
    """Serve the fake on 127.0.0.1 on a free port in a background thread, for the block."""
    config = config or FakeVllmConfig()
    control = FakeVllmControl(config)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by connections
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(config, control),
            log_config=None,
            log_level="critical",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake vLLM server did not start")
            time.sleep(0.01)
        control.reset()
        yield FakeVllmServer(f"http://127.0.0.1:{port}", control)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
