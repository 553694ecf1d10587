"""Heavy libraries load only when a job needs them: a text-layer PDF is chunked and extracted
without OCR, ASR or OpenCV, and an embedded `greenhouse ingest` imports no broker, web or model
client stack (nor Alembic, into a database already migrated).

Each check runs in a fresh interpreter and reads its `sys.modules`, so a new top-level import
anywhere on these paths fails it.
"""

import json
import subprocess
import sys
from pathlib import Path

from tests.support.documents import make_text_pdf
from tests.support.workers import REPO_ROOT, worker_environment

OCR_ASR_VISION = ("onnxruntime", "rapidocr", "rapidocr_onnxruntime", "cv2", "moonshine_onnx")
"""Loaded only by a scanned page, a picture or speech (and pymupdf4llm, which pulls them)."""
FORMAT_READERS = ("docx", "openpyxl", "pptx", "odf", "markdown_it", "striprtf", "extract_msg")
"""Loaded only by an office, text or mail file."""
PIPELINE_WORK = (
    "pipeline.engines.catalog",
    "pipeline.chunking.documents",
    "pipeline.local.pdf_page",
)
"""What an isolated worker leaves to its zygote and children."""
BROKER_AND_WEB = ("celery", "billiard", "kombu", "redis", "fastapi", "starlette", "uvicorn")
"""Loaded by a worker with a broker (its reaper thread and broker probe) and by the API."""
MODEL_CLIENT = ("httpx", "jsonschema")
"""Loaded where a model tier is configured, or a webhook is delivered."""

_LOADED = (
    "import json, sys\n"
    "names = {names!r}\n"
    "print(json.dumps(sorted(n for n in sys.modules if n in names or n.split('.')[0] in names)))\n"
)


def _loaded_after(
    code: str, names: tuple[str, ...], *args: str, env: dict[str, str] | None = None
) -> list[str]:
    """The modules among `names` (modules, or top-level packages with all their modules)
    loaded after `code` ran."""
    completed = subprocess.run(
        [sys.executable, "-c", code + "\n" + _LOADED.format(names=names), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    loaded: list[str] = json.loads(completed.stdout.strip().splitlines()[-1])
    return loaded


def test_chunking_and_extracting_a_text_pdf_loads_no_ocr_asr_or_opencv(tmp_path: Path) -> None:
    pdf = tmp_path / "text.pdf"
    make_text_pdf(pdf, 2)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from pipeline.sources.mupdf import prepare_mupdf\n"
        "prepare_mupdf()\n"
        "import workers.isolation.child\n"
        "from pipeline.chunking.documents import chunk_file\n"
        "from pipeline.engines.base import ChunkJob\n"
        "from pipeline.engines.catalog import default_registry\n"
        "from pipeline.engines.resources import EngineResources\n"
        "from pipeline.run import process_chunk\n"
        "from schemas.enums import MediaType, Tier\n"
        "path = Path(sys.argv[1])\n"
        "chunks = list(chunk_file(path, MediaType.PDF))\n"
        "assert len(chunks) == 2 and all(c.has_text_layer for c in chunks), chunks\n"
        "resources = EngineResources()\n"
        "results = [process_chunk(ChunkJob(path, c, Tier.LOCAL), resources, default_registry())"
        " for c in chunks]\n"
        "assert all(r.engine == 'pymupdf-text' for r in results), results\n"
        "resources.close()\n"
    )
    assert _loaded_after(code, (*OCR_ASR_VISION, *FORMAT_READERS, "pymupdf4llm"), str(pdf)) == []


def test_the_embedded_ingest_process_loads_no_broker_web_model_client_or_ocr(
    tmp_path: Path,
) -> None:
    from schemas.settings import Settings
    from storage.database import make_engine
    from storage.migrate import upgrade_to_head

    pdf = tmp_path / "one.pdf"
    make_text_pdf(pdf, 1)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'g.db'}",
        broker_url=None,
        blob_root=str(tmp_path / "blobs"),
    )
    engine = make_engine(settings.database_url)
    upgrade_to_head(engine)  # an existing database: the ingest has nothing to migrate
    engine.dispose()
    code = (
        "import contextlib, io, sys\n"
        "from cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['ingest', sys.argv[1], '--json'])\n"
        "assert code == 0, code\n"
    )
    names = (
        *BROKER_AND_WEB,
        *MODEL_CLIENT,
        "alembic",
        *OCR_ASR_VISION,
        *FORMAT_READERS,
        "pymupdf4llm",
        *PIPELINE_WORK,
    )
    assert _loaded_after(code, names, str(pdf), env=worker_environment(settings)) == []


def test_the_command_starts_without_the_database_workers_or_pdf_stack() -> None:
    """`greenhouse` parses its arguments and reads its settings before any of them load, so an
    embedded ingest's zygote starts importing the pipeline before this process does."""
    code = "from cli.main import main\nfrom cli.commands import build_parser\nbuild_parser()\n"
    names = ("sqlalchemy", "alembic", "pymupdf", "workers", "storage", "pipeline.engines", "PIL")
    assert _loaded_after(code, names) == []
