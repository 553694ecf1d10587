"""What the fake vLLM answers: deterministic content derived from the request, and faults."""

import json
import random
import time
from enum import StrEnum
from typing import Any

from pipeline.planning.geometry import soft_tokens
from tests.fakes.schema_instance import schema_instance
from tests.fakes.vllm_pages import page_answer, page_answer_fits
from tests.fakes.vllm_requests import ParsedChat, count_tokens, first_tokens


class Fault(StrEnum):
    """Misbehaviours the control handle can queue for the next requests."""

    REJECT_503 = "reject_503"
    WHITESPACE_PADDING = "whitespace_padding"
    REPETITION_LOOP = "repetition_loop"
    INVALID_JSON = "invalid_json"
    DROP_CONNECTION = "drop_connection"


def describe_request(parsed: ParsedChat) -> str:
    """The deterministic text the fake answers with, naming what it received."""
    parts = [
        f"fake page {i.width}x{i.height} at budget {i.budget} "
        f"({soft_tokens(i.width, i.height)} soft tokens)"
        for i in parsed.images
    ]
    parts += [
        f"fake transcript of {a.seconds:.2f} s of {a.sample_rate} Hz "
        f"{'mono' if a.channels == 1 else f'{a.channels}-channel'} audio"
        for a in parsed.audio
    ]
    return "; ".join(parts) or f"fake answer to: {parsed.prompt_excerpt}"


def answer(parsed: ParsedChat) -> str:
    """The well-behaved answer: a page of blocks, a schema instance, a JSON object, a transcript
    or plain text."""
    text = describe_request(parsed)
    numbers: dict[str, float] = {}
    if parsed.images:
        numbers = {"width": parsed.images[0].width, "height": parsed.images[0].height}
    if parsed.audio:
        numbers = {"start": 0.0, "end": parsed.audio[0].seconds}
    if parsed.schema is not None and parsed.images and page_answer_fits(parsed.schema, text):
        return json.dumps(page_answer(text), ensure_ascii=False, separators=(",", ":"))
    if parsed.schema is not None:
        return json.dumps(schema_instance(parsed.schema, text, numbers))
    if parsed.audio:
        segment = {"start": 0.0, "end": parsed.audio[0].seconds, "text": text}
        return json.dumps({"text": text, "segments": [segment]})
    return json.dumps({"text": text}) if parsed.wants_json else text


def misbehave(content: str, fault: Fault | None, max_tokens: int) -> tuple[str, str]:
    """Apply a generation fault; return (content, finish_reason), truncated to max_tokens."""
    if fault is Fault.WHITESPACE_PADDING:
        content += "\n" * max(0, max_tokens - count_tokens(content))
    elif fault is Fault.REPETITION_LOOP:
        loop = " the table continues on the next page"
        repeats = max_tokens // count_tokens(loop) + 1
        content = '{"text": "' + loop * repeats
    elif fault is Fault.INVALID_JSON:
        content = content[:-1] + ', "unterminated": "'
    if count_tokens(content) >= max_tokens:  # no room left for the end-of-sequence token
        return first_tokens(content, max_tokens), "length"
    return content, "stop"


def chat_completion(model: str, content: str, finish: str, prompt: int) -> dict[str, Any]:
    """A chat.completion body in vLLM's shape."""
    completion = count_tokens(content)
    return {
        "id": f"chatcmpl-fake-{random.getrandbits(64):016x}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "tool_calls": []},
                "logprobs": None,
                "finish_reason": finish,
                "stop_reason": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": None,
        },
    }
