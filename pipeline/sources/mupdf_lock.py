"""One lock around PyMuPDF: MuPDF's context is not thread-safe, and the `vlm` workers run many
jobs in threads. Every PyMuPDF call made from a threaded worker holds this lock; they are
short (a render, a text extraction) next to the model calls they prepare."""

import threading

MUPDF_LOCK = threading.RLock()
