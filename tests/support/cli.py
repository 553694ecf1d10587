"""Running `greenhouse ingest` as a user would: a subprocess, and its `--json` reports."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from schemas.settings import Settings
from tests.support.workers import REPO_ROOT, worker_environment


def ingest_cli(
    settings: Settings, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`greenhouse ingest ARGS` with `settings` in its environment, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "ingest", *args],
        cwd=REPO_ROOT,
        env=worker_environment(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def reports_by_name(stdout: str) -> dict[str, dict[str, Any]]:
    """The `--json` report of every document, by its file's name."""
    reports = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {Path(report["path"]).name: report for report in reports}
