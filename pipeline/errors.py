"""The pipeline's one error tree: every failure it reports is a `PipelineError`.

Each error carries a stable `ErrorCategory` (stored on the job or document and returned by the
API) and a message for people. The branches say where a failure came from:

- `SourceError`: the uploaded bytes cannot be read — `PdfError` (MuPDF), `ImageError`
  (Pillow), `MediaError` (ffmpeg);
- `EngineError`: a local engine failed on readable input (onnxruntime, Moonshine);
- `ModelError`: a model tier failed (its subclasses live in `pipeline.model.errors`);
- `InvalidRequestError`: a job asks for something its chunk cannot give (tier, budget);
- `InvalidChunkError`: a chunk descriptor lacks what its kind needs (a bug upstream).

Each outside library's exceptions become these in one place: `pipeline.sources.mupdf`,
`pipeline.sources.images`, `pipeline.sources.ffmpeg`, `pipeline.local.onnx` and
`pipeline.model.client`. Invalid arguments to configuration objects (a negative threshold, a
budget that does not exist) are programming errors and stay `ValueError`.
"""

from schemas.enums import ErrorCategory

__all__ = [
    "EngineError",
    "ErrorCategory",
    "ImageError",
    "InvalidChunkError",
    "InvalidRequestError",
    "MediaError",
    "ModelError",
    "PdfError",
    "PipelineError",
    "SourceError",
]


class PipelineError(Exception):
    """A failure of one document or chunk that callers store as data (category + message)."""

    def __init__(self, category: ErrorCategory, message: str) -> None:
        super().__init__(message)
        self.category = ErrorCategory(category)
        self.message = message

    def __str__(self) -> str:
        return f"{self.category}: {self.message}"


class SourceError(PipelineError):
    """The uploaded bytes cannot be read as what they claim to be."""


class PdfError(SourceError):
    """MuPDF could not open a PDF or read one of its pages."""


class ImageError(SourceError):
    """An image that cannot be processed: too large, corrupt or of an unsupported format."""


class MediaError(SourceError):
    """An audio or video file could not be probed or decoded (ffmpeg)."""


class EngineError(PipelineError):
    """A local engine (OCR, ASR) failed on input that was readable."""

    def __init__(self, message: str, category: ErrorCategory = ErrorCategory.INTERNAL) -> None:
        super().__init__(category, message)


class ModelError(PipelineError):
    """A model tier failed: transient, rejected, unsupported schema or unavailable."""


class InvalidRequestError(PipelineError):
    """The job asks for something its chunk cannot give (a tier, a budget)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCategory.INVALID_OPTIONS, message)


class InvalidChunkError(PipelineError):
    """A chunk descriptor lacks a field its kind needs: a bug upstream, not bad input."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCategory.INTERNAL, message)
