"""OCR quality and speed of the embedded engine on the shared evaluation corpus.

Prints character error rate on images/ocr_misc (pages with `.txt` / `.gold.txt` ground truth),
word recall on images/funsd, key-field recall on images/sroie and pages/s with 1 and 2
processes. Run from the repository root:

    .venv/bin/python -m eval.ocr_eval [CORPUS] [--max-side 2000] [--skip-speed]
"""

import argparse
import csv
import json
import multiprocessing
import re
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.local.ocr import OcrSettings, build_page_content, recognise_upright
from pipeline.local.ocr_engine import OcrEngine
from pipeline.sources.images import open_image
from schemas.extractions import PageSize

_SAME_GT = re.compile(r"same GT as (\S+?)(?:[;,]|\s|$)")
_WORD = re.compile(r"[^\W_]+")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance with the bit-parallel algorithm of Myers/Hyyrö (rows = `a`)."""
    m = len(a)
    if m == 0:
        return len(b)
    match_masks: dict[str, int] = {}
    for i, char in enumerate(a):
        match_masks[char] = match_masks.get(char, 0) | (1 << i)
    mask = (1 << m) - 1
    last = 1 << (m - 1)
    plus, minus, score = mask, 0, m
    for char in b:
        eq = match_masks.get(char, 0)
        xv = eq | minus
        xh = ((((eq & plus) + plus) & mask) ^ plus) | eq
        h_plus = minus | (~(xh | plus) & mask)
        h_minus = plus & xh
        if h_plus & last:
            score += 1
        elif h_minus & last:
            score -= 1
        h_plus = ((h_plus << 1) | 1) & mask
        h_minus = (h_minus << 1) & mask
        plus = h_minus | (~(xv | h_plus) & mask)
        minus = h_plus & xv
    return score


def normalise_spaces(text: str) -> str:
    return " ".join(text.split())


def character_error_rate(hypothesis: str, reference: str) -> float:
    """Edits to turn the hypothesis into the reference, per reference character (spaces
    collapsed, case kept)."""
    ref, hyp = normalise_spaces(reference), normalise_spaces(hypothesis)
    return edit_distance(ref, hyp) / max(len(ref), 1)


def words(text: str) -> list[str]:
    """Case-folded alphanumeric runs: "12/10/98" and "12 10 98" both give 12, 10, 98."""
    return _WORD.findall(text.casefold())


def word_recall(reference: Sequence[str], hypothesis: Sequence[str]) -> float:
    """Share of reference words found in the hypothesis (multiset, order ignored)."""
    available = Counter(hypothesis)
    found = 0
    for word in reference:
        if available[word] > 0:
            available[word] -= 1
            found += 1
    return found / len(reference) if reference else 1.0


@dataclass(frozen=True)
class PageRun:
    text: str
    rotation: int
    seconds: float


def ocr_file(path: Path, settings: OcrSettings) -> PageRun:
    image = open_image(path)
    started = time.perf_counter()
    page = recognise_upright(_engine(), image, settings)
    size = PageSize(width=image.width, height=image.height, unit="px")
    content = build_page_content(page, size, page_number=1)
    seconds = time.perf_counter() - started
    return PageRun(content.data.text, page.rotation, seconds)


def ocr_misc_pairs(corpus: Path) -> list[tuple[Path, Path]]:
    """(image, ground truth) pairs of images/ocr_misc from MANIFEST.tsv."""
    pairs = []
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            path = row["local_path"]
            if not path.startswith("images/ocr_misc/") or row["kind"] != "image-doc":
                continue
            if row["ground_truth_available"] != "yes":
                continue
            image = corpus / path
            stem = image.name.split(".")[0]
            candidates = [image.parent / f"{stem}.gold.txt", image.with_suffix(".txt")]
            same = _SAME_GT.search(row["notes"])
            if same:
                candidates.insert(0, image.parent / f"tesseract_{same.group(1)}")
            truth = next((c for c in candidates if c.is_file()), None)
            if truth is not None:
                pairs.append((image, truth))
    return pairs


def report_cer(corpus: Path, settings: OcrSettings) -> None:
    print("== CER on images/ocr_misc (spaces collapsed; reading order counts)")
    rates, weights = [], []
    for image, truth in ocr_misc_pairs(corpus):
        run = ocr_file(image, settings)
        reference = truth.read_text(encoding="utf-8", errors="replace")
        rate = character_error_rate(run.text, reference)
        recall = word_recall(words(reference), words(run.text))
        rates.append(rate)
        weights.append(len(normalise_spaces(reference)))
        print(
            f"  {image.name:40} CER {rate:6.3f}  word recall {recall:5.3f}  "
            f"rotation {run.rotation:3}  {run.seconds:5.1f} s"
        )
    if rates:
        pooled = sum(r * w for r, w in zip(rates, weights, strict=True)) / sum(weights)
        print(f"  mean CER {statistics.mean(rates):.3f}  pooled (by chars) {pooled:.3f}")


def report_funsd(corpus: Path, settings: OcrSettings) -> None:
    print("== word recall on images/funsd (case-folded alphanumeric runs)")
    folder = corpus / "images" / "funsd"
    recalls = []
    for annotation in sorted((folder / "annotations").glob("*.json")):
        image = folder / f"{annotation.stem}.png"
        if not image.is_file():
            continue
        form = json.loads(annotation.read_text(encoding="utf-8"))["form"]
        reference = words(" ".join(w["text"] for entity in form for w in entity["words"]))
        run = ocr_file(image, settings)
        recalls.append(word_recall(reference, words(run.text)))
        print(f"  {image.name:24} recall {recalls[-1]:.3f}  ({len(reference)} words)")
    if recalls:
        print(f"  mean word recall {statistics.mean(recalls):.3f}")


def report_sroie(corpus: Path, settings: OcrSettings) -> None:
    print("== key-field recall on images/sroie (field found in text, case and spaces ignored)")
    folder = corpus / "images" / "sroie"
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for key_file in sorted((folder / "key").glob("*.json")):
        image = folder / f"{key_file.stem}.jpg"
        if not image.is_file():
            continue
        fields = json.loads(key_file.read_text(encoding="utf-8"))
        squashed = "".join(ocr_file(image, settings).text.upper().split())
        hits = []
        for name, value in fields.items():
            total[name] += 1
            if "".join(str(value).upper().split()) in squashed:
                found[name] += 1
                hits.append(name)
        print(f"  {image.name:10} found {', '.join(hits) or '-'}")
    for name in sorted(total):
        print(f"  {name:8} {found[name]}/{total[name]}")
    if total:
        print(f"  all fields {sum(found.values())}/{sum(total.values())}")


_ENGINES: dict[int | None, OcrEngine] = {}
"""This script's OCR engines by thread count (one per process, as in a worker)."""
_THREADS: list[int | None] = [None]


def _engine() -> OcrEngine:
    threads = _THREADS[0]
    if threads not in _ENGINES:
        _ENGINES[threads] = OcrEngine(threads=threads)
    return _ENGINES[threads]


def _warm_up(threads: int) -> None:
    _THREADS[0] = threads
    _engine().warm()


def _timed_page(job: tuple[Path, OcrSettings]) -> float:
    path, settings = job
    return ocr_file(path, settings).seconds


def report_speed(corpus: Path, settings: OcrSettings) -> None:
    print("== speed (pages/s; each process runs onnxruntime with 1 thread; models preloaded)")
    pages = sorted((corpus / "images" / "funsd").glob("*.png"))
    pages += sorted((corpus / "images" / "sroie").glob("*.jpg"))
    one_thread = settings
    context = multiprocessing.get_context("spawn")
    for processes in (1, 2):
        with context.Pool(processes, initializer=_warm_up, initargs=(1,)) as pool:
            pool.map(_timed_page, [(pages[0], one_thread)] * processes)
            started = time.perf_counter()
            seconds = pool.map(_timed_page, [(page, one_thread) for page in pages], chunksize=1)
            wall = time.perf_counter() - started
        print(
            f"  {processes} process(es): {len(pages)} pages in {wall:.1f} s = "
            f"{len(pages) / wall:.2f} pages/s (median {statistics.median(seconds):.2f} s/page)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", nargs="?", default="../shared/corpus", type=Path)
    parser.add_argument("--max-side", type=int, default=OcrSettings().max_side)
    parser.add_argument("--threads", type=int, default=None, help="for the quality runs")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args(argv)
    _THREADS[0] = args.threads
    settings = OcrSettings(max_side=args.max_side)
    report_cer(args.corpus, settings)
    report_funsd(args.corpus, settings)
    report_sroie(args.corpus, settings)
    if not args.skip_speed:
        report_speed(args.corpus, settings)


if __name__ == "__main__":
    main()
