"""A threaded worker (`vlm --pool threads`): many distinct PDFs in flight in one process.

Jobs share one `EngineResources` as the threads of a worker do; more distinct PDFs are in
flight than the open-PDF cache holds, and MuPDF's lock is free while OCR runs.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pymupdf
import pytest

from pipeline.chunking.documents import chunk_file
from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.engines.catalog import default_registry
from pipeline.engines.resources import EngineResources
from pipeline.local.ocr_engine import OcrEngine
from pipeline.model.attempts import AttemptPolicy, VlmEngine
from pipeline.model.client import VlmClient, VlmClientConfig
from pipeline.run import process_chunk
from pipeline.sources.mupdf import MUPDF_LOCK
from pipeline.sources.pdf import DEFAULT_OPEN_DOCUMENTS
from schemas.enums import MediaType, Tier
from tests.fakes.fake_vllm import MOE_MODEL, FakeVllmConfig, Fault, running_fake_vllm

WORDS = ("Orchard", "Harvest", "Trellis", "Compost", "Seedling", "Basil", "Pepper", "Tomato")


def scanned_pdf(path: Path, word: str, pages: int = 2) -> Path:
    """Pages that are pictures of `word <page number>` (no text layer)."""
    document = pymupdf.open()
    for number in range(1, pages + 1):
        picture = pymupdf.open()
        source = picture.new_page(width=150, height=110)
        source.insert_text((12, 62), f"{word} {number}", fontsize=20)
        png = source.get_pixmap(dpi=150).tobytes("png")
        picture.close()
        page = document.new_page(width=150, height=110)
        page.insert_image(page.rect, stream=png)
    document.save(path)
    document.close()
    return path


@pytest.mark.models
def test_eight_distinct_scans_in_flight_from_sixteen_threads_all_succeed(
    tmp_path: Path, ocr_engine: OcrEngine
) -> None:
    paths = [scanned_pdf(tmp_path / f"scan-{word}.pdf", word) for word in WORDS]
    assert len(paths) > DEFAULT_OPEN_DOCUMENTS
    jobs = [
        ChunkJob(path, chunk, Tier.LOCAL)
        for path in paths
        for chunk in chunk_file(path, MediaType.PDF)
    ]
    assert len(jobs) == 16
    resources = EngineResources(ocr=ocr_engine)
    registry = default_registry()
    start = threading.Barrier(len(jobs))

    def run(job: ChunkJob) -> ExtractionResult:
        start.wait(timeout=60)  # every job opens its PDF at once: 8 pinned, cache size 4
        return process_chunk(job, resources, registry)

    try:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(run, jobs))
    finally:
        resources.close()
    for job, result in zip(jobs, results, strict=True):
        word = job.path.stem.removeprefix("scan-")
        assert result.engine == "rapidocr"
        assert result.data["text"] == f"{word} {job.chunk.page_number}"
    assert resources.pdfs.pinned() == 0


def test_moe_tier_threads_keep_eight_distinct_scans_open_while_the_model_reads(
    tmp_path: Path,
) -> None:
    """The `vlm --pool threads` worker: 16 jobs over 8 scans wait on the model at once."""
    paths = [scanned_pdf(tmp_path / f"scan-{word}.pdf", word) for word in WORDS]
    jobs = [
        ChunkJob(path, chunk, Tier.MOE, budget=280)
        for path in paths
        for chunk in chunk_file(path, MediaType.PDF)
    ]
    with running_fake_vllm(FakeVllmConfig(capacity=len(jobs))) as (base_url, control):
        control.request_latency = 0.3  # every document is pinned while its requests run
        # Three padded answers per job: each re-renders its page at the next budget after
        # about a second, when all eight documents have long been opened.
        control.inject(Fault.WHITESPACE_PADDING, times=3 * len(jobs))
        client = VlmClient(VlmClientConfig(base_url=base_url, model=MOE_MODEL, max_tokens=1500))
        resources = EngineResources(moe=VlmEngine(client, AttemptPolicy()))
        start = threading.Barrier(len(jobs))

        def run(job: ChunkJob) -> ExtractionResult:
            start.wait(timeout=60)
            return process_chunk(job, resources, default_registry())

        try:
            with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
                results = list(pool.map(run, jobs))
        finally:
            resources.close()
        assert len(control.requests) == 4 * len(jobs)  # three padded answers, then 560
    assert [result.engine for result in results] == [f"vllm:{MOE_MODEL}"] * len(jobs)
    assert not any(result.usage is None or result.usage.fell_back for result in results)
    assert [result.usage.record["budget"] for result in results if result.usage] == [560] * 16
    assert resources.pdfs.pinned() == 0


@pytest.mark.models
def test_mupdfs_lock_is_free_while_a_page_is_ocred(tmp_path: Path, ocr_engine: OcrEngine) -> None:
    path = scanned_pdf(tmp_path / "scan.pdf", "Orchard", pages=1)
    observed: list[bool] = []
    real_run = ocr_engine.run

    def run_and_probe_the_lock(*args: Any, **kwargs: Any) -> Any:
        free: list[bool] = []

        def probe() -> None:  # another thread, as a second job of a threaded worker
            acquired = MUPDF_LOCK.acquire(blocking=False)
            free.append(acquired)
            if acquired:
                MUPDF_LOCK.release()

        prober = threading.Thread(target=probe)
        prober.start()
        prober.join()
        observed.extend(free)
        return real_run(*args, **kwargs)

    resources = EngineResources(ocr=ocr_engine)
    chunk = next(iter(chunk_file(path, MediaType.PDF)))
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(ocr_engine, "run", run_and_probe_the_lock)
            result = process_chunk(ChunkJob(path, chunk, Tier.LOCAL), resources, default_registry())
    finally:
        resources.close()
    assert result.data["text"] == "Orchard 1"
    assert observed and all(observed)
