"""The subset of regular expressions a schema's `pattern` may use.

The pattern is compiled by xgrammar at generation time and run by Python's backtracking `re`
when the answer is validated, so a pattern such as `(a+)+$` could take exponential time on a
model's answer. Accepted: literals, `.`, character classes, the escapes `\\d \\D \\w \\W \\s \\S`,
escaped metacharacters, `\\n \\r \\t \\f \\v \\0 \\xHH \\uHHHH`, anchors `^ $`, groups `( )` and
`(?: )` nested at most 10 deep, alternation, and the quantifiers `* + ? {n} {n,} {n,m}`
(bounds up to 1000, optionally lazy). Refused: backreferences, lookaround, named groups, other
escapes (`\\b`, `\\p{..}`), and a repeated group that itself contains a repeat or an
alternation (star height above one: the shape of catastrophic backtracking).
"""

import re
from dataclasses import dataclass
from typing import NoReturn

PATTERN_MAX_LENGTH = 1000
REPEAT_MAX_BOUND = 1000
GROUP_MAX_NESTING = 10

_CLASS_ESCAPES = frozenset("dDwWsS")
_CONTROL_ESCAPES = frozenset("nrtfv0")
_LITERAL_ESCAPES = frozenset("\\^$.|?*+()[]{}/-")
_QUANTIFIER_START = frozenset("*+?{")
_BOUNDS = re.compile(r"\{(\d{1,4})(,(\d{0,4}))?\}")


class _RefusedError(Exception):
    """The pattern leaves the subset; the message says where and why."""


@dataclass(frozen=True)
class _Shape:
    repeats: bool
    """Holds a quantifier that may match more than once."""
    alternates: bool
    """Holds an alternation."""

    def __or__(self, other: "_Shape") -> "_Shape":
        return _Shape(self.repeats or other.repeats, self.alternates or other.alternates)


_SIMPLE = _Shape(repeats=False, alternates=False)


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` is outside the safe subset, or None when it is inside."""
    if len(pattern) > PATTERN_MAX_LENGTH:
        return f"the pattern is longer than {PATTERN_MAX_LENGTH} characters"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"the pattern is not a valid regular expression: {exc}"
    try:
        _Parser(pattern).parse()
    except _RefusedError as exc:
        return str(exc)
    return None


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.at = 0

    def parse(self) -> None:
        self._alternation(nesting=0)
        if self.at < len(self.pattern):
            self._refuse("unbalanced ')'")

    def _refuse(self, why: str) -> NoReturn:
        raise _RefusedError(f"pattern outside the safe subset at offset {self.at}: {why}")

    def _peek(self) -> str:
        return self.pattern[self.at] if self.at < len(self.pattern) else ""

    def _alternation(self, nesting: int) -> _Shape:
        shape = self._sequence(nesting)
        while self._peek() == "|":
            self.at += 1
            shape = shape | self._sequence(nesting) | _Shape(repeats=False, alternates=True)
        return shape

    def _sequence(self, nesting: int) -> _Shape:
        shape = _SIMPLE
        while self._peek() not in ("", "|", ")"):
            atom = self._atom(nesting)
            if self._quantifier_repeats():
                if atom.repeats or atom.alternates:
                    self._refuse(
                        "a repeated group contains a repeat or an alternation "
                        "(catastrophic backtracking)"
                    )
                atom = atom | _Shape(repeats=True, alternates=False)
            shape = shape | atom
        return shape

    def _atom(self, nesting: int) -> _Shape:
        char = self._peek()
        if char in _QUANTIFIER_START:
            self._refuse(f"{char!r} has nothing to repeat")
        if char == "(":
            return self._group(nesting)
        if char == "[":
            self._character_class()
            return _SIMPLE
        if char == "\\":
            self._escape()
            return _SIMPLE
        self.at += 1
        return _SIMPLE

    def _group(self, nesting: int) -> _Shape:
        if nesting >= GROUP_MAX_NESTING:
            self._refuse(f"groups nested deeper than {GROUP_MAX_NESTING}")
        self.at += 1
        if self.pattern.startswith("?", self.at):
            if not self.pattern.startswith("?:", self.at):
                self._refuse("lookaround, named groups and inline flags are not supported")
            self.at += 2
        shape = self._alternation(nesting + 1)
        if self._peek() != ")":
            self._refuse("unbalanced '('")
        self.at += 1
        return shape

    def _character_class(self) -> None:
        self.at += 1
        if self._peek() == "^":
            self.at += 1
        first = True
        while True:
            char = self._peek()
            if char == "":
                self._refuse("unterminated character class")
            if char == "]" and not first:
                self.at += 1
                return
            if char == "\\":
                self._escape()
            else:
                self.at += 1
            first = False

    def _escape(self) -> None:
        self.at += 1
        char = self._peek()
        if char in _CLASS_ESCAPES or char in _CONTROL_ESCAPES or char in _LITERAL_ESCAPES:
            self.at += 1
            return
        if char in ("x", "u"):
            digits = 2 if char == "x" else 4
            hex_digits = self.pattern[self.at + 1 : self.at + 1 + digits]
            if len(hex_digits) == digits and all(c in "0123456789abcdefABCDEF" for c in hex_digits):
                self.at += 1 + digits
                return
        self._refuse(f"the escape '\\{char}' is not supported")

    def _quantifier_repeats(self) -> bool:
        """Consume a quantifier if one follows; True when it may match more than once."""
        char = self._peek()
        if char not in _QUANTIFIER_START:
            return False
        if char == "{":
            high = self._maximum()
        else:
            self.at += 1
            high = {"*": None, "+": None, "?": 1}[char]
        if self._peek() == "?":
            self.at += 1
        if self._peek() in _QUANTIFIER_START:
            self._refuse("a quantifier follows a quantifier")
        return high is None or high > 1

    def _maximum(self) -> int | None:
        """Consume `{n}`, `{n,}` or `{n,m}`; the maximum (None: unbounded)."""
        match = _BOUNDS.match(self.pattern, self.at)
        if match is None:
            self._refuse("'{' must open a quantifier {n}, {n,} or {n,m}")
        self.at = match.end()
        low = int(match.group(1))
        high: int | None = low
        if match.group(2) is not None:
            high = int(match.group(3)) if match.group(3) else None
        if max(low, high or 0) > REPEAT_MAX_BOUND:
            self._refuse(f"repeat bounds above {REPEAT_MAX_BOUND}")
        if high is not None and high < low:
            self._refuse("a quantifier's maximum is below its minimum")
        return high
