"""Per-process worker context: settings, database, blob store and how to enqueue follow-ups."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources
from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from workers.isolation.runners import ChunkRunner, make_runner
from workers.lease import LeaseHeartbeat
from workers.model_tiers import engine_resources
from workers.webhooks import DeliveryKicker


class Enqueuer(Protocol):
    """Sends follow-up work; called only after the transaction that created it committed."""

    def enqueue_documents(self, document_ids: Sequence[str]) -> None:
        """Queue chunking of documents."""

    def enqueue_jobs(self, jobs: Sequence[tuple[str, str]]) -> None:
        """Queue (job id, queue name) pairs."""

    def enqueue_runs(self, runs: Sequence[tuple[str, str]]) -> None:
        """Queue (run id, queue name) pairs: one message for the queued jobs of each run."""


@dataclass
class CollectingEnqueuer:
    """An enqueuer that keeps the work in lists (the embedded executor drains them)."""

    documents: list[str] = field(default_factory=list)
    jobs: list[tuple[str, str]] = field(default_factory=list)
    runs: list[tuple[str, str]] = field(default_factory=list)

    def enqueue_documents(self, document_ids: Sequence[str]) -> None:
        self.documents.extend(document_ids)

    def enqueue_jobs(self, jobs: Sequence[tuple[str, str]]) -> None:
        self.jobs.extend(jobs)

    def enqueue_runs(self, runs: Sequence[tuple[str, str]]) -> None:
        self.runs.extend(runs)


@dataclass
class WorkerContext:
    """Everything a task body needs, built once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blobs: BlobStore
    enqueuer: Enqueuer
    heartbeat: LeaseHeartbeat
    resources: EngineResources
    isolation: ChunkRunner
    deliveries: DeliveryKicker | None = None
    """Kicked after a commit that queued webhook deliveries (Celery workers); None: the
    embedded executor delivers at the end of its drain."""

    @cached_property
    def registry(self) -> EngineRegistry:
        """The built-in engines, imported on first use (an isolated worker's engines run in
        its children, which have their own)."""
        from pipeline.engines.catalog import default_registry

        return default_registry()

    def close(self) -> None:
        """Release the isolated children, the engine resources and the database connections."""
        if self.deliveries is not None:
            self.deliveries.close()
        self.isolation.close()
        self.resources.close()
        self.engine.dispose()


def build_context(settings: Settings, enqueuer: Enqueuer) -> WorkerContext:
    """Connect to the database and blob store named by `settings`; engines load lazily."""
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    resources = engine_resources(settings)
    return WorkerContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        blobs=BlobStore(Path(settings.blob_root)),
        enqueuer=enqueuer,
        heartbeat=LeaseHeartbeat(sessions, settings.lease_seconds),
        resources=resources,
        isolation=make_runner(settings, resources),
    )
