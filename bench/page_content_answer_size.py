"""Expected page_content answer size per page: the old MoE schema against the typed block list.

Run on demand from the repository root (not a test; seconds without --ocr):

    .venv/bin/python bench/page_content_answer_size.py [CORPUS] [--ocr] [--fake-pages N]
        [--out figures.json]

CORPUS defaults to /work/shared/corpus. For every page of every PDF under pdf/ the local tier's
blocks are taken as the page's true content (`pipeline.local.native_text.extract_native_page`;
with --ocr, `local_pdf_page` so pages without a usable text layer are OCRed instead of skipped),
and serialised twice as the answer a faithful model would write, as compact JSON (vLLM with
`disable_any_whitespace`), characters counted as a proxy for output tokens:

* old: `{"text", "blocks": [{text, bbox}], "tables": [{bbox, header, rows}]}`, the schema this
  tier had before issue 8: the whole page's text (furniture and tables included) written once
  in `text` and again in `blocks` or `tables`; a list item's marker inside its text; an empty or
  covered table cell null.
* new: `pipeline.model.page_answer.answer_from_blocks`, what PAGE_CONTENT_SCHEMA asks for.

Every new answer is also read back with `page_content_from_answer`: the page's derived text and
Markdown should equal the local tier's (boxes are quantised to 0..1000, so only text is
compared); a local grid whose cells overlap or leave holes cannot be said in any answer and is
flagged.
With --fake-pages N the first N text pages also go through `extract_page_on_moe` against the fake
vLLM server (a test double: it proves the schema is accepted and its answer parses, nothing about
a real model). Progress on stderr.
"""

import argparse
import json
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()

import pymupdf  # noqa: E402

from pipeline.errors import PipelineError  # noqa: E402
from pipeline.local.native_text import extract_native_page  # noqa: E402
from pipeline.local.ocr_engine import OcrEngine  # noqa: E402
from pipeline.local.pdf_page import local_pdf_page  # noqa: E402
from pipeline.local.text_layer import assess_text_layer  # noqa: E402
from pipeline.model.page_answer import (  # noqa: E402
    answer_from_blocks,
    normalise_box,
    page_content_from_answer,
)
from schemas.blocks import Block, BlockKind, TableGrid  # noqa: E402
from schemas.extractions import PageContentData  # noqa: E402
from schemas.rendering.text import block_text, render_text  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus")
PASSWORDS = {
    "libreoffice-writer-password.pdf": "openpassword",
    "2206.01062_pg3_password.pdf": "1234",
}
_STARTED = time.monotonic()


@dataclass
class PageSizes:
    """One page's expected answer in characters under each schema."""

    path: str
    page: int
    blocks: int
    tables: int
    old_chars: int
    new_chars: int
    round_trip: bool
    irregular_grid: bool


def progress(message: str) -> None:
    """One timestamped line on stderr."""
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def compact(value: Any) -> str:
    """JSON as a model under `disable_any_whitespace` writes it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def old_answer(data: PageContentData) -> dict[str, Any]:
    """The answer the pre-issue-8 schema asked for: text, then blocks, then tables."""
    blocks = [b for b in data.blocks if b.kind != BlockKind.TABLE or b.table is None]
    tables = [b for b in data.blocks if b.kind == BlockKind.TABLE and b.table is not None]
    return {
        "text": render_text(data.blocks, include_furniture=True),
        "blocks": [
            {"text": block_text(b), "bbox": normalise_box(b.bbox, data.page)} for b in blocks
        ],
        "tables": [_old_table(b, b.table, data) for b in tables if b.table is not None],
    }


def _old_table(block: Block, grid: TableGrid, data: PageContentData) -> dict[str, Any]:
    rows = [[text or None for text in row] for row in grid.rows()]
    header = rows[0] if grid.header_rows and rows else []
    return {
        "bbox": normalise_box(block.bbox, data.page),
        "header": header,
        "rows": rows[1:] if header else rows,
    }


def measure(path: str, page_number: int, data: PageContentData) -> PageSizes:
    """Both answers' sizes, and whether the new one reads back to the same text and Markdown."""
    new = answer_from_blocks(data.blocks, data.page)
    back = page_content_from_answer(new, data.page, data.engine)
    return PageSizes(
        path=path,
        page=page_number,
        blocks=len(data.blocks),
        tables=sum(1 for b in data.blocks if b.table is not None),
        old_chars=len(compact(old_answer(data))),
        new_chars=len(compact(new)),
        round_trip=(back.text, back.markdown) == (data.text, data.markdown),
        irregular_grid=any(_irregular(b.table) for b in data.blocks if b.table is not None),
    )


def _irregular(grid: TableGrid) -> bool:
    """True when a position of the grid has no cell or two (no answer can say either)."""
    covered: list[tuple[int, int]] = [
        (r, c)
        for cell in grid.cells
        for r in range(cell.row, cell.row + cell.row_span)
        for c in range(cell.col, cell.col + cell.col_span)
    ]
    return len(covered) != len(set(covered)) or len(covered) != grid.n_rows * grid.n_cols


def open_document(path: Path) -> pymupdf.Document:
    """The PDF, authenticated with its known password when it has one."""
    document = pymupdf.open(path)
    if document.needs_pass and not document.authenticate(PASSWORDS.get(path.name, "")):
        document.close()
        raise ValueError("encrypted, password unknown")
    return document


def corpus_pages(
    corpus: Path, ocr: OcrEngine | None, skipped: list[str]
) -> Iterator[tuple[str, int, PageContentData]]:
    """(path, page number, the local tier's content) of every readable PDF page."""
    for path in sorted((corpus / "pdf").rglob("*.pdf")):
        label = str(path.relative_to(corpus))
        try:
            document = open_document(path)
        except (RuntimeError, ValueError) as exc:
            skipped.append(f"{label}: {exc}")
            continue
        progress(f"{label}: {document.page_count} page(s)")
        with document:
            yield from _document_pages(document, label, ocr, skipped)


def _document_pages(
    document: pymupdf.Document, label: str, ocr: OcrEngine | None, skipped: list[str]
) -> Iterator[tuple[str, int, PageContentData]]:
    for index in range(document.page_count):
        where = f"{label} p{index + 1}"
        try:
            if ocr is not None:
                content = local_pdf_page(document, index, None, ocr)
            elif assess_text_layer(document.load_page(index)).needs_ocr:
                skipped.append(f"{where}: needs OCR (--ocr)")
                continue
            else:
                content = extract_native_page(document, index)
        except (PipelineError, RuntimeError, ValueError) as exc:
            skipped.append(f"{where}: {exc}")
            continue
        yield label, index + 1, content.data


def fake_round_trip(corpus: Path, labels: Sequence[tuple[str, int]]) -> list[str]:
    """Each page through `extract_page_on_moe` against the fake vLLM: kinds and answer size."""
    from pipeline.model.attempts import AttemptPolicy, VlmEngine
    from pipeline.model.client import VlmClient, VlmClientConfig
    from pipeline.model.pages import extract_page_on_moe
    from pipeline.model.retry import RetryPolicy
    from tests.fakes.fake_vllm import MOE_MODEL, running_fake_vllm

    lines = []
    with running_fake_vllm() as fake:
        client = VlmClient(VlmClientConfig(base_url=fake.base_url, model=MOE_MODEL))
        engine = VlmEngine(client, AttemptPolicy(), RetryPolicy())
        try:
            for label, page_number in labels:
                with open_document(corpus / label) as document:
                    content, outcome = extract_page_on_moe(document, page_number - 1, 280, engine)
                if content is None:
                    lines.append(f"  {label} p{page_number}: fell back ({outcome.attempts})")
                    continue
                kinds = [b.kind.value for b in content.data.blocks]
                lines.append(
                    f"  {label} p{page_number}: {len(compact(outcome.value))} chars, "
                    f"{outcome.completion_tokens} fake tokens, blocks {kinds}"
                )
        finally:
            client.close()
    return lines


def summary(name: str, pages: Sequence[PageSizes]) -> str:
    """Mean, median and total characters per page, old against new."""
    if not pages:
        return f"{name:<22} {0:>5}"
    old = [p.old_chars for p in pages]
    new = [p.new_chars for p in pages]
    return (
        f"{name:<22} {len(pages):>5}  "
        f"{statistics.mean(old):>8.0f} {statistics.median(old):>7.0f} {sum(old):>9}  "
        f"{statistics.mean(new):>8.0f} {statistics.median(new):>7.0f} {sum(new):>9}  "
        f"{sum(new) / sum(old):>6.3f}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--ocr", action="store_true", help="OCR pages without a text layer")
    parser.add_argument("--fake-pages", type=int, default=3, help="pages sent to the fake vLLM")
    parser.add_argument("--out", type=Path, help="also write every page's figures as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    corpus: Path = arguments.corpus
    skipped: list[str] = []
    ocr = OcrEngine() if arguments.ocr else None
    pages = [measure(path, n, data) for path, n, data in corpus_pages(corpus, ocr, skipped)]
    header = (
        f"{'pages':<22} {'n':>5}  {'old mean':>8} {'median':>7} {'total':>9}  "
        f"{'new mean':>8} {'median':>7} {'total':>9}  {'new/old':>6}"
    )
    print(f"Expected page_content answer, characters per page (corpus {corpus}):")
    print(header)
    print(summary("all", pages))
    print(summary("with tables", [p for p in pages if p.tables]))
    print(summary("without tables", [p for p in pages if not p.tables]))
    print(summary("non-empty", [p for p in pages if p.blocks]))
    failed = [p for p in pages if not p.round_trip]
    print(f"read back to the same text and Markdown: {len(pages) - len(failed)}/{len(pages)}")
    for page in failed:
        why = " (a local grid has overlapping cells or holes)" if page.irregular_grid else ""
        print(f"  differs: {page.path} p{page.page}{why}")
    print(f"skipped: {len(skipped)}")
    for reason in skipped:
        print(f"  {reason}")
    fake_lines: list[str] = []
    if arguments.fake_pages > 0:
        chosen = [(p.path, p.page) for p in pages if p.blocks][: arguments.fake_pages]
        fake_lines = fake_round_trip(corpus, chosen)
        print("fake vLLM round trip (test double, new schema):")
        print("\n".join(fake_lines))
    if arguments.out:
        payload = {"pages": [asdict(p) for p in pages], "skipped": skipped, "fake": fake_lines}
        arguments.out.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
