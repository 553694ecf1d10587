"""Entry point of the `greenhouse` command."""

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.export import add_export_parser, run_export
from cli.keys import add_keys_parser
from cli.show import add_show_parser, run_show
from pipeline.sources.mupdf import prepare_mupdf
from schemas.budget import VISUAL_BUDGETS
from schemas.document_options import (
    DEFAULT_COLLECTION,
    DocumentOptions,
    InvalidDocumentOptionsError,
)
from schemas.enums import Tier
from schemas.settings import Settings, load_settings

if TYPE_CHECKING:
    from workers.isolation.zygote import Zygote

TIER_CHOICES = [tier.value for tier in Tier]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="greenhouse", description="On-premises document ingestion to structured JSON."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="ingest files and folders")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.add_argument("--collection", default=DEFAULT_COLLECTION)
    ingest.add_argument("--tier", choices=TIER_CHOICES)
    ingest.add_argument("--budget", type=int, choices=VISUAL_BUDGETS)
    ingest.add_argument("--schema")
    ingest.add_argument("--json", action="store_true", help="one JSON object per document")
    ingest.add_argument("--wait", action="store_true", help="with a broker: wait for the workers")
    ingest.add_argument("--timeout", type=float, help="with --wait: give up after N seconds")
    ingest.add_argument("--processes", type=int, help="embedded: worker processes (all cores)")

    worker = commands.add_parser("worker", help="run a Celery worker (needs a broker)")
    worker.add_argument("--queues", default="ingest,local,asr")
    worker.add_argument("--concurrency", type=int)
    worker.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo"])
    worker.add_argument("--loglevel", default="INFO")
    worker.add_argument("--name", help="Celery node name (default: celery@HOSTNAME)")

    serve = commands.add_parser("serve", help="run the REST API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)

    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser("upgrade", help="apply pending migrations")

    add_keys_parser(commands)
    add_show_parser(commands)
    add_export_parser(commands)

    jobs = commands.add_parser("jobs", help="job maintenance")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    resume = jobs_commands.add_parser("resume", help="re-queue waiting jobs")
    resume.add_argument("--tier", choices=TIER_CHOICES)

    retention = commands.add_parser("retention", help="document retention")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True)
    apply = retention_commands.add_parser(
        "apply", help="delete documents older than GREENHOUSE_RETENTION_DAYS[_BY_COLLECTION]"
    )
    apply.add_argument("--dry-run", action="store_true", help="only count them")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; returns the process exit code."""
    arguments = _parser().parse_args(argv)
    prepare_mupdf()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    if arguments.command == "ingest":
        return _ingest(settings, arguments)
    if arguments.command == "worker":
        return _worker(settings, arguments)
    if arguments.command == "serve":
        return _serve(settings, arguments)
    if arguments.command == "db":
        return _db_upgrade(settings)
    if arguments.command == "retention":
        from cli.retention import run_retention

        return run_retention(settings, dry_run=arguments.dry_run)
    if arguments.command == "show":
        return run_show(settings, arguments)
    if arguments.command == "export":
        return run_export(settings, arguments)
    if arguments.command == "keys":
        from cli.keys import run_keys

        return run_keys(settings, arguments)
    return _jobs_resume(settings, arguments.tier)


def _ingest(settings: Settings, arguments: argparse.Namespace) -> int:
    zygote = _early_zygote(settings)
    from cli.ingest import IngestOptions, UnknownSchemaError, run_ingest

    try:
        document = DocumentOptions(
            collection=arguments.collection,
            tier=Tier(arguments.tier) if arguments.tier else None,
            budget=arguments.budget,
            schema=arguments.schema,
        )
        options = IngestOptions(
            document=document,
            as_json=arguments.json,
            wait=arguments.wait,
            wait_timeout=arguments.timeout,
            processes=arguments.processes,
        )
        return run_ingest(settings, arguments.paths, options, zygote)
    except (FileNotFoundError, InvalidDocumentOptionsError, UnknownSchemaError) as exc:
        print(f"greenhouse: {exc}", file=sys.stderr)
        return 2


def _early_zygote(settings: Settings) -> "Zygote | None":
    """An embedded run's isolated work starts first: its zygote imports the pipeline while
    this process imports the rest of the CLI (the zygote exits with this process)."""
    if settings.broker_url or settings.isolation == "off":
        return None
    from workers.isolation.zygote import Zygote

    return Zygote()


def _worker(settings: Settings, arguments: argparse.Namespace) -> int:
    """Run the Celery worker as a supervised child process, started again when it dies."""
    if not settings.broker_url:
        print(
            "greenhouse worker needs GREENHOUSE_BROKER_URL (e.g. redis://localhost:6379/0)",
            file=sys.stderr,
        )
        return 2
    from storage.database import make_engine
    from storage.migrate import PendingMigrationsError, require_up_to_date
    from workers.supervisor import Supervisor

    try:
        require_up_to_date(make_engine(settings.database_url))
    except PendingMigrationsError as exc:
        print(f"greenhouse: {exc}", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_main", "worker"]
    command += ["-Q", arguments.queues, "--pool", arguments.pool, "--loglevel", arguments.loglevel]
    if arguments.concurrency:
        command += ["--concurrency", str(arguments.concurrency)]
    if arguments.name:
        command += ["--hostname", arguments.name]
    logging.getLogger("workers.supervisor").setLevel(logging.INFO)
    return Supervisor(command, name="celery worker").run()


def _serve(settings: Settings, arguments: argparse.Namespace) -> int:
    import uvicorn

    from api.app import create_app
    from api.auth import auth_refusal
    from cli.metrics_listener import InvalidAddressError, parse_address, start_metrics_listener
    from storage.migrate import PendingMigrationsError

    try:
        refusal = auth_refusal(settings, arguments.host)
        metrics_at = parse_address(settings.metrics_address) if settings.metrics_address else None
    except InvalidAddressError as exc:
        refusal = str(exc)
    if refusal is not None:
        print(f"greenhouse: {refusal}", file=sys.stderr)
        return 2
    dispatcher = None
    if not settings.broker_url:
        from workers.embedded_dispatch import EmbeddedDispatcher

        dispatcher = EmbeddedDispatcher(settings)
    try:
        app = create_app(settings, dispatcher)
    except PendingMigrationsError as exc:
        print(f"greenhouse: {exc}", file=sys.stderr)
        return 2
    if metrics_at is not None:
        start_metrics_listener(app, *metrics_at)
    uvicorn.run(app, host=arguments.host, port=arguments.port)
    return 0


def _db_upgrade(settings: Settings) -> int:
    from storage.database import make_engine
    from storage.migrate import pending_revisions, upgrade_to_head

    engine = make_engine(settings.database_url)
    pending = pending_revisions(engine)
    upgrade_to_head(engine)
    print(f"applied {len(pending)} migration(s); the database is at the latest revision")
    return 0


def _jobs_resume(settings: Settings, tier: str | None) -> int:
    from storage.database import transaction
    from storage.ledger import resume_waiting
    from workers.context import CollectingEnqueuer, build_context

    context = build_context(settings, CollectingEnqueuer())
    with transaction(context.sessions) as session:
        resumed = resume_waiting(session, tier)
    if settings.broker_url:
        from workers.celery_app import CeleryEnqueuer, celery_client

        CeleryEnqueuer(celery_client(settings)).enqueue_jobs(resumed)
    else:
        from workers.embedded import EmbeddedExecutor

        context.enqueuer.enqueue_jobs(resumed)
        EmbeddedExecutor(context).drain()
    print(f"resumed {len(resumed)} waiting job(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
