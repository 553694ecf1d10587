"""A deterministic instance of a JSON schema, as a structured-output server would return.

Covers what extraction schemas use: objects, arrays (`items`, `prefixItems`, min/max items),
local `$ref`s, `anyOf`/`oneOf`/`allOf`, `const`/`enum`, numeric bounds, string length bounds and
the string formats xgrammar supports. A `pattern` is not synthesised. String properties get
`text`; properties listed in `numbers` (e.g. width, height, end) get those values when in range.
"""

from collections.abc import Mapping
from typing import Any

FORMAT_EXAMPLES = {
    "date": "2024-01-31",
    "time": "12:00:00Z",
    "date-time": "2024-01-31T12:00:00Z",
    "duration": "PT1S",
    "email": "fake@example.org",
    "hostname": "example.org",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.org/fake",
    "uri-reference": "/fake",
    "uri-template": "/fake/{id}",
    "json-pointer": "/fake",
    "relative-json-pointer": "0/fake",
}


def schema_instance(
    schema: Mapping[str, Any], text: str, numbers: Mapping[str, float] | None = None
) -> Any:
    """An instance of `schema` whose strings say `text`."""
    return _Builder(schema, text, dict(numbers or {})).build(schema, key=None)


class _Builder:
    def __init__(self, root: Mapping[str, Any], text: str, numbers: dict[str, float]) -> None:
        self.root = root
        self.text = text
        self.numbers = numbers

    def build(self, schema: object, key: str | None) -> Any:
        if not isinstance(schema, Mapping):
            return self.text  # `true` accepts anything
        if "$ref" in schema:
            return self.build(self._resolve(schema["$ref"]), key)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                options = schema[combinator]
                chosen = next((o for o in options if o.get("type") != "null"), options[0])
                return self.build(chosen, key)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part["$ref"]) if "$ref" in part else part)
            return self.build(merged, key)
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        return getattr(self, f"_{kind}")(schema, key)

    def _resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#"):
            raise ValueError(f"only local refs are supported, not {ref!r}")
        node: Any = self.root
        for part in filter(None, ref[1:].split("/")):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node  # type: ignore[no-any-return]

    def _object(self, schema: Mapping[str, Any], key: str | None) -> dict[str, Any]:
        properties = schema.get("properties", {})
        return {name: self.build(sub, name) for name, sub in properties.items()}

    def _array(self, schema: Mapping[str, Any], key: str | None) -> list[Any]:
        values = [self.build(sub, key) for sub in schema.get("prefixItems", [])]
        wanted = max(schema.get("minItems", 0), len(values) or 1)
        wanted = min(wanted, schema.get("maxItems", wanted))
        items = schema.get("items")
        while len(values) < wanted and isinstance(items, Mapping):
            values.append(self.build(items, key))
        return values[:wanted] if "maxItems" in schema else values

    def _string(self, schema: Mapping[str, Any], key: str | None) -> str:
        value = FORMAT_EXAMPLES.get(schema.get("format", ""), self.text)
        value = value.ljust(schema.get("minLength", 0), ".")
        return value[: schema.get("maxLength", len(value))]

    def _number(self, schema: Mapping[str, Any], key: str | None) -> float:
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        value = float(self.numbers.get(key or "", low))
        if "exclusiveMinimum" in schema and value <= low:
            value = low + 1
        if value < low or (high is not None and value > high):
            value = float(low)
        return value

    def _integer(self, schema: Mapping[str, Any], key: str | None) -> int:
        return int(self._number(schema, key))

    def _boolean(self, schema: Mapping[str, Any], key: str | None) -> bool:
        return False

    def _null(self, schema: Mapping[str, Any], key: str | None) -> None:
        return None
