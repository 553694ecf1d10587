"""Structure evaluation: hand-written page checks scored on several engines in one run.

Prints, per engine, the pass rate of each kind of check (present, absent, order, neighbour,
heading) and overall (all checks pooled). Run from the repository root:

    .venv/bin/python -m eval.structure_eval [--corpus /work/shared/corpus]
        [--engines greenhouse,pymupdf4llm,pymupdf4llm-hf,plain] [--only 'heldout_*.jsonl']
        [--failures ENGINE] [--dump-dir DIR] [--json FILE]

Checks on corpus files are skipped (and counted as skipped) when the corpus is missing; the
checks on generated pages (eval/structure_pages.py) always run. Rules: eval/README.md.
"""

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eval.structure_checks import KINDS, Check, PageOutput, load_checks, passes
from eval.structure_engines import ENGINES, PageKey, outputs_in_child
from eval.structure_pages import GENERATED_PREFIX

CHECKS_FOLDER = Path(__file__).parent / "structure_checks"
DEFAULT_CORPUS = Path("/work/shared/corpus")


@dataclass
class EngineScore:
    """Passed and total checks per kind for one engine, and the checks it failed."""

    engine: str
    seconds: float = 0.0
    passed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failed: list[Check] = field(default_factory=list)

    def rate(self, kind: str | None = None) -> float:
        passed = sum(self.passed.values()) if kind is None else self.passed[kind]
        total = sum(self.total.values()) if kind is None else self.total[kind]
        return 100.0 * passed / total if total else 0.0


def runnable_checks(checks: Sequence[Check], corpus: Path) -> tuple[list[Check], int]:
    """The checks whose source exists, and how many were skipped for a missing corpus file."""
    kept = [
        check
        for check in checks
        if check.pdf.startswith(GENERATED_PREFIX) or (corpus / check.pdf).is_file()
    ]
    return kept, len(checks) - len(kept)


def score_engine(
    engine: str, checks: Sequence[Check], outputs: dict[PageKey, str], seconds: float
) -> EngineScore:
    """Every check scored against the engine's output for its page."""
    score = EngineScore(engine, seconds)
    by_page: dict[PageKey, list[Check]] = {}
    for check in checks:
        by_page.setdefault(check.page_key, []).append(check)
    for key, page_checks in by_page.items():
        page = PageOutput.of(outputs.get(key, ""))
        for check in page_checks:
            score.total[check.kind] += 1
            if passes(check, page, page_checks):
                score.passed[check.kind] += 1
            else:
                score.failed.append(check)
    return score


def format_table(scores: Sequence[EngineScore], checks: Sequence[Check]) -> str:
    """Pass rates (%) per kind and overall, one column per engine."""
    counts = {kind: sum(1 for check in checks if check.kind == kind) for kind in KINDS}
    header = f"{'kind':<10} {'checks':>6} " + " ".join(f"{s.engine:>15}" for s in scores)
    lines = [header, "-" * len(header)]
    for kind in KINDS:
        rates = " ".join(f"{s.rate(kind):>14.1f}%" for s in scores)
        lines.append(f"{kind:<10} {counts[kind]:>6} {rates}")
    overall = " ".join(f"{s.rate():>14.1f}%" for s in scores)
    lines.append(f"{'overall':<10} {len(checks):>6} {overall}")
    seconds = " ".join(f"{s.seconds:>14.1f}s" for s in scores)
    lines.append(f"{'time':<10} {'':>6} {seconds}")
    return "\n".join(lines)


def describe(check: Check) -> str:
    fields = json.dumps(check.fields, ensure_ascii=False)
    return f"{check.source} {check.pdf} p{check.page} {check.kind} {fields}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--checks", type=Path, default=CHECKS_FOLDER)
    parser.add_argument("--only", default="*.jsonl", help="check files to score (a glob)")
    parser.add_argument("--failures", action="append", default=[], metavar="ENGINE")
    parser.add_argument("--dump-dir", type=Path, help="write every page output here")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)

    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    unknown = [name for name in engines if name not in ENGINES]
    if unknown:
        parser.error(f"unknown engines {unknown}; known: {', '.join(ENGINES)}")
    checks, skipped = runnable_checks(load_checks(args.checks, args.only), args.corpus)
    pages = sorted({check.page_key for check in checks})
    print(f"{len(checks)} checks on {len(pages)} pages ({skipped} skipped: corpus file missing)")

    scores = []
    for engine in engines:
        started = time.perf_counter()
        outputs = outputs_in_child(engine, args.corpus, pages)
        seconds = time.perf_counter() - started
        scores.append(score_engine(engine, checks, outputs, seconds))
        if args.dump_dir:
            _dump(args.dump_dir / engine, outputs)
    print(format_table(scores, checks))
    for score in scores:
        if score.engine in args.failures:
            print(f"\nfailed by {score.engine}:")
            for check in score.failed:
                print("  " + describe(check))
    if args.json:
        figures = {
            s.engine: {"passed": s.passed, "total": s.total, "overall": s.rate()} for s in scores
        }
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


def _dump(folder: Path, outputs: dict[PageKey, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for (pdf, page), text in outputs.items():
        name = pdf.replace("/", "_").replace(":", "_")
        (folder / f"{name}.p{page}.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
