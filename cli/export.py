"""`greenhouse export`: document results as JSONL, CSV or Parquet, read from the configured
database (no API needed) by the same code as `GET /v1/exports`.

Without `--out` one table (`--table`, default `main`) goes to stdout; with `--out DIR` every
table of the export is written as `DIR/<table>.<format>` in one pass over the results (files
appear whole: written as `.partial`, renamed at the end). The watermark to pass as the next
`--since` is printed to stderr.
"""

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from schemas.exports.encoders import ExportFormat
from schemas.exports.layout import MAIN_TABLE
from schemas.settings import Settings
from storage.database import SessionFactory, make_engine, make_session_factory

__all__ = ["run_export"]

USAGE_ERROR = 2
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def run_export(settings: Settings, arguments: argparse.Namespace) -> int:
    """Write the export; 0, or 2 for a request that cannot be exported."""
    engine = make_engine(settings.database_url)
    try:
        return _export(make_session_factory(engine), arguments)
    finally:
        engine.dispose()


def _export(sessions: SessionFactory, arguments: argparse.Namespace) -> int:
    from api.export_stream import ExportRequestError, encoded_tables, plan_export

    export_format = ExportFormat(arguments.export_format)
    try:
        if arguments.schema_version is not None and arguments.schema is None:
            raise ExportRequestError("schema_version", "--schema-version needs --schema")
        plan = plan_export(
            sessions,
            collections=None,
            collection=arguments.collection,
            schema=arguments.schema,
            schema_version=arguments.schema_version,
            since=arguments.since,
            until=arguments.until,
        )
    except ExportRequestError as exc:
        print(f"greenhouse: {exc.message}", file=sys.stderr)
        return USAGE_ERROR
    names = [arguments.table] if arguments.table else plan.layout.table_names
    if arguments.out is None and not arguments.table:
        names = [MAIN_TABLE]
    tables = tuple(table for name in names if (table := plan.layout.table(name)) is not None)
    if len(tables) != len(names):
        known = ", ".join(plan.layout.table_names)
        print(f"greenhouse: no table {names[0]!r} in this export ({known})", file=sys.stderr)
        return USAGE_ERROR
    counts: dict[str, int] = {}
    chunks = encoded_tables(sessions, plan, tables, export_format, counts)
    if arguments.out is None:
        stdout: BinaryIO = sys.stdout.buffer
        for _name, chunk in chunks:
            stdout.write(chunk)
        stdout.flush()
    else:
        _write_files(arguments.out, [table.name for table in tables], export_format, chunks)
    for table in tables:
        print(f"{table.name}: {counts.get(table.name, 0)} rows", file=sys.stderr)
    print(f"watermark {plan.watermark} (the next --since)", file=sys.stderr)
    return 0


def _write_files(
    folder: Path,
    names: list[str],
    export_format: ExportFormat,
    chunks: Iterator[tuple[str, bytes]],
) -> None:
    """Each table into its file; nothing is left under a final name when the export fails."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = {
        name: folder / f"{_UNSAFE_IN_NAME.sub('_', name)}.{export_format.value}" for name in names
    }
    partial = {name: path.with_name(path.name + ".partial") for name, path in targets.items()}
    streams = {name: path.open("wb") for name, path in partial.items()}
    try:
        for name, chunk in chunks:
            streams[name].write(chunk)
    except BaseException:
        for name, stream in streams.items():
            stream.close()
            partial[name].unlink(missing_ok=True)
        raise
    for name, stream in streams.items():
        stream.close()
        partial[name].replace(targets[name])
