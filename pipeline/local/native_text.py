"""The `local` engine for native-text PDF pages: typed blocks in reading order.

One MuPDF text page per page serves the lines, their fonts and the header/footer bands (its
"rawdict" is read only when a line needs its glyphs); the document's font statistics and the
neighbouring pages' bands come from `structure.document`, read once per open document (a page
the font sample read takes its text page, lines and bands from that read)."""

from collections.abc import Sequence

import pymupdf

from pipeline.errors import PipelineError
from pipeline.local.structure.cleanup import clean_grid
from pipeline.local.structure.document import (
    breaks_words_at_line_ends,
    document_font_stats,
    neighbour_bands,
    page_bands,
    page_outline,
    remember_fonts,
    take_sampled_read,
)
from pipeline.local.structure.figures import figure_boxes
from pipeline.local.structure.fonts import page_fonts
from pipeline.local.structure.furniture import band_blocks, furniture_kinds
from pipeline.local.structure.lines import read_lines
from pipeline.local.structure.page import PageFacts, PageTable, page_blocks
from pipeline.local.structure.page_text import PageText, read_page_text
from pipeline.local.tables import extract_tables
from pipeline.sources.mupdf import mupdf_errors
from pipeline.sources.pdf import page_rotation
from schemas.blocks import BBox
from schemas.enums import ErrorCategory
from schemas.extractions import PageContent, PageContentData, PageSize, Provenance

__all__ = ["ENGINE_NAME", "extract_native_page", "read_native_page"]

ENGINE_NAME = "pymupdf-text"


def read_native_page(document: pymupdf.Document, page_index: int) -> PageText:
    """The page's one text extraction, shared by the text-layer check and the blocks: the
    font sample's read of it when there was one, else a new read; raise PdfError(PAGE_ERROR)."""
    sampled = take_sampled_read(document, page_index)
    if sampled is not None:
        return sampled
    if document.is_repaired:
        pymupdf.TOOLS.mupdf_warnings(reset=True)
    return read_page_text(document, page_index)


def extract_native_page(
    document: pymupdf.Document,
    page_index: int,
    image_boxes: Sequence[BBox] | None = None,
    read: PageText | None = None,
) -> PageContent:
    """Extract one page's text layer as typed blocks; raise PipelineError(PAGE_ERROR) if the
    page is unreadable. `read` is the page as `read_native_page` read it and `image_boxes`
    its image placements, when the caller has them already (the text-layer check does)."""
    if read is None:
        read = read_native_page(document, page_index)
    page, textpage = read.page, read.textpage
    lines = read.lines
    if lines is None:
        with mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"):
            lines = read_lines(read.page_dict, textpage.extractRAWDICT)
    if document.is_repaired and not lines:
        _fail_if_parser_complained(page_index)  # before other pages are read
    with mupdf_errors(ErrorCategory.PAGE_ERROR, f"page {page_index + 1} cannot be read"):
        rect = page.rect
        frame = rect * page.derotation_matrix  # text coordinates are unrotated
        bands = page_bands(
            document, page_index, lambda: band_blocks(textpage.extractBLOCKS(), frame.height)
        )
        found_tables = extract_tables(page, page_dict=read.page_dict, textpage=textpage)
        tables = [PageTable(found.bbox, clean_grid(found.grid)) for found in found_tables]
        if image_boxes is None:
            image_boxes = [tuple(info["bbox"]) for info in page.get_image_info()]
        rotation = page.rotation
        in_bands = {block.number for block in bands}
        remember_fonts(document, page_index, page_fonts(page_index, lines, frame.height, in_bands))
        facts = PageFacts(
            page_index=page_index,
            stats=document_font_stats(document),
            breaks_words=breaks_words_at_line_ends(document),
            outline=page_outline(document, page_index),
            page_height=frame.height,
            furniture=furniture_kinds(
                bands, neighbour_bands(document, page_index), frame.width, frame.height
            ),
        )
    figures = figure_boxes(image_boxes, frame.width, frame.height)
    blocks = page_blocks(lines, tables, figures, facts)
    size = PageSize(
        width=round(rect.width, 2), height=round(rect.height, 2), rotation=page_rotation(rotation)
    )
    return PageContent(
        data=PageContentData.from_blocks(blocks, size, ENGINE_NAME),
        provenance=Provenance(
            page_number=page_index + 1,
            bbox=(0.0, 0.0, round(rect.width, 2), round(rect.height, 2)),
        ),
    )


def _fail_if_parser_complained(page_index: int) -> None:
    """In a repaired file, an empty page the parser complained about is lost, not blank."""
    warnings = pymupdf.TOOLS.mupdf_warnings(reset=True).strip()
    if warnings:
        summary = "; ".join(warnings.splitlines()[:3])
        raise PipelineError(
            ErrorCategory.PAGE_ERROR,
            f"page {page_index + 1} could not be recovered from the damaged file: {summary}",
        )
