"""Submitting a batch of generated PDFs straight to the ledger and the broker."""

from pathlib import Path

from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory
from storage.intake import take_in
from tests.support.documents import make_text_pdf
from workers.celery_app import CeleryEnqueuer, celery_client


def submit_pdf_batch(
    settings: Settings, folder: Path, documents: int, pages: int, collection: str
) -> list[str]:
    """Take in `documents` native PDFs of `pages` pages (a ruled table on every page, each
    document different) and enqueue their chunking; returns the document ids."""
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)
    blobs = BlobStore(Path(settings.blob_root))
    enqueuer = CeleryEnqueuer(celery_client(settings))
    document_ids = []
    try:
        for number in range(documents):
            pdf = folder / f"{collection}-{number}.pdf"
            make_text_pdf(pdf, pages, lines_per_page=3 + number, table_on_every_page=True)
            with pdf.open("rb") as stream:
                intake = take_in(
                    sessions, blobs, stream, filename=pdf.name, collection=collection, options={}
                )
            document_ids.append(intake.document.id)
            enqueuer.enqueue_documents([intake.document.id])
    finally:
        engine.dispose()
    return document_ids
