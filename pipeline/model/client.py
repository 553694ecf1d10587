"""A synchronous, thread-safe client for vLLM's OpenAI-compatible chat completions (httpx).

One `VlmClient` per tier and process, shared by the worker's threads. A tier may have several
replicas (`base_url` is one URL or a comma-separated list): a `ReplicaPool` picks the
least-loaded healthy one for each request and holds an in-flight slot on it, each replica with
its own window (adaptive when `config.backpressure` is set). A slot is held only around the
HTTP exchange, so rendering and encoding never occupy one.

`complete` sends the request and classifies the outcome: a `ChatResponse`, a
`TransientVlmError` (429, 503, other 5xx but 501, 408, connection refused or reset, timeouts,
a dropped connection, an unreadable 200), a `VlmRequestRejectedError` (other 4xx, 501) or an
`UnsupportedSchemaError` (checked before anything is sent). A transient failure on one replica
is sent again at once to another healthy one it has not tried (`ChatResponse.failovers`);
when every one has failed the last error propagates. Retrying later is the engine's job.

The body follows DESIGN.md's vLLM contract: `response_format` json_schema with `strict`,
`mm_processor_kwargs.max_soft_tokens` for images, bounded `max_tokens`, never `guided_json`.
"""

import base64
import functools
import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from pipeline.model.answers import canonical_json, meta_schema_errors
from pipeline.model.backpressure import BackpressureConfig, InFlightLimiter
from pipeline.model.errors import TransientVlmError, UnsupportedSchemaError, VlmRequestRejectedError
from pipeline.model.replicas import Replica, ReplicaPolicy, ReplicaPool
from schemas.budget import VisualBudget
from schemas.json_schema_subset import find_unsupported

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "ContentPart",
    "Message",
    "VlmClient",
    "VlmClientConfig",
    "audio_part",
    "check_schema",
    "image_part",
    "replica_urls",
    "schema_name",
    "text_part",
    "user_message",
]

ContentPart = dict[str, Any]
Message = dict[str, Any]

_SCHEMA_NAME = re.compile(r"[^a-zA-Z0-9_-]")
_TRANSIENT_CLIENT_STATUSES = frozenset({408, 429})
_MAX_MESSAGE_CHARS = 500
_CONNECT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


def replica_urls(value: str) -> tuple[str, ...]:
    """The URLs of a comma-separated list (one URL is a list of one), without trailing /."""
    return tuple(url.strip().rstrip("/") for url in value.split(",") if url.strip())


@dataclass(frozen=True)
class VlmClientConfig:
    """Where and how to reach one tier's servers; built by the entry point from settings."""

    base_url: str
    """One server's URL, or the comma-separated URLs of the tier's replicas."""
    model: str
    connect_timeout: float = 5.0
    read_timeout: float = 300.0
    max_tokens: int = 8192
    temperature: float = 0.0
    max_in_flight: int = 16
    """Per replica."""
    backpressure: BackpressureConfig | None = None
    """None: a fixed cap of `max_in_flight`; else adapt to each replica's /metrics below it."""
    replicas: ReplicaPolicy = field(default_factory=ReplicaPolicy)

    @property
    def urls(self) -> tuple[str, ...]:
        """The replicas' URLs."""
        return replica_urls(self.base_url)

    def __post_init__(self) -> None:
        if not self.urls or not self.model:
            raise ValueError("base_url and model are required")
        if len(set(self.urls)) != len(self.urls):
            raise ValueError(f"a replica is listed twice in {self.base_url!r}")
        if self.max_tokens < 1 or self.max_in_flight < 1:
            raise ValueError("max_tokens and max_in_flight must be at least 1")
        if self.temperature < 0:
            raise ValueError("temperature must not be negative")


@dataclass(frozen=True)
class ChatRequest:
    """One structured-output chat completion."""

    messages: Sequence[Message]
    schema: Mapping[str, Any]
    schema_name: str
    temperature: float
    max_tokens: int | None = None
    """None: the client's `max_tokens`."""
    max_soft_tokens: VisualBudget | None = None
    """The visual token budget of the request's images; None for requests without images."""


@dataclass(frozen=True)
class ChatResponse:
    """What one completion returned, with its cost."""

    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    latency_seconds: float
    """From sending the request to having read the answer."""
    queue_seconds: float
    """Time spent waiting for an in-flight slot before sending."""
    model: str
    replica: str = ""
    """The URL of the replica that answered."""
    failovers: int = 0
    """Replicas that failed transiently before this one answered."""


def text_part(text: str) -> ContentPart:
    """A text content part."""
    return {"type": "text", "text": text}


def image_part(data_url: str) -> ContentPart:
    """An image content part from a `data:image/...;base64,` URL (see pipeline.model.render)."""
    return {"type": "image_url", "image_url": {"url": data_url}}


def audio_part(wav: bytes) -> ContentPart:
    """An `input_audio` content part carrying WAV bytes."""
    data = base64.b64encode(wav).decode("ascii")
    return {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}}


def user_message(*parts: ContentPart) -> Message:
    """A user turn made of content parts."""
    return {"role": "user", "content": list(parts)}


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise UnsupportedSchemaError unless `schema` is valid and inside xgrammar's subset."""
    problems = _schema_problems(canonical_json(schema))
    if problems:
        raise UnsupportedSchemaError(problems)


@functools.lru_cache(maxsize=128)
def _schema_problems(canonical: str) -> tuple[str, ...]:
    schema = json.loads(canonical)
    return tuple(meta_schema_errors(schema)) or tuple(map(str, find_unsupported(schema)))


def schema_name(name: str) -> str:
    """`name` as OpenAI's json_schema name rules allow (letters, digits, _ and -; 64 chars)."""
    return _SCHEMA_NAME.sub("_", name)[:64] or "extraction"


class VlmClient:
    """Sends chat completions to one tier's vLLM replicas; safe to call from many threads."""

    def __init__(
        self, config: VlmClientConfig, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.config = config
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        limits = httpx.Limits(
            max_connections=config.max_in_flight + 2,
            max_keepalive_connections=config.max_in_flight + 2,
        )
        self._http = {
            url: httpx.Client(base_url=url, timeout=timeout, limits=limits, transport=transport)
            for url in config.urls
        }
        self.pool = ReplicaPool(
            config.urls,
            config.max_in_flight,
            config.backpressure,
            probe=self._probe,
            scrape=self._scrape,
            policy=config.replicas,
        )

    @property
    def limiter(self) -> InFlightLimiter:
        """The first replica's in-flight window (the only one with a single server)."""
        return self.pool.replicas[0].limiter

    def close(self) -> None:
        for http in self._http.values():
            http.close()

    def __enter__(self) -> "VlmClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def build_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body of `request` (the schema is not checked here)."""
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": list(request.messages),
            "temperature": request.temperature,
            "max_tokens": request.max_tokens or self.config.max_tokens,
            "stream": False,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": schema_name(request.schema_name),
                    "schema": dict(request.schema),
                    "strict": True,
                },
            },
        }
        if request.max_soft_tokens is not None:
            body["mm_processor_kwargs"] = {"max_soft_tokens": request.max_soft_tokens}
        return body

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Send one request and return its answer; raises the errors of `pipeline.model.errors`."""
        check_schema(request.schema)
        body = self.build_body(request)
        queued = time.perf_counter()
        tried: list[Replica] = []
        error = TransientVlmError(f"no replica of {self.config.base_url} to send to")
        while True:
            replica = self.pool.acquire(tried)
            if replica is None:
                raise error
            try:
                response = self._send(replica, body, queued)
            except TransientVlmError as exc:
                if isinstance(exc.__cause__, httpx.TransportError) or (exc.status or 0) >= 500:
                    connect = isinstance(exc.__cause__, _CONNECT_ERRORS)
                    self.pool.report_failure(replica, connect=connect)
                else:  # 429, 408, an unreadable 200: busy or odd, but up
                    self.pool.report_answer(replica)
                tried.append(replica)
                error = exc
                continue
            except VlmRequestRejectedError:
                self.pool.report_answer(replica)
                raise
            finally:
                self.pool.release(replica)
            self.pool.report_answer(replica)
            return replace(response, failovers=len(tried))

    def health(self) -> bool:
        """Whether some replica's `GET /health` answers 200 (each one checked, drained or not)."""
        return any([self.pool.check(replica) for replica in self.pool.replicas])

    def fetch_metrics(self) -> str:
        """The first replica's Prometheus `GET /metrics` text."""
        return self._scrape(self.config.urls[0])

    def _probe(self, url: str) -> bool:
        try:
            return self._http[url].get("/health", timeout=self.config.connect_timeout).is_success
        except httpx.HTTPError:
            return False

    def _scrape(self, url: str) -> str:
        response = self._http[url].get("/metrics", timeout=self.config.connect_timeout)
        response.raise_for_status()
        return response.text

    def _send(self, replica: Replica, body: dict[str, Any], queued: float) -> ChatResponse:
        """One exchange with `replica` (its slot held by the caller)."""
        started = time.perf_counter()
        response = self._post(replica.url, body)
        try:
            payload = response.json() if response.status_code == 200 else None
        except ValueError:
            payload = None
        latency = time.perf_counter() - started
        if response.status_code != 200:
            raise self._http_error(replica, response)
        parsed = _parse_completion(payload, latency, started - queued, self.config.model)
        return replace(parsed, replica=replica.url)

    def _post(self, url: str, body: dict[str, Any]) -> httpx.Response:
        try:
            response = self._http[url].post("/v1/chat/completions", json=body)
        except httpx.UnsupportedProtocol as exc:
            raise VlmRequestRejectedError(0, f"bad server URL: {exc}") from exc
        except httpx.TransportError as exc:
            kind = type(exc).__name__
            raise TransientVlmError(f"{kind} talking to {url}: {exc}") from exc
        return response

    def _http_error(self, replica: Replica, response: httpx.Response) -> Exception:
        status = response.status_code
        message = _error_message(response)
        if status == 503:
            replica.limiter.report_overload()
        if status in _TRANSIENT_CLIENT_STATUSES or (status >= 500 and status != 501):
            retry_after = _retry_after(response.headers.get("retry-after"))
            return TransientVlmError(f"HTTP {status}: {message}", status, retry_after)
        return VlmRequestRejectedError(status, message)


def _parse_completion(
    payload: Any, latency: float, queue_seconds: float, default_model: str
) -> ChatResponse:
    try:
        choice = payload["choices"][0]
        content = choice["message"].get("content") or ""
        usage = payload.get("usage") or {}
        return ChatResponse(
            content=content,
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            latency_seconds=latency,
            queue_seconds=queue_seconds,
            model=str(payload.get("model") or default_model),
        )
    except (TypeError, KeyError, IndexError, AttributeError, ValueError) as exc:
        raise TransientVlmError(f"unreadable chat completion: {exc!r}") from exc


def _error_message(response: httpx.Response) -> str:
    """vLLM's message from `{"error": {"message"}}`, `{"message"}` or `{"detail"}`, else text."""
    try:
        payload = response.json()
    except ValueError:
        payload = None
    message: Any = None
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            message = error.get("message")
        message = message or payload.get("message") or payload.get("detail")
    text = message if isinstance(message, str) else json.dumps(message) if message else None
    text = text or response.text or response.reason_phrase
    return text[:_MAX_MESSAGE_CHARS]


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (HTTP dates are ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
