"""The processing library: sniff -> chunk -> engine -> validate. Imports schemas only.

PyMuPDF 2.x imports its optional neural layout analyser (`pymupdf.layout`, three ONNX
sessions: ~0.4 s and ~55 MiB per process) whenever it is installed, and gates `find_tables`
with it. Greenhouse does its own reading order and finds ruled tables without it, so the
analyser is kept out of every process that imports the pipeline, before PyMuPDF loads.
"""

import sys

sys.modules.setdefault("pymupdf.layout", None)  # type: ignore[arg-type]
