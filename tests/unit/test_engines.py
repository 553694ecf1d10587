"""The engine registry: which engine runs each (chunk kind, tier, schema) and what it refuses."""

from pathlib import Path

import pytest

from pipeline.engines.base import ChunkJob, ExtractionResult
from pipeline.engines.catalog import default_registry
from pipeline.engines.registry import EngineRegistry
from pipeline.engines.resources import EngineResources
from pipeline.errors import InvalidRequestError, PipelineError
from pipeline.model.schema_request import SchemaRequest
from pipeline.run import process_chunk
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind, ErrorCategory, Tier

PDF, IMAGE, FRAME, SPEECH = (
    ChunkKind.PDF_PAGE,
    ChunkKind.IMAGE,
    ChunkKind.VIDEO_FRAME,
    ChunkKind.SPEECH_SEGMENT,
)


@pytest.mark.parametrize(
    ("kind", "tier", "schema", "engine"),
    [
        (PDF, Tier.LOCAL, False, "LocalPdfPageEngine"),
        (PDF, Tier.LOCAL, True, "LocalPdfPageEngine"),
        (PDF, Tier.MOE, False, "MoePdfPageEngine"),
        (PDF, Tier.MOE, True, "MoeSchemaEngine"),
        (IMAGE, Tier.LOCAL, False, "LocalPictureEngine"),
        (IMAGE, Tier.MOE, False, "MoePictureEngine"),
        (IMAGE, Tier.MOE, True, "MoeSchemaEngine"),
        (FRAME, Tier.LOCAL, True, "LocalPictureEngine"),
        (FRAME, Tier.MOE, False, "MoePictureEngine"),
        (FRAME, Tier.MOE, True, "MoeSchemaEngine"),
        (SPEECH, Tier.LOCAL, False, "LocalSpeechEngine"),
        (SPEECH, Tier.EDGE, False, "EdgeSpeechEngine"),
        (SPEECH, Tier.EDGE, True, "EdgeSpeechEngine"),
    ],
)
def test_each_job_gets_its_engine(kind: ChunkKind, tier: Tier, schema: bool, engine: str) -> None:
    chosen = default_registry().engine_for(kind, tier, schema=schema)

    assert type(chosen).__name__ == engine
    assert chosen.tier is tier
    assert kind in chosen.kinds


@pytest.mark.parametrize(
    ("kind", "tier"),
    [(PDF, Tier.EDGE), (IMAGE, Tier.EDGE), (FRAME, Tier.EDGE), (SPEECH, Tier.MOE)],
)
def test_a_tier_that_cannot_process_a_kind_is_an_invalid_request(
    kind: ChunkKind, tier: Tier
) -> None:
    with pytest.raises(InvalidRequestError) as refused:
        default_registry().engine_for(kind, tier, schema=True)

    assert refused.value.category is ErrorCategory.INVALID_OPTIONS
    assert refused.value.message == f"tier {tier.value!r} cannot process {kind.value} chunks"


def test_the_catalog_serves_exactly_these_combinations() -> None:
    served = {
        (kind.value, tier.value, schema) for kind, tier, schema in default_registry().served()
    }

    assert served == {
        ("pdf_page", "local", False),
        ("pdf_page", "moe", False),
        ("pdf_page", "moe", True),
        ("image", "local", False),
        ("image", "moe", False),
        ("image", "moe", True),
        ("video_frame", "local", False),
        ("video_frame", "moe", False),
        ("video_frame", "moe", True),
        ("speech_segment", "local", False),
        ("speech_segment", "edge", False),
        ("section", "local", False),
        ("slide", "local", False),
        ("sheet", "local", False),
    }


class _EchoEngine:
    """A new engine: one class and one registration."""

    tier = Tier.EDGE
    kinds = frozenset({ChunkKind.PDF_PAGE})
    fills_schemas = False

    def extract(self, job: ChunkJob, resources: EngineResources) -> ExtractionResult:
        del resources
        return ExtractionResult(
            kind="echo", data={"seq": job.chunk.seq}, provenance={}, engine="echo"
        )


def test_a_new_engine_is_one_registration(tmp_path: Path) -> None:
    registry = default_registry()
    registry.register(_EchoEngine())
    job = ChunkJob(tmp_path / "x.pdf", ChunkDescriptor(seq=4, kind=PDF, page_number=5), Tier.EDGE)

    result = process_chunk(job, EngineResources(), registry)

    assert (result.kind, result.data, result.engine) == ("echo", {"seq": 4}, "echo")


def test_two_engines_for_the_same_kind_and_tier_are_refused() -> None:
    registry = EngineRegistry([_EchoEngine()])

    with pytest.raises(ValueError, match="two engines serve pdf_page on edge"):
        registry.register(_EchoEngine())


def test_model_tier_engines_without_a_configured_server_park_the_job(tmp_path: Path) -> None:
    schema = SchemaRequest(name="invoice", json_schema={"type": "object"})
    speech = ChunkDescriptor(seq=0, kind=SPEECH, start_seconds=0.0, end_seconds=1.0)
    page = ChunkDescriptor(seq=0, kind=PDF, page_number=1)
    jobs = [
        ChunkJob(tmp_path / "a.pdf", page, Tier.MOE, budget=560),
        ChunkJob(tmp_path / "a.pdf", page, Tier.MOE, budget=560, schema=schema),
        ChunkJob(tmp_path / "a.wav", speech, Tier.EDGE),
    ]
    for job in jobs:
        with pytest.raises(PipelineError) as parked:
            process_chunk(job, EngineResources(), default_registry())
        assert parked.value.category is ErrorCategory.TIER_UNAVAILABLE


def test_a_chunk_missing_what_its_kind_needs_is_an_internal_error(tmp_path: Path) -> None:
    frame = ChunkDescriptor(seq=0, kind=FRAME)

    with pytest.raises(PipelineError) as failed:
        process_chunk(
            ChunkJob(tmp_path / "v.mp4", frame, Tier.LOCAL), EngineResources(), default_registry()
        )

    assert failed.value.category is ErrorCategory.INTERNAL
    assert "timestamp" in failed.value.message
