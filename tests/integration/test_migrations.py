from pathlib import Path

import pytest
from sqlalchemy import inspect

from storage.database import make_engine
from storage.migrate import (
    PendingMigrationsError,
    pending_revisions,
    require_up_to_date,
    upgrade_to_head,
)


def test_sqlite_migrates_from_empty_and_reports_pending(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert pending_revisions(engine) == [
        "0014",
        "0013",
        "0012",
        "0011",
        "0010",
        "0009",
        "0008",
        "0007",
        "0006",
        "0005",
        "0004",
        "0003",
        "0002",
        "0001",
    ]
    with pytest.raises(PendingMigrationsError, match="greenhouse db upgrade"):
        require_up_to_date(engine)
    upgrade_to_head(engine)
    upgrade_to_head(engine)  # idempotent
    assert pending_revisions(engine) == []
    assert {"documents", "jobs", "extractions"} <= set(inspect(engine).get_table_names())


def test_postgres_session_database_is_at_head(postgres_database_url: str) -> None:
    engine = make_engine(postgres_database_url)
    require_up_to_date(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("jobs")}
    assert {"lease_owner", "lease_expires_at", "attempts", "error_category"} <= columns
    engine.dispose()
