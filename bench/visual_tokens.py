"""Visual tokens per page: the automatic budget policy against a fixed 1120, on the corpus.

Superseded by `bench/budget_policy.py` (the legibility policy with what the chunker records,
and the OCR proxy). Kept runnable: the median font is now passed as the smallest font, and
the manifest kind no longer changes an image's budget (the policy has no `is_document_scan`).

Run on demand from the repository root (not a test; seconds without --ocr, a few minutes with):

    .venv/bin/python bench/visual_tokens.py [CORPUS] [--ocr] [--out figures.json]

CORPUS defaults to /work/shared/corpus (its MANIFEST.tsv gives each file's kind). Every page of
every PDF under pdf/ and every image (every frame of a multi-page TIFF) under images/ is counted
as a visual job on the MoE tier. For each one the soft tokens of
`pipeline.planning.geometry.target_size`
at the chosen budget (`soft_tokens`) are compared with those at a fixed 1120, the baseline: the
ratio is the share of the GPU's image-token work the policy keeps.

Budgets compared (`pipeline.planning.budget.choose_budget`, `pipeline.planning.jobs.plan_jobs`):

* `as wired`: `plan_jobs(chunk_pdf(...), tier=moe)` exactly as `chunk_document` calls it today.
  The chunker sets no `text_chars`, so every page gets the scan budget.
* `density`: the same chunks with `text_chars` = non-whitespace characters of PyMuPDF's text
  layer (`page.get_text()`), i.e. the policy's chars-per-square-inch steps.
* `density+font`: also `median_font_pt`, the character-weighted median span size of
  `page.get_text("dict")` (the legibility rule).

Images go through `choose_budget` with their pixel size; `is_document_scan` comes from the
manifest kind (image-*scan*, image-doc), nothing in the pipeline derives it yet. With --ocr the
`text_chars` of images come from RapidOCR (`pipeline.local.ocr.ocr_image`). Progress on stderr.
"""

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pymupdf
from PIL import Image, ImageOps

from pipeline.chunking.documents import chunk_pdf
from pipeline.errors import PipelineError
from pipeline.local.ocr_engine import OcrEngine
from pipeline.planning.budget import VisualChunkProfile, choose_budget
from pipeline.planning.geometry import soft_tokens, target_size
from pipeline.planning.jobs import plan_jobs
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest
from schemas.budget import VisualBudget
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind

DEFAULT_CORPUS = Path("/work/shared/corpus")
FIXED_BUDGET: VisualBudget = 1120
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"})
MOE = RoutingRequest(tier="moe")
CONFIGURED = ConfiguredTiers(moe=True)
VARIANTS = ("as wired", "density", "density+font")
IMAGE_VARIANTS = ("manifest kind", "manifest kind+ocr")
_STARTED = time.monotonic()


@dataclass
class Item:
    """One visual job: a PDF page or an image frame, with its budget under each variant."""

    path: str
    category: str
    kind: str
    width: float
    height: float
    budgets: dict[str, int]
    text_chars: int | None = None
    median_font_pt: float | None = None

    def tokens(self, budget: int) -> int:
        """Soft tokens of this item rendered at its target size for `budget`."""
        return soft_tokens(*target_size(self.width, self.height, _budget(budget)))


@dataclass
class Totals:
    """Token sums of a group of items under each variant and at the fixed budget."""

    items: int = 0
    fixed_tokens: int = 0
    tokens: dict[str, int] = field(default_factory=dict)
    histograms: dict[str, dict[int, int]] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        self.items += 1
        self.fixed_tokens += item.tokens(FIXED_BUDGET)
        for variant, budget in item.budgets.items():
            self.tokens[variant] = self.tokens.get(variant, 0) + item.tokens(budget)
            histogram = self.histograms.setdefault(variant, {})
            histogram[budget] = histogram.get(budget, 0) + 1


def progress(message: str) -> None:
    """One timestamped line on stderr."""
    print(f"[{time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


def _budget(value: int) -> VisualBudget:
    budgets: tuple[VisualBudget, ...] = (70, 140, 280, 560, 1120)
    for budget in budgets:
        if budget == value:
            return budget
    raise ValueError(f"not a visual budget: {value}")


def read_manifest(corpus: Path) -> dict[str, str]:
    """local_path -> kind, from MANIFEST.tsv."""
    with (corpus / "MANIFEST.tsv").open(newline="") as stream:
        return {row["local_path"]: row["kind"] for row in csv.DictReader(stream, delimiter="\t")}


# --- PDF pages ----------------------------------------------------------------------------------


def text_signals(page: pymupdf.Page) -> tuple[int, float | None]:
    """(non-whitespace characters of the text layer, character-weighted median span size)."""
    chars = sum(1 for char in page.get_text() if not char.isspace())
    sizes: list[float] = []
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                weight = sum(1 for char in span["text"] if not char.isspace())
                sizes.extend([float(span["size"])] * weight)
    positive = [size for size in sizes if size > 0]
    return chars, statistics.median(positive) if positive else None


def planned_budget(chunk: ChunkDescriptor) -> int:
    """The budget `plan_jobs` gives one chunk on the MoE tier."""
    (plan,) = plan_jobs([chunk], MOE, None, CONFIGURED)
    if plan.budget is None:
        raise RuntimeError(f"no budget planned for {chunk}")
    return plan.budget


def pdf_items(path: Path, kind: str, label: str) -> Iterator[Item]:
    """The pages of one PDF as the chunker describes them, with their budgets."""
    document = pymupdf.open(path)
    try:
        for chunk in chunk_pdf(path):
            if chunk.page_number is None or not (chunk.width and chunk.height):
                raise RuntimeError(f"page {chunk.seq + 1} has no size")
            chars, font = text_signals(document[chunk.page_number - 1])
            with_chars = chunk.model_copy(update={"text_chars": chars})
            profile = VisualChunkProfile(
                ChunkKind.PDF_PAGE, chunk.width, chunk.height, chars, min_font_pt=font
            )
            budgets = {
                "as wired": planned_budget(chunk),
                "density": planned_budget(with_chars),
                "density+font": choose_budget(profile),
            }
            category = "pdf native" if chars else "pdf scanned"
            yield Item(label, category, kind, chunk.width, chunk.height, budgets, chars, font)
    finally:
        document.close()


# --- images -------------------------------------------------------------------------------------


def image_frames(path: Path) -> Iterator[Image.Image]:
    """Every frame of an image file, upright (EXIF orientation applied)."""
    with Image.open(path) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            yield ImageOps.exif_transpose(image.copy())


_OCR_ENGINE = OcrEngine()
"""The benchmark's OCR engine (models load on first use)."""


def ocr_chars(image: Image.Image) -> int:
    """Characters RapidOCR recognises in the image (the policy's recognition pre-pass)."""
    from pipeline.local.ocr import ocr_image

    lines = ocr_image(_OCR_ENGINE, image.convert("RGB"))
    return sum(len(line.text.replace(" ", "")) for line in lines)


def image_items(path: Path, kind: str, label: str, ocr: bool) -> Iterator[Item]:
    """The frames of one image file with their budgets."""
    for number, frame in enumerate(image_frames(path)):
        width, height = frame.size
        budgets: dict[str, int] = {
            "manifest kind": choose_budget(VisualChunkProfile(ChunkKind.IMAGE, width, height))
        }
        chars = None
        if ocr:
            chars = ocr_chars(frame)
            profile = VisualChunkProfile(ChunkKind.IMAGE, width, height, chars)
            budgets["manifest kind+ocr"] = choose_budget(profile)
        name = f"{label}#{number + 1}" if number else label
        yield Item(name, "images", kind, width, height, budgets, chars)


# --- corpus -------------------------------------------------------------------------------------


def corpus_items(corpus: Path, ocr: bool, skipped: list[str]) -> list[Item]:
    """Every PDF page and image frame of the corpus; files that cannot be read go to `skipped`."""
    kinds = read_manifest(corpus)
    items: list[Item] = []
    pdfs = sorted((corpus / "pdf").rglob("*.pdf"))
    images = sorted(p for p in (corpus / "images").rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    for index, path in enumerate([*pdfs, *images], start=1):
        label = str(path.relative_to(corpus))
        kind = kinds.get(label, "unknown")
        progress(f"{index}/{len(pdfs) + len(images)} {label}")
        try:
            if path.suffix.lower() == ".pdf":
                items.extend(pdf_items(path, kind, label))
            else:
                items.extend(image_items(path, kind, label, ocr))
        except (PipelineError, OSError, RuntimeError, ValueError) as exc:
            skipped.append(f"{label}: {str(exc)[:100]}")
    return items


def group(items: list[Item], key: str) -> dict[str, Totals]:
    """Totals per value of `key` ("category" or "kind")."""
    groups: dict[str, Totals] = {}
    for item in items:
        groups.setdefault(getattr(item, key), Totals()).add(item)
    return groups


# --- report -------------------------------------------------------------------------------------


def _row(name: str, totals: Totals, variants: tuple[str, ...]) -> str:
    cells = []
    for variant in variants:
        tokens = totals.tokens.get(variant)
        if tokens is not None:
            ratio = tokens / totals.fixed_tokens
            cells.append(f"{variant} {tokens:>6} ({tokens / totals.items:4.0f}/item) = {ratio:.3f}")
    per_item = totals.fixed_tokens / totals.items
    return (
        f"  {name:<19} {totals.items:>4}  1120: {totals.fixed_tokens:>6} ({per_item:4.0f}/item)  "
        + "  ".join(cells)
    )


def _histogram(totals: Totals, variant: str) -> str:
    histogram = totals.histograms.get(variant, {})
    return " ".join(f"{budget}:{count}" for budget, count in sorted(histogram.items()))


def print_report(corpus: Path, items: list[Item], skipped: list[str], ocr: bool) -> None:
    """Totals and ratios per category and per manifest kind."""
    variants = VARIANTS + (IMAGE_VARIANTS if ocr else IMAGE_VARIANTS[:1])
    print(
        f"Visual tokens per item on {corpus}: soft tokens at the chosen budget vs a fixed "
        f"{FIXED_BUDGET} (ratio = share of the 1120 work kept; lower saves more GPU work)"
    )
    print("By category (items, tokens at 1120, tokens and ratio per budget variant):")
    categories = group(items, "category")
    for name in ("pdf native", "pdf scanned", "images"):
        if name in categories:
            print(_row(name, categories[name], variants))
    pages = [item for item in items if item.category != "images"]
    print(_row("all PDF pages", _totals(pages), VARIANTS))
    print("Budgets chosen (budget:items):")
    for name in ("pdf native", "pdf scanned", "images"):
        for variant in variants:
            if name in categories and variant in categories[name].histograms:
                print(f"  {name:<12} {variant:<18} {_histogram(categories[name], variant)}")
    print("By manifest kind:")
    for kind, totals in sorted(group(items, "kind").items()):
        print(_row(kind, totals, variants))
    for entry in skipped:
        print(f"SKIPPED {entry}")


def _totals(items: list[Item]) -> Totals:
    totals = Totals()
    for item in items:
        totals.add(item)
    return totals


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", type=Path, nargs="?", default=DEFAULT_CORPUS)
    parser.add_argument("--ocr", action="store_true", help="count image text with RapidOCR")
    parser.add_argument("--out", type=Path, help="also write every item as JSON")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Budget every corpus item, print the totals."""
    arguments = _parser().parse_args(argv)
    skipped: list[str] = []
    items = corpus_items(arguments.corpus, arguments.ocr, skipped)
    print_report(arguments.corpus, items, skipped, arguments.ocr)
    if arguments.out:
        payload: dict[str, Any] = {
            "corpus": str(arguments.corpus),
            "items": [asdict(item) | {"fixed_tokens": item.tokens(FIXED_BUDGET)} for item in items],
            "skipped": skipped,
        }
        arguments.out.write_text(json.dumps(payload, indent=2) + "\n")
    progress("finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
