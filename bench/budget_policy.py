"""The legibility budget policy on the corpus: tokens spent, and what the OCR proxy loses.

Run on demand from the repository root (not a test; minutes on 2 cores):

    .venv/bin/python bench/budget_policy.py [CORPUS] [--max-pages 2] [--out figures.json]

Every PDF page (at most --max-pages per file), image frame and video keyframe of the corpus
(/work/shared/corpus by default; MANIFEST.tsv gives each file's kind) is chunked exactly as the
pipeline does (`chunk_file`, which records the text layer's smallest font or the pixels' text
measure) and planned on the MoE tier (`plan_jobs`). Per category it prints the mean soft tokens
at the chosen budget against a fixed 1120 and a fixed 560, the saving against 1120, and the
OCR proxy: the chunk is rendered at the chosen budget's geometry and at 1120's
(`pipeline.model.render`, JPEG decoded as the server would), both are OCRed with the local
engine as the local tier reads a picture (turned upright first), and each text's CER is taken
against the reference, the local engine's OCR of the source (a page at 150 dpi, an image or
frame at its own size): the policy loses what CER at B exceeds CER at 1120. Texts are
compared without whitespace, lines in reading order (top to bottom, then left to right); a
category's CER is all its edits over all its reference characters. Chunks whose reference has
no text count for tokens only. At most --per-category files per category (in manifest order)
and --max-pages pages per PDF.
"""

import argparse
import io
import json
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()

import base64  # noqa: E402

import numpy as np  # noqa: E402
import pymupdf  # noqa: E402
from PIL import Image  # noqa: E402

from pipeline.chunking.documents import chunk_file  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.local.ocr import recognise_upright, render_page_for_ocr  # noqa: E402
from pipeline.local.ocr_engine import OcrEngine  # noqa: E402
from pipeline.local.ocr_layout import OcrLine  # noqa: E402
from pipeline.model.render import RenderedImage, render_image, render_pdf_page  # noqa: E402
from pipeline.planning.geometry import soft_tokens, target_size  # noqa: E402
from pipeline.planning.jobs import plan_jobs  # noqa: E402
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest  # noqa: E402
from pipeline.sources.images import open_image  # noqa: E402
from pipeline.sources.sniff import sniff_file  # noqa: E402
from pipeline.sources.video import extract_frame  # noqa: E402
from schemas.budget import VisualBudget, is_visual_budget  # noqa: E402
from schemas.chunks import ChunkDescriptor  # noqa: E402
from schemas.enums import ChunkKind  # noqa: E402

DEFAULT_CORPUS = Path("/work/shared/corpus")
CATEGORIES = {
    "pdf-native": "native pages",
    "pdf-native-cjk": "native pages",
    "pdf-native-rtl": "native pages",
    "pdf-mixed": "native pages",
    "pdf-tricky": "native pages",
    "pdf-scanned": "scans",
    "pdf-form": "forms",
    "image-form-scan": "forms",
    "image-receipt-scan": "receipts",
    "image-doc": "photos/images",
    "image-textline": "photos/images",
    "image-tricky": "photos/images",
    "video-speech": "video frames",
}
"""Manifest kind -> the issue's category."""
MOE = RoutingRequest(tier="moe")
CONFIGURED = ConfiguredTiers(moe=True)


@dataclass
class Row:
    """One visual chunk: its category, budget, and the OCR proxy's CERs (None: no text)."""

    category: str
    name: str
    budget: int
    tokens: int
    tokens_560: int
    tokens_1120: int
    cer_chosen: float | None = None
    cer_1120: float | None = None
    reference_chars: int = 0


def cer(hypothesis: str, reference: str) -> float:
    """Levenshtein distance over the reference's length (both without whitespace)."""
    hyp = "".join(hypothesis.split())
    ref = "".join(reference.split())
    if not ref:
        return 0.0 if not hyp else 1.0
    codes = np.array([ord(c) for c in hyp], dtype=np.int64)
    offsets = np.arange(len(hyp) + 1)
    previous = offsets.copy()
    for i, r in enumerate(ref, 1):
        current = np.empty_like(previous)
        current[0] = i
        current[1:] = np.minimum(previous[1:] + 1, previous[:-1] + (codes != ord(r)))
        # insertions: current[j] = min over k <= j of current[k] + (j - k)
        previous = np.minimum.accumulate(current - offsets) + offsets
    return float(previous[-1]) / len(ref)


def decoded(rendered: RenderedImage) -> Image.Image:
    """The pixels the server would decode from a rendered image's data URL."""
    payload = rendered.data_url.split(",", 1)[1]
    return Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB")


def ocr_text(engine: OcrEngine, image: Image.Image) -> str:
    """OCR text of an image as the local tier reads it (turned upright first), lines in
    reading order."""
    lines = recognise_upright(engine, image).lines
    row_px = image.height / 200  # rows of half a percent of the height, whatever the scale
    ordered = sorted(lines, key=lambda line: (round(_top(line) / row_px), _left(line)))
    return "\n".join(line.text for line in ordered)


def _top(line: OcrLine) -> float:
    return min(y for _, y in line.quad)


def _left(line: OcrLine) -> float:
    return min(x for x, _ in line.quad)


Renderer = Callable[[VisualBudget], RenderedImage]


def renderer(path: Path, chunk: ChunkDescriptor) -> tuple[Renderer, Image.Image]:
    """(a function budget -> RenderedImage, the reference image) for one chunk.

    The reference is what the local tier OCRs: a page at 150 dpi, an image or frame as is."""
    if chunk.kind is ChunkKind.PDF_PAGE:
        document = pymupdf.open(path)
        page = document.load_page(chunk.seq)
        return (lambda budget: render_pdf_page(page, budget)), render_page_for_ocr(page)
    if chunk.kind is ChunkKind.IMAGE:
        image = open_image(path, frame=chunk.seq)
        return (lambda budget: render_image(image, budget)), image
    frame = Image.open(io.BytesIO(extract_frame(path, chunk.start_seconds or 0.0, max_side=None)))
    frame.load()
    return (lambda budget: render_image(frame, budget)), frame.convert("RGB")


def measure(engine: OcrEngine, path: Path, category: str, max_pages: int) -> list[Row]:
    """The rows of one corpus file."""
    chunks = [
        c
        for c in chunk_file(path, sniff_file(path))
        if c.kind is not ChunkKind.SPEECH_SEGMENT and c.width and c.height
    ][:max_pages]
    rows = []
    for plan in plan_jobs(chunks, MOE, None, CONFIGURED):
        chunk = plan.chunk
        assert plan.budget is not None
        assert is_visual_budget(plan.budget)
        budget: VisualBudget = plan.budget
        assert chunk.width
        assert chunk.height
        sizes = {b: soft_tokens(*target_size(chunk.width, chunk.height, b)) for b in (560, 1120)}
        chosen = soft_tokens(*target_size(chunk.width, chunk.height, budget))
        row = Row(category, f"{path.name}#{chunk.seq}", budget, chosen, sizes[560], sizes[1120])
        render, reference_image = renderer(path, chunk)
        reference = ocr_text(engine, reference_image)
        texts: dict[VisualBudget, str] = {}
        for b in (budget, 1120) if budget != 1120 else (budget,):
            texts[b] = ocr_text(engine, decoded(render(b)))
        row.reference_chars = len("".join(reference.split()))
        if row.reference_chars:
            row.cer_chosen = cer(texts[budget], reference)
            row.cer_1120 = cer(texts[1120], reference)
        rows.append(row)
        print(
            f"  {category:14} {row.name[:40]:40} B={budget:4} cer={row.cer_chosen}",
            file=sys.stderr,
        )
    return rows


def summarise(rows: list[Row]) -> list[dict[str, object]]:
    """Per category (and overall): tokens and CERs."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.category].append(row)
        groups["all"].append(row)
    table = []
    for category, group in groups.items():
        cers = [r for r in group if r.cer_chosen is not None]
        tokens = sum(r.tokens for r in group)
        table.append(
            {
                "category": category,
                "chunks": len(group),
                "mean_budget_tokens": round(tokens / len(group), 1),
                "mean_1120_tokens": round(sum(r.tokens_1120 for r in group) / len(group), 1),
                "mean_560_tokens": round(sum(r.tokens_560 for r in group) / len(group), 1),
                "saving_vs_1120": round(1 - tokens / sum(r.tokens_1120 for r in group), 3),
                "with_text": len(cers),
                "cer_chosen": _weighted([(r.cer_chosen, r.reference_chars) for r in cers]),
                "cer_1120": _weighted([(r.cer_1120, r.reference_chars) for r in cers]),
            }
        )
    return table


def _weighted(values: list[tuple[float | None, int]]) -> float | None:
    """Corpus CER in percent: all edits over all reference characters (short, garbled
    references such as a failed right-to-left line cannot dominate it)."""
    present = [(v, n) for v, n in values if v is not None]
    total = sum(n for _, n in present)
    return round(100 * sum(v * n for v, n in present) / total, 2) if total else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--max-pages", type=int, default=2, help="pages per PDF (default 2)")
    parser.add_argument("--per-category", type=int, default=5, help="files per category")
    parser.add_argument("--out", type=Path, help="write the rows and the table as JSON")
    args = parser.parse_args(argv)
    engine = OcrEngine()
    rows: list[Row] = []
    with (args.corpus / "MANIFEST.tsv").open() as manifest:
        entries = [line.rstrip("\n").split("\t") for line in manifest][1:]
    taken: dict[str, int] = defaultdict(int)
    for entry in entries:
        category = CATEGORIES.get(entry[4])
        if category is None or taken[category] >= args.per_category:
            continue
        taken[category] += 1
        try:
            rows.extend(measure(engine, args.corpus / entry[0], category, args.max_pages))
        except PipelineError as error:
            print(f"  skipped {entry[0]}: {error}", file=sys.stderr)
    table = summarise(rows)
    header = "category        chunks  tokens  @1120  @560  saving   CER at B  CER at 1120"
    print(header)
    for t in table:
        print(
            f"{t['category']:15} {t['chunks']:6} {t['mean_budget_tokens']:7} "
            f"{t['mean_1120_tokens']:6} {t['mean_560_tokens']:5} {t['saving_vs_1120']:7.1%} "
            f"{t['cer_chosen']!s:>9}% {t['cer_1120']!s:>10}%  (n={t['with_text']})"
        )
    if args.out:
        payload = {"rows": [r.__dict__ for r in rows], "table": table}
        args.out.write_text(json.dumps(payload, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
