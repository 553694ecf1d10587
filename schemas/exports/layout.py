"""The tables of an export and their fixed columns.

Without a schema an export has one table, `main`: one row per document result with its text
and Markdown. With a schema, the columns come from the schema's JSON schema, so every chunk of
an export (and every export of that schema) has the same columns:

- properties are taken in sorted order at each level (PostgreSQL's JSONB does not keep a
  schema's key order, so sorting is what both backends agree on);
- a scalar property is a column named by its dotted path (`vendor.name`);
- an array of objects is a second table named by its dotted path (`line_items`), one row per
  item keyed by `document_id` and `index`, with the item's properties flattened the same way;
- anything else (an array of scalars, an object without properties, a union of several types,
  an array inside an array item) is a `json` column holding the value as JSON text.

Every row of every table starts with `document_id`, `collection`, `updated_at` and `watermark`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "BASE_COLUMNS",
    "MAIN_TABLE",
    "ColumnType",
    "ExportColumn",
    "ExportLayout",
    "ExportTable",
    "schema_layout",
    "text_layout",
]

MAIN_TABLE = "main"
MAX_DEPTH = 32
"""Nesting followed into a schema; deeper objects are one `json` column."""


class ColumnType(StrEnum):
    """How a column's values are typed in every format."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    JSON = "json"
    """A value of any shape, written as compact JSON text."""


@dataclass(frozen=True)
class ExportColumn:
    """One column: its name, type and, for a field, the keys leading to it in its object."""

    name: str
    type: ColumnType
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportTable:
    """One table of an export. `array_path` is empty for `main`; for an item table, the keys
    from `fields` to the array whose items are its rows."""

    name: str
    columns: tuple[ExportColumn, ...]
    array_path: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        """The header, in order."""
        return [column.name for column in self.columns]


@dataclass(frozen=True)
class ExportLayout:
    """Every table of an export, `main` first."""

    tables: tuple[ExportTable, ...]
    schema: str | None = None
    schema_version: int | None = None
    """The version whose JSON schema gave the columns (rows of other versions fit them)."""

    def table(self, name: str) -> ExportTable | None:
        """The table called `name`, if the export has one."""
        return next((table for table in self.tables if table.name == name), None)

    @property
    def table_names(self) -> list[str]:
        """Every table's name, `main` first."""
        return [table.name for table in self.tables]


BASE_COLUMNS = (
    ExportColumn("document_id", ColumnType.STRING),
    ExportColumn("collection", ColumnType.STRING),
    ExportColumn("updated_at", ColumnType.TIMESTAMP),
    ExportColumn("watermark", ColumnType.INTEGER),
)
"""First in every table: whose row it is, and when and at which change it was written."""
RESULT_COLUMNS = (
    ExportColumn("kind", ColumnType.STRING),
    ExportColumn("schema", ColumnType.STRING),
    ExportColumn("schema_version", ColumnType.INTEGER),
)
"""After the base columns in `main`: the result's kind and the schema it was filled with."""
TEXT_COLUMNS = (
    ExportColumn("text", ColumnType.STRING),
    ExportColumn("markdown", ColumnType.STRING),
)
INDEX_COLUMN = ExportColumn("index", ColumnType.INTEGER)
"""After the base columns in an item table: the item's position in its array."""
_RESERVED = {column.name for column in (*BASE_COLUMNS, *RESULT_COLUMNS, INDEX_COLUMN)}
_SCALARS = {
    "string": ColumnType.STRING,
    "number": ColumnType.NUMBER,
    "integer": ColumnType.INTEGER,
    "boolean": ColumnType.BOOLEAN,
}


def text_layout() -> ExportLayout:
    """The export of documents read without a schema: one row each, text and Markdown."""
    return ExportLayout((ExportTable(MAIN_TABLE, (*BASE_COLUMNS, *RESULT_COLUMNS, *TEXT_COLUMNS)),))


def schema_layout(name: str, version: int, json_schema: Mapping[str, Any]) -> ExportLayout:
    """The tables of an export of `name`'s filled fields, from a version's JSON schema."""
    walker = _Walker(json_schema)
    main_fields: list[ExportColumn] = []
    walker.walk(json_schema, (), main_fields, in_item=False, depth=0)
    main = ExportTable(MAIN_TABLE, (*BASE_COLUMNS, *RESULT_COLUMNS, *_named(main_fields)))
    return ExportLayout((main, *walker.item_tables), schema=name, schema_version=version)


class _Walker:
    """Walks a schema's properties into columns, collecting item tables on the way."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.item_tables: list[ExportTable] = []

    def walk(
        self,
        node: Mapping[str, Any],
        path: tuple[str, ...],
        out: list[ExportColumn],
        *,
        in_item: bool,
        depth: int,
    ) -> None:
        """Columns for `node` at `path` (relative to the row's object) appended to `out`."""
        node = self.resolved(node)
        alternative = _only_alternative(node)
        if alternative is not None:
            node = self.resolved(alternative)
        kind = _single_type(node)
        properties = node.get("properties")
        if kind == "object" and isinstance(properties, Mapping) and depth < MAX_DEPTH:
            for key in sorted(properties):
                child = properties[key]
                if isinstance(child, Mapping):
                    self.walk(child, (*path, str(key)), out, in_item=in_item, depth=depth + 1)
            return
        if kind == "array" and not in_item and path:
            items = self.resolved(node.get("items"))
            if _single_type(items) == "object" and isinstance(items.get("properties"), Mapping):
                self.add_item_table(path, items, depth)
                return
        if not path:
            return
        out.append(ExportColumn(".".join(path), _SCALARS.get(kind or "", ColumnType.JSON), path))

    def add_item_table(self, path: tuple[str, ...], items: Mapping[str, Any], depth: int) -> None:
        columns: list[ExportColumn] = []
        self.walk(items, (), columns, in_item=True, depth=depth + 1)
        self.item_tables.append(
            ExportTable(".".join(path), (*BASE_COLUMNS, INDEX_COLUMN, *_named(columns)), path)
        )

    def resolved(self, node: object) -> Mapping[str, Any]:
        """The subschema a local `$ref` points at (followed a bounded number of times)."""
        for _ in range(MAX_DEPTH):
            if not isinstance(node, Mapping):
                return {}
            ref = node.get("$ref")
            if not (isinstance(ref, str) and ref.startswith("#")):
                return node
            node = _pointer(self.root, ref[1:])
        return {}


def _single_type(node: Mapping[str, Any]) -> str | None:
    """The one non-null JSON type `node` allows, or None when it allows several or says none."""
    declared = node.get("type")
    types = [declared] if isinstance(declared, str) else declared
    if isinstance(types, list):
        concrete = [t for t in types if t != "null"]
        return concrete[0] if len(concrete) == 1 and isinstance(concrete[0], str) else None
    if "properties" in node:
        return "object"
    values = node.get("enum", [node["const"]] if "const" in node else None)
    if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
        return "string"
    return None


def _only_alternative(node: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The one non-null option of an `anyOf`/`oneOf` (a nullable value), if that is all."""
    for union in ("anyOf", "oneOf"):
        options = node.get(union)
        if isinstance(options, list):
            concrete = [
                option
                for option in options
                if not (isinstance(option, Mapping) and option.get("type") == "null")
            ]
            if len(concrete) == 1 and isinstance(concrete[0], Mapping):
                return concrete[0]
    return None


def _pointer(root: Mapping[str, Any], pointer: str) -> object:
    current: object = root
    for token in pointer.split("/")[1:] if pointer else []:
        key = token.replace("~1", "/").replace("~0", "~")
        if isinstance(current, Mapping):
            current = current.get(key)
        elif isinstance(current, list) and key.isdigit() and int(key) < len(current):
            current = current[int(key)]
        else:
            return None
    return current


def _named(columns: list[ExportColumn]) -> list[ExportColumn]:
    """Field columns whose names are unique and clear of the fixed columns: a name taken
    already is prefixed with `fields.`; a name still taken after that is left out."""
    taken = set(_RESERVED)
    named: list[ExportColumn] = []
    for column in columns:
        name = column.name if column.name not in taken else f"fields.{column.name}"
        if name in taken:
            continue
        taken.add(name)
        named.append(ExportColumn(name, column.type, column.path))
    return named
