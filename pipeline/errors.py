"""Errors the pipeline raises: each carries a stable category and a human-readable message."""

from schemas.enums import ErrorCategory


class PipelineError(Exception):
    """A failure of one document or chunk that callers store as data (category + message)."""

    def __init__(self, category: ErrorCategory, message: str) -> None:
        super().__init__(message)
        self.category = category
        self.message = message

    def __str__(self) -> str:
        return f"{self.category}: {self.message}"
