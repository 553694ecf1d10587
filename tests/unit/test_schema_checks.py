"""The schema checks' exact decisions: the safe regex subset, local `$ref` resolution and cycles,
and the limits walked without recursion."""

import pytest

from schemas.safe_regex import pattern_problem
from schemas.schema_limits import SCHEMA_MAX_DEPTH, find_oversized, find_unstorable
from schemas.schema_refs import find_ref_problems
from schemas.schema_walk import SchemaProblem


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[A-Z]{2}-\d{4,6}$",
        r"^(\+|-)?\d+(\.\d{1,2})?$",
        r"^[^@\s]+@[^@\s]+$",
        r"^\u00e9t\x41[\]\\-]*$",
        r"^(?:ab|cd)$",
        r"a{0,1000}?",
    ],
)
def test_safe_patterns_are_accepted(pattern: str) -> None:
    assert pattern_problem(pattern) is None


NESTED = "a repeated group contains a repeat or an alternation (catastrophic backtracking)"


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        (r"(a+)+$", f"offset 5: {NESTED}"),
        (r"(a|aa)*b", f"offset 7: {NESTED}"),
        (r"^(\d+\.)*\d$", f"offset 9: {NESTED}"),
        (r"(?=x)", "offset 1: lookaround, named groups and inline flags are not supported"),
        (r"(?P<n>x)", "offset 1: lookaround, named groups and inline flags are not supported"),
        (r"(a)\1", "offset 4: the escape '\\1' is not supported"),
        (r"\bword", "offset 1: the escape '\\b' is not supported"),
        (r"a{1001}", "offset 7: repeat bounds above 1000"),
        ("(" * 11 + "a" + ")" * 11, "offset 10: groups nested deeper than 10"),
    ],
)
def test_unsafe_patterns_are_refused_with_the_offset(pattern: str, why: str) -> None:
    problem = pattern_problem(pattern)
    assert problem == f"pattern outside the safe subset at {why}"


def test_invalid_and_overlong_patterns_are_refused() -> None:
    assert pattern_problem("[a") == (
        "the pattern is not a valid regular expression: unterminated character set at position 0"
    )
    assert pattern_problem("a" * 1001) == "the pattern is longer than 1000 characters"


def test_a_long_acyclic_ref_chain_resolves_without_recursion() -> None:
    defs = {f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(5000)}
    defs["d5000"] = {"type": "string"}
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/d0"}}, "$defs": defs}
    assert find_ref_problems(schema) == []
    defs["d5000"] = {"$ref": "#/$defs/d0"}
    assert find_ref_problems(schema) == [
        SchemaProblem("/$defs/d5000", "$ref", "'$ref' to '#/$defs/d0' forms a cycle (recursion)")
    ]


def test_ref_pointers_are_unescaped_and_percent_decoded() -> None:
    schema = {"$defs": {"a/b": {"type": "string"}, "c d": {"type": "string"}}}
    schema["properties"] = {"x": {"$ref": "#/$defs/a~1b"}, "y": {"$ref": "#/$defs/c%20d"}}
    assert find_ref_problems(schema) == []


def test_a_diamond_of_refs_is_walked_once_per_target() -> None:
    defs: dict[str, dict] = {
        f"d{i}": {"anyOf": [{"$ref": f"#/$defs/d{i + 1}"}] * 2} for i in range(60)
    }
    defs["d60"] = {"type": "string"}
    assert find_ref_problems({"$ref": "#/$defs/d0", "$defs": defs}) == []


def test_depth_is_found_without_walking_a_deep_value_recursively() -> None:
    deep: object = "leaf"
    for _ in range(100_000):
        deep = [deep]
    (problem,) = find_oversized({"d": deep})
    assert problem.keyword == "maxDepth"
    assert problem.pointer == "/d" + "/0" * (SCHEMA_MAX_DEPTH - 1)


def test_unstorable_values_are_listed_at_most_twenty() -> None:
    schema = {"enum": [float("nan")] * 50}
    problems = find_unstorable(schema)
    assert len(problems) == 20
    assert problems[0] == SchemaProblem("/enum/0", "number", "nan is not a finite number")
