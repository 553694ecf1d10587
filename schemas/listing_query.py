"""What a listing of extractions or results asks the ledger for: filters, order, page. Pure."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from schemas.field_query import FieldPredicate
from schemas.search_query import SearchQuery

__all__ = ["ListingFilters", "ListingOrder", "PageAfter", "RankedAfter", "TimeRange"]


class ListingOrder(StrEnum):
    """`newest`: (created_at, id) descending; `relevance`: (rank, id) descending (needs q)."""

    NEWEST = "newest"
    RELEVANCE = "relevance"


@dataclass(frozen=True)
class TimeRange:
    """Exclusive bounds, both optional, timezone-aware."""

    after: datetime | None = None
    before: datetime | None = None


@dataclass(frozen=True)
class ListingFilters:
    """Every filter of a listing; None (or empty) means no filter. `collections` is the
    caller's scope (None: every collection); the others are the request's."""

    collections: frozenset[str] | None = None
    collection: str | None = None
    document_id: str | None = None
    status: str | None = None
    schema: str | None = None
    schema_version: int | None = None
    kind: str | None = None
    engine: str | None = None
    created: TimeRange = field(default_factory=TimeRange)
    updated: TimeRange = field(default_factory=TimeRange)
    where: tuple[FieldPredicate, ...] = ()
    search: SearchQuery | None = None


@dataclass(frozen=True)
class PageAfter:
    """A `newest` page starts after this row."""

    created_at: datetime
    row_id: str


@dataclass(frozen=True)
class RankedAfter:
    """A `relevance` page starts after this row."""

    rank: float
    row_id: str
