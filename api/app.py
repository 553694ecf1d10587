"""The FastAPI app factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from api import (
    routes_deletion,
    routes_documents,
    routes_exports,
    routes_extractions,
    routes_files,
    routes_health,
    routes_jobs,
    routes_keys,
    routes_metrics,
    routes_reprocess,
    routes_result_listing,
    routes_results,
    routes_schemas,
    routes_webhooks,
)
from api.dispatch import CeleryDispatcher, Dispatcher, NoBrokerDispatcher, OutboxRelay
from api.docs import install_docs
from api.errors import install_error_handlers
from api.key_verifier import KeyVerifier
from api.middleware import BoundaryMiddleware
from api.openapi import install_openapi
from api.state import ApiState
from schemas.settings import Settings, load_settings
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.migrate import require_up_to_date, upgrade_to_head


def create_app(settings: Settings | None = None, dispatcher: Dispatcher | None = None) -> FastAPI:
    """Build the app; refuses to start on a database with pending migrations (unless
    GREENHOUSE_AUTO_MIGRATE is set, which applies them)."""
    settings = settings or load_settings()
    engine = make_engine(settings.database_url)
    if settings.auto_migrate:
        upgrade_to_head(engine)
    else:
        require_up_to_date(engine)
    if dispatcher is None:
        dispatcher = (
            CeleryDispatcher(settings.broker_url) if settings.broker_url else NoBrokerDispatcher()
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """On shutdown: stop the outbox's retry thread and close the database pool."""
        yield
        state: ApiState = app.state.greenhouse
        state.outbox.close()
        state.engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="Greenhouse",
        version="0.1.0",
        summary="On-premises document, image, audio and video ingestion to structured JSON.",
        docs_url=None,
        redoc_url=None,
    )
    sessions = make_session_factory(engine)
    app.state.greenhouse = ApiState(
        settings=settings,
        engine=engine,
        sessions=sessions,
        blobs=BlobStore(Path(settings.blob_root)),
        dispatcher=dispatcher,
        outbox=OutboxRelay(sessions, dispatcher, settings.outbox_retry_seconds),
        keys=KeyVerifier(sessions, settings.auth_cache_seconds)
        if settings.auth == "keys"
        else None,
    )
    install_error_handlers(app)
    app.add_middleware(BoundaryMiddleware)
    install_openapi(app)
    install_docs(app)
    app.include_router(routes_health.router)
    app.include_router(routes_documents.router)
    app.include_router(routes_results.router)
    app.include_router(routes_reprocess.router)
    app.include_router(routes_result_listing.router)
    app.include_router(routes_exports.router)
    app.include_router(routes_files.router)
    app.include_router(routes_deletion.router)
    app.include_router(routes_jobs.router)
    app.include_router(routes_schemas.router)
    app.include_router(routes_extractions.router)
    app.include_router(routes_metrics.router)
    app.include_router(routes_keys.router)
    app.include_router(routes_webhooks.router)
    return app
