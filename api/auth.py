"""Who is calling: the bearer key's principal, its scopes and its collections.

Routes declare the scope they need with one of the annotated dependencies below and filter by
`caller.collections`:

    def route(caller: ReadCaller, ...): ...
    caller.require_collection(name)     # 403 outside the key's collections
    caller.collections                  # None: every collection (admin or auth disabled)

401 without a key or with a malformed, unknown, wrong or revoked one; 403 when the key lacks
the scope. With auth disabled every request is the unrestricted caller.
"""

import ipaddress
from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from api.caller import UNRESTRICTED, Caller
from api.errors import ApiError
from api.state import ApiState, api_state
from schemas.api_keys import Scope
from schemas.settings import Settings

__all__ = [
    "UNRESTRICTED",
    "AdminCaller",
    "Caller",
    "OptionalCaller",
    "ReadCaller",
    "Scope",
    "WriteCaller",
    "auth_refusal",
]

BEARER = "bearer"
CHALLENGE = {"WWW-Authenticate": "Bearer"}


async def _authenticate(request: Request, state: ApiState) -> Caller:
    """On the event loop: a key verified moments ago costs no thread hop; a look-up in the
    ledger runs in the thread pool."""
    if state.keys is None:
        return UNRESTRICTED
    header = request.headers.get("authorization")
    if header is None:
        raise ApiError(
            401, "unauthorized", "send an API key: Authorization: Bearer <key>", headers=CHALLENGE
        )
    scheme, _, token = header.partition(" ")
    token = token.strip()
    caller = None
    if scheme.lower() == BEARER:
        caller = state.keys.remembered(token) or await run_in_threadpool(state.keys.verify, token)
    if caller is None:
        raise ApiError(401, "unauthorized", "the API key is invalid or revoked", headers=CHALLENGE)
    return caller


def _caller_with(scope: Scope):  # type: ignore[no-untyped-def]
    async def dependency(
        request: Request, state: Annotated[ApiState, Depends(api_state)]
    ) -> Caller:
        caller = await _authenticate(request, state)
        if scope not in caller.scopes:
            raise ApiError(403, "forbidden", f"this key lacks the {scope.value!r} scope")
        return caller

    return dependency


async def _optional_caller(
    request: Request, state: Annotated[ApiState, Depends(api_state)]
) -> Caller | None:
    """The caller when a valid key (or none, auth disabled) is sent; None otherwise, no error."""
    try:
        return await _authenticate(request, state)
    except ApiError:
        return None


ReadCaller = Annotated[Caller, Depends(_caller_with(Scope.READ))]
WriteCaller = Annotated[Caller, Depends(_caller_with(Scope.WRITE))]
AdminCaller = Annotated[Caller, Depends(_caller_with(Scope.ADMIN))]
OptionalCaller = Annotated[Caller | None, Depends(_optional_caller)]
"""For open routes (/readyz) that show admins more."""


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def auth_refusal(settings: Settings, host: str) -> str | None:
    """Why the API must not serve on `host` with these settings (None: it may)."""
    if settings.auth == "disabled" and not is_loopback(host):
        return (
            f"GREENHOUSE_AUTH=disabled is refused on {host}: without keys the API may only bind "
            "to loopback (127.0.0.1, ::1)"
        )
    return None
