"""The open-PDF cache: jobs pin their document; eviction closes only unpinned ones."""

import threading
from pathlib import Path

import pytest

from pipeline.sources.mupdf import MUPDF_LOCK
from pipeline.sources.pdf import PdfCache
from tests.support.documents import make_text_pdf


@pytest.fixture
def pdfs(tmp_path: Path) -> list[Path]:
    paths = []
    for number in range(8):
        path = tmp_path / f"document-{number}.pdf"
        make_text_pdf(path, 2, lines_per_page=1)
        paths.append(path)
    return paths


def test_a_pinned_document_outlives_any_number_of_evictions(pdfs: list[Path]) -> None:
    cache = PdfCache(size=1)
    with cache.open(pdfs[0]) as pinned:
        for path in pdfs[1:]:
            with cache.open(path) as other:
                assert not other.is_closed
            assert other.is_closed  # unpinned and over size: closed at once
            assert not pinned.is_closed
            assert pinned.load_page(1).get_text().startswith("Page 2")
        assert len(cache) == 1
        assert cache.pinned() == 1
    assert not pinned.is_closed  # the most recent entry stays cached, unpinned
    assert cache.pinned() == 0
    with cache.open(pdfs[0]) as again:
        assert again is pinned
    cache.close()
    assert pinned.is_closed


def test_unpinned_documents_are_closed_least_recently_used_first(pdfs: list[Path]) -> None:
    cache = PdfCache(size=2)
    opened = []
    for path in pdfs[:3]:
        with cache.open(path) as document:
            opened.append(document)
    assert [document.is_closed for document in opened] == [True, False, False]
    with cache.open(pdfs[1]) as reused:
        assert reused is opened[1]
    assert len(cache) == 2
    cache.close()


def test_more_pinned_documents_than_the_cache_holds_stay_open_until_released(
    pdfs: list[Path],
) -> None:
    cache = PdfCache(size=4)
    threads = 16
    everyone_pinned = threading.Barrier(threads)
    failures: list[BaseException] = []
    texts: dict[int, str] = {}

    def job(number: int) -> None:
        try:
            with cache.open(pdfs[number % len(pdfs)]) as document:
                everyone_pinned.wait(timeout=30)
                with MUPDF_LOCK:
                    texts[number] = document.load_page(0).get_text()
                everyone_pinned.wait(timeout=30)
        except BaseException as exc:
            failures.append(exc)

    workers = [threading.Thread(target=job, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    assert sorted(texts) == list(range(threads))
    assert all(text.startswith("Page 1") for text in texts.values())
    assert cache.pinned() == 0
    assert len(cache) == 4  # released documents beyond the size were closed
    cache.close()
