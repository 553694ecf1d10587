"""Webhook delivery latency: from a document's `finished_at` to the receiver's arrival.

Run on demand from the repository root (not a test; about a minute):

    .venv/bin/python bench/webhook_latency.py [--documents 50] [--pages 1] [--spacing 0.1]

A real Celery worker (queues ingest,local, concurrency 2, default webhook settings: a poll
every 5 s, kicks after each finish) runs against a private redis-server and a fresh PostgreSQL
database; one webhook for document.finished points at a local threading HTTP receiver that
answers 200 at once. `--documents` generated native PDFs are submitted `--spacing` seconds
apart; the latency of each is the receiver's clock at arrival minus the `finished_at` the
worker wrote (same host, same clock). Prints p50, p90, p99 and max, and how many deliveries
took longer than the poll interval (those a kick missed).
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from schemas.settings import Settings
from storage.blobs import BlobStore
from storage.database import make_engine, make_session_factory, transaction
from storage.intake import take_in
from storage.migrate import upgrade_to_head
from storage.models import Document
from storage.webhooks import create_webhook
from tests.support.documents import make_text_pdf
from tests.support.private_redis import PrivateRedis
from tests.support.services import create_database, drop_database, postgres_server
from tests.support.webhook_receiver import receiver
from tests.support.workers import celery_worker
from workers.celery_app import CeleryEnqueuer, celery_client

WAIT_SECONDS = 600.0


def _percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--pages", type=int, default=1)
    parser.add_argument("--spacing", type=float, default=0.1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, postgres_server() as server_url:
        root = Path(scratch)
        database = f"greenhouse_webhooks_{uuid.uuid4().hex[:8]}"
        redis = PrivateRedis(root)
        redis.start()
        settings = Settings(
            database_url=create_database(server_url, database),
            broker_url=redis.url,
            blob_root=str(root / "blobs"),
        )
        engine = make_engine(settings.database_url)
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        try:
            with receiver() as hook, celery_worker(settings, root, concurrency=2):
                with transaction(sessions) as session:
                    create_webhook(
                        session,
                        url=hook.url,
                        events=["document.finished"],
                        collections=None,
                        secret="whsec_bench-secret-00000",
                        created_by=None,
                    )
                enqueuer = CeleryEnqueuer(celery_client(settings))
                blobs = BlobStore(Path(settings.blob_root))
                for number in range(args.documents):
                    pdf = root / f"doc-{number}.pdf"
                    make_text_pdf(pdf, args.pages, lines_per_page=3 + number % 7)
                    with pdf.open("rb") as stream:
                        intake = take_in(
                            sessions,
                            blobs,
                            stream,
                            filename=pdf.name,
                            collection="bench",
                            options={"n": number},
                        )
                    enqueuer.enqueue_documents([intake.document.id])
                    time.sleep(args.spacing)
                arrivals = hook.wait_for(args.documents, WAIT_SECONDS)
            with transaction(sessions) as session:
                finished = dict(session.execute(select(Document.id, Document.finished_at)).all())
        finally:
            engine.dispose()
            redis.kill()
            drop_database(server_url, database)
    latencies = []
    for arrival in arrivals:
        document_id = json.loads(arrival.body)["document"]["id"]
        finished_at = finished[document_id]
        assert finished_at is not None
        latencies.append((arrival.at - finished_at.timestamp()) * 1000)
    poll_ms = settings.webhook_poll_seconds * 1000
    print(f"{len(latencies)} documents x {args.pages} page(s), submitted {args.spacing} s apart")
    print(
        f"delivery latency after finished_at: p50 {_percentile(latencies, 0.5):.0f} ms, "
        f"p90 {_percentile(latencies, 0.9):.0f} ms, p99 {_percentile(latencies, 0.99):.0f} ms, "
        f"max {max(latencies):.0f} ms, mean {statistics.mean(latencies):.0f} ms"
    )
    slow = sum(1 for latency in latencies if latency > poll_ms)
    print(f"slower than the {poll_ms / 1000:.0f} s poll interval: {slow}")


if __name__ == "__main__":
    main()
