"""Decoding the picture of an image or video-frame chunk (shared by the local and MoE engines)."""

from typing import Any

from PIL import Image

from pipeline.engines.base import ChunkJob
from pipeline.errors import InvalidChunkError
from pipeline.sources.embedded_images import decode_member_image
from pipeline.sources.images import open_image
from pipeline.sources.video import extract_frame
from schemas.enums import ChunkKind

__all__ = ["decode_picture", "frame_provenance"]


def decode_picture(job: ChunkJob) -> Image.Image:
    """The chunk's picture as upright 8-bit RGB: an image frame, a video's keyframe, or a
    picture embedded in an office file (`part` names its member)."""
    chunk = job.chunk
    if chunk.kind is ChunkKind.IMAGE and chunk.part is not None:
        return decode_member_image(job.path, chunk.part)
    if chunk.kind is ChunkKind.VIDEO_FRAME:
        if chunk.start_seconds is None:
            raise InvalidChunkError("a video frame chunk has no timestamp")
        return open_image(extract_frame(job.path, chunk.start_seconds))
    return open_image(job.path, frame=chunk.seq)


def frame_provenance(job: ChunkJob) -> dict[str, Any]:
    """Where in the media a picture is: a video frame's timestamp, an embedded picture's
    member, nothing for images."""
    if job.chunk.part is not None:
        return {"part": job.chunk.part}
    start = job.chunk.start_seconds
    return {} if start is None else {"timestamp": start}
