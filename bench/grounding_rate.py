"""How often schema answers are grounded in the page's text layer, on a corpus of PDFs.

Run on demand from the repository root (not a test; a few minutes on the shared corpus):

    .venv/bin/python bench/grounding_rate.py --corpus CORPUS [--pages-per-file 2] [--json]

Every PDF under CORPUS (recursively), its first `--pages-per-file` pages with a text layer,
goes through the real MoE schema engine (`MoeSchemaEngine`: budget from the planner, render,
request, answer checks, grounding) against the fake vLLM server. The fake cannot read, so a
schema answerer gives it eyes: RapidOCR reads the rendered image the request carries
(`tests/fakes/page_reader.py`) and the answer is filled from what it reads, as a model
transcribes what is printed:

- `heading`: the first text piece OCR finds on the page;
- `phrases`: up to five further pieces, spread evenly over the page;
- `numbers`: the first five pieces that read as a number (`1,234.50` → 1234.5).

Grounding then looks each value up in the page's text layer (pipeline/model/grounding.py).
What the figure shows: how often values read from the pixels are found again among the text
layer's words by the matching rules, so how often `field_provenance` carries a bbox when the
model transcribes faithfully. What it does not show: a real model's transcription (it
paraphrases, normalises, translates and errs differently from OCR), nor whether a bbox
points at the right occurrence of a value printed twice, nor pages without a text layer
(never grounded: scans would need OCR words, which the schema engine does not compute).
"""

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()  # a script's entry: before PyMuPDF is imported below

import pymupdf  # noqa: E402

from pipeline.chunking.documents import chunk_pdf  # noqa: E402
from pipeline.engines.base import ChunkJob  # noqa: E402
from pipeline.engines.moe_schema import MoeSchemaEngine  # noqa: E402
from pipeline.errors import PipelineError  # noqa: E402
from pipeline.model.grounding import scalar_leaves  # noqa: E402
from pipeline.model.schema_request import SchemaRequest  # noqa: E402
from pipeline.planning.jobs import plan_jobs  # noqa: E402
from pipeline.planning.routing import ConfiguredTiers, RoutingRequest  # noqa: E402
from schemas.enums import Tier  # noqa: E402
from schemas.settings import Settings  # noqa: E402
from tests.fakes.fake_vllm import MOE_MODEL, running_fake_vllm  # noqa: E402
from tests.fakes.page_reader import image_of_request, read_pieces  # noqa: E402
from workers.model_tiers import engine_resources  # noqa: E402

PAGE_FACTS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "heading": {"type": ["string", "null"]},
        "phrases": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
        "numbers": {"type": "array", "items": {"type": "number"}, "maxItems": 5},
    },
    "required": ["heading", "phrases", "numbers"],
    "additionalProperties": False,
}
SCHEMA = SchemaRequest("page_facts", PAGE_FACTS, "the page's heading, phrases and numbers")
PHRASES = 5


def read_page_facts(schema: dict[str, Any], body: Any) -> dict[str, Any] | None:
    """The fake's answer: PAGE_FACTS filled from what OCR reads in the request's image."""
    if "phrases" not in schema.get("properties", {}):
        return None
    image = image_of_request(body)
    texts = [text.strip() for *_, text in (read_pieces(image) if image else []) if text.strip()]
    return page_facts(texts)


class TextLayerFacts:
    """The fake's answer from the page's own text layer (set by the bench before each page):
    an exact transcription, the upper bound of what grounding can find."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, schema: dict[str, Any], body: Any) -> dict[str, Any] | None:
        if "phrases" not in schema.get("properties", {}):
            return None
        return page_facts(self.lines)


def page_facts(texts: list[str]) -> dict[str, Any]:
    """PAGE_FACTS from text pieces in reading order."""
    rest = texts[1:]
    step = max(1, len(rest) // PHRASES)
    numbers = [value for value in map(_printed_number, texts) if value is not None]
    return {
        "heading": texts[0] if texts else None,
        "phrases": rest[::step][:PHRASES],
        "numbers": numbers[:PHRASES],
    }


def _printed_number(text: str) -> float | None:
    cleaned = text.replace(",", "")
    if not re.fullmatch(r"[0-9]{1,15}(\.[0-9]{1,6})?", cleaned):
        return None
    return float(cleaned)


@dataclass
class Tally:
    """Leaves answered and grounded, by field."""

    pages: int = 0
    fell_back: int = 0
    skipped_files: list[str] = field(default_factory=list)
    answered: Counter[str] = field(default_factory=Counter)
    grounded: Counter[str] = field(default_factory=Counter)

    def add(self, data: dict[str, Any]) -> None:
        self.pages += 1
        if data["fields"] is None:
            self.fell_back += 1
            return
        for pointer, _ in scalar_leaves(data["fields"]):
            key = pointer.split("/")[1]
            self.answered[key] += 1
            self.grounded[key] += pointer in data["grounding"]

    def figures(self) -> dict[str, Any]:
        def share(key: str | None) -> dict[str, Any]:
            answered = sum(self.answered.values()) if key is None else self.answered[key]
            grounded = sum(self.grounded.values()) if key is None else self.grounded[key]
            return {
                "answered": answered,
                "grounded": grounded,
                "rate": round(grounded / answered, 3) if answered else None,
            }

        return {
            "pages": self.pages,
            "fell_back": self.fell_back,
            "skipped_files": self.skipped_files,
            "all": share(None),
            **{key: share(key) for key in PAGE_FACTS["properties"]},
        }


def run(corpus: Path, pages_per_file: int, answers: str) -> Tally:
    tally = Tally()
    engine = MoeSchemaEngine()
    text_layer = TextLayerFacts()
    with running_fake_vllm() as fake:
        fake.control.schema_answerer = read_page_facts if answers == "ocr" else text_layer
        settings = Settings(vllm_url=fake.base_url, vllm_model=MOE_MODEL)
        resources = engine_resources(settings)
        try:
            for path in sorted(corpus.rglob("*.pdf")):
                started = time.perf_counter()
                try:
                    chunks = [c for c in chunk_pdf(path) if c.has_text_layer][:pages_per_file]
                    plans = plan_jobs(
                        chunks,
                        RoutingRequest(schema=SCHEMA.name),
                        None,
                        ConfiguredTiers(moe=True),
                    )
                    for plan in plans:
                        text_layer.lines = _text_lines(path, plan.chunk.seq)
                        job = ChunkJob(path, plan.chunk, Tier.MOE, plan.budget, SCHEMA)
                        tally.add(engine.extract(job, resources).data)
                except PipelineError as error:
                    tally.skipped_files.append(f"{path.name}: {error.category}")
                print(
                    f"{path.relative_to(corpus)}: {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
        finally:
            resources.close()
    return tally


def _text_lines(path: Path, index: int) -> list[str]:
    with pymupdf.open(path) as document:
        text = document[index].get_text("text")
    return [line.strip() for line in text.splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--pages-per-file", type=int, default=2)
    parser.add_argument(
        "--answers",
        choices=("ocr", "text-layer"),
        default="ocr",
        help="where the fake's values come from: OCR of the image, or the page's text layer",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    figures = run(arguments.corpus, arguments.pages_per_file, arguments.answers).figures()
    if arguments.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"pages: {figures['pages']} (answer fell back: {figures['fell_back']})")
    for key in ("all", *PAGE_FACTS["properties"]):
        share = figures[key]
        print(f"{key:>8}: {share['grounded']}/{share['answered']} grounded ({share['rate']})")
    for skipped in figures["skipped_files"]:
        print(f"skipped {skipped}")


if __name__ == "__main__":
    main()
