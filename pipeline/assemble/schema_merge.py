"""Merging the pages' schema answers into one document-level answer, by the schema's rules.

Pure: the pages' fields (in page order, with where each came from and what grounding found on
its page) go in; the merged fields, every non-null leaf's provenance and the conflicts come
out. The rules are `schemas.merge_rules`: `agree` for scalars and `concat` for arrays unless
the schema says otherwise; objects merge property by property. Two answers agree when they are
equal as JSON after integral floats become integers and runs of whitespace in strings collapse
to one space (`12.0` agrees with `12`, `"ACME  Ltd"` with `"ACME Ltd"`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from schemas.merge_rules import MergeRule, merge_rule_of, node_type, resolve_ref
from schemas.schema_walk import escape_token

__all__ = ["MergedFields", "PageAnswer", "merge_answers"]


@dataclass(frozen=True)
class PageAnswer:
    """One page's (image's, frame's) answer and where it came from."""

    page: int
    fields: Mapping[str, Any] | None
    """None when the page gave no answer (failed, or fell back to the local tier)."""
    grounding: Mapping[str, Sequence[float]] = field(default_factory=dict)
    """JSON pointer into `fields` → bbox [x0, y0, x1, y1] where the value stands on the page."""
    seconds: float | None = None
    """A video frame's time: provenance is then in seconds, not pages."""

    def location(self) -> dict[str, Any]:
        """Where the answer came from, without a box."""
        if self.seconds is not None:
            return {"start_seconds": self.seconds, "end_seconds": self.seconds}
        return {"page": self.page}


@dataclass
class MergedFields:
    """The document-level answer."""

    fields: dict[str, Any]
    provenance: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    conflicts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Value:
    source: PageAnswer
    value: Any
    pointer: str
    """Where the value sits in its page's fields."""


def merge_answers(schema: Mapping[str, Any], answers: Sequence[PageAnswer]) -> MergedFields:
    """The pages' answers merged by the schema's rules; `fields` holds every property of the
    schema's root object (null when no page answered it)."""
    merged = MergedFields(fields={})
    values = [_Value(answer, answer.fields, "") for answer in answers if answer.fields is not None]
    fields = _Merger(schema, merged).object(schema, values, "")
    merged.fields = fields if fields is not None else {}
    return merged


class _Merger:
    def __init__(self, root: Mapping[str, Any], out: MergedFields) -> None:
        self.root = root
        self.out = out

    def node(self, schema: Any, values: list[_Value], pointer: str) -> Any:
        schema = resolve_ref(self.root, schema)
        present = [value for value in values if value.value is not None]
        rule = merge_rule_of(schema)
        kind = node_type(schema)
        if rule is None:
            if kind == "object" and all(isinstance(v.value, Mapping) for v in present):
                return self.object(schema, present, pointer) if present else None
            if kind == "array" or (kind is None and _all_lists(present)):
                rule = MergeRule.CONCAT
            else:
                rule = MergeRule.AGREE
        if not present:
            return None
        return getattr(self, f"_{rule.value}")(present, pointer)

    def object(self, schema: Any, values: list[_Value], pointer: str) -> dict[str, Any] | None:
        schema = resolve_ref(self.root, schema)
        properties = schema.get("properties", {}) if isinstance(schema, Mapping) else {}
        names = list(properties)
        for value in values:
            if isinstance(value.value, Mapping):
                names += [name for name in value.value if name not in names]
        merged: dict[str, Any] = {}
        for name in names:
            token = escape_token(name)
            children = [
                _Value(v.source, v.value.get(name), f"{v.pointer}/{token}")
                for v in values
                if isinstance(v.value, Mapping)
            ]
            merged[name] = self.node(properties.get(name, {}), children, f"{pointer}/{token}")
        return merged

    def _agree(self, present: list[_Value], pointer: str) -> Any:
        if len({_canonical(value.value) for value in present}) > 1:
            self._conflict(MergeRule.AGREE, present, pointer)
            return None
        for value in present:
            self._provenance(value, value.value, value.pointer, pointer)
        return present[0].value

    def _first(self, present: list[_Value], pointer: str) -> Any:
        return self._take(present[0], pointer)

    def _last(self, present: list[_Value], pointer: str) -> Any:
        return self._take(present[-1], pointer)

    def _concat(self, present: list[_Value], pointer: str) -> list[Any]:
        items: list[Any] = []
        for value in present:
            pieces = value.value if isinstance(value.value, list) else [value.value]
            for index, item in enumerate(pieces):
                source = (
                    f"{value.pointer}/{index}" if isinstance(value.value, list) else value.pointer
                )
                self._provenance(value, item, source, f"{pointer}/{len(items)}")
                items.append(item)
        return items

    def _sum(self, present: list[_Value], pointer: str) -> Any:
        numbers = self._numbers(present, MergeRule.SUM, pointer)
        if numbers is None:
            return None
        for value in numbers:
            self._provenance(value, value.value, value.pointer, pointer)
        total = sum((Decimal(str(value.value)) for value in numbers), Decimal(0))
        if all(isinstance(value.value, int) for value in numbers):
            return int(total)
        return float(total)

    def _max(self, present: list[_Value], pointer: str) -> Any:
        numbers = self._numbers(present, MergeRule.MAX, pointer)
        if numbers is None:
            return None
        return self._take(max(numbers, key=lambda value: value.value), pointer)

    def _min(self, present: list[_Value], pointer: str) -> Any:
        numbers = self._numbers(present, MergeRule.MIN, pointer)
        if numbers is None:
            return None
        return self._take(min(numbers, key=lambda value: value.value), pointer)

    def _numbers(self, present: list[_Value], rule: MergeRule, pointer: str) -> list[_Value] | None:
        """The numeric answers; a conflict (and None) when a page answered something else."""
        if all(_is_number(value.value) for value in present):
            return present
        self._conflict(rule, present, pointer)
        return None

    def _take(self, value: _Value, pointer: str) -> Any:
        self._provenance(value, value.value, value.pointer, pointer)
        return value.value

    def _conflict(self, rule: MergeRule, present: list[_Value], pointer: str) -> None:
        self.out.conflicts.append(
            {
                "path": pointer,
                "rule": rule.value,
                "values": [{"value": v.value, **v.source.location()} for v in present],
            }
        )

    def _provenance(self, value: _Value, item: Any, source: str, target: str) -> None:
        """One entry for every non-null scalar leaf of `item` (found at `source` on its page,
        placed at `target` in the merged fields)."""
        if isinstance(item, Mapping):
            for name, child in item.items():
                token = escape_token(name)
                self._provenance(value, child, f"{source}/{token}", f"{target}/{token}")
        elif isinstance(item, list):
            for index, child in enumerate(item):
                self._provenance(value, child, f"{source}/{index}", f"{target}/{index}")
        elif item is not None:
            entry = value.source.location()
            box = value.source.grounding.get(source)
            if box is not None and value.source.seconds is None:
                entry["bbox"] = list(box)
            self.out.provenance.setdefault(target, []).append(entry)


def _all_lists(present: list[_Value]) -> bool:
    return bool(present) and all(isinstance(value.value, list) for value in present)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _canonical(value: Any) -> str:
    """A comparable form: integral floats as integers, whitespace runs collapsed."""
    if isinstance(value, Mapping):
        inner = ",".join(f"{key!r}:{_canonical(value[key])}" for key in sorted(value))
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return repr(int(value))
    if isinstance(value, str):
        return repr(" ".join(value.split()))
    return repr(value)
