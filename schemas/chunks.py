"""Chunk descriptors: the unit of work a file is cut into, before it becomes a job row."""

from pydantic import BaseModel, Field

from schemas.enums import ChunkKind


class ChunkDescriptor(BaseModel):
    """One page, image, frame, speech segment, section, slide or sheet range of a document, as
    emitted by a chunker."""

    seq: int = Field(ge=0, description="Position of the chunk in the document (0-based).")
    kind: ChunkKind
    page_number: int | None = Field(default=None, ge=1, description="1-based page number.")
    width: float | None = Field(default=None, description="Width in PDF points or pixels.")
    height: float | None = Field(default=None, description="Height in PDF points or pixels.")
    rotation: int = 0
    has_text_layer: bool | None = None
    text_chars: int | None = Field(
        default=None, ge=0, description="Non-blank characters of the text layer (PDF pages)."
    )
    min_font_pt: float | None = Field(
        default=None,
        gt=0,
        description="Smallest body font size of the text layer, in points: the size at or"
        " under which 5% of its characters are set.",
    )
    text_area_share: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Share of the picture covered by text, measured in its pixels (scans,"
        " images, frames); None when not measured.",
    )
    min_text_height: float | None = Field(
        default=None,
        gt=0,
        description="Estimated x-height of the smallest text in the pixels, in the chunk's"
        " units (points for pages, pixels otherwise); None when no text was found.",
    )
    start_seconds: float | None = None
    end_seconds: float | None = None
    part: str | None = Field(
        default=None,
        description="Where the chunk sits inside its file: a sheet's name, an embedded image's"
        " part name (`word/media/image1.png`), a section's anchor; None for PDF pages and"
        " media.",
    )
    row_start: int | None = Field(
        default=None, ge=0, description="First row of a sheet chunk (0-based, inclusive)."
    )
    row_end: int | None = Field(
        default=None, ge=0, description="End of a sheet chunk's rows (0-based, exclusive)."
    )
    title: str | None = Field(
        default=None,
        max_length=500,
        description="A slide's or sheet's title, when the file names it.",
    )
    parser: str | None = Field(
        default=None,
        description="The fallback parser that read this page ('pdfium') when MuPDF could not;"
        " None for MuPDF and for other kinds.",
    )
    repaired: bool = Field(
        default=False, description="The file was damaged and read by a repairing parser."
    )
    converted_by: str | None = Field(
        default=None,
        description="'libreoffice' when the page is a page of the PDF LibreOffice made of an"
        " office file for the MoE tier (its jobs read that PDF, kept next to the stored file);"
        " None otherwise.",
    )
    note: str | None = Field(
        default=None,
        max_length=500,
        description="Why the chunk is read otherwise than the request asked (e.g. LibreOffice"
        " missing for `tier=moe` on an office file: read by structure on the local tier).",
    )
