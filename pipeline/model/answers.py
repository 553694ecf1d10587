"""Judge one model answer: finished, degenerate, valid JSON, valid against its schema.

`check_answer` returns the parsed value, or why the answer is a failed attempt:

| answer | failure |
|---|---|
| `finish_reason="length"` ending in whitespace padding | `padding` |
| `finish_reason="length"` cut off inside a loop | `repetition` |
| `finish_reason="length"` otherwise (a genuinely long answer) | `length` |
| any other `finish_reason` but `stop` (abort, ...) | `unfinished` |
| text that does not parse as one JSON value (NaN and Infinity included) | `invalid_json` |
| JSON that violates the schema (checked with `jsonschema`) | `schema_violation` |
| valid JSON that still contains a long loop (escaped and closed) | `repetition` |
| valid JSON a caller's extra check refuses (e.g. bad timestamps) | `invalid_content` |

Schemas are validated with their own `$schema` draft, 2020-12 when they name none.

String `format`s are not checked here (xgrammar enforces them while decoding).
"""

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jsonschema import exceptions as jsonschema_exceptions
from jsonschema import validators
from jsonschema.protocols import Validator

from pipeline.model.repetition import DEFAULT_LIMITS, RepetitionLimits, find_loop, find_padding

__all__ = [
    "MAX_REPORTED_ERRORS",
    "AnswerCheck",
    "ContentCheck",
    "FailureKind",
    "canonical_json",
    "check_answer",
    "meta_schema_errors",
    "schema_errors",
]

ContentCheck = Callable[[Any], str | None]
"""An extra check of a schema-valid value: a problem description, or None when it is fine."""

MAX_REPORTED_ERRORS = 3
_CACHE_SIZE = 64


class FailureKind(StrEnum):
    """Why an answer counts as a failed attempt."""

    LENGTH = "length"
    PADDING = "padding"
    REPETITION = "repetition"
    UNFINISHED = "unfinished"
    INVALID_JSON = "invalid_json"
    SCHEMA_VIOLATION = "schema_violation"
    INVALID_CONTENT = "invalid_content"


@dataclass(frozen=True)
class AnswerCheck:
    """The verdict on one answer: `value` when `failure` is None, else what went wrong."""

    failure: FailureKind | None
    detail: str = ""
    value: Any = None

    @property
    def ok(self) -> bool:
        return self.failure is None


def check_answer(
    content: str,
    finish_reason: str | None,
    schema: Mapping[str, Any],
    extra_check: ContentCheck | None = None,
    limits: RepetitionLimits = DEFAULT_LIMITS,
) -> AnswerCheck:
    """The verdict on `content` (see the module docstring for the order of the checks)."""
    if finish_reason != "stop":
        return _unfinished(content, finish_reason, limits)
    try:
        value = json.loads(content, parse_constant=_reject_constant)
    except ValueError as exc:
        return AnswerCheck(FailureKind.INVALID_JSON, f"not JSON: {exc}")
    errors = schema_errors(value, schema)
    if errors:
        return AnswerCheck(FailureKind.SCHEMA_VIOLATION, "; ".join(errors))
    loop = find_loop(content, limits)
    if loop is not None:
        return AnswerCheck(FailureKind.REPETITION, _describe_loop(loop.unit, loop.repeats))
    problem = extra_check(value) if extra_check is not None else None
    if problem is not None:
        return AnswerCheck(FailureKind.INVALID_CONTENT, problem)
    return AnswerCheck(None, value=value)


def schema_errors(
    instance: Any, schema: Mapping[str, Any], limit: int = MAX_REPORTED_ERRORS
) -> list[str]:
    """Up to `limit` violations of `schema` by `instance`, as `at /path: message` lines."""
    validator = _validator(schema)
    found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [_describe_error(error) for error in found[:limit]]


def meta_schema_errors(schema: Mapping[str, Any]) -> list[str]:
    """Why `schema` is not a valid JSON schema of its draft (empty when it is)."""
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    try:
        cls.check_schema(dict(schema))
    except jsonschema_exceptions.SchemaError as exc:
        return [_describe_error(exc)]
    return []


def _unfinished(content: str, finish_reason: str | None, limits: RepetitionLimits) -> AnswerCheck:
    if finish_reason != "length":
        return AnswerCheck(FailureKind.UNFINISHED, f"finish_reason={finish_reason!r}")
    padding = find_padding(content, limits)
    if padding is not None and padding.trailing:
        return AnswerCheck(
            FailureKind.PADDING, f"{padding.length} whitespace chars until max_tokens"
        )
    loop = find_loop(content, limits)
    if loop is not None:
        return AnswerCheck(FailureKind.REPETITION, _describe_loop(loop.unit, loop.repeats))
    if padding is not None:
        return AnswerCheck(FailureKind.PADDING, f"a run of {padding.length} whitespace chars")
    return AnswerCheck(FailureKind.LENGTH, f"cut off at max_tokens after {len(content)} chars")


def _describe_loop(unit: str, repeats: int) -> str:
    shown = unit if len(unit) <= 60 else unit[:57] + "..."
    return f"{shown!r} repeated {repeats} times"


def _describe_error(
    error: jsonschema_exceptions.ValidationError | jsonschema_exceptions.SchemaError,
) -> str:
    path = "".join(f"/{part}" for part in error.absolute_path)
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"at {path or '/'}: {message}"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def canonical_json(schema: Mapping[str, Any]) -> str:
    """A schema as sorted, compact JSON: a cache key for schemas that repeat across jobs."""
    return json.dumps(schema, sort_keys=True, separators=(",", ":"), default=str)


def _validator(schema: Mapping[str, Any]) -> Validator:
    return _cached_validator(canonical_json(schema))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _cached_validator(canonical: str) -> Validator:
    schema = json.loads(canonical)
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    validator: Validator = cls(schema)
    return validator
