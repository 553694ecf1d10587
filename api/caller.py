"""The principal of a request: its key, scopes and collections."""

from dataclasses import dataclass

from api.errors import ApiError
from schemas.api_keys import Scope


@dataclass(frozen=True)
class Caller:
    """The principal of a request."""

    key_id: str | None
    name: str
    scopes: frozenset[Scope]
    collections: frozenset[str] | None
    """None: every collection."""

    @property
    def is_admin(self) -> bool:
        """Admin keys see internals (lease owners, URLs, exception classes)."""
        return Scope.ADMIN in self.scopes

    def may_see(self, collection: str) -> bool:
        """True when the key covers `collection`."""
        return self.collections is None or collection in self.collections

    def require_collection(self, collection: str) -> None:
        """403 unless the key covers `collection`."""
        if not self.may_see(collection):
            raise ApiError(403, "forbidden", f"this key has no access to collection {collection!r}")


UNRESTRICTED = Caller(key_id=None, name="anonymous", scopes=frozenset(Scope), collections=None)
"""The caller of every request when auth is disabled."""
