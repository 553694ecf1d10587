"""The embedded CPU tier: PyMuPDF text layer and tables, RapidOCR, Moonshine ASR."""
