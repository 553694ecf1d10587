"""GREENHOUSE_METRICS_ADDRESS: /metrics without a key, on its own host:port, beside the API."""

import threading

import uvicorn
from fastapi import FastAPI

from api.routes_metrics import metrics_only_app
from api.state import ApiState


class InvalidAddressError(ValueError):
    """Not a host:port."""


def parse_address(address: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` to (host, port)."""
    host, separator, port = address.rpartition(":")
    if not separator or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidAddressError(f"GREENHOUSE_METRICS_ADDRESS={address!r} is not host:port")
    return host.strip("[]"), int(port)


def start_metrics_listener(api: FastAPI, host: str, port: int) -> threading.Thread:
    """Serve the API's /metrics (every collection, no key) on host:port from a daemon thread."""
    state: ApiState = api.state.greenhouse
    config = uvicorn.Config(metrics_only_app(state), host=host, port=port, log_level="warning")
    thread = threading.Thread(
        target=uvicorn.Server(config).run, name="metrics-listener", daemon=True
    )
    thread.start()
    return thread
