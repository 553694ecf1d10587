"""The processing library: sources -> chunking -> planning -> engines (local, model) -> assemble.

Synchronous and free of side effects apart from the model calls it is handed; imports `schemas`
only, never Celery, SQLAlchemy or FastAPI, and never reads the environment. Importing it
changes nothing: process setup (`pipeline.sources.mupdf.prepare_mupdf`) and engine resources
(`pipeline.engines.resources.EngineResources`) are built by the entry points that use it.
"""
