"""OCR detection on the inked parts of a picture against the whole picture, on the evaluation
corpus, in the same run: the labelled pictures (character error rate on images/ocr_misc,
reading order counting; word recall on images/funsd words and images/sroie box lines) and the
corpus PDF pages the local engine OCRs (text compared between the two).

Run on demand from the repository root (not a test; a few minutes):

    .venv/bin/python bench/ocr_ink_box.py CORPUS

Each picture is read both ways one after the other (the order alternates), so both see the
same machine load; the figure is OCR CPU (process time).
"""

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()  # a script's entry: before PyMuPDF is imported below

import pymupdf  # noqa: E402
from PIL import Image  # noqa: E402

from eval.ocr_eval import (  # noqa: E402
    character_error_rate,
    normalise_spaces,
    ocr_misc_pairs,
    word_recall,
    words,
)
from pipeline.local.ink import ink_boxes  # noqa: E402
from pipeline.local.native_text import read_native_page  # noqa: E402
from pipeline.local.ocr import (  # noqa: E402
    OcrSettings,
    build_page_content,
    recognise_upright,
    render_pdf_page_for_ocr,
)
from pipeline.local.ocr_engine import OcrEngine  # noqa: E402
from pipeline.local.text_layer import assess_text_layer  # noqa: E402
from pipeline.sources.images import open_image  # noqa: E402
from schemas.extractions import PageSize  # noqa: E402

_ENGINE = OcrEngine(threads=1)


WHOLE = "whole picture (before)"
INK = "ink boxes (now)"
RULES: dict[str, Callable[[Image.Image], list[tuple[int, int, int, int]]]] = {
    WHOLE: lambda image: [(0, 0, *image.size)],
    INK: ink_boxes,
}
MAX_PDF_PAGES = 60


@dataclass
class Tally:
    """One rule's figures over one set of pictures."""

    cpu: float = 0.0
    recall_found: float = 0.0
    recall_words: int = 0
    cer_edits: float = 0.0
    cer_chars: int = 0
    texts: list[str] = field(default_factory=list)


def rule(boxes: Callable[[Image.Image], list[tuple[int, int, int, int]]]) -> Any:
    """Patch where `ocr_image` finds the boxes to detect in."""
    return patch("pipeline.local.ocr.ink_boxes", boxes)


def labelled(corpus: Path) -> dict[str, list[tuple[Path, str]]]:
    """Pictures and their reference text, by set."""
    images = corpus / "images"
    sets: dict[str, list[tuple[Path, str]]] = {"ocr_misc": [], "funsd": [], "sroie": []}
    for image, truth in ocr_misc_pairs(corpus):
        sets["ocr_misc"].append((image, truth.read_text(encoding="utf-8", errors="replace")))
    for annotation in sorted((images / "funsd" / "annotations").glob("*.json")):
        form = json.loads(annotation.read_text(encoding="utf-8"))["form"]
        text = " ".join(word["text"] for entity in form for word in entity["words"])
        sets["funsd"].append((images / "funsd" / f"{annotation.stem}.png", text))
    for boxes in sorted((images / "sroie" / "box").glob("*.csv")):
        rows = boxes.read_text(encoding="utf-8", errors="replace").splitlines()
        text = " ".join(row.split(",", 8)[8] for row in rows if row.count(",") >= 8)
        sets["sroie"].append((images / "sroie" / f"{boxes.stem}.jpg", text))
    return {name: [item for item in items if item[0].is_file()] for name, items in sets.items()}


def ocr_pdf_pages(corpus: Path, limit: int) -> list[tuple[str, Image.Image]]:
    """The corpus PDF pages the local engine OCRs (no text layer, or an unusable one),
    rendered as it renders them."""
    pages: list[tuple[str, Image.Image]] = []
    for path in sorted((corpus / "pdf").rglob("*.pdf")):
        try:
            document = pymupdf.open(path)
        except Exception:  # encrypted or broken corpus files: not this bench's subject
            continue
        with document:
            for index in range(min(document.page_count, 4)):
                try:
                    read = read_native_page(document, index)
                    if not assess_text_layer(read.page, page_dict=read.page_dict).needs_ocr:
                        continue
                    image = render_pdf_page_for_ocr(read.page).image
                except Exception:  # a page MuPDF cannot read: the engine's PDFium path
                    continue
                pages.append((f"{path.name} p{index + 1}", image))
                if len(pages) >= limit:
                    return pages
    return pages


def _run(tally: Tally, image: Image.Image, settings: OcrSettings) -> str:
    started = time.process_time()
    page = recognise_upright(_ENGINE, image, settings)
    tally.cpu += time.process_time() - started
    size = PageSize(width=image.width, height=image.height, unit="px")
    return build_page_content(page, size, page_number=1).data.text


def measure(corpus: Path) -> dict[str, dict[str, Tally]]:
    settings = OcrSettings()
    sets = ("ocr_misc", "funsd", "sroie", "pdf pages")
    tallies = {name: {label: Tally() for label in RULES} for name in sets}
    _ENGINE.warm()
    pictures: dict[str, list[tuple[str, Image.Image, str | None]]] = {
        name: [(path.name, open_image(path), text) for path, text in items]
        for name, items in labelled(corpus).items()
    }
    pictures["pdf pages"] = [(n, i, None) for n, i in ocr_pdf_pages(corpus, MAX_PDF_PAGES)]
    for set_name, items in pictures.items():
        for index, (name, image, reference) in enumerate(items):
            order = list(RULES.items())
            if index % 2:
                order.reverse()
            for label, box in order:
                tally = tallies[set_name][label]
                with rule(box):
                    text = _run(tally, image, settings)
                tally.texts.append(text)
                if reference is None:
                    continue
                reference_words = words(reference)
                found = word_recall(reference_words, words(text)) * len(reference_words)
                tally.recall_found += found
                tally.recall_words += len(reference_words)
                if set_name == "ocr_misc":
                    chars = len(normalise_spaces(reference))
                    tally.cer_edits += character_error_rate(text, reference) * chars
                    tally.cer_chars += chars
            print(f"  {set_name} {name}", file=sys.stderr, flush=True)
    return tallies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", type=Path)
    arguments = parser.parse_args(argv)
    tallies = measure(arguments.corpus)
    print("OCR with detection on the inked boxes: quality and OCR CPU per set, same run")
    totals = {label: 0.0 for label in RULES}
    for set_name, by_rule in tallies.items():
        for label, tally in by_rule.items():
            totals[label] += tally.cpu
            cer = f"  CER {tally.cer_edits / tally.cer_chars:.4f}" if tally.cer_chars else ""
            recall = (
                f"  word recall {tally.recall_found / tally.recall_words:.4f}"
                if tally.recall_words
                else ""
            )
            print(f"  {set_name:9} {label:22}{recall}{cer}  CPU {tally.cpu:6.1f} s")
        same = sum(a == b for a, b in zip(by_rule[WHOLE].texts, by_rule[INK].texts, strict=True))
        print(
            f"  {set_name:9} {len(by_rule[WHOLE].texts)} pictures, text identical on {same}; "
            f"CPU ratio {by_rule[INK].cpu / max(by_rule[WHOLE].cpu, 1e-9):.2f}"
        )
    print(f"  all sets  CPU ratio {totals[INK] / totals[WHOLE]:.2f} (ink boxes / whole picture)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
