"""`greenhouse retention apply`: delete the documents past their collection's retention."""

from pathlib import Path

from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.retention import apply_retention, expired_documents, policy_of


def run_retention(settings: Settings, *, dry_run: bool) -> int:
    """Apply (or with `dry_run` only count) the retention of `settings`; exit code 0."""
    policy = policy_of(settings)
    if not policy.deletes_anything:
        print("no retention is configured (GREENHOUSE_RETENTION_DAYS[_BY_COLLECTION]): kept all")
        return 0
    engine = make_engine(settings.database_url)
    try:
        sessions = make_session_factory(engine)
        if dry_run:
            count = len(expired_documents(sessions, policy, limit=1_000_000))
            print(f"{count} document(s) are past their retention (dry run: nothing deleted)")
            return 0
        report = apply_retention(sessions, BlobStore(Path(settings.blob_root)), policy)
        print(
            f"deleted {len(report.documents)} document(s) past their retention "
            f"and {report.blobs_removed} file(s) no other document shares"
        )
        return 0
    finally:
        engine.dispose()
