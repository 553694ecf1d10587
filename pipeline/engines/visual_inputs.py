"""Decoding the picture of an image or video-frame chunk (shared by the local and MoE engines)."""

from typing import Any

from PIL import Image

from pipeline.engines.base import ChunkJob
from pipeline.errors import InvalidChunkError
from pipeline.sources.images import open_image
from pipeline.sources.video import extract_frame
from schemas.enums import ChunkKind

__all__ = ["decode_picture", "frame_provenance"]


def decode_picture(job: ChunkJob) -> Image.Image:
    """The chunk's picture as upright 8-bit RGB: an image frame, or a video's keyframe."""
    chunk = job.chunk
    if chunk.kind is ChunkKind.VIDEO_FRAME:
        if chunk.start_seconds is None:
            raise InvalidChunkError("a video frame chunk has no timestamp")
        return open_image(extract_frame(job.path, chunk.start_seconds))
    return open_image(job.path, frame=chunk.seq)


def frame_provenance(job: ChunkJob) -> dict[str, Any]:
    """Where in the media a picture is: a video frame's timestamp, nothing for images."""
    start = job.chunk.start_seconds
    return {} if start is None else {"timestamp": start}
