"""One boundary per library, proved on hostile input: `chunk_file` (after `sniff_file`, with its
generator run to the end) and `process_chunk` raise nothing but categorised `PipelineError`s.

The corpus (`tests.support.fuzz_corpus`) mutates valid PDFs, images, audio and video the
project generates: truncation, byte flips, damaged cross-reference tables, page-tree cycles, deep
nesting, absurd MediaBoxes and image sizes. Every chunk of every mutant runs on the local tier
with the real engines (MuPDF, PDFium, Pillow, ffmpeg, RapidOCR, Moonshine).
"""

import contextlib
import hashlib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.chunking.documents import chunk_file
from pipeline.engines.base import ChunkJob
from pipeline.engines.catalog import default_registry
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources
from pipeline.errors import PipelineError
from pipeline.local.asr import IsolatedMoonshineEngine
from pipeline.local.ocr_engine import OcrEngine
from pipeline.run import process_chunk
from pipeline.sources.sniff import sniff_file
from schemas.enums import ErrorCategory, Tier
from tests.support.fuzz_corpus import fuzz_mutants, seed_files, write_fuzz_corpus

CORPUS_SIZE = 140
CORPUS_SEED = 13


def _outcomes(
    path: Path, resources: EngineResources, registry: EngineRegistry, leaks: list[str]
) -> list[str]:
    """What became of a file: `document:<category>`, or one `job:<category|done>` per chunk.
    Anything but a PipelineError is recorded in `leaks`."""
    try:
        chunks = list(chunk_file(path, sniff_file(path)))
    except PipelineError as error:
        return [f"document:{ErrorCategory(error.category).value}"]
    except Exception as exc:
        leaks.append(f"{path.name}: chunking raised {type(exc).__module__}.{exc!r}"[:300])
        return ["leak"]
    outcomes = []
    for chunk in chunks:
        try:
            process_chunk(ChunkJob(path, chunk, Tier.LOCAL), resources, registry)
        except PipelineError as error:
            outcomes.append(f"job:{ErrorCategory(error.category).value}")
        except Exception as exc:
            leaks.append(f"{path.name} #{chunk.seq}: {type(exc).__module__}.{exc!r}"[:300])
            outcomes.append("leak")
        else:
            outcomes.append("job:done")
    return outcomes


@pytest.mark.models
def test_every_mutant_ends_in_results_or_categorised_errors(
    tmp_path: Path, ocr_engine: OcrEngine, asr_engine: IsolatedMoonshineEngine
) -> None:
    paths = write_fuzz_corpus(tmp_path, CORPUS_SIZE, CORPUS_SEED)
    resources = EngineResources(ocr=ocr_engine, asr=asr_engine)
    registry = default_registry()
    leaks: list[str] = []
    tally: Counter[str] = Counter()
    by_format: Counter[str] = Counter()
    for path in paths:
        outcomes = _outcomes(path, resources, registry, leaks)
        tally.update(outcomes)
        by_format[path.suffix] += 1
    resources.pdfs.close()
    print(f"fuzz corpus of {len(paths)} files: {dict(sorted(tally.items()))}")
    assert leaks == []
    assert by_format == {
        ".pdf": 60,
        ".png": 16,
        ".jpg": 12,
        ".tif": 12,
        ".wav": 16,
        ".ogg": 12,
        ".mp4": 12,
    }
    # The corpus reaches every stage: documents fail whole, pages fail alone, most jobs succeed.
    assert tally["job:done"] > CORPUS_SIZE // 2
    assert tally["document:corrupt_file"] > 10
    assert tally["document:too_large"] > 0
    assert tally["document:no_pages"] + tally["document:unsupported_media"] > 0
    assert tally["job:corrupt_file"] + tally["job:page_error"] > 10


def test_the_corpus_is_deterministic_and_keeps_its_formats() -> None:
    first = fuzz_mutants(64, seed=5)
    again = fuzz_mutants(64, seed=5)
    other = fuzz_mutants(64, seed=6)
    assert [mutant.data for mutant in first] == [mutant.data for mutant in again]
    assert [mutant.data for mutant in first] != [mutant.data for mutant in other]
    seeds = seed_files()
    assert all(mutant.data not in seeds.values() for mutant in first)
    mutations = {mutant.name.split("-", 1)[1] for mutant in first}
    assert {"text-cycle.pdf", "scan-imagesize.pdf", "text-xref.pdf", "picture-header.png"} <= (
        mutations
    )


def test_the_page_tree_cycle_fails_the_document_not_the_caller(tmp_path: Path) -> None:
    """The issue's reproducer: MuPDF's `FzErrorFormat: cycle in page tree` (not a
    RuntimeError) is a `corrupt_file` or `page_error` like any other damage."""
    cycle = next(mutant for mutant in fuzz_mutants(32, 1) if "cycle" in mutant.name)
    path = tmp_path / cycle.name
    path.write_bytes(cycle.data)
    leaks: list[str] = []
    resources = EngineResources()
    try:
        outcomes = _outcomes(path, resources, default_registry(), leaks)
    finally:
        resources.close()
    assert leaks == []
    assert outcomes and all(
        outcome in ("job:done", "job:page_error", "document:corrupt_file") for outcome in outcomes
    )


_NATIVE_SEEDS = ("text.pdf", "pages.tif", "picture.png")


@pytest.fixture(scope="module")
def seeds() -> dict[str, bytes]:
    return seed_files()


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed_name=st.sampled_from(_NATIVE_SEEDS),
    cut=st.floats(min_value=0.02, max_value=1.0),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=6),
)
def test_chunking_any_truncated_or_flipped_file_raises_only_pipeline_errors(
    tmp_path: Path,
    seeds: dict[str, bytes],
    seed_name: str,
    cut: float,
    flips: list[tuple[float, int]],
) -> None:
    """Chunking alone (no OCR), over many more cuts and flips than the corpus holds."""
    seed = seeds[seed_name]
    data = bytearray(seed[: max(1, int(len(seed) * cut))])
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    path = tmp_path / f"{hashlib.sha256(data).hexdigest()[:16]}-{seed_name}"
    path.write_bytes(bytes(data))
    with contextlib.suppress(PipelineError):  # anything else fails the example
        list(chunk_file(path, sniff_file(path)))
    path.unlink()
