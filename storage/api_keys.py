"""API keys in the ledger: created with a random secret stored only as its SHA-256 digest,
listed, revoked, and verified from a bearer token.

A token reads `gh_<id>_<secret>`: the id finds the row, the secret (32 random bytes) is compared
by digest in constant time. The secret carries 256 bits of entropy, so a fast hash suffices: a
slow KDF only helps guessable passwords, and a stolen table still yields no usable token.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from schemas.api_keys import Scope, check_grant
from storage.models import ApiKey
from storage.types import utcnow

TOKEN_PREFIX = "gh"
KEY_ID_BYTES = 6
SECRET_BYTES = 32


@dataclass(frozen=True)
class KeyRecord:
    """A stored key, without its digest."""

    id: str
    name: str
    scopes: frozenset[Scope]
    collections: frozenset[str] | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewKey:
    """A key just created and its token, which nothing stores."""

    record: KeyRecord
    token: str


def secret_digest(secret: str) -> str:
    """The hex SHA-256 of a key's secret: the only form the ledger keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed token, else None."""
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or len(key_id) != 2 * KEY_ID_BYTES or not secret:
        return None
    return key_id, secret


def create_key(
    session: Session, name: str, scopes: frozenset[Scope], collections: frozenset[str] | None
) -> NewKey:
    """Store a new key; its token is returned once."""
    check_grant(scopes, collections)
    key_id = secrets.token_hex(KEY_ID_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    row = ApiKey(
        id=key_id,
        name=name,
        secret_sha256=secret_digest(secret),
        scopes=sorted(scope.value for scope in scopes),
        collections=sorted(collections) if collections is not None else None,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return NewKey(_record(row), f"{TOKEN_PREFIX}_{key_id}_{secret}")


def list_keys(session: Session) -> list[KeyRecord]:
    """Every key, revoked ones included, oldest first."""
    rows = session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return [_record(row) for row in rows]


def revoke_key(session: Session, key_id: str) -> KeyRecord | None:
    """Revoke a key (idempotent); None when no key has this id."""
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    row = session.get(ApiKey, key_id, populate_existing=True)
    return _record(row) if row is not None else None


def verify_token(session: Session, token: str) -> KeyRecord | None:
    """The active key a token belongs to; None when malformed, unknown, wrong or revoked."""
    parts = split_token(token)
    if parts is None:
        return None
    key_id, secret = parts
    row = session.get(ApiKey, key_id)
    if row is None:
        return None
    if not hmac.compare_digest(row.secret_sha256, secret_digest(secret)):
        return None
    if row.revoked_at is not None:
        return None
    return _record(row)


def _record(row: ApiKey) -> KeyRecord:
    return KeyRecord(
        id=row.id,
        name=row.name,
        scopes=frozenset(Scope(value) for value in row.scopes),
        collections=frozenset(row.collections) if row.collections is not None else None,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
