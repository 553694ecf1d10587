"""Full-text search over extractions' and results' `data.text`, one form per backend.

PostgreSQL: a stored generated column `search_vector` (`to_tsvector('simple', ...)`, the text
capped at SEARCH_TEXT_CHARS) with a GIN index, matched with `websearch_to_tsquery` and ranked
with `ts_rank`. SQLite: an FTS5 table per searched table (`<table>_fts`, rowid = the row's
rowid, `unicode61` without diacritics removal) kept in sync by triggers, matched with MATCH
and ranked by bm25 (negated: larger is better on both). Migration 0011 creates both; nothing
here is in the ORM models, since neither exists on the other backend.

`simple` (no stemming, no stop words) is chosen so one word query finds the same rows on both
backends and in any language.
"""

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    Float,
    String,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from schemas.search_query import SearchQuery

__all__ = [
    "SEARCHED_TABLES",
    "SEARCH_CONFIG",
    "SEARCH_TEXT_CHARS",
    "FullTextMatch",
    "full_text_match",
    "rowid_of",
]

SEARCH_CONFIG: Final = "simple"
SEARCH_TEXT_CHARS: Final = 100_000
"""The first characters of a row's text that are indexed. A tsvector holds at most 1 MiB and
costs at most about 6 bytes per character of text (a distinct 4-byte letter between spaces),
so no text can make a write fail; every page's text is also indexed on its own extraction."""
SEARCHED_TABLES: Final = ("extractions", "document_results")


@dataclass(frozen=True)
class FullTextMatch:
    """How a listing joins its search: a condition on the row and its rank expression, or
    (SQLite) a subquery of (rowid, rank) to join on the row's rowid."""

    condition: ColumnElement[bool] | None
    rank: ColumnElement[float]
    hits: Subquery | None


def full_text_match(searched: str, query: SearchQuery, dialect: str) -> FullTextMatch:
    """The match of `query` against the text of `searched` (one of SEARCHED_TABLES)."""
    if searched not in SEARCHED_TABLES:
        raise ValueError(f"{searched} is not searched")
    if dialect == "postgresql":
        vector: ColumnElement[Any] = literal_column(f"{searched}.search_vector")
        tsquery = func.websearch_to_tsquery(
            literal_column(f"'{SEARCH_CONFIG}'::regconfig"),
            bindparam(None, query.websearch_text(), type_=String),
        )
        # ts_rank is a real; as a double the value reaches the client exactly, so a cursor
        # holding it compares equal to the row it came from.
        rank: ColumnElement[Any] = cast(func.ts_rank(vector, tsquery), DOUBLE_PRECISION)
        return FullTextMatch(vector.op("@@")(tsquery), rank, None)
    fts_table = table(f"{searched}_fts", column("rowid"))
    fts: ColumnElement[Any] = literal_column(f"{searched}_fts")
    hits = (
        select(
            fts_table.c.rowid.label("hit_rowid"),
            (-func.bm25(fts, type_=Float)).label("rank"),
        )
        .where(fts.op("MATCH")(bindparam(None, query.fts5_text(), type_=String)))
        .limit(-1)
        .subquery(f"{searched}_hits")
    )
    return FullTextMatch(None, hits.c.rank, hits)


def rowid_of(searched: str) -> ColumnElement[Any]:
    """The SQLite rowid of the rows of `searched` (what its FTS table's rows point at)."""
    return literal_column(f"{searched}.rowid")
