"""Pictures embedded in a container (word/media/…, ppt/media/…, Pictures/…): sized, measured
and decoded from their member, never written to disk.

The member is read with the container's size cap (`members.read_member`) and decoded through
`images.open_image`, which checks the header's pixel count before decoding and keeps Pillow's
decompression-bomb limit as a backstop.

Which pictures are worth a job (`worth_a_job`): a raster format Greenhouse decodes (PNG, JPEG,
TIFF, WebP, BMP; not EMF/WMF/SVG), at least `MIN_SIDE_PX` = 64 px on both sides (bullets,
icons, rules and spacer pixels are smaller), read once per member however often it is placed.
"""

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from pipeline.errors import SourceError
from pipeline.sources.images import frame_sizes, open_image
from pipeline.sources.legibility import measure_image
from pipeline.sources.members import read_member
from pipeline.sources.sniff import sniff_bytes
from schemas.media import IMAGE_MEDIA

__all__ = [
    "MAX_EMBEDDED_IMAGE_BYTES",
    "MIN_SIDE_PX",
    "EmbeddedPicture",
    "decode_member_image",
    "probe_member_image",
]

MIN_SIDE_PX = 64
"""Pictures smaller than this on either side are icons, bullets or spacers: no job."""
MAX_EMBEDDED_IMAGE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class EmbeddedPicture:
    """An embedded picture worth a job: its size and the text measured in its pixels."""

    width: int
    height: int
    text_area_share: float | None
    min_text_height: float | None


def probe_member_image(path: Path, member: str) -> EmbeddedPicture | None:
    """The picture in `member` when it is worth a job; None for anything that is not (too
    small, not a raster format we decode, unreadable, too large)."""
    try:
        data = read_member(path, member, MAX_EMBEDDED_IMAGE_BYTES)
    except SourceError:
        return None
    if sniff_bytes(data[:4096]) not in IMAGE_MEDIA:
        return None
    try:
        sizes = frame_sizes(data)
    except SourceError:
        return None
    width, height = sizes[0]
    if min(width, height) < MIN_SIDE_PX:
        return None
    try:
        measure = measure_image(open_image(data))
    except (SourceError, ValueError):
        return EmbeddedPicture(width, height, None, None)
    return EmbeddedPicture(width, height, measure.text_area_share, measure.min_text_height)


def decode_member_image(path: Path, member: str) -> Image.Image:
    """The picture in `member` as upright 8-bit RGB; `SourceError`s for a bad or huge one."""
    return open_image(read_member(path, member, MAX_EMBEDDED_IMAGE_BYTES))
