"""Inside pipeline/: stages import only the stages before them; local and model stay apart."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "pipeline"
ALLOWED = {
    "errors": set(),
    "sources": {"errors"},
    "formats": {"errors", "sources"},
    "chunking": {"errors", "sources", "formats"},
    "planning": {"errors"},
    "assemble": {"errors"},
    "local": {"errors", "sources", "assemble"},
    "model": {"errors", "sources", "planning"},
    "engines": {"errors", "sources", "formats", "local", "model"},
    "run": {"engines"},
}
"""Each stage and the pipeline stages it may import (schemas is always allowed)."""


def _stage(path: Path) -> str:
    return path.relative_to(PIPELINE).with_suffix("").parts[0]


def _pipeline_imports(path: Path) -> set[str]:
    stages = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "pipeline" and len(parts) > 1:
                stages.add(parts[1])
    return stages


def test_every_pipeline_module_belongs_to_a_known_stage() -> None:
    stages = {_stage(path) for path in PIPELINE.rglob("*.py")} - {"__init__"}
    assert stages == set(ALLOWED)


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_stages_import_only_earlier_stages(stage: str) -> None:
    violations = [
        f"{path.relative_to(ROOT)} imports pipeline.{other}"
        for path in sorted(PIPELINE.rglob("*.py"))
        if _stage(path) == stage
        for other in _pipeline_imports(path) - ALLOWED[stage] - {stage}
    ]
    assert violations == []


def test_local_and_model_tiers_are_independent() -> None:
    assert "model" not in ALLOWED["local"]
    assert "local" not in ALLOWED["model"]


def _run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def test_importing_the_pipeline_changes_nothing_and_entry_points_keep_the_analyser_out() -> None:
    """Importing the pipeline has no side effect on PyMuPDF; `prepare_mupdf`, called by every
    entry point, keeps PyMuPDF's layout analyser out of the process."""
    check = "from pipeline.sources.mupdf import layout_analyser_loaded\n"
    prepared = _run_python(
        "import sys\n"
        "import pipeline\n"
        "assert 'pymupdf' not in sys.modules, 'importing pipeline imported PyMuPDF'\n"
        "from pipeline.sources.mupdf import prepare_mupdf\n"
        "prepare_mupdf()\n"
        "import pipeline.run, pipeline.engines.catalog, pipeline.chunking.documents\n"
        + check
        + "print(layout_analyser_loaded())"
    )
    unprepared = _run_python("import pipeline.run\n" + check + "print(layout_analyser_loaded())")

    assert prepared == "False"
    assert unprepared == "True"
