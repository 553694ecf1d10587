"""API keys as the API and the CLI show them: scopes, collections, and the one-time secret."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.document_options import COLLECTION_MAX_LENGTH

EVERY_COLLECTION = "*"
"""Written in place of a collection list: the key covers every collection."""
KEY_NAME_MAX_LENGTH = 200


class Scope(StrEnum):
    """What a key may do: read, write (upload), admin (schemas, keys, internals)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


class InvalidKeySpecError(ValueError):
    """A key request that cannot be granted (unknown scope, admin limited to collections)."""


def parse_scopes(values: list[str]) -> frozenset[Scope]:
    """Scope names to scopes; at least one, each known."""
    unknown = sorted(set(values) - {scope.value for scope in Scope})
    if unknown:
        raise InvalidKeySpecError(f"unknown scope(s) {', '.join(unknown)}; use read, write, admin")
    if not values:
        raise InvalidKeySpecError("a key needs at least one scope")
    return frozenset(Scope(value) for value in values)


def parse_collections(values: list[str]) -> frozenset[str] | None:
    """Collection names, or None for `*` (every collection)."""
    if values == [EVERY_COLLECTION]:
        return None
    if not values or EVERY_COLLECTION in values:
        raise InvalidKeySpecError("give collection names, or * alone for every collection")
    for value in values:
        if not 1 <= len(value) <= COLLECTION_MAX_LENGTH:
            raise InvalidKeySpecError(
                f"collection names are 1 to {COLLECTION_MAX_LENGTH} characters long"
            )
    return frozenset(values)


def check_grant(scopes: frozenset[Scope], collections: frozenset[str] | None) -> None:
    """An admin key manages every key, so it cannot be limited to collections."""
    if Scope.ADMIN in scopes and collections is not None:
        raise InvalidKeySpecError("an admin key covers every collection: use --collections '*'")


class KeyIn(BaseModel):
    """A key to create; `collections: ["*"]` covers every collection."""

    name: str = Field(min_length=1, max_length=KEY_NAME_MAX_LENGTH)
    scopes: list[str] = Field(min_length=1, examples=[["read", "write"]])
    collections: list[str] = Field(min_length=1, examples=[["invoices"], ["*"]])


class KeyOut(BaseModel):
    """A key as listed: never its secret."""

    id: str
    name: str
    scopes: list[Scope]
    collections: list[str] | None = Field(description="null: every collection")
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    """A key just created: `key` is the bearer token, shown this once and never stored."""

    key: str
