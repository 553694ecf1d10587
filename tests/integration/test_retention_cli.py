"""`greenhouse retention apply`: the policy comes from the environment, as in production."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from cli.main import main
from storage.blobs import BlobStore
from storage.database import make_session_factory, transaction
from storage.intake import take_in
from storage.models import Document
from storage.types import utcnow


def test_retention_apply_deletes_what_the_environment_says_is_expired(
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sessions = make_session_factory(sqlite_engine)
    blobs = BlobStore(tmp_path / "blobs")
    ids = {
        collection: take_in(
            sessions,
            blobs,
            io.BytesIO(collection.encode()),
            filename=None,
            collection=collection,
            options={},
        ).document.id
        for collection in ("scratch", "archive")
    }
    with transaction(sessions) as session:
        session.execute(update(Document).values(created_at=utcnow() - timedelta(days=10)))
    monkeypatch.setenv("GREENHOUSE_DATABASE_URL", str(sqlite_engine.url))
    monkeypatch.setenv("GREENHOUSE_BLOB_ROOT", str(blobs.root))
    monkeypatch.setenv("GREENHOUSE_RETENTION_DAYS_BY_COLLECTION", '{"scratch": 7}')
    assert main(["retention", "apply", "--dry-run"]) == 0
    assert capsys.readouterr().out == (
        "1 document(s) are past their retention (dry run: nothing deleted)\n"
    )
    assert main(["retention", "apply"]) == 0
    assert capsys.readouterr().out == (
        "deleted 1 document(s) past their retention and 1 file(s) no other document shares\n"
    )
    with transaction(sessions) as session:
        assert list(session.scalars(select(Document.id))) == [ids["archive"]]
    monkeypatch.delenv("GREENHOUSE_RETENTION_DAYS_BY_COLLECTION")
    assert main(["retention", "apply"]) == 0
    assert "no retention is configured" in capsys.readouterr().out
