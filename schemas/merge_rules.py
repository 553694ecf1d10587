"""Merge rules a registered schema may state per property, and the keyword that states them.

`"x-greenhouse-merge"` on a property says how the pages' answers become the document's:

- `agree` (default for strings, numbers, integers, booleans): the answer every page gives;
  pages that disagree make a conflict, and the value is `null`;
- `first` / `last`: the first / last page's non-null answer, the others ignored;
- `concat` (default for arrays): the pages' arrays joined in page order;
- `sum`, `max`, `min`: numbers only, over the non-null answers.

An object without a rule is merged property by property; with `agree`, `first` or `last` it is
one value. The keyword is Greenhouse's: `strip_merge_rules` removes it from what the model is
sent, so the model never sees it.
"""

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, Final

from schemas.schema_walk import SCHEMA_LISTS, SCHEMA_MAPS, SCHEMA_VALUES, subschemas

__all__ = [
    "MERGE_KEYWORD",
    "MergeRule",
    "find_merge_rule_problems",
    "merge_rule_of",
    "node_type",
    "resolve_ref",
    "strip_merge_rules",
]

MERGE_KEYWORD: Final = "x-greenhouse-merge"


class MergeRule(StrEnum):
    """How the pages' answers for one property become the document's."""

    AGREE = "agree"
    FIRST = "first"
    LAST = "last"
    CONCAT = "concat"
    SUM = "sum"
    MAX = "max"
    MIN = "min"


_NUMERIC_RULES = frozenset({MergeRule.SUM, MergeRule.MAX, MergeRule.MIN})
_NUMERIC_TYPES = frozenset({"number", "integer"})
_RULE_NAMES = frozenset(rule.value for rule in MergeRule)


def strip_merge_rules(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema without any `x-greenhouse-merge` keyword (a copy; key order kept, so the
    prompt built from it is the same bytes every time). Only subschema positions are walked:
    a property *named* `x-greenhouse-merge` stays."""
    stripped: dict[str, Any] = {}
    for key, value in schema.items():
        if key == MERGE_KEYWORD:
            continue
        if key in SCHEMA_MAPS and isinstance(value, Mapping):
            value = {name: _strip_any(child) for name, child in value.items()}
        elif key in SCHEMA_LISTS and isinstance(value, list):
            value = [_strip_any(child) for child in value]
        elif key in SCHEMA_VALUES:
            value = _strip_any(value)
        stripped[key] = value
    return stripped


def _strip_any(node: Any) -> Any:
    return strip_merge_rules(node) if isinstance(node, Mapping) else node


def resolve_ref(root: Mapping[str, Any], node: Any) -> Any:
    """`node` with local `$ref`s followed (at most 32 hops; a bad ref leaves the node)."""
    for _ in range(32):
        if not isinstance(node, Mapping) or not isinstance(node.get("$ref"), str):
            return node
        target: Any = root
        for part in filter(None, node["$ref"].lstrip("#").split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or part not in target:
                return node
            target = target[part]
        if MERGE_KEYWORD in node and isinstance(target, Mapping):
            target = {**target, MERGE_KEYWORD: node[MERGE_KEYWORD]}
        node = target
    return node


def node_type(node: Any) -> str | None:
    """The non-null JSON type a (resolved) schema node describes, when it says one."""
    if not isinstance(node, Mapping):
        return None
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if isinstance(kind, str) and kind != "null":
        return kind
    if "properties" in node:
        return "object"
    for combinator in ("anyOf", "oneOf"):
        options = node.get(combinator)
        if isinstance(options, list):
            for option in options:
                found = node_type(option)
                if found is not None:
                    return found
    return None


def merge_rule_of(node: Any) -> MergeRule | None:
    """The rule a schema node states, or None (the default applies)."""
    if isinstance(node, Mapping) and isinstance(node.get(MERGE_KEYWORD), str):
        try:
            return MergeRule(node[MERGE_KEYWORD])
        except ValueError:
            return None
    return None


def find_merge_rule_problems(schema: Mapping[str, Any]) -> list[str]:
    """Every misused merge keyword, as `#/pointer: why` lines (empty when all are valid)."""
    return list(_problems(schema, schema, "", 0))


def _problems(
    root: Mapping[str, Any], node: Mapping[str, Any], pointer: str, depth: int
) -> Iterator[str]:
    if depth > 64:
        return
    if MERGE_KEYWORD in node:
        yield from _rule_problems(root, node, pointer)
    for child, child_pointer in subschemas(node, pointer):
        yield from _problems(root, child, child_pointer, depth + 1)


def _rule_problems(root: Mapping[str, Any], node: Mapping[str, Any], pointer: str) -> Iterator[str]:
    value = node[MERGE_KEYWORD]
    where = f"#{pointer}"
    allowed = ", ".join(rule.value for rule in MergeRule)
    if not isinstance(value, str) or value not in _RULE_NAMES:
        yield f"{where}: '{MERGE_KEYWORD}' must be one of {allowed}"
        return
    rule = MergeRule(value)
    kind = node_type(resolve_ref(root, node))
    if rule in _NUMERIC_RULES and kind is not None and kind not in _NUMERIC_TYPES:
        yield f"{where}: '{MERGE_KEYWORD}: {rule}' needs a number or integer, not {kind}"
    if rule is MergeRule.CONCAT and kind is not None and kind != "array":
        yield f"{where}: '{MERGE_KEYWORD}: concat' needs an array, not {kind}"
