"""Check that a JSON schema stays inside the subset vLLM's xgrammar backend enforces.

Mirrors vLLM's `has_xgrammar_unsupported_json_features`
(`vllm/v1/structured_output/backend_xgrammar.py`), which rejects a schema (or, with the `auto`
backend, silently hands it to another backend) when it uses `multipleOf`; `uniqueItems`,
`contains`, `minContains`, `maxContains`; `patternProperties`, `propertyNames`; a string `format`
outside `XGRAMMAR_STRING_FORMATS`; or `pattern`/`format` together with `minLength`/`maxLength`
(xgrammar compiles the pattern and silently drops the length bounds). This check is stricter in
two ways: `patternProperties` and `propertyNames` are refused in every form, and a `$ref` must be
local (`#...`). Only real subschema positions are walked, so a property *named* `pattern` or an
`enum` value is never mistaken for a keyword.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

XGRAMMAR_STRING_FORMATS = frozenset(
    {
        "email",
        "date",
        "time",
        "date-time",
        "duration",
        "ipv4",
        "ipv6",
        "hostname",
        "uuid",
        "uri",
        "uri-reference",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
    }
)
"""String formats xgrammar's JSON schema converter implements (as listed by vLLM)."""

UNSUPPORTED_KEYWORDS = (
    "multipleOf",
    "uniqueItems",
    "contains",
    "minContains",
    "maxContains",
    "patternProperties",
    "propertyNames",
)

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_VALUES = (
    "additionalProperties",
    "items",
    "additionalItems",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
)
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems", "items")


@dataclass(frozen=True)
class SchemaProblem:
    """One feature of a schema that xgrammar would reject or silently not enforce."""

    pointer: str
    """JSON pointer (RFC 6901) of the offending subschema; "" is the root."""
    keyword: str
    message: str

    def __str__(self) -> str:
        return f"#{self.pointer}: {self.message}"


def find_unsupported(schema: object) -> list[SchemaProblem]:
    """Every problem in `schema`, in document order; empty when xgrammar accepts it."""
    if not isinstance(schema, Mapping):
        return [SchemaProblem("", "type", "a schema sent to the server must be a JSON object")]
    return list(_check(schema, ""))


def describe_unsupported(schema: object) -> list[str]:
    """The problems as human-readable lines, e.g. `#/properties/n: 'multipleOf' is ...`."""
    return [str(problem) for problem in find_unsupported(schema)]


def _check(schema: Mapping[str, Any], pointer: str) -> Iterator[SchemaProblem]:
    for keyword in UNSUPPORTED_KEYWORDS:
        if keyword in schema:
            yield SchemaProblem(pointer, keyword, f"'{keyword}' is not supported by xgrammar")
    yield from _check_string_keywords(schema, pointer)
    ref = schema.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        yield SchemaProblem(pointer, "$ref", f"only local '$ref's are resolved, not {ref!r}")
    for child, child_pointer in _subschemas(schema, pointer):
        yield from _check(child, child_pointer)


def _check_string_keywords(schema: Mapping[str, Any], pointer: str) -> Iterator[SchemaProblem]:
    if not _may_be_string(schema):
        return
    fmt = schema.get("format")
    if fmt is not None and fmt not in XGRAMMAR_STRING_FORMATS:
        yield SchemaProblem(pointer, "format", f"format {fmt!r} is not supported by xgrammar")
    generative = [k for k in ("pattern", "format") if k in schema]
    bounds = [k for k in ("minLength", "maxLength") if k in schema]
    if generative and bounds:
        yield SchemaProblem(
            pointer,
            bounds[0],
            f"'{generative[0]}' with '{bounds[0]}': xgrammar drops the length bounds",
        )


def _may_be_string(schema: Mapping[str, Any]) -> bool:
    declared = schema.get("type")
    if declared is None:
        return True
    if isinstance(declared, str):
        return declared == "string"
    return isinstance(declared, list) and "string" in declared


def _subschemas(schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    for keyword, value in schema.items():
        here = f"{pointer}/{_escape(keyword)}"
        if keyword in _SCHEMA_MAPS and isinstance(value, Mapping):
            for name, child in value.items():
                if isinstance(child, Mapping):
                    yield child, f"{here}/{_escape(name)}"
        elif keyword in _SCHEMA_LISTS and isinstance(value, list):
            for index, child in enumerate(value):
                if isinstance(child, Mapping):
                    yield child, f"{here}/{index}"
        elif keyword in _SCHEMA_VALUES and isinstance(value, Mapping):
            yield value, here


def _escape(token: str) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")
