"""Full-text queries (`q=`): parsed once, then written for each backend. Pure.

The syntax is web-search style, as PostgreSQL's `websearch_to_tsquery` reads it:

    invoice total          both words
    "net total"            the words next to each other, in this order
    invoice -draft         invoice, not draft
    invoice or receipt     either (AND binds tighter than OR)

A word is a run of letters and digits (anything else separates words, as both backends'
tokenizers do: `e-mail` is the phrase "e mail"). Matching ignores case and keeps accents.
Every OR branch needs a word that must be present; operators and punctuation alone are refused.
The parsed query is written back as a normalised web-search string for PostgreSQL
(`websearch_text`) and as an FTS5 query for SQLite (`fts5_text`); both quote every word, so
nothing the caller typed is read as syntax by either backend.
"""

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "MAX_SEARCH_LENGTH",
    "MAX_SEARCH_TERMS",
    "SearchQuery",
    "SearchQueryError",
    "SearchTerm",
    "parse_search",
]

MAX_SEARCH_LENGTH: Final = 500
MAX_SEARCH_TERMS: Final = 32

_TOKEN = re.compile(r'-?"[^"]*"?|[^\s"]+')
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchTerm:
    """A word, or a phrase of words that must follow each other; `negated`: must be absent."""

    words: tuple[str, ...]
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """OR of branches, each the AND of its terms."""

    branches: tuple[tuple[SearchTerm, ...], ...]

    def websearch_text(self) -> str:
        """The query for `websearch_to_tsquery`: every term quoted, `-` negating, `or`."""
        return " or ".join(" ".join(_web_term(term) for term in branch) for branch in self.branches)

    def fts5_text(self) -> str:
        """The query for an FTS5 MATCH: quoted words and phrases, AND, NOT, OR."""
        return " OR ".join(f"({_fts5_branch(branch)})" for branch in self.branches)


class SearchQueryError(ValueError):
    """A `q=` that cannot be searched for."""


def parse_search(text: str) -> SearchQuery:
    """Parse `q=`, or raise SearchQueryError saying why."""
    if len(text) > MAX_SEARCH_LENGTH:
        raise SearchQueryError(f"q is longer than {MAX_SEARCH_LENGTH} characters")
    branches: list[list[SearchTerm]] = [[]]
    count = 0
    for token in _TOKEN.findall(text):
        if token.lower() == "or":
            if branches[-1]:
                branches.append([])
            continue
        term = _term(token)
        if term is None:
            continue
        count += 1
        if count > MAX_SEARCH_TERMS:
            raise SearchQueryError(f"q has more than {MAX_SEARCH_TERMS} words and phrases")
        branches[-1].append(term)
    kept = [branch for branch in branches if branch]
    if not kept:
        raise SearchQueryError("q has no word to search for (letters or digits)")
    for branch in kept:
        if all(term.negated for term in branch):
            raise SearchQueryError(
                "each part of q needs a word that must be present, not only -words"
            )
    return SearchQuery(tuple(tuple(branch) for branch in kept))


def _term(token: str) -> SearchTerm | None:
    negated = token.startswith("-") and len(token) > 1
    body = token[1:] if negated else token
    words = tuple(word.lower() for word in _WORD.findall(body))
    if not words:
        return None
    return SearchTerm(words, negated)


def _web_term(term: SearchTerm) -> str:
    quoted = '"' + " ".join(term.words) + '"'
    return f"-{quoted}" if term.negated else quoted


def _fts5_branch(branch: tuple[SearchTerm, ...]) -> str:
    present = " AND ".join(_fts5_phrase(term) for term in branch if not term.negated)
    for term in branch:
        if term.negated:
            present = f"({present}) NOT {_fts5_phrase(term)}"
    return present


def _fts5_phrase(term: SearchTerm) -> str:
    return '"' + " ".join(term.words) + '"'
