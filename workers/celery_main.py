"""Entry module of `celery -A workers.celery_main worker`: the worker app built from the
environment (`GREENHOUSE_*`), after PyMuPDF's process setup. `greenhouse worker` does the same
without this module."""

from pipeline.sources.mupdf import prepare_mupdf

prepare_mupdf()

from schemas.settings import load_settings  # noqa: E402  (after the process setup above)
from workers.celery_app import create_worker_app  # noqa: E402

app = create_worker_app(load_settings())
