"""Check that a JSON schema stays inside the subset vLLM's xgrammar backend enforces.

Mirrors vLLM's `has_xgrammar_unsupported_json_features`
(`vllm/v1/structured_output/backend_xgrammar.py`), which rejects a schema (or, with the `auto`
backend, silently hands it to another backend) when it uses `multipleOf`; `uniqueItems`,
`contains`, `minContains`, `maxContains`; `patternProperties`, `propertyNames`; a string `format`
outside `XGRAMMAR_STRING_FORMATS`; or `pattern`/`format` together with `minLength`/`maxLength`
(xgrammar compiles the pattern and silently drops the length bounds). This check is stricter in
four ways: `patternProperties` and `propertyNames` are refused in every form; a `$ref` must be
local (`#/...`), point at a schema object and form no cycle (schemas/schema_refs.py); and a
`pattern` must stay inside a subset without backtracking blow-ups (schemas/safe_regex.py).
Only real subschema positions are walked, so a property *named* `pattern` or an `enum` value is
never mistaken for a keyword.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from schemas.safe_regex import pattern_problem
from schemas.schema_refs import find_ref_problems
from schemas.schema_walk import SchemaProblem, subschemas

__all__ = [
    "UNSUPPORTED_KEYWORDS",
    "XGRAMMAR_STRING_FORMATS",
    "SchemaProblem",
    "describe_unsupported",
    "find_unsupported",
]

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


def find_unsupported(schema: object) -> list[SchemaProblem]:
    """Every problem in `schema`, in document order; empty when xgrammar accepts it."""
    if not isinstance(schema, Mapping):
        return [SchemaProblem("", "type", "a schema sent to the server must be a JSON object")]
    return [*_check(schema, ""), *find_ref_problems(schema)]


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
    for child, child_pointer in subschemas(schema, pointer):
        yield from _check(child, child_pointer)


def _check_string_keywords(schema: Mapping[str, Any], pointer: str) -> Iterator[SchemaProblem]:
    if not _may_be_string(schema):
        return
    fmt = schema.get("format")
    if fmt is not None and fmt not in XGRAMMAR_STRING_FORMATS:
        yield SchemaProblem(pointer, "format", f"format {fmt!r} is not supported by xgrammar")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        problem = pattern_problem(pattern)
        if problem is not None:
            yield SchemaProblem(pointer, "pattern", problem)
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
