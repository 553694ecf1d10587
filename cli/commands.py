"""The `greenhouse` command's arguments: every subcommand's, built from light imports only.

The modules that run a subcommand (and import SQLAlchemy, the workers, the pipeline) load when
it runs: an embedded `greenhouse ingest` starts its zygote that much sooner.
"""

import argparse
from pathlib import Path

from schemas.api_keys import EVERY_COLLECTION
from schemas.budget import VISUAL_BUDGETS
from schemas.document_options import DEFAULT_COLLECTION
from schemas.enums import Tier
from schemas.exports.encoders import ExportFormat
from schemas.rendering.results import ResultFormat

__all__ = ["build_parser"]

TIER_CHOICES = [tier.value for tier in Tier]


def build_parser() -> argparse.ArgumentParser:
    """The `greenhouse` command's arguments, every subcommand's included."""
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

    _add_keys_parser(commands)
    _add_show_parser(commands)
    _add_export_parser(commands)

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


def _add_keys_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `keys` subcommand and its own subcommands."""
    keys = commands.add_parser("keys", help="API keys: create, list, revoke")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_commands.add_parser("create", help="create a key; its token is shown once")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--collections", required=True, help=f"A,B or {EVERY_COLLECTION} for every collection"
    )
    create.add_argument("--scopes", required=True, help="read,write[,admin]")
    keys_commands.add_parser("list", help="every key (never a secret)")
    revoke = keys_commands.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id")


def _add_show_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `show` subcommand."""
    show = commands.add_parser("show", help="print a finished document's result")
    show.add_argument("document_id")
    show.add_argument(
        "--format",
        dest="result_format",
        choices=[result_format.value for result_format in ResultFormat],
        default=ResultFormat.JSON.value,
        help="json (the stored result, every block), markdown, html (a standalone page), text",
    )
    show.add_argument(
        "--include-furniture",
        action="store_true",
        help="markdown/html/text: keep running headers, footers, page numbers and footnotes",
    )


def _add_export_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """The `export` subcommand."""
    export = commands.add_parser("export", help="export document results (JSONL, CSV, Parquet)")
    export.add_argument(
        "--format",
        dest="export_format",
        choices=[export_format.value for export_format in ExportFormat],
        default=ExportFormat.JSONL.value,
    )
    export.add_argument("--schema", help="the filled fields of documents read with this schema")
    export.add_argument("--schema-version", type=int, help="with --schema: whose columns")
    export.add_argument("--collection")
    export.add_argument("--since", type=int, help="a previous export's watermark")
    export.add_argument("--until", type=int, help="changes up to this watermark only")
    export.add_argument("--table", help="one table only (main, or an array's dotted path)")
    export.add_argument("--out", type=Path, help="a folder: every table as <table>.<format>")
