"""The `video_timeline` extraction: keyframes and speech of a video in time order."""

from typing import Annotated, Final, Literal

from pydantic import BaseModel, Field

from schemas.blocks import Block

VIDEO_TIMELINE: Final = "video_timeline"


class TimelineFrame(BaseModel):
    """A keyframe and the text read from it."""

    kind: Literal["frame"] = "frame"
    timestamp: float = Field(ge=0.0, description="Seconds from the start of the video.")
    text: str
    markdown: str = Field(default="", description="The frame's text as Markdown.")
    blocks: list[Block] = Field(default_factory=list, description="The frame's typed blocks.")


class TimelineSpeech(BaseModel):
    """A transcribed stretch of the video's audio track."""

    kind: Literal["speech"] = "speech"
    start: float = Field(ge=0.0)
    end: float = Field(ge=0.0)
    text: str
    speaker: str | None = None


TimelineItem = Annotated[TimelineFrame | TimelineSpeech, Field(discriminator="kind")]


class VideoTimelineData(BaseModel):
    """The `data` of a video_timeline extraction."""

    text: str = Field(description="All frame text and speech in time order.")
    items: list[TimelineItem] = Field(description="Frames and speech sorted by start time.")
    duration: float | None = Field(default=None, ge=0.0, description="Video length in seconds.")


class VideoTimeline(BaseModel):
    """A video_timeline extraction."""

    kind: Literal["video_timeline"] = VIDEO_TIMELINE
    data: VideoTimelineData
