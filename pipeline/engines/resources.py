"""What engines share within one process: open PDFs, the OCR and ASR models, model clients.

Built by the entry point that runs jobs (a Celery worker process, an embedded pool process,
a test) and carried on its context, never kept in module state; `close()` releases it all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pipeline.local.ocr_engine import OcrEngine
from pipeline.model.errors import TierUnavailableError
from pipeline.sources.pdf import PdfCache

if TYPE_CHECKING:  # Moonshine's and the model tier's modules load where they are used
    from pipeline.local.asr import SpeechEngine
    from pipeline.model.attempts import VlmEngine

__all__ = ["OCR_THREADS", "EngineResources"]

OCR_THREADS = 1
"""One onnxruntime thread per OCR call: workers parallelise across processes (one per core),
and a runtime that also spreads each call over every core oversubscribes them."""


def _isolated_moonshine() -> SpeechEngine:
    from pipeline.local.asr import IsolatedMoonshineEngine

    return IsolatedMoonshineEngine()


@dataclass
class EngineResources:
    """One process's engine resources; models load on first use."""

    pdfs: PdfCache = field(default_factory=PdfCache)
    ocr: OcrEngine = field(default_factory=lambda: OcrEngine(threads=OCR_THREADS))
    asr: SpeechEngine = field(default_factory=_isolated_moonshine)
    moe: VlmEngine | None = None
    edge: VlmEngine | None = None

    def require_moe(self) -> VlmEngine:
        """The MoE tier's engine, or `tier_unavailable` when this process has none."""
        if self.moe is None:
            raise TierUnavailableError("the MoE tier is not configured in this worker")
        return self.moe

    def require_edge(self) -> VlmEngine:
        """The edge tier's engine, or `tier_unavailable` when this process has none."""
        if self.edge is None:
            raise TierUnavailableError("the edge tier is not configured in this worker")
        return self.edge

    def close(self) -> None:
        """Close open documents, the ASR child and the model clients."""
        self.pdfs.close()
        close_asr = getattr(self.asr, "close", None)
        if close_asr is not None:
            close_asr()
        for engine in (self.moe, self.edge):
            if engine is not None:
                engine.client.close()
