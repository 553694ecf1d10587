"""Who is calling: the API key's principal, its scopes and its collections.

CONTRACT (skeleton; the keys work fills in the checks): routes declare the scope they need
with one of the annotated dependencies below and filter by `caller.collections`.

    def route(caller: ReadCaller, ...): ...
    caller.require_collection(name)     # 403 outside the key's collections
    caller.collections                  # None: every collection (admin or auth disabled)
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, Request

from api.errors import ApiError

__all__ = [
    "AdminCaller",
    "Caller",
    "ReadCaller",
    "Scope",
    "WriteCaller",
]


class Scope(StrEnum):
    """What a key may do."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


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


def _caller_with(scope: Scope):  # type: ignore[no-untyped-def]
    def dependency(request: Request) -> Caller:
        del request
        caller = UNRESTRICTED
        if scope not in caller.scopes:
            raise ApiError(403, "forbidden", f"this key lacks the {scope.value!r} scope")
        return caller

    return dependency


ReadCaller = Annotated[Caller, Depends(_caller_with(Scope.READ))]
WriteCaller = Annotated[Caller, Depends(_caller_with(Scope.WRITE))]
AdminCaller = Annotated[Caller, Depends(_caller_with(Scope.ADMIN))]
