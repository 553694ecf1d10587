"""Detect degenerate model output: a token or phrase loop, or whitespace padding.

Gemma 4 can emit valid JSON and then pad whitespace until `max_tokens`, or fall into a loop
that repeats one phrase until it is cut off. Both end with `finish_reason="length"`, but a
caller also checks the text, since a loop can be escaped and closed into valid JSON.

Text is split into word and punctuation tokens (whitespace is not a token). A loop is a run of
at least `min_repeats` consecutive copies of a unit of 1..`max_unit_tokens` tokens. A loop that
runs to the end of the text (the model was cut off inside it, maybe mid-token) counts from
`min_tail_tokens` tokens; one the model escaped from counts only from `min_interior_tokens`, so
a table row of twenty empty cells is not mistaken for a loop.
"""

import re
from dataclasses import dataclass

__all__ = [
    "DEFAULT_LIMITS",
    "Loop",
    "Padding",
    "RepetitionLimits",
    "find_loop",
    "find_padding",
    "is_degenerate",
]

_TOKEN = re.compile(r"\w+|[^\w\s]")
_WHITESPACE_RUN = re.compile(r"\s+")


@dataclass(frozen=True)
class RepetitionLimits:
    """Thresholds of `find_loop` and `find_padding`."""

    min_repeats: int = 8
    min_tail_tokens: int = 48
    min_interior_tokens: int = 200
    max_unit_tokens: int = 64
    min_padding_chars: int = 32

    def __post_init__(self) -> None:
        if min(self.min_repeats, self.max_unit_tokens, self.min_padding_chars) < 1:
            raise ValueError("limits must be positive")
        if self.min_repeats < 2:
            raise ValueError("a loop needs at least two copies")


DEFAULT_LIMITS = RepetitionLimits()


@dataclass(frozen=True)
class Loop:
    """A repeated unit: its text, size in tokens, copies, and character span in the text."""

    unit: str
    unit_tokens: int
    repeats: int
    start: int
    end: int
    at_end: bool
    """Whether the loop runs to the last token (the model was cut off inside it)."""

    @property
    def covered_tokens(self) -> int:
        return self.unit_tokens * self.repeats


@dataclass(frozen=True)
class Padding:
    """A run of whitespace at a character offset; trailing when nothing follows it."""

    start: int
    length: int
    trailing: bool


def find_loop(text: str, limits: RepetitionLimits = DEFAULT_LIMITS) -> Loop | None:
    """The loop covering the most tokens, or None; a shorter unit wins a tie."""
    spans = [match.span() for match in _TOKEN.finditer(text)]
    tokens = [text[start:end] for start, end in spans]
    best: tuple[int, int, int, bool] | None = None  # (covered, unit size, first token, at end)
    for size in range(1, min(limits.max_unit_tokens, len(tokens) // 2) + 1):
        for first, run in _periodic_runs(tokens, size):
            repeats = (run + size) // size
            covered = repeats * size
            at_end = _reaches_end(tokens, first + run + size, size)
            threshold = limits.min_tail_tokens if at_end else limits.min_interior_tokens
            if repeats < limits.min_repeats or covered < threshold:
                continue
            if best is None or covered > best[0]:
                best = (covered, size, first, at_end)
    if best is None:
        return None
    covered, size, first, at_end = best
    last = first + covered - 1
    return Loop(
        unit=text[spans[first][0] : spans[first + size - 1][1]],
        unit_tokens=size,
        repeats=covered // size,
        start=spans[first][0],
        end=spans[last][1],
        at_end=at_end,
    )


def find_padding(text: str, limits: RepetitionLimits = DEFAULT_LIMITS) -> Padding | None:
    """The longest whitespace run of at least `min_padding_chars`, preferring a trailing one."""
    runs = [m for m in _WHITESPACE_RUN.finditer(text) if len(m.group()) >= limits.min_padding_chars]
    if not runs:
        return None
    trailing = [m for m in runs if m.end() == len(text)]
    longest = trailing[0] if trailing else max(runs, key=lambda m: len(m.group()))
    return Padding(
        start=longest.start(),
        length=len(longest.group()),
        trailing=longest.end() == len(text),
    )


def is_degenerate(text: str, limits: RepetitionLimits = DEFAULT_LIMITS) -> bool:
    """Whether the output loops or is padded with whitespace."""
    return find_padding(text, limits) is not None or find_loop(text, limits) is not None


def _periodic_runs(tokens: list[str], size: int) -> list[tuple[int, int]]:
    """Maximal runs (first index, length) where tokens[i] == tokens[i + size]."""
    runs: list[tuple[int, int]] = []
    first, length = 0, 0
    for index in range(len(tokens) - size):
        if tokens[index] == tokens[index + size]:
            if length == 0:
                first = index
            length += 1
        elif length:
            runs.append((first, length))
            length = 0
    if length:
        runs.append((first, length))
    return runs


def _reaches_end(tokens: list[str], stop: int, size: int) -> bool:
    """Whether a periodic stretch ending before `stop` runs to the end, maybe cut mid-token."""
    if stop == len(tokens):
        return True
    return stop == len(tokens) - 1 and tokens[stop - size].startswith(tokens[stop])
