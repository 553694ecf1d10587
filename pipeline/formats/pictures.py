"""Embedded pictures as figure blocks in the flow and as image chunks of their own.

A reader puts a `figure` block where the picture sits (its alt text or description as the
block's text, a bare file name ignored) and records a `PictureRef`; at chunking time every
member worth a job (see `pipeline.sources.embedded_images`) becomes one `image` chunk whose
`part` is the member name, placed right after the section or slide that shows it, so it is
OCRed on the local tier or read by the MoE tier with a budget like any image.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.sources.embedded_images import probe_member_image
from schemas.chunks import ChunkDescriptor
from schemas.enums import ChunkKind

__all__ = ["PictureRef", "alt_text", "picture_chunks"]

_FILE_NAME = re.compile(r"^[^\s/\\]{1,200}\.(png|jpe?g|gif|bmp|tiff?|webp|emf|wmf|svg)$", re.I)


def alt_text(text: str | None) -> str:
    """A picture's description as a figure's text: white space collapsed; a bare file name
    (`image.png`, what python-pptx and some editors write by default) is no description."""
    collapsed = " ".join((text or "").split())
    return "" if _FILE_NAME.match(collapsed) else collapsed


@dataclass(frozen=True)
class PictureRef:
    """A picture placed in a section or slide: its container member and alt text."""

    member: str
    alt: str = ""


def picture_chunks(
    path: Path, refs: Iterable[PictureRef], first_seq: int, page_number: int, seen: set[str]
) -> Iterator[ChunkDescriptor]:
    """One image chunk per member worth a job and not already in `seen` (updated)."""
    seq = first_seq
    for ref in refs:
        if ref.member in seen:
            continue
        seen.add(ref.member)
        picture = probe_member_image(path, ref.member)
        if picture is None:
            continue
        yield ChunkDescriptor(
            seq=seq,
            kind=ChunkKind.IMAGE,
            page_number=page_number,
            width=picture.width,
            height=picture.height,
            has_text_layer=False,
            text_area_share=picture.text_area_share,
            min_text_height=picture.min_text_height,
            part=ref.member,
        )
        seq += 1
