"""Where a JSON schema holds subschemas, and how a problem in one is reported."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

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
SCHEMA_MAPS, SCHEMA_VALUES, SCHEMA_LISTS = _SCHEMA_MAPS, _SCHEMA_VALUES, _SCHEMA_LISTS
"""Keywords holding a map of subschemas, one subschema, a list of subschemas."""


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a schema cannot be used, at one place in it."""

    pointer: str
    """JSON pointer (RFC 6901) of the offending subschema or value; "" is the root."""
    keyword: str
    message: str

    def __str__(self) -> str:
        return f"#{self.pointer}: {self.message}"


def subschemas(schema: Mapping[str, Any], pointer: str) -> Iterator[tuple[Mapping[str, Any], str]]:
    """The direct subschemas of `schema` (real subschema positions only) with their pointers."""
    for keyword, value in schema.items():
        here = f"{pointer}/{escape_token(keyword)}"
        if keyword in _SCHEMA_MAPS and isinstance(value, Mapping):
            for name, child in value.items():
                if isinstance(child, Mapping):
                    yield child, f"{here}/{escape_token(name)}"
        elif keyword in _SCHEMA_LISTS and isinstance(value, list):
            for index, child in enumerate(value):
                if isinstance(child, Mapping):
                    yield child, f"{here}/{index}"
        elif keyword in _SCHEMA_VALUES and isinstance(value, Mapping):
            yield value, here


def escape_token(token: object) -> str:
    """One JSON pointer token: `~` as `~0`, `/` as `~1`."""
    return str(token).replace("~", "~0").replace("/", "~1")
