"""Which engine runs a job: a map from (chunk kind, tier, fills a schema?) to engines."""

from collections.abc import Iterable

from pipeline.engines.base import Engine
from pipeline.errors import InvalidRequestError
from schemas.enums import ChunkKind, Tier

__all__ = ["EngineRegistry"]

_Key = tuple[ChunkKind, Tier, bool]


class EngineRegistry:
    """Engines by the chunk kinds and tier they serve; one engine per (kind, tier, schema)."""

    def __init__(self, engines: Iterable[Engine] = ()) -> None:
        self._engines: dict[_Key, Engine] = {}
        for engine in engines:
            self.register(engine)

    def register(self, engine: Engine) -> None:
        """Add an engine; two engines may not serve the same kind, tier and purpose."""
        for kind in engine.kinds:
            key = (kind, engine.tier, engine.fills_schemas)
            if key in self._engines:
                raise ValueError(f"two engines serve {kind.value} on {engine.tier.value}: {key}")
            self._engines[key] = engine

    def engine_for(self, kind: ChunkKind, tier: Tier, *, schema: bool = False) -> Engine:
        """The engine for a chunk on a tier: the schema-filling one when the job asks for a
        schema and the tier has one for this kind, else the content engine."""
        if schema and (kind, tier, True) in self._engines:
            return self._engines[(kind, tier, True)]
        engine = self._engines.get((kind, tier, False))
        if engine is None:
            raise InvalidRequestError(f"tier {tier.value!r} cannot process {kind.value} chunks")
        return engine

    def served(self) -> list[_Key]:
        """Every (kind, tier, fills a schema) with an engine, sorted."""
        return sorted(self._engines, key=lambda key: (key[0].value, key[1].value, key[2]))
