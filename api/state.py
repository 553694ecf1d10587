"""What the routes share: settings, sessions, blob store and dispatcher, on app.state."""

from dataclasses import dataclass

from fastapi import Request

from api.dispatch import Dispatcher, OutboxRelay
from api.key_verifier import KeyVerifier
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import Engine, SessionFactory


@dataclass
class ApiState:
    """Built once by the app factory."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    blobs: BlobStore
    dispatcher: Dispatcher
    outbox: OutboxRelay
    """Sends accepted documents' messages; retries those the broker did not take."""
    keys: KeyVerifier | None
    """None: auth is disabled."""


def api_state(request: Request) -> ApiState:
    """FastAPI dependency returning the app's shared state."""
    state: ApiState = request.app.state.greenhouse
    return state
