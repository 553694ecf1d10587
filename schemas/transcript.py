"""The `transcript` extraction: text of an audio document with timed segments."""

from typing import Final, Literal, Self

from pydantic import BaseModel, Field, model_validator

TRANSCRIPT: Final = "transcript"


class TranscriptSegment(BaseModel):
    """A stretch of speech with its start and end in seconds from the start of the media."""

    start: float = Field(ge=0.0)
    end: float = Field(ge=0.0)
    text: str
    speaker: str | None = Field(
        default=None, description="Who speaks, when the engine tells speakers apart."
    )

    @model_validator(mode="after")
    def _end_not_before_start(self) -> Self:
        if self.end < self.start:
            raise ValueError("segment end is before its start")
        return self


class TranscriptData(BaseModel):
    """The `data` of a transcript extraction."""

    text: str = Field(description="The whole transcript in time order.")
    segments: list[TranscriptSegment]
    language: str = Field(default="en", description="Language of the speech (ISO 639-1).")
    engine: str = Field(description="ASR engine, e.g. 'moonshine-base-en'.")


class Transcript(BaseModel):
    """A transcript extraction."""

    kind: Literal["transcript"] = TRANSCRIPT
    data: TranscriptData
