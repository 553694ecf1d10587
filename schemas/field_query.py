"""Field predicates on stored JSON (`where=`): the parsed form and its parser. Pure.

One predicate is `<path> <operator> [<value>]`:

    total>100              vendor.name=ACME          vendor.name!="ACME Ltd"
    tags contains urgent   tags~urgent               vendor.name exists
    status in (paid,open)  paid=true                 note=null

- A path is 1 to MAX_DEPTH dotted keys, each a letter or `_` followed by letters, digits, `_`
  or `-` (at most MAX_KEY_LENGTH). Array positions are not addressable: `contains` asks
  whether an array holds a value.
- A value is a number (JSON syntax, at most 15 significant digits), `true`, `false`, `null`,
  a double-quoted string (`\\"` and `\\\\` escape) or any other bare text (a string, spaces
  inside kept, the ends trimmed). `"100"` is a string; `007` is a string (JSON numbers have
  no leading zeros).
- Values are typed and a stored value of another JSON type never matches: `total>100` does
  not match `"total": "150"`, and `!=` matches only values of the literal's type that differ.
  Strings compare by code point. Booleans and null take `=` and `!=` only.
- `contains` (or `~`): a string value holds the literal's text (case-sensitive), or an array
  value has an element equal to the literal.
- `in`: equal to one of up to MAX_IN_VALUES values.

Refusals are `FieldQueryError`s naming the character where the text stopped making sense.
"""

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final

__all__ = [
    "MAX_DEPTH",
    "MAX_IN_VALUES",
    "MAX_KEY_LENGTH",
    "MAX_PREDICATES",
    "MAX_TEXT_LENGTH",
    "FieldPredicate",
    "FieldQueryError",
    "Literal",
    "Operator",
    "parse_predicate",
    "parse_predicates",
]

MAX_DEPTH: Final = 8
MAX_KEY_LENGTH: Final = 64
MAX_IN_VALUES: Final = 50
MAX_PREDICATES: Final = 20
MAX_TEXT_LENGTH: Final = 1000
MAX_SIGNIFICANT_DIGITS: Final = 15

Literal = str | int | float | bool | None
"""A typed value: str, int or float (never bool for a number), bool, or None for JSON null."""


class Operator(StrEnum):
    """What a predicate asks of the value at its path."""

    EQ = "="
    NE = "!="
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    CONTAINS = "contains"
    EXISTS = "exists"
    IN = "in"


ORDERING: Final = frozenset({Operator.GT, Operator.GE, Operator.LT, Operator.LE})


@dataclass(frozen=True)
class FieldPredicate:
    """One parsed `where=`: the path's keys, the operator and its values (one for a
    comparison or `contains`, several for `in`, none for `exists`)."""

    path: tuple[str, ...]
    op: Operator
    values: tuple[Literal, ...] = ()


class FieldQueryError(ValueError):
    """A `where=` that cannot be parsed; `position` is the 0-based character at fault."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_SYMBOLS: Final = ("!=", ">=", "<=", "=", ">", "<", "~")
_WORDS: Final = ("contains", "exists", "in")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def parse_predicates(texts: list[str]) -> list[FieldPredicate]:
    """Every `where=` of a request (ANDed), in order; the first refusal is raised with the
    index of its parameter prepended to its message."""
    if len(texts) > MAX_PREDICATES:
        raise FieldQueryError(f"at most {MAX_PREDICATES} where= parameters", 0)
    parsed = []
    for index, text in enumerate(texts):
        try:
            parsed.append(parse_predicate(text))
        except FieldQueryError as exc:
            message = f"where[{index}] {text[:80]!r}: {exc.message}"
            raise FieldQueryError(message, exc.position) from None
    return parsed


def parse_predicate(text: str) -> FieldPredicate:
    """Parse one `where=` value, or raise FieldQueryError."""
    if len(text) > MAX_TEXT_LENGTH:
        raise FieldQueryError(f"longer than {MAX_TEXT_LENGTH} characters", MAX_TEXT_LENGTH)
    path, at = _path(text, _skip(text, 0))
    at = _skip(text, at)
    op, at = _operator(text, at)
    at = _skip(text, at)
    if op is Operator.EXISTS:
        if at != len(text):
            raise FieldQueryError("nothing may follow 'exists'", at)
        return FieldPredicate(path, op)
    if op is Operator.IN:
        return FieldPredicate(path, op, _in_list(text, at))
    value = _value(text, at, len(text))
    typeless = isinstance(value, bool) or value is None
    if typeless and (op in ORDERING or op is Operator.CONTAINS):
        raise FieldQueryError(f"{_shown(value)} takes only = and !=", at)
    return FieldPredicate(path, op, (value,))


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def _path(text: str, at: int) -> tuple[tuple[str, ...], int]:
    keys: list[str] = []
    while True:
        match = _KEY.match(text, at)
        if match is None:
            expected = "a key (a letter or _, then letters, digits, _ or -)"
            raise FieldQueryError(f"expected {expected} at character {at}", at)
        if len(match.group()) > MAX_KEY_LENGTH:
            raise FieldQueryError(f"a key is longer than {MAX_KEY_LENGTH} characters", at)
        keys.append(match.group())
        if len(keys) > MAX_DEPTH:
            raise FieldQueryError(f"a path has at most {MAX_DEPTH} keys", at)
        at = match.end()
        if at < len(text) and text[at] == ".":
            at += 1
            continue
        return tuple(keys), at


def _operator(text: str, at: int) -> tuple[Operator, int]:
    for symbol in _SYMBOLS:
        if text.startswith(symbol, at):
            op = Operator.CONTAINS if symbol == "~" else Operator(symbol)
            return op, at + len(symbol)
    for word in _WORDS:
        end = at + len(word)
        if text[at:end].lower() == word and (end == len(text) or not _is_key_char(text[end])):
            return Operator(word), end
    found = repr(text[at]) if at < len(text) else "the end"
    raise FieldQueryError(
        f"expected an operator (= != > >= < <= ~ contains exists in) at character {at}, "
        f"found {found}",
        at,
    )


def _is_key_char(char: str) -> bool:
    return char.isalnum() or char in "_-."


def _in_list(text: str, at: int) -> tuple[Literal, ...]:
    if at >= len(text) or text[at] != "(":
        raise FieldQueryError(f"expected '(' after 'in' at character {at}", at)
    values: list[Literal] = []
    at += 1
    while True:
        at = _skip(text, at)
        end = _item_end(text, at)
        if end >= len(text):
            raise FieldQueryError("expected ')' closing the list", len(text))
        if end == at and text[end] == ")" and not values:
            raise FieldQueryError(f"an empty list at character {at}", at)
        value = _value(text, at, end)
        if isinstance(value, bool) or value is None:
            raise FieldQueryError(f"{_shown(value)} cannot be in a list; use =", at)
        values.append(value)
        if len(values) > MAX_IN_VALUES:
            raise FieldQueryError(f"a list has at most {MAX_IN_VALUES} values", at)
        if text[end] == ")":
            if _skip(text, end + 1) != len(text):
                raise FieldQueryError("nothing may follow the list", end + 1)
            return tuple(values)
        at = end + 1


def _item_end(text: str, at: int) -> int:
    """Where the list item starting at `at` ends: the next ',' or ')' outside quotes."""
    if at < len(text) and text[at] == '"':
        at = _quoted_end(text, at)
    while at < len(text) and text[at] not in ",)":
        at += 1
    return at


def _quoted_end(text: str, start: int) -> int:
    """The index after the closing quote of the string opening at `start`."""
    at = start + 1
    while at < len(text):
        if text[at] == "\\":
            at += 2
            continue
        if text[at] == '"':
            return at + 1
        at += 1
    raise FieldQueryError(f"the string opened at character {start} is not closed", start)


def _value(text: str, start: int, end: int) -> Literal:
    raw = text[start:end].rstrip()
    if not raw:
        raise FieldQueryError(f"expected a value at character {start}", start)
    if raw.startswith('"'):
        close = _quoted_end(text, start)
        if close != start + len(raw):
            raise FieldQueryError(f"unexpected text after the string at character {close}", close)
        return _unescape(raw[1:-1], start)
    if raw in ("true", "false"):
        return raw == "true"
    if raw == "null":
        return None
    if _NUMBER.fullmatch(raw):
        return _number(raw, start)
    if raw[0] in "=<>!~":
        raise FieldQueryError(
            f"a value cannot start with {raw[0]!r} (character {start}); quote it", start
        )
    return raw


def _unescape(body: str, start: int) -> str:
    out: list[str] = []
    at = 0
    while at < len(body):
        char = body[at]
        if char == "\\":
            following = body[at + 1] if at + 1 < len(body) else ""
            if following not in ('"', "\\"):
                position = start + 1 + at
                raise FieldQueryError(
                    f'only \\" and \\\\ are escapes (character {position})', position
                )
            out.append(following)
            at += 2
            continue
        out.append(char)
        at += 1
    return "".join(out)


def _number(raw: str, start: int) -> int | float:
    try:
        exact = Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise FieldQueryError(f"not a number at character {start}", start) from exc
    digits = exact.normalize().as_tuple().digits
    if len(digits) > MAX_SIGNIFICANT_DIGITS:
        raise FieldQueryError(
            f"a number has at most {MAX_SIGNIFICANT_DIGITS} significant digits "
            f'(quote it to compare text: "{raw}")',
            start,
        )
    value = float(exact)
    if not math.isfinite(value) or (value != 0 and abs(value) < 1e-300):
        raise FieldQueryError(f"the number at character {start} is out of range", start)
    if exact == exact.to_integral_value() and "." not in raw and "e" not in raw.lower():
        return int(exact)
    return value


def _shown(value: Literal) -> str:
    return "null" if value is None else str(value).lower()
