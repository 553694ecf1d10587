"""Field predicates (`schemas.field_query`) as SQL expressions over a JSON column, one
compiler per backend with the same meaning. Paths and values are always bound parameters.

PostgreSQL (JSONB): equality, `in` and array membership are containment (`data @> :doc`),
which the `jsonb_path_ops` GIN index answers; ranges read `data #> :path` guarded by
`jsonb_typeof` (a CASE, so a string never reaches the numeric cast); strings compare
`COLLATE "C"` (code points, as SQLite's BINARY). SQLite: `json_type` and `json_extract` on a
`$."key"."key"` path, `json_each` for array membership.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Float,
    Numeric,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from schemas.field_query import FieldPredicate, Literal, Operator

__all__ = ["predicates_clause"]

Path = tuple[str, ...]
JsonColumn = ColumnElement[Any] | QueryableAttribute[Any]


def predicates_clause(
    column: JsonColumn,
    predicates: Sequence[FieldPredicate],
    dialect: str,
    root: Path = (),
) -> ColumnElement[bool]:
    """Every predicate (AND) on `column`, each path read below `root`."""
    compile_one = _postgres if dialect == "postgresql" else _sqlite
    clauses = [compile_one(column, root + p.path, p.op, p.values) for p in predicates]
    return and_(true(), *clauses)


# PostgreSQL -----------------------------------------------------------------------------


def _postgres(
    column: ColumnElement[Any] | QueryableAttribute[Any],
    path: Path,
    op: Operator,
    values: tuple[Literal, ...],
) -> ColumnElement[bool]:
    data = type_coerce(column, JSONB)
    keys = bindparam(None, list(path), type_=ARRAY(String))
    node = data.op("#>", return_type=JSONB)(keys)
    text = data.op("#>>", return_type=String)(keys)
    kind = func.jsonb_typeof(node)
    if op is Operator.EXISTS:
        return node.is_not(None)
    if op is Operator.IN:
        return or_(*[data.contains(_nested(path, value)) for value in values])
    value = values[0]
    if op is Operator.CONTAINS:
        member = data.contains(_nested(path, [value]))
        return or_(member, and_(kind == "string", func.strpos(text, _text_of(value)) > 0))
    if op is Operator.EQ:
        return data.contains(_nested(path, value))
    if value is None:  # != null: present and not null
        return and_(node.is_not(None), kind != "null")
    if isinstance(value, bool):
        return and_(kind == "boolean", not_(data.contains(_nested(path, value))))
    if isinstance(value, str):
        string = case((kind == "string", text), else_=None)
        return _compare(string.collate("C"), op, literal(value, String))
    number = case((kind == "number", cast(node, Numeric)), else_=None)
    return _compare(number, op, literal(value, Numeric))


def _nested(path: Path, value: object) -> Any:
    """{"a": {"b": value}} for the path a.b: a containment document."""
    document: object = value
    for key in reversed(path):
        document = {key: document}
    return bindparam(None, document, type_=JSONB)


# SQLite ---------------------------------------------------------------------------------

_NUMBER_TYPES = ("integer", "real")


def _sqlite(
    column: ColumnElement[Any] | QueryableAttribute[Any],
    path: Path,
    op: Operator,
    values: tuple[Literal, ...],
) -> ColumnElement[bool]:
    json_path = bindparam(None, "$" + "".join(f'."{key}"' for key in path), type_=String)
    kind = func.json_type(column, json_path)
    extracted = func.json_extract(column, json_path)
    if op is Operator.EXISTS:
        return kind.is_not(None)
    if op is Operator.IN:
        return or_(*[_sqlite_equal(kind, extracted, value) for value in values])
    value = values[0]
    if op is Operator.CONTAINS:
        elements = func.json_each(column, json_path).table_valued("value", "type")
        member = exists(
            select(literal(1))
            .select_from(elements)
            .where(_sqlite_equal(elements.c.type, elements.c.value, value))
        )
        substring = func.instr(extracted, _text_of(value)) > 0
        return case(
            (kind == "text", substring),
            (kind == "array", member),
            else_=false(),
        )
    if op is Operator.EQ:
        return _sqlite_equal(kind, extracted, value)
    if value is None:
        return and_(kind.is_not(None), kind != "null")
    if isinstance(value, bool):
        return kind == ("false" if value else "true")
    if isinstance(value, str):
        string = case((kind == "text", extracted), else_=None)
        return _compare(string, op, literal(value, String))
    number = case((kind.in_(_NUMBER_TYPES), extracted), else_=None)
    return _compare(number, op, literal(value, Float))


def _sqlite_equal(
    kind: ColumnElement[Any], extracted: ColumnElement[Any], value: Literal
) -> ColumnElement[bool]:
    if value is None:
        return kind == "null"
    if isinstance(value, bool):
        return kind == ("true" if value else "false")
    if isinstance(value, str):
        return and_(kind == "text", extracted == literal(value, String))
    return and_(kind.in_(_NUMBER_TYPES), extracted == literal(value, Float))


# Both -----------------------------------------------------------------------------------


def _compare(
    left: ColumnElement[Any], op: Operator, right: ColumnElement[Any]
) -> ColumnElement[bool]:
    if op is Operator.NE:
        return left != right
    if op is Operator.GT:
        return left > right
    if op is Operator.GE:
        return left >= right
    if op is Operator.LT:
        return left < right
    if op is Operator.LE:
        return left <= right
    raise ValueError(f"{op} is not a comparison")  # pragma: no cover - callers check


def _text_of(value: Literal) -> ColumnElement[Any]:
    """The literal's text for a substring test (a number in its shortest form: 12, 1.5)."""
    return literal(value if isinstance(value, str) else _number_text(value), String)


def _number_text(value: Literal) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)
