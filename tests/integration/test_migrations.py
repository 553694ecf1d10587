import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from storage.database import make_engine
from storage.migrate import (
    PendingMigrationsError,
    alembic_config,
    bundled_head,
    is_at_bundled_head,
    pending_revisions,
    require_up_to_date,
    upgrade_to_head,
)
from tests.support.workers import REPO_ROOT


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


def test_the_bundled_head_read_from_the_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert bundled_head() == script.get_current_head()


def _migration(folder: Path, name: str, revision: str, down_revision: str) -> None:
    (folder / f"{name}.py").write_text(
        f'"""A migration."""\n\nrevision: str = {revision}\ndown_revision: str | None = '
        f"{down_revision}\n\n\ndef upgrade() -> None:\n    pass\n"
    )


def test_the_bundled_head_is_none_unless_the_files_state_exactly_one(tmp_path: Path) -> None:
    _migration(tmp_path, "a", '"a1"', "None")
    _migration(tmp_path, "b", '"b2"', '"a1"')
    assert bundled_head(tmp_path) == "b2"
    _migration(tmp_path, "c", '"c3"', '"a1"')  # a branch: two heads
    assert bundled_head(tmp_path) is None
    (tmp_path / "c.py").unlink()
    _migration(tmp_path, "d", "make_revision()", '"b2"')  # not a literal
    assert bundled_head(tmp_path) is None
    (tmp_path / "d.py").write_text('"""Says nothing of its revision."""\n')
    assert bundled_head(tmp_path) is None


def test_a_database_behind_the_head_is_migrated_and_one_at_it_is_recognised(
    tmp_path: Path,
) -> None:
    from alembic import command

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert not is_at_bundled_head(engine)  # no alembic_version table yet
    config = alembic_config(str(engine.url))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0013")
    assert not is_at_bundled_head(engine)
    assert "export_sequence" not in inspect(engine).get_table_names()
    upgrade_to_head(engine)  # 0014 creates export_sequence
    assert is_at_bundled_head(engine)
    assert pending_revisions(engine) == []
    assert "export_sequence" in inspect(engine).get_table_names()
    engine.dispose()


def test_upgrading_a_database_at_head_imports_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    probe = (
        "import sys\n"
        "from storage.database import make_engine\n"
        "from storage.migrate import upgrade_to_head\n"
        f"upgrade_to_head(make_engine({url!r}))\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert completed.stdout.strip() == "[]"
