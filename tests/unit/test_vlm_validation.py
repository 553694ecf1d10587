"""Judging model answers: unfinished, degenerate, invalid JSON, schema violations."""

import json

import pytest

from pipeline.model.answers import (
    FailureKind,
    canonical_json,
    check_answer,
    meta_schema_errors,
    schema_errors,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "rows": {
            "type": "array",
            "items": {"type": "array", "items": {"type": ["string", "null"]}},
        },
        "count": {"type": "integer", "minimum": 0},
    },
    "required": ["text", "rows"],
    "additionalProperties": False,
}
GOOD = json.dumps({"text": "Invoice 42", "rows": [["a", None]], "count": 1})


def test_a_finished_valid_answer_passes_with_its_value():
    verdict = check_answer(GOOD, "stop", SCHEMA)
    assert verdict.ok
    assert verdict.value == {"text": "Invoice 42", "rows": [["a", None]], "count": 1}


def test_trailing_whitespace_padding_to_the_length_limit_is_padding():
    verdict = check_answer(GOOD + "\n" * 200, "length", SCHEMA)
    assert verdict.failure is FailureKind.PADDING
    assert "200 whitespace" in verdict.detail


def test_a_loop_cut_off_at_the_length_limit_is_repetition():
    content = '{"text": "' + " the table continues" * 40
    verdict = check_answer(content, "length", SCHEMA)
    assert verdict.failure is FailureKind.REPETITION
    assert "the table continues" in verdict.detail


def test_a_long_answer_cut_off_without_a_loop_is_length():
    content = '{"text": "' + " ".join(f"word{i}" for i in range(300))
    assert check_answer(content, "length", SCHEMA).failure is FailureKind.LENGTH


@pytest.mark.parametrize("reason", ["abort", None, "content_filter"])
def test_other_finish_reasons_are_unfinished(reason):
    assert check_answer(GOOD, reason, SCHEMA).failure is FailureKind.UNFINISHED


@pytest.mark.parametrize(
    "content", ['{"text": "a", "rows": [', "", "NaN", '{"text": NaN, "rows": []}', "{} {}"]
)
def test_text_that_is_not_one_json_value_is_invalid_json(content):
    assert check_answer(content, "stop", SCHEMA).failure is FailureKind.INVALID_JSON


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ({"rows": []}, "'text' is a required property"),
        ({"text": "a", "rows": [], "extra": 1}, "Additional properties"),
        ({"text": "a", "rows": [[1]]}, "at /rows/0/0"),
        ({"text": "a", "rows": [], "count": -1}, "at /count"),
    ],
)
def test_json_that_violates_the_schema_is_a_schema_violation(value, where):
    verdict = check_answer(json.dumps(value), "stop", SCHEMA)
    assert verdict.failure is FailureKind.SCHEMA_VIOLATION
    assert where in verdict.detail


def test_valid_json_that_closed_a_long_loop_is_still_repetition():
    looped = " ".join(["the table continues on the next page"] * 40)
    verdict = check_answer(json.dumps({"text": looped, "rows": []}), "stop", SCHEMA)
    assert verdict.failure is FailureKind.REPETITION


def test_a_short_repeated_table_row_is_not_a_loop():
    rows = [[None] * 6 for _ in range(4)]
    assert check_answer(json.dumps({"text": "t", "rows": rows}), "stop", SCHEMA).ok


def test_an_extra_check_refuses_schema_valid_content():
    verdict = check_answer(GOOD, "stop", SCHEMA, extra_check=lambda v: f"bad {v['count']}")
    assert verdict.failure is FailureKind.INVALID_CONTENT
    assert verdict.detail == "bad 1"
    assert check_answer(GOOD, "stop", SCHEMA, extra_check=lambda v: None).ok


def test_schema_errors_resolve_local_refs_and_report_at_most_the_limit():
    schema = {
        "$defs": {"n": {"type": "integer"}},
        "type": "array",
        "items": {"$ref": "#/$defs/n"},
    }
    assert schema_errors([1, 2], schema) == []
    assert len(schema_errors(["a", "b", "c", "d", "e"], schema, limit=2)) == 2


def test_meta_schema_errors_find_invalid_schemas():
    assert meta_schema_errors(SCHEMA) == []
    assert meta_schema_errors({"type": 5}) != []
    assert meta_schema_errors({"type": "object", "required": "text"}) != []


def test_canonical_json_ignores_key_order():
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == canonical_json(
        {"a": [1, {"c": 3, "d": 2}], "b": 1}
    )
