"""Schema migrations with Alembic: upgrade to head and check whether any are pending.

A database already at the bundled head is recognised without Alembic: the head is read from
the migration files' `revision`/`down_revision` lines and compared with `alembic_version`.
Alembic (about a quarter of a second of imports) is loaded only when there is something to
migrate or to report, so a `greenhouse ingest` into an existing database does not pay for it.
"""

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.MULTILINE)


class PendingMigrationsError(RuntimeError):
    """The database schema is behind the code."""


def alembic_config(database_url: str) -> "Config":
    """An Alembic config pointing at the bundled migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every pending migration."""
    if is_at_bundled_head(engine):
        return
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def bundled_head(versions: Path = MIGRATIONS_DIR / "versions") -> str | None:
    """The single head revision of the migrations in `versions`, read from each file's
    `revision` and `down_revision` assignments (None when a file does not state both as plain
    literals, or when there is not exactly one head: Alembic then decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in versions.glob("*.py"):
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(path.read_text())}
        try:
            revision = ast.literal_eval(found["revision"])
            down_revision = ast.literal_eval(found["down_revision"])
        except (KeyError, SyntaxError, ValueError):
            return None
        if not isinstance(revision, str) or not isinstance(down_revision, str | None):
            return None
        revisions.add(revision)
        if down_revision is not None:
            parents.add(down_revision)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def is_at_bundled_head(engine: Engine) -> bool:
    """Whether the database records exactly the bundled head (no Alembic import)."""
    head = bundled_head()
    if head is None:
        return False
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return [row[0] for row in versions] == [head]


def pending_revisions(engine: Engine) -> list[str]:
    """Revisions not yet applied to the database, newest first (empty when up to date)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

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
