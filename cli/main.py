"""Entry point of the `greenhouse` command."""

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from cli.commands import build_parser
from pipeline.sources.mupdf import prepare_mupdf
from schemas.document_options import DocumentOptions, InvalidDocumentOptionsError
from schemas.enums import Tier
from schemas.settings import Settings, load_settings

if TYPE_CHECKING:
    from workers.isolation.zygote import Zygote


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; returns the process exit code."""
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    if arguments.command == "ingest":
        zygote = _early_zygote(settings)  # before this process imports PyMuPDF and the rest
        prepare_mupdf()
        return _ingest(settings, arguments, zygote)
    prepare_mupdf()
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
        from cli.show import run_show

        return run_show(settings, arguments)
    if arguments.command == "export":
        from cli.export import run_export

        return run_export(settings, arguments)
    if arguments.command == "keys":
        from cli.keys import run_keys

        return run_keys(settings, arguments)
    return _jobs_resume(settings, arguments.tier)


def _ingest(settings: Settings, arguments: argparse.Namespace, zygote: "Zygote | None") -> int:
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
