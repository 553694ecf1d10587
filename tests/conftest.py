"""Session-wide real services, per-test databases, and the engines' models.

PyMuPDF is set up in `pytest_configure`, before any test module imports it, as every entry
point does (nothing imported here imports PyMuPDF). There too, GREENHOUSE_AUTH=disabled makes
the API tests' apps keyless; the tests of keys build theirs with `auth="keys"`.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, text

from pipeline.local.asr import IsolatedMoonshineEngine
from pipeline.local.ocr_engine import OcrEngine
from pipeline.sources.mupdf import prepare_mupdf
from schemas.settings import Settings
from storage.database import make_engine
from storage.migrate import upgrade_to_head
from tests.support.services import (
    create_database,
    drop_database,
    postgres_server,
    redis_server,
)


def pytest_configure(config: pytest.Config) -> None:
    del config
    prepare_mupdf()
    os.environ["GREENHOUSE_AUTH"] = "disabled"


LEDGER_TABLES = (
    "dispatch_outbox",
    "document_results",
    "extractions",
    "jobs",
    "documents",
    "extraction_schemas",
    "api_keys",
    "webhook_deliveries",
    "webhooks",
)
TEST_REDIS_DB = 11


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database_url(postgres_server_url: str) -> Iterator[str]:
    """A migrated database for this test session, dropped at the end."""
    name = f"greenhouse_test_{uuid.uuid4().hex[:10]}"
    url = create_database(postgres_server_url, name)
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    yield url
    drop_database(postgres_server_url, name)


@pytest.fixture
def postgres_engine(postgres_database_url: str) -> Iterator[Engine]:
    """The session database, emptied before each test."""
    engine = make_engine(postgres_database_url)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(LEDGER_TABLES)} CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite database in a temporary folder."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["postgres", "sqlite"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """Each storage test runs on both backends."""
    fixture = "postgres_engine" if request.param == "postgres" else "sqlite_engine"
    engine: Engine = request.getfixturevalue(fixture)
    return engine


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def broker_url(redis_server_url: str) -> str:
    """A Redis database reserved for the tests, flushed before each test."""
    url = f"{redis_server_url}/{TEST_REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def blob_root(tmp_path: Path) -> Path:
    root = tmp_path / "blobs"
    root.mkdir()
    return root


@pytest.fixture
def sqlite_settings(tmp_path: Path, blob_root: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'greenhouse.db'}",
        broker_url=None,
        blob_root=str(blob_root),
    )


@pytest.fixture(scope="session")
def ocr_engine() -> OcrEngine:
    """One RapidOCR for the session (its models load once), as a worker process has."""
    return OcrEngine(threads=1)


@pytest.fixture(scope="session")
def asr_engine() -> Iterator[IsolatedMoonshineEngine]:
    """One Moonshine child process for the session, closed at the end."""
    engine = IsolatedMoonshineEngine()
    yield engine
    engine.close()
