"""The where= and q= parsers: exact parse trees, and refusals that name the fault."""

import pytest

from schemas.field_query import (
    FieldPredicate,
    FieldQueryError,
    Operator,
    parse_predicate,
    parse_predicates,
)
from schemas.search_query import SearchQuery, SearchQueryError, SearchTerm, parse_search

P = FieldPredicate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("total>100", P(("total",), Operator.GT, (100,))),
        ("total >= -1.5e3", P(("total",), Operator.GE, (-1500.0,))),
        ("total<0.25", P(("total",), Operator.LT, (0.25,))),
        ("total<=7", P(("total",), Operator.LE, (7,))),
        ("vendor.name=ACME", P(("vendor", "name"), Operator.EQ, ("ACME",))),
        ("vendor.name = ACME Ltd ", P(("vendor", "name"), Operator.EQ, ("ACME Ltd",))),
        (
            'vendor.name!="ACME \\"Ltd\\" \\\\"',
            P(("vendor", "name"), Operator.NE, ('ACME "Ltd" \\',)),
        ),
        ('zip="01234"', P(("zip",), Operator.EQ, ("01234",))),
        ("zip=01234", P(("zip",), Operator.EQ, ("01234",))),
        ('total="100"', P(("total",), Operator.EQ, ("100",))),
        ("tags contains urgent", P(("tags",), Operator.CONTAINS, ("urgent",))),
        ("tags CONTAINS 3", P(("tags",), Operator.CONTAINS, (3,))),
        ("tags~urgent", P(("tags",), Operator.CONTAINS, ("urgent",))),
        ("vendor.name exists", P(("vendor", "name"), Operator.EXISTS, ())),
        ('status in (paid, open,"a,b)")', P(("status",), Operator.IN, ("paid", "open", "a,b)"))),
        ("total in (1,2.5)", P(("total",), Operator.IN, (1, 2.5))),
        ("paid=true", P(("paid",), Operator.EQ, (True,))),
        ("paid!=false", P(("paid",), Operator.NE, (False,))),
        ("note=null", P(("note",), Operator.EQ, (None,))),
        ("_a-b.c_1=x", P(("_a-b", "c_1"), Operator.EQ, ("x",))),
        ("in=1", P(("in",), Operator.EQ, (1,))),
        ("total>1;DROP TABLE documents", P(("total",), Operator.GT, ("1;DROP TABLE documents",))),
    ],
)
def test_parse_trees(text: str, expected: FieldPredicate) -> None:
    assert parse_predicate(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "expected a key", 0),
        ("1a=3", "expected a key", 0),
        ("a' OR '1'='1", "expected an operator", 1),
        ("vendor.=x", "expected a key", 7),
        ("vendor..name=x", "expected a key", 7),
        ("total", "expected an operator", 5),
        ("total>", "expected a value", 6),
        ("total>>5", "cannot start with '>'", 6),
        ("total>true", "true takes only = and !=", 6),
        ("tags contains null", "null takes only = and !=", 14),
        ("a exists now", "nothing may follow 'exists'", 9),
        ("a in 1,2", "expected '('", 5),
        ("a in ()", "an empty list", 6),
        ("a in (1,2", "expected ')' closing the list", 9),
        ("a in (1) x", "nothing may follow the list", 8),
        ("a in (true)", "cannot be in a list", 6),
        ('a="open', "is not closed", 2),
        ('a="x" y', "unexpected text after the string", 5),
        ('a="\\n"', "are escapes", 3),
        ("a=12345678901234567", "at most 15 significant digits", 2),
        ("a=1e999", "out of range", 2),
        ("a.b.c.d.e.f.g.h.i=1", "at most 8 keys", 16),
        ("k" * 65 + "=1", "longer than 64", 0),
        ("a=" + "x" * 1000, "longer than 1000", 1000),
    ],
)
def test_refusals_name_the_fault(text: str, message: str, position: int) -> None:
    with pytest.raises(FieldQueryError) as caught:
        parse_predicate(text)
    assert message in caught.value.message
    assert caught.value.position == position


def test_several_predicates_name_the_bad_one() -> None:
    assert parse_predicates(["a=1", "b exists"]) == [
        P(("a",), Operator.EQ, (1,)),
        P(("b",), Operator.EXISTS, ()),
    ]
    with pytest.raises(FieldQueryError, match=r"^where\[1\] 'b>>1': a value cannot start"):
        parse_predicates(["a=1", "b>>1"])
    with pytest.raises(FieldQueryError, match="at most 20"):
        parse_predicates(["a=1"] * 21)


def _terms(*words: str, negated: bool = False) -> SearchTerm:
    return SearchTerm(tuple(words), negated)


@pytest.mark.parametrize(
    ("text", "branches", "websearch", "fts5"),
    [
        ("Invoice", [[_terms("invoice")]], '"invoice"', '("invoice")'),
        (
            'net "Grand total" -draft',
            [[_terms("net"), _terms("grand", "total"), _terms("draft", negated=True)]],
            '"net" "grand total" -"draft"',
            '(("net" AND "grand total") NOT "draft")',
        ),
        (
            "a or b c",
            [[_terms("a")], [_terms("b"), _terms("c")]],
            '"a" or "b" "c"',
            '("a") OR ("b" AND "c")',
        ),
        ("e-mail", [[_terms("e", "mail")]], '"e mail"', '("e mail")'),
        (
            '-"old draft" new',
            [[_terms("old", "draft", negated=True), _terms("new")]],
            '-"old draft" "new"',
            '(("new") NOT "old draft")',
        ),
        ("') OR 1=1 --", [[_terms("1", "1")]], '"1 1"', '("1 1")'),
        ('"or" OR or', [[_terms("or")]], '"or"', '("or")'),
        ("café_bar", [[_terms("café", "bar")]], '"café bar"', '("café bar")'),
    ],
)
def test_search_parse_and_both_renderings(
    text: str, branches: list[list[SearchTerm]], websearch: str, fts5: str
) -> None:
    query = parse_search(text)
    assert query == SearchQuery(tuple(tuple(branch) for branch in branches))
    assert query.websearch_text() == websearch
    assert query.fts5_text() == fts5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no word"),
        ("-- ' ;", "no word"),
        ("or OR", "no word"),
        ("-draft", "must be present"),
        ("a or -b", "must be present"),
        ("x" * 501, "longer than 500"),
        (" ".join(f"w{i}" for i in range(33)), "more than 32"),
    ],
)
def test_search_refusals(text: str, message: str) -> None:
    with pytest.raises(SearchQueryError, match=message):
        parse_search(text)
