"""Limits on a JSON schema sent to the server, checked before anything walks it recursively.

A schema is sent to the model with every extraction and validated by `jsonschema`, whose
`check_schema` costs about 3 us per byte: the caps keep one registration well under a second
and one prompt within reason. The walk here is iterative, so a schema nested 100,000 levels
deep is refused rather than exhausting the stack.
"""

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from schemas.schema_walk import SchemaProblem, escape_token
from schemas.text_rules import printable, text_problem

SCHEMA_MAX_BYTES = 64 * 1024
"""Size of the schema as compact JSON with non-ASCII characters escaped."""
SCHEMA_MAX_DEPTH = 32
"""Nesting of JSON objects and arrays; the root object is level 1."""
SCHEMA_MAX_PROPERTIES = 512
"""Entries of every object held under a `properties` key, together."""
MAX_PROBLEMS_LISTED = 20


@dataclass(frozen=True)
class _Node:
    value: object
    pointer: str
    depth: int
    parent_keyword: str | None


def find_oversized(schema: object) -> list[SchemaProblem]:
    """The caps `schema` exceeds. Depth is checked first (nothing deeper is walked), and the
    walk stops once the strings and keys seen alone pass the size cap, so a huge schema costs
    no more than one at the cap."""
    properties = 0
    text_bytes = 0
    for node in _walk(schema):
        if node.depth > SCHEMA_MAX_DEPTH:
            return [
                SchemaProblem(
                    node.pointer,
                    "maxDepth",
                    f"nested deeper than {SCHEMA_MAX_DEPTH} levels of objects and arrays",
                )
            ]
        if node.parent_keyword == "properties":
            properties += 1
        if isinstance(node.value, str):
            text_bytes += len(node.value)
        elif isinstance(node.value, Mapping):
            text_bytes += sum(len(str(key)) for key in node.value)
        if text_bytes > SCHEMA_MAX_BYTES:
            return [_too_large(f"is more than {SCHEMA_MAX_BYTES} bytes")]
    problems = []
    if properties > SCHEMA_MAX_PROPERTIES:
        problems.append(
            SchemaProblem(
                "",
                "maxProperties",
                f"declares {properties} properties; at most {SCHEMA_MAX_PROPERTIES} are accepted",
            )
        )
    size = len(json.dumps(schema, separators=(",", ":"), ensure_ascii=True))
    if size > SCHEMA_MAX_BYTES:
        problems.append(_too_large(f"is {size} bytes"))
    return problems


def _too_large(how_large: str) -> SchemaProblem:
    return SchemaProblem(
        "",
        "maxBytes",
        f"{how_large} as compact ASCII JSON; at most {SCHEMA_MAX_BYTES} are accepted",
    )


def find_unstorable(value: object) -> list[SchemaProblem]:
    """Strings with NUL or lone surrogates and non-finite numbers (NaN, Infinity, 1e400):
    JSON columns cannot hold them. Call after `find_oversized` found nothing."""
    problems: list[SchemaProblem] = []
    for node in _walk(value):
        if isinstance(node.value, str):
            problem = text_problem(node.value)
            if problem is not None:
                problems.append(SchemaProblem(node.pointer, "string", f"the string {problem}"))
        elif isinstance(node.value, float) and not math.isfinite(node.value):
            problems.append(
                SchemaProblem(node.pointer, "number", f"{node.value} is not a finite number")
            )
        if isinstance(node.value, Mapping):
            for key in node.value:
                problem = text_problem(str(key))
                if problem is not None:
                    pointer = f"{node.pointer}/{_escape(str(key))}"
                    problems.append(SchemaProblem(pointer, "key", f"the key {problem}"))
        if len(problems) >= MAX_PROBLEMS_LISTED:
            break
    return problems


def _walk(root: object) -> Iterator[_Node]:
    """Every value under `root` in document order, without recursion."""
    stack = [_Node(root, "", 1 if isinstance(root, Mapping | list) else 0, None)]
    while stack:
        node = stack.pop()
        yield node
        children: list[tuple[str, object]] = []
        if isinstance(node.value, Mapping):
            children = [(str(key), child) for key, child in node.value.items()]
        elif isinstance(node.value, list):
            children = [(str(index), child) for index, child in enumerate(node.value)]
        parent = node.pointer.rsplit("/", 1)[-1] if isinstance(node.value, Mapping) else None
        for token, child in reversed(children):
            depth = node.depth + 1 if isinstance(child, Mapping | list) else node.depth
            stack.append(_Node(child, f"{node.pointer}/{_escape(token)}", depth, parent))


def _escape(token: str) -> str:
    return escape_token(printable(token))
