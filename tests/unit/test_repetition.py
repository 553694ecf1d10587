"""Loop and whitespace-padding detection on model outputs."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.model.repetition import (
    DEFAULT_LIMITS,
    RepetitionLimits,
    find_loop,
    find_padding,
    is_degenerate,
)

PROSE = " ".join(f"w{i}" for i in range(600))


def test_a_phrase_loop_cut_off_at_max_tokens_is_found():
    prefix = '{"text": "Invoice 42. '
    text = prefix + "the total amount is " * 60 + "the tot"
    loop = find_loop(text)
    assert loop is not None
    assert loop.unit == "the total amount is"
    assert loop.unit_tokens == 4
    assert loop.repeats == 60
    assert loop.at_end
    assert loop.start == len(prefix)
    assert text[loop.start : loop.end].split() == ["the", "total", "amount", "is"] * 60


def test_a_single_token_loop_is_found():
    loop = find_loop('{"text": "' + "the " * 100)
    assert loop is not None
    assert (loop.unit, loop.repeats) == ("the", 100)


def test_a_short_interior_repetition_is_data_not_a_loop():
    row = {"cells": [None] * 20, "text": "totals"}
    text = json.dumps({"rows": [row, {"cells": ["a", "b"], "text": "end"}]})
    assert find_loop(text) is None
    assert not is_degenerate(text)


def test_a_long_interior_loop_is_found_even_when_escaped():
    text = json.dumps({"text": "see " + "page 3 of the appendix, " * 60 + "done"})
    loop = find_loop(text)
    assert loop is not None
    assert not loop.at_end
    assert loop.covered_tokens >= DEFAULT_LIMITS.min_interior_tokens
    assert set(text[loop.start : loop.end].replace(",", " ").split()) == {
        "page",
        "3",
        "of",
        "the",
        "appendix",
    }


def test_varied_text_has_no_loop():
    assert find_loop(PROSE) is None
    assert not is_degenerate(json.dumps({"text": PROSE}, indent=2))


def test_trailing_whitespace_padding_is_found():
    body = json.dumps({"text": "hello"})
    padding = find_padding(body + "\n" * 500)
    assert padding is not None
    assert (padding.start, padding.length, padding.trailing) == (len(body), 500, True)
    assert is_degenerate(body + " \n" * 100)


def test_a_final_newline_is_not_padding():
    assert find_padding(json.dumps({"text": "x"}, indent=2) + "\n") is None


def test_interior_whitespace_runs_count_as_padding():
    text = '{"text": "a' + " " * 80 + 'b"}'
    padding = find_padding(text)
    assert padding is not None
    assert not padding.trailing
    assert padding.length == 80


def test_the_trailing_run_wins_over_a_longer_interior_one():
    text = "a" + " " * 200 + "b" + "\n" * 40
    padding = find_padding(text)
    assert padding is not None
    assert padding.trailing
    assert padding.length == 40


words = st.lists(st.integers(0, 10_000), unique=True, min_size=1, max_size=10)


@settings(deadline=None)
@given(
    unit=words,
    repeats=st.integers(8, 40),
    prefix=st.lists(st.integers(0, 10_000), unique=True, max_size=30),
    cut=st.integers(0, 9),
)
def test_any_unit_repeated_at_the_end_is_found(unit, repeats, prefix, cut):
    cut = cut % len(unit)
    unit_words = [f"u{n}" for n in unit]
    enough = -(-DEFAULT_LIMITS.min_tail_tokens // len(unit_words))
    repeats = max(repeats, enough) + (1 if cut else 0)  # full copies left after the cut
    tokens = [f"p{n}" for n in prefix] + unit_words * repeats
    text = " ".join(tokens[: len(tokens) - cut])
    loop = find_loop(text)
    assert loop is not None
    assert loop.unit == " ".join(unit_words)
    assert loop.repeats == (repeats if cut == 0 else repeats - 1)
    assert loop.at_end


@settings(deadline=None)
@given(tokens=st.lists(st.integers(0, 10**6), unique=True, max_size=400))
def test_text_without_repeated_tokens_never_loops(tokens):
    assert find_loop(" ".join(f"t{n}" for n in tokens)) is None


def test_limits_are_tunable():
    text = "x " + "ab cd " * 6
    assert find_loop(text) is None
    loop = find_loop(text, RepetitionLimits(min_repeats=6, min_tail_tokens=12))
    assert loop is not None
    assert loop.unit == "ab cd"


@pytest.mark.parametrize(
    "kwargs", [{"min_repeats": 1}, {"max_unit_tokens": 0}, {"min_padding_chars": 0}]
)
def test_invalid_limits_are_rejected(kwargs):
    with pytest.raises(ValueError, match=r"least|positive"):
        RepetitionLimits(**kwargs)
