"""What chunking costs with and without the legibility measures, on the evaluation corpus.

The measures (a text page's profile, the text in a scan's, image's or keyframe's pixels) feed
the visual token budget only, so a document none of whose chunks can reach the MoE tier (the
embedded default: no model server, no `moe` or schema asked) is chunked without them
(`pipeline.planning.routing.may_reach_model_tier`). This prints chunking's CPU both ways for
every corpus PDF, image and video, per manifest kind, in the same run.

Run on demand from the repository root (not a test; under a minute):

    .venv/bin/python bench/chunk_measures.py CORPUS [--rounds 3]

Each file is chunked both ways one after the other, the order alternating per round; the
figure is the least process time of the rounds. A file that cannot be chunked (encrypted,
broken, or a video without a system ffmpeg) is counted apart.
"""

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()  # a script's entry: before PyMuPDF is imported below

from pipeline.chunking.documents import chunk_file  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.sources.sniff import sniff_file  # noqa: E402
from schemas.enums import MediaType  # noqa: E402
from schemas.media import IMAGE_MEDIA, VIDEO_MEDIA  # noqa: E402

VISUAL_MEDIA = {MediaType.PDF, *IMAGE_MEDIA, *VIDEO_MEDIA}


def _cpu(path: Path, media_type: MediaType, legibility: bool) -> tuple[float, int]:
    started = time.process_time()
    chunks = list(chunk_file(path, media_type, legibility=legibility))
    return time.process_time() - started, len(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args(argv)
    manifest = arguments.corpus / "MANIFEST.tsv"
    with manifest.open(newline="") as stream:
        kinds = {row["local_path"]: row["kind"] for row in csv.DictReader(stream, delimiter="\t")}
    measured: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])  # with, without, n
    skipped: dict[str, int] = defaultdict(int)
    for relative, kind in sorted(kinds.items()):
        path = arguments.corpus / relative
        if not path.is_file():
            continue
        media_type = sniff_file(path)
        if media_type not in VISUAL_MEDIA:
            continue
        best = {True: float("inf"), False: float("inf")}
        chunks = 0
        try:
            for turn in range(arguments.rounds):
                for legibility in (True, False) if turn % 2 == 0 else (False, True):
                    seconds, chunks = _cpu(path, media_type, legibility)
                    best[legibility] = min(best[legibility], seconds)
        except PipelineError as error:
            skipped[f"{kind} ({error.category})"] += 1
            continue
        row = measured[kind]
        row[0] += best[True]
        row[1] += best[False]
        row[2] += chunks
    print(f"{'kind':<20} {'chunks':>6} {'with (ms)':>10} {'without (ms)':>13} {'ratio':>6}")
    totals = [0.0, 0.0, 0.0]
    for kind, (with_, without, count) in sorted(measured.items()):
        totals = [totals[0] + with_, totals[1] + without, totals[2] + count]
        ratio = without / with_ if with_ else 1.0
        print(f"{kind:<20} {count:6.0f} {with_ * 1000:10.1f} {without * 1000:13.1f} {ratio:6.2f}")
    ratio = totals[1] / totals[0] if totals[0] else 1.0
    print(
        f"{'all':<20} {totals[2]:6.0f} {totals[0] * 1000:10.1f} {totals[1] * 1000:13.1f} "
        f"{ratio:6.2f}"
    )
    for reason, count in sorted(skipped.items()):
        print(f"skipped: {count} x {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
