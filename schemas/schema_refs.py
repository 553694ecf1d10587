"""Local `$ref`s must point at a schema object in the same document and must not form a
cycle: a recursive schema has no finite answer the extraction could be forced into."""

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from schemas.schema_walk import SchemaProblem, escape_token, subschemas

_ON_PATH, _DONE = 1, 2


def find_ref_problems(schema: Mapping[str, Any]) -> list[SchemaProblem]:
    """Dangling, non-pointer and cyclic local `$ref`s, each at the pointer of the subschema
    holding it. Remote refs are left to the subset check. Iterative: long ref chains are fine."""
    problems: list[SchemaProblem] = []
    state: dict[str, int] = {"": _ON_PATH}
    stack = [("", _edges(schema, schema, "", problems))]
    while stack:
        pointer, edges = stack[-1]
        edge = next(edges, None)
        if edge is None:
            state[pointer] = _DONE
            stack.pop()
            continue
        target, target_pointer, ref_at = edge
        seen = state.get(target_pointer)
        if seen == _ON_PATH and ref_at is not None:
            problems.append(
                SchemaProblem(
                    ref_at, "$ref", f"'$ref' to '#{target_pointer}' forms a cycle (recursion)"
                )
            )
        elif seen is None:
            state[target_pointer] = _ON_PATH
            stack.append((target_pointer, _edges(schema, target, target_pointer, problems)))
    return sorted(set(problems), key=lambda problem: problem.pointer)


def _edges(
    root: Mapping[str, Any], node: Mapping[str, Any], pointer: str, problems: list[SchemaProblem]
) -> Iterator[tuple[Mapping[str, Any], str, str | None]]:
    """(target, its pointer, pointer of the `$ref` or None for a plain subschema)."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        resolved = _resolve(root, ref)
        if isinstance(resolved, str):
            problems.append(SchemaProblem(pointer, "$ref", resolved))
        else:
            yield resolved[0], resolved[1], pointer
    for child, child_pointer in subschemas(node, pointer):
        yield child, child_pointer, None


def _resolve(root: Mapping[str, Any], ref: str) -> tuple[Mapping[str, Any], str] | str:
    """(target, canonical pointer), or why the ref cannot be resolved."""
    fragment = ref[1:]
    if fragment and not fragment.startswith("/"):
        return f"'$ref' {ref!r} is not a JSON pointer ('#/...'); anchors are not supported"
    current: object = root
    tokens = [] if not fragment else fragment[1:].split("/")
    decoded = [unquote(token).replace("~1", "/").replace("~0", "~") for token in tokens]
    for token in decoded:
        if isinstance(current, Mapping) and token in current:
            current = current[token]
        elif isinstance(current, list) and token.isdigit() and int(token) < len(current):
            current = current[int(token)]
        else:
            return f"'$ref' {ref!r} points at nothing in this schema"
    if not isinstance(current, Mapping):
        return f"'$ref' {ref!r} does not point at a schema object"
    return current, "".join(f"/{escape_token(token)}" for token in decoded)
