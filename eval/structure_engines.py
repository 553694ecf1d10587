"""The engines the structure evaluation scores, each producing one string per page.

Every engine runs in a fresh process of its own (`outputs_in_child`): Greenhouse keeps
PyMuPDF's neural layout analyser out of its process (`prepare_mupdf`), while pymupdf4llm
switches it on at import and then uses it for its own page layout and tables. Sharing one
process would change the other engine's results.

Nothing here imports PyMuPDF at module level, so spawning a child stays cheap and clean.
"""

import contextlib
import io
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ENGINES = ("greenhouse", "pymupdf4llm", "pymupdf4llm-hf", "plain")
PageKey = tuple[str, int]
PageFunction = Callable[[Any, int], str]


def outputs_in_child(engine: str, corpus: Path, pages: Sequence[PageKey]) -> dict[PageKey, str]:
    """`engine_outputs` run in a new spawned process (its imports stay out of this one)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(engine_outputs, engine, corpus, list(pages)).result()


def engine_outputs(engine: str, corpus: Path, pages: Sequence[PageKey]) -> dict[PageKey, str]:
    """Each requested page's output (1-based page numbers); a page that fails gives ''."""
    page_function = page_function_for(engine)
    from eval.structure_pages import open_source

    outputs: dict[PageKey, str] = {}
    by_pdf: dict[str, list[int]] = {}
    for pdf, page in pages:
        by_pdf.setdefault(pdf, []).append(page)
    for pdf, numbers in by_pdf.items():
        document = open_source(corpus, pdf)
        try:
            for number in numbers:
                try:
                    outputs[(pdf, number)] = page_function(document, number - 1)
                except Exception as error:  # one page's failure scores as an empty output
                    print(f"{engine}: {pdf} page {number}: {type(error).__name__}: {error}")
                    outputs[(pdf, number)] = ""
        finally:
            document.close()
    return outputs


def page_function_for(engine: str) -> PageFunction:
    """The per-page function of an engine, with its process set up for it."""
    if engine == "plain":
        return _plain_page
    if engine == "greenhouse":
        return greenhouse_page_function()
    if engine in ("pymupdf4llm", "pymupdf4llm-hf"):
        return pymupdf4llm_page_function(remove_header_footer=engine.endswith("-hf"))
    raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")


def _plain_page(document: Any, page_index: int) -> str:
    return str(document[page_index].get_text())


def greenhouse_page_function() -> PageFunction:
    """Greenhouse's local engine on one page: its Markdown when it has one, else its text.

    This is the one place that decides how Greenhouse is called; a document-level pass (for
    example running-furniture detection over all pages) belongs here too."""
    from pipeline.sources.mupdf import prepare_mupdf

    prepare_mupdf()
    from pipeline.local.ocr_engine import OcrEngine
    from pipeline.local.pdf_page import local_pdf_page

    ocr = OcrEngine(threads=1)

    def page(document: Any, page_index: int) -> str:
        data = local_pdf_page(document, page_index, None, ocr).data
        markdown = getattr(data, "markdown", None)
        return str(markdown) if markdown is not None else data.text

    return page


def pymupdf4llm_page_function(*, remove_header_footer: bool) -> PageFunction:
    """`pymupdf4llm.to_markdown` on one page, in its default (layout) mode.

    With `remove_header_footer` its `header=False, footer=False` options drop the page
    headers and footers its layout model finds."""
    import pymupdf
    import pymupdf4llm  # type: ignore[import-untyped]

    pymupdf.set_messages(path=os.devnull)  # its parser reports through MuPDF's messages
    keep = not remove_header_footer

    def page(document: Any, page_index: int) -> str:
        with contextlib.redirect_stdout(io.StringIO()):
            markdown = pymupdf4llm.to_markdown(
                document, pages=[page_index], header=keep, footer=keep, show_progress=False
            )
        return str(markdown)

    return page
