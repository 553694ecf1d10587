"""API keys for tests: created on the ledger, sent as bearer headers."""

from schemas.api_keys import Scope
from storage.api_keys import create_key
from storage.database import SessionFactory, transaction


def new_token(
    sessions: SessionFactory, name: str, scopes: set[Scope], collections: set[str] | None
) -> str:
    """A stored key's token."""
    with transaction(sessions) as session:
        grant = frozenset(collections) if collections is not None else None
        return create_key(session, name, frozenset(scopes), grant).token


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of `token`."""
    return {"Authorization": f"Bearer {token}"}
