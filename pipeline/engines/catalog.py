"""The engines Greenhouse ships: one line each. A new format or model is registered here."""

from pipeline.engines.local_pages import LocalPdfPageEngine
from pipeline.engines.local_pictures import LocalPictureEngine
from pipeline.engines.moe_pages import MoePdfPageEngine
from pipeline.engines.moe_pictures import MoePictureEngine
from pipeline.engines.moe_schema import MoeSchemaEngine
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.speech import EdgeSpeechEngine, LocalSpeechEngine
from pipeline.engines.structured import LocalStructuredEngine

__all__ = ["default_registry"]


def default_registry() -> EngineRegistry:
    """Every built-in engine."""
    return EngineRegistry(
        [
            LocalPdfPageEngine(),
            LocalPictureEngine(),
            LocalSpeechEngine(),
            LocalStructuredEngine(),
            MoePdfPageEngine(),
            MoePictureEngine(),
            MoeSchemaEngine(),
            EdgeSpeechEngine(),
        ]
    )
