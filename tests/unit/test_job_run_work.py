"""A job run's work in one process: every page answered as data, the PDF opened once."""

from pathlib import Path

import pytest

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.engines.catalog import default_registry
from pipeline.engines.resources import EngineResources
from pipeline.errors import PipelineError
from pipeline.sources import pdf as pdf_sources
from pipeline.sources.pdf import PdfCache
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, Tier
from tests.support.documents import make_text_pdf
from workers.isolation.work import run_chunks


def _jobs(path: Path, page_numbers: list[int]) -> list[ChunkJob]:
    return [
        ChunkJob(
            path=path,
            chunk=ChunkDescriptor(
                seq=seq, kind=ChunkKind.PDF_PAGE, page_number=number, has_text_layer=True
            ),
            tier=Tier.LOCAL,
        )
        for seq, number in enumerate(page_numbers)
    ]


def test_a_run_opens_its_pdf_once_and_a_broken_page_fails_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "five.pdf"
    lines = make_text_pdf(path, 5)
    opened: list[Path] = []
    real_open = pdf_sources.open_pdf

    def counting_open(target: Path, password: str | None = None) -> object:
        opened.append(target)
        return real_open(target, password)

    monkeypatch.setattr(pdf_sources, "open_pdf", counting_open)
    # A cache that keeps nothing unpinned: without the run's pin every page would reopen it.
    resources = EngineResources(pdfs=PdfCache(size=0))
    try:
        answers = run_chunks(_jobs(path, [1, 2, 9, 3, 4, 5]), resources, default_registry())
    finally:
        resources.close()
    assert answers.stopped is None
    assert opened == [path]
    failed = [isinstance(outcome, PipelineError) for outcome in answers.outcomes]
    assert failed == [False, False, True, False, False, False]
    broken = answers.outcomes[2]
    assert isinstance(broken, PipelineError)
    assert broken.category is ErrorCategory.PAGE_ERROR
    texts = [
        outcome.data["text"]
        for outcome in answers.outcomes
        if isinstance(outcome, ExtractionResult)
    ]
    assert all(
        page[0] in text for page, text in zip(lines, texts, strict=True)
    )  # pages 1-5, in order


def test_a_run_whose_file_is_gone_answers_every_page_with_its_error(tmp_path: Path) -> None:
    resources = EngineResources()
    try:
        answers = run_chunks(_jobs(tmp_path / "gone.pdf", [1, 2]), resources, default_registry())
    finally:
        resources.close()
    assert answers.stopped is None
    assert [
        isinstance(outcome, PipelineError) and outcome.category for outcome in answers.outcomes
    ] == [ErrorCategory.INTERNAL] * 2
