"""Schema migrations with Alembic: upgrade to head and check whether any are pending."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class PendingMigrationsError(RuntimeError):
    """The database schema is behind the code."""


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the bundled migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions not yet applied to the database, newest first (empty when up to date)."""
    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    applied: set[str] = set()
    for head in current:
        applied.update(r.revision for r in script.iterate_revisions(head, "base"))
    return [
        revision.revision
        for revision in script.iterate_revisions("heads", "base")
        if revision.revision not in applied
    ]


def require_up_to_date(engine: Engine) -> None:
    """Raise PendingMigrationsError with the fix when the schema is behind."""
    pending = pending_revisions(engine)
    if pending:
        raise PendingMigrationsError(
            f"the database at {engine.url.render_as_string(hide_password=True)} needs "
            f"{len(pending)} migration(s) ({', '.join(pending)}); run `greenhouse db upgrade`"
        )
