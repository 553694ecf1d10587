"""What the fake vLLM accepts: chat completion requests validated the way vLLM does.

Checked against vLLM's source: an unknown model is a 404 `NotFoundError`
(`OpenAIServing._check_model`); a data URL without a comma, bad base64 or bytes PIL cannot
identify are 400s and a data URL that is not base64 is a 501 (`MediaConnector._load_data_url`,
`fetch_image`); `max_soft_tokens` outside the five budgets is a 400 (`gemma4_mm.py`); more items
than `limit_mm_per_prompt` is a 400 (`At most N image(s) may be provided in one prompt.`); audio
for a model without an audio tower is a 400; a json_schema outside xgrammar's subset is a 400
(`validate_xgrammar_grammar`); a prompt plus `max_tokens` beyond the context is a 400. Every
`ValueError` becomes `BadRequestError` in the shape `{"error": {message, type, param, code}}`.
The fake's own extra check: each image must already have a native size for the requested budget.
"""

import base64
import binascii
import io
import re
import wave
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, UnidentifiedImageError

from pipeline.planning.geometry import image_prompt_tokens, is_native_size, processor_size
from schemas.budget import VISUAL_BUDGETS, is_visual_budget
from schemas.json_schema_subset import find_unsupported

MOE_MODEL = "google/gemma-4-26B-A4B-it"
EDGE_MODEL = "google/gemma-4-E4B-it"
AUDIO_RATE = 16_000
AUDIO_SEQ_LENGTH = 750  # 30 s at 40 ms per audio token
TEMPLATE_TOKENS_PER_MESSAGE = 4
AUDIO_WRAPPER_TOKENS = 2  # <boa> ... <eoa>
_TOKEN = re.compile(r" ?\w+| ?[^\w\s]|\s")


def count_tokens(text: str) -> int:
    """The fake tokenizer: a word or a symbol with its leading space, or one whitespace char."""
    return len(_TOKEN.findall(text))


def first_tokens(text: str, limit: int) -> str:
    """The text of the first `limit` fake tokens."""
    return "".join(_TOKEN.findall(text)[:limit])


@dataclass(frozen=True)
class FakeVllmConfig:
    """What the fake serves; fixed for the server's lifetime."""

    model: str = MOE_MODEL
    max_model_len: int = 32_768
    limit_mm_per_prompt: dict[str, int] = field(default_factory=lambda: {"image": 1, "audio": 0})
    audio_tower: bool = False
    capacity: int = 4
    default_max_soft_tokens: int = 280
    check_native_geometry: bool = True
    reject_unsupported_schemas: bool = True
    seed: int = 0

    @classmethod
    def edge(cls, **overrides: Any) -> "FakeVllmConfig":
        """The edge speech tier: Gemma 4 E4B with an audio tower."""
        settings: dict[str, Any] = {
            "model": EDGE_MODEL,
            "audio_tower": True,
            "limit_mm_per_prompt": {"image": 1, "audio": 1},
        }
        return cls(**(settings | overrides))


@dataclass(frozen=True)
class ImageInfo:
    """An image part as decoded, with the budget it was sent for."""

    width: int
    height: int
    image_format: str | None
    budget: int


@dataclass(frozen=True)
class AudioInfo:
    """An audio part as decoded, with the audio tokens vLLM would spend on it."""

    seconds: float
    sample_rate: int
    channels: int
    tokens: int


class VllmError(Exception):
    """An error answered in vLLM's ErrorResponse shape."""

    def __init__(self, message: str, status: int = 400, param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.param = param

    @property
    def error_type(self) -> str:
        return {
            400: "BadRequestError",
            404: "NotFoundError",
            501: "NotImplementedError",
            503: "ServiceUnavailableError",
        }.get(self.status, "InternalServerError")

    def body(self) -> dict[str, Any]:
        """vLLM's ErrorResponse: {"error": {"message", "type", "param", "code"}}."""
        error = {"message": str(self), "type": self.error_type, "param": self.param}
        return {"error": error | {"code": self.status}}


@dataclass
class ParsedChat:
    """A validated chat request."""

    budget: int
    prompt_tokens: int
    max_tokens: int
    prompt_excerpt: str
    schema: dict[str, Any] | None
    wants_json: bool
    images: list[ImageInfo] = field(default_factory=list)
    audio: list[AudioInfo] = field(default_factory=list)


def parse_chat_request(body: Any, config: FakeVllmConfig) -> ParsedChat:
    """Validate a chat completion body as vLLM would; raise VllmError otherwise."""
    if not isinstance(body, dict):
        raise VllmError("The request body must be a JSON object.")
    if body.get("model") != config.model:
        message = f"The model `{body.get('model')}` does not exist."
        raise VllmError(message, status=404, param="model")
    if body.get("stream"):
        raise VllmError("fake-vllm does not stream; send stream=false.")
    budget = _budget(body.get("mm_processor_kwargs"), config)
    schema, wants_json = _response_format(body.get("response_format"), config)
    temperature = body.get("temperature", 1.0)
    if not isinstance(temperature, int | float) or temperature < 0:
        raise VllmError("temperature must be a non-negative number.", param="temperature")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise VllmError("messages must be a non-empty list.", param="messages")
    parsed = ParsedChat(budget, 0, 0, "", schema, wants_json)
    texts: list[str] = []
    for message in messages:
        _parse_message(message, parsed, texts, config)
    _check_limits(parsed, config)
    text = "\n".join(texts)
    parsed.prompt_excerpt = text[:80]
    parsed.prompt_tokens = (
        count_tokens(text)
        + TEMPLATE_TOKENS_PER_MESSAGE * len(messages)
        + sum(image_prompt_tokens(i.width, i.height, budget) for i in parsed.images)
        + sum(a.tokens + AUDIO_WRAPPER_TOKENS for a in parsed.audio)
    )
    parsed.max_tokens = _max_tokens(body, parsed.prompt_tokens, config)
    return parsed


def _budget(kwargs: Any, config: FakeVllmConfig) -> int:
    if kwargs is None:
        return config.default_max_soft_tokens
    if not isinstance(kwargs, dict):
        raise VllmError("mm_processor_kwargs must be an object.", param="mm_processor_kwargs")
    value = kwargs.get("max_soft_tokens", config.default_max_soft_tokens)
    if not is_visual_budget(value):
        raise VllmError(
            f"Unsupported max_soft_tokens value: {value}. Valid values are {VISUAL_BUDGETS}."
        )
    return value


def _response_format(value: Any, config: FakeVllmConfig) -> tuple[dict[str, Any] | None, bool]:
    if value is None or value == {"type": "text"}:
        return None, False
    if not isinstance(value, dict) or value.get("type") not in ("json_object", "json_schema"):
        raise VllmError("response_format.type must be text, json_object or json_schema.")
    if value["type"] == "json_object":
        return None, True
    spec = value.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
        raise VllmError("response_format.json_schema.schema is required.")
    if not isinstance(spec.get("name"), str):
        raise VllmError("response_format.json_schema.name is required.")
    schema: dict[str, Any] = spec["schema"]
    if config.reject_unsupported_schemas and find_unsupported(schema):
        raise VllmError("The provided JSON schema contains features not supported by xgrammar.")
    return schema, True


def _parse_message(
    message: Any, parsed: ParsedChat, texts: list[str], config: FakeVllmConfig
) -> None:
    if not isinstance(message, dict) or message.get("role") not in (
        "system",
        "developer",
        "user",
        "assistant",
    ):
        raise VllmError("Each message needs a role of system, developer, user or assistant.")
    content = message.get("content")
    if isinstance(content, str):
        texts.append(content)
        return
    if not isinstance(content, list):
        raise VllmError("message content must be a string or a list of parts.")
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            url = (part.get("image_url") or {}).get("url")
            parsed.images.append(_decode_image(url, parsed.budget, config))
        elif kind == "input_audio":
            parsed.audio.append(_decode_audio(part.get("input_audio")))
        else:
            raise VllmError(f"Unknown part type: {kind}")


def _decode_image(url: Any, budget: int, config: FakeVllmConfig) -> ImageInfo:
    if not isinstance(url, str):
        raise VllmError("image_url.url must be a string.")
    if url[:5].lower() != "data:":
        raise VllmError("fake-vllm only accepts data URLs (it fetches nothing).")
    spec, comma, data = url[5:].partition(",")
    if not comma:
        raise VllmError(f"Invalid data URL {url[:32]!r}: missing ',' separator.")
    _, semicolon, encoding = spec.rpartition(";")
    if not semicolon or encoding != "base64":
        raise VllmError("Only base64 data URLs are supported for now.", status=501)
    try:
        image = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
        image.load()
    except (binascii.Error, UnidentifiedImageError, OSError) as exc:
        raise VllmError(str(exc)) from exc
    width, height = image.size
    if config.check_native_geometry and not is_native_size(width, height, budget):
        resized = processor_size(width, height, budget)
        raise VllmError(
            f"fake-vllm: a {width}x{height} image is not a native size for max_soft_tokens="
            f"{budget}; the processor would resize it to {resized[0]}x{resized[1]}."
        )
    return ImageInfo(width, height, image.format, budget)


def _decode_audio(spec: Any) -> AudioInfo:
    if not isinstance(spec, dict) or not isinstance(spec.get("data"), str):
        raise VllmError("input_audio needs base64 data and a format.")
    if spec.get("format") != "wav":
        raise VllmError("fake-vllm decodes only wav audio.")
    try:
        with wave.open(io.BytesIO(base64.b64decode(spec["data"], validate=True))) as reader:
            frames, rate, channels = (
                reader.getnframes(),
                reader.getframerate(),
                reader.getnchannels(),
            )
    except (binascii.Error, wave.Error, EOFError) as exc:
        raise VllmError(f"Invalid audio: {exc}") from exc
    seconds = frames / rate
    return AudioInfo(seconds, rate, channels, audio_tokens(round(seconds * AUDIO_RATE)))


def audio_tokens(samples_16k: int) -> int:
    """Gemma 4 audio tokens for a 16 kHz waveform (vLLM's `_compute_audio_num_tokens`)."""
    frame, hop = AUDIO_RATE * 20 // 1000, AUDIO_RATE * 10 // 1000
    mel_frames = (samples_16k + frame // 2 - (frame + 1)) // hop + 1
    if mel_frames <= 0:
        return 0
    for _ in range(2):
        mel_frames = (mel_frames - 1) // 2 + 1
    return min(mel_frames, AUDIO_SEQ_LENGTH)


def _check_limits(parsed: ParsedChat, config: FakeVllmConfig) -> None:
    if parsed.audio and not config.audio_tower:
        raise VllmError(
            f"Audio input was provided but the model '{config.model}' does not have an audio tower."
        )
    for modality, items in (("image", parsed.images), ("audio", parsed.audio)):
        limit = config.limit_mm_per_prompt.get(modality, 0)
        if len(items) > limit:
            raise VllmError(f"At most {limit} {modality}(s) may be provided in one prompt.")


def _max_tokens(body: dict[str, Any], prompt_tokens: int, config: FakeVllmConfig) -> int:
    limit = config.max_model_len
    if prompt_tokens >= limit:
        raise VllmError(
            f"This model's maximum context length is {limit} tokens. However, your request "
            f"has {prompt_tokens} input tokens. Please reduce the length of the input messages.",
            param="input_tokens",
        )
    requested = body.get("max_completion_tokens") or body.get("max_tokens")
    if requested is None:
        return limit - prompt_tokens
    if not isinstance(requested, int) or requested < 1:
        raise VllmError("max_tokens must be a positive integer.", param="max_tokens")
    if prompt_tokens + requested > limit:
        raise VllmError(
            f"'max_tokens' or 'max_completion_tokens' is too large: {requested}. This model's "
            f"maximum context length is {limit} tokens and your request has {prompt_tokens} "
            f"input tokens ({requested} > {limit} - {prompt_tokens}).",
            param="max_tokens",
        )
    return requested
