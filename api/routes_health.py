"""Liveness and readiness: open to every caller; why a check failed (the exception class) is
logged and shown only to admin keys."""

import logging
from typing import Annotated

import redis
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from api.auth import OptionalCaller
from api.state import ApiState, api_state
from schemas.api import ReadinessOut
from storage.database import ping

router = APIRouter(tags=["health"])
PROBE_TIMEOUT_SECONDS = 2.0
FAILED = "error"
logger = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: {"model": ReadinessOut, "description": "Every check answered."},
        503: {"model": ReadinessOut, "description": "A check failed (the body says which)."},
    },
)
def readyz(state: Annotated[ApiState, Depends(api_state)], caller: OptionalCaller) -> JSONResponse:
    """200 when the database (and the broker, if configured) answer; 503 otherwise."""
    checks: dict[str, str] = {"database": _check_database(state)}
    if state.settings.broker_url:
        checks["broker"] = _check_broker(state.settings.broker_url)
    ready = all(value == "ok" for value in checks.values())
    for name, value in checks.items():
        if value != "ok":
            logger.warning("readiness: %s check failed: %s", name, value)
    if caller is None or not caller.is_admin:
        checks = {name: "ok" if value == "ok" else FAILED for name, value in checks.items()}
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status_code=200 if ready else 503,
    )


def _check_database(state: ApiState) -> str:
    error = ping(state.engine)
    return "ok" if error is None else f"error: {error}"


def _check_broker(broker_url: str) -> str:
    if not broker_url.startswith(("redis://", "rediss://", "unix://")):
        return "error: only Redis brokers can be probed"
    try:
        client = redis.Redis.from_url(
            broker_url,
            socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
            socket_timeout=PROBE_TIMEOUT_SECONDS,
        )
        client.ping()
        client.close()
    except redis.RedisError as exc:
        return f"error: {type(exc).__name__}"
    return "ok"
