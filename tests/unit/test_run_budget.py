"""A model-tier job planned without a budget (a reprocess moved it from the CPU tier) chooses
one when it runs: exactly the budget chunking and planning give the same page or picture."""

from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PIL import Image

from pipeline.chunking.documents import chunk_image, chunk_pdf
from pipeline.engines.base import ChunkJob, planned_budget
from pipeline.errors import InvalidChunkError
from pipeline.model.run_budget import page_budget, picture_budget
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, Tier
from tests.unit.test_budget_chunking import LETTER, SLIDE, _budgets, _pdf, _scan_png, _text_page


def test_a_page_measured_when_its_job_runs_gets_the_budget_chunking_would_give(
    tmp_path: Path,
) -> None:
    png = _scan_png(tmp_path, 10, lines=46)

    def build(document: pymupdf.Document) -> None:
        _text_page(document, LETTER, 6, 40)  # small print
        _text_page(document, LETTER, 10, 40)  # body text
        _text_page(document, SLIDE, 28, 4)  # a large-print slide
        document.new_page(width=LETTER[0], height=LETTER[1])  # empty
        scan = document.new_page(width=LETTER[0], height=LETTER[1])
        scan.insert_image(scan.rect, filename=png)  # 10 pt text, in pixels only

    path = _pdf(tmp_path, "pages.pdf", build)
    planned = _budgets(list(chunk_pdf(path)))
    with pymupdf.open(path) as document:
        bare = list(chunk_pdf(path, legibility=False))  # how a CPU-tier document is chunked
        measured_now = [page_budget(c, document[c.seq]) for c in bare]
    assert measured_now == planned == [1120, 560, 70, 70, 560]


def test_a_picture_measured_when_its_job_runs_gets_the_budget_chunking_would_give(
    tmp_path: Path,
) -> None:
    small = _scan_png(tmp_path, 7, lines=60, dpi=300)
    large = _scan_png(tmp_path, 30, lines=14, dpi=300)
    blank = tmp_path / "blank.png"
    Image.new("L", (1700, 2200), 255).save(blank)
    paths = [small, large, blank]
    planned = [_budgets(list(chunk_image(path)))[0] for path in paths]
    measured_now = []
    for path in paths:
        (bare,) = chunk_image(path, legibility=False)
        with Image.open(path) as image:
            measured_now.append(picture_budget(bare, image.convert("RGB")))
    assert measured_now == planned == [1120, 70, 280]
    frame = ChunkDescriptor(seq=0, kind=ChunkKind.VIDEO_FRAME, width=1700, height=2200)
    with Image.open(blank) as image:  # a blank frame is not a photo: the fewest tokens
        assert picture_budget(frame, image.convert("RGB")) == 70


def test_a_page_pdfium_rendered_is_measured_against_the_pictures_own_size(
    tmp_path: Path,
) -> None:
    png = _scan_png(tmp_path, 10, lines=46)  # 10 pt text at 200 dpi: 560 as a scanned page
    page = ChunkDescriptor(seq=0, kind=ChunkKind.PDF_PAGE, width=612, height=792)
    with Image.open(png) as image:
        assert picture_budget(page, image.convert("RGB")) == 560


def _job(budget: Any) -> ChunkJob:
    chunk = ChunkDescriptor(seq=0, kind=ChunkKind.PDF_PAGE, page_number=1)
    return ChunkJob(Path("x.pdf"), chunk, Tier.MOE, budget=budget)


@pytest.mark.parametrize("budget", [70, 1120, None])
def test_a_planned_budget_is_kept_and_a_missing_one_left_to_the_engine(budget: Any) -> None:
    assert planned_budget(_job(budget)) == budget


@pytest.mark.parametrize("budget", [0, 100, 2240])
def test_a_budget_that_is_none_of_the_five_is_an_invalid_chunk(budget: int) -> None:
    with pytest.raises(InvalidChunkError, match=f"invalid visual budget {budget}"):
        planned_budget(_job(budget))
