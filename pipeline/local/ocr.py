"""Embedded CPU OCR: RapidOCR (PP-OCR ONNX models bundled in its wheel) to `PageContent`.

The engine itself (the bundled models, its lock, onnxruntime's boundary) is
`pipeline.local.ocr_engine.OcrEngine`; reading order of the lines is `pipeline.local.ocr_layout`.

Lines are recognised one at a time (`rec_batch_num=1`): batches are padded to their widest
line, and on one core batches of 6 cost about 20% more CPU than single lines.

Per-line 0/180 classification is off: on long Latin lines the bundled classifier flips some
upright lines and they come back as garbage. Orientation is decided once per page instead
(`detect_rotation`).

Sizes: RapidOCR's default shrinks inputs whose longest side exceeds 2000 px, and its detector
enlarges inputs whose shortest side is under 736 px (`limit_type: min`); each text line is then
resized to 48 px high for recognition, so 10 pt text wants 25-30 px of line height: 150 dpi.
PDF pages are therefore rendered directly at 150 dpi (`ocr_zoom`), clamped so the short side is
at least 736 px and the long side at most `max_side` (US Letter: 1275 x 1650). Larger images are
shrunk here with Pillow to `max_side`, so boxes scale back exactly; the engine's own cap is
raised to 4096 px and never resizes behind our back.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from math import dist

import pymupdf
from PIL import Image

from pipeline.errors import EngineError, PdfError
from pipeline.local.ink import ink_boxes
from pipeline.local.ocr_engine import DETECTOR_MIN_SIDE, ENGINE_MAX_SIDE, OcrEngine
from pipeline.local.ocr_layout import OcrLine, Point, Quad, layout_blocks
from pipeline.sources.images import to_rgb
from pipeline.sources.pdf import page_rotation
from schemas.blocks import BBox, Block, BlockKind
from schemas.enums import ErrorCategory
from schemas.extractions import (
    PageContent,
    PageContentData,
    PageSize,
    Provenance,
    Rotation,
)

__all__ = [
    "DETECTOR_MIN_SIDE",
    "ENGINE_NAME",
    "MAX_ASPECT_RATIO",
    "OcrPage",
    "OcrSettings",
    "RenderedPage",
    "Rotation",
    "build_page_content",
    "detect_rotation",
    "image_page_content",
    "ocr_image",
    "ocr_zoom",
    "pdf_page_content",
    "recognise_upright",
    "render_page_for_ocr",
    "render_pdf_page_for_ocr",
    "rendered_page_content",
    "to_source_point",
]

ENGINE_NAME = "rapidocr"
_TRANSPOSE_TO_UPRIGHT = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}
_TALL_RATIO = 1.5  # RapidOCR turns crops at least this much taller than wide by 90 degrees
_FLIP_MARGIN = 0.05
_SAMPLE_MAX_RATIO = 16
MAX_ASPECT_RATIO = 50
"""The detector scales an image's short side up to 736 px: a 2000 x 1 px strip (a MediaBox of
14,400,000 x 1 pt) would become 736 x 1,472,000 px and gigabytes. Longer strips are refused."""


@dataclass(frozen=True)
class OcrSettings:
    """OCR knobs (the onnxruntime thread count belongs to the `OcrEngine`)."""

    dpi: float = 150.0
    max_side: int = 2000
    min_score: float = 0.5
    detect_rotation: bool = True
    confident_score: float = 0.93
    rotation_samples: int = 6
    orientation_chars: int = 2


@dataclass(frozen=True)
class OcrPage:
    """Lines of an image after orientation correction, in the upright image's pixels.

    `rotation` is how far the text was turned clockwise in the source image; `width` and
    `height` are the upright image's size.
    """

    lines: tuple[OcrLine, ...]
    width: int
    height: int
    rotation: Rotation


# --- recognition ----------------------------------------------------------------------------


def ocr_image(
    engine: OcrEngine, image: Image.Image, settings: OcrSettings = OcrSettings()
) -> list[OcrLine]:
    """Detect and recognise text lines as the image stands (no orientation correction).

    Images larger than `settings.max_side` are shrunk first; detection runs on the parts that
    hold ink (`pipeline.local.ink`), at the scale of the whole image, and not at all on a
    blank one; boxes are in the input's pixels.
    """
    if settings.max_side > ENGINE_MAX_SIDE:
        raise ValueError(f"max_side must be at most {ENGINE_MAX_SIDE}")
    short, long = sorted(image.size)
    if short < 1 or long > MAX_ASPECT_RATIO * short:
        raise EngineError(
            f"a {image.width} x {image.height} px picture cannot be OCRed "
            f"(sides more than {MAX_ASPECT_RATIO}:1 or empty)",
            category=ErrorCategory.TOO_LARGE,
        )
    rgb = image if image.mode == "RGB" else to_rgb(image)
    scale = min(1.0, settings.max_side / max(rgb.size))
    if scale < 1.0:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    lines = []
    for left, top, right, bottom in ink_boxes(rgb):  # none on a blank picture
        whole = (left, top, right, bottom) == (0, 0, *rgb.size)
        cut = rgb if whole else rgb.crop((left, top, right, bottom))
        result = engine.run(cut, detect=True, min_score=settings.min_score, cut_from=rgb.size)
        boxes, texts, scores = result.boxes, result.txts, result.scores
        if boxes is None or texts is None:
            continue
        for box, text, score in zip(boxes, texts, scores, strict=True):
            points = [((float(x) + left) / scale, (float(y) + top) / scale) for x, y in box]
            if text.strip():
                lines.append(OcrLine(text.strip(), _as_quad(points), round(float(score), 4)))
    return lines


def recognise_upright(
    engine: OcrEngine, image: Image.Image, settings: OcrSettings = OcrSettings()
) -> OcrPage:
    """OCR an image whose text may be turned by 0/90/180/270 degrees.

    The first pass costs nothing extra on upright pages; a turned page is OCRed a second time
    after a lossless transpose.
    """
    rgb = image if image.mode == "RGB" else to_rgb(image)
    lines = ocr_image(engine, rgb, settings)
    rotation = detect_rotation(engine, rgb, lines, settings) if settings.detect_rotation else 0
    if rotation:
        rgb = rgb.transpose(_TRANSPOSE_TO_UPRIGHT[rotation])
        lines = ocr_image(engine, rgb, settings)
    return OcrPage(tuple(lines), rgb.width, rgb.height, rotation)


def detect_rotation(
    engine: OcrEngine,
    image: Image.Image,
    lines: Sequence[OcrLine],
    settings: OcrSettings = OcrSettings(),
) -> Rotation:
    """Clockwise rotation of the text, from a first OCR pass of the image as it stands.

    Line boxes taller than wide (weighted by characters) mean 90 or 270. RapidOCR reads tall
    crops turned a quarter counter-clockwise, which is right for 90 and upside down for 270;
    upside-down reading is found by re-reading a few long lines turned by 180 degrees, and
    only when the first pass was not already confident (upright clean pages skip it).

    Only lines with `settings.orientation_chars` letters or digits are evidence: the box of a
    lone glyph (`l`, `1`, `|`, a rule read as `_`) is tall or wide by its shape, not by the
    direction of the text. Without such a line the image is read as it stands.
    """
    lines = [line for line in lines if _alphanumerics(line.text) >= settings.orientation_chars]
    if not lines:
        return 0
    weights = [max(len(line.text), 1) for line in lines]
    total = sum(weights)
    tall = sum(w for line, w in zip(lines, weights, strict=True) if _is_tall(line.quad))
    is_tall = tall > total / 2
    confidence = sum(line.confidence * w for line, w in zip(lines, weights, strict=True)) / total
    flipped = False
    if confidence < settings.confident_score:
        sample = sorted(lines, key=lambda line: -len(line.text))[: settings.rotation_samples]
        crops = [_line_crop(image, line.quad) for line in sample]
        as_read = _mean_score(engine, crops, settings)
        turned = _mean_score(
            engine, [c.transpose(Image.Transpose.ROTATE_180) for c in crops], settings
        )
        flipped = turned > as_read + _FLIP_MARGIN
    if is_tall:
        return 270 if flipped else 90
    return 180 if flipped else 0


def _alphanumerics(text: str) -> int:
    return sum(1 for char in text if char.isalnum())


def _mean_score(engine: OcrEngine, crops: Sequence[Image.Image], settings: OcrSettings) -> float:
    scores = []
    for crop in crops:
        result = engine.run(crop, detect=False, min_score=settings.min_score)
        texts = result.txts or ("",)
        scores.append(float(result.scores[0]) if texts[0].strip() else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def _line_crop(image: Image.Image, quad: Quad) -> Image.Image:
    """Straighten a line as RapidOCR does: quad to rectangle, tall crops a quarter turn CCW."""
    (p0, p1, p2, p3) = quad
    width = max(1, round(max(dist(p0, p1), dist(p2, p3))))
    height = max(1, round(max(dist(p0, p3), dist(p1, p2))))
    corners = (*p0, *p3, *p2, *p1)  # PIL order: upper-left, lower-left, lower-right, upper-right
    crop = image.transform(
        (width, height), Image.Transform.QUAD, corners, Image.Resampling.BILINEAR
    )
    if height >= _TALL_RATIO * width:
        crop = crop.transpose(Image.Transpose.ROTATE_90)
    if crop.width > _SAMPLE_MAX_RATIO * crop.height:  # a long line's head scores as well
        crop = crop.crop((0, 0, _SAMPLE_MAX_RATIO * crop.height, crop.height))
    return crop


def _is_tall(quad: Quad) -> bool:
    p0, p1, _, p3 = quad
    return dist(p0, p3) >= _TALL_RATIO * dist(p0, p1)


def _as_quad(points: Sequence[Point]) -> Quad:
    p0, p1, p2, p3 = points
    return (p0, p1, p2, p3)


# --- rendering ------------------------------------------------------------------------------


def ocr_zoom(width_pt: float, height_pt: float, settings: OcrSettings = OcrSettings()) -> float:
    """Pixels per point for OCR: `settings.dpi`, clamped to the detector's working range."""
    zoom = settings.dpi / 72.0
    short, long = sorted((width_pt, height_pt))
    zoom = max(zoom, DETECTOR_MIN_SIDE / short)
    return min(zoom, settings.max_side / long)


def render_page_for_ocr(page: pymupdf.Page, settings: OcrSettings = OcrSettings()) -> Image.Image:
    """Render a page (as displayed, /Rotate applied) straight at the OCR resolution."""
    zoom = ocr_zoom(page.rect.width, page.rect.height, settings)
    pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csRGB)
    return Image.frombytes("RGB", (pixmap.width, pixmap.height), pixmap.samples)


# --- page content ---------------------------------------------------------------------------


def image_page_content(
    engine: OcrEngine,
    image: Image.Image,
    *,
    page_number: int = 1,
    settings: OcrSettings = OcrSettings(),
) -> PageContent:
    """OCR a document image into `PageContent` with boxes in the image's pixels."""
    page = recognise_upright(engine, image, settings)
    size = PageSize(width=image.width, height=image.height, unit="px")
    return build_page_content(page, size, page_number, scale=(1.0, 1.0))


@dataclass(frozen=True)
class RenderedPage:
    """A PDF page rasterised for OCR, with the page facts its content needs.

    Rendering needs the PDF library (and its lock); recognising the pixels does not, so a
    threaded worker renders under the lock and runs OCR outside it."""

    image: Image.Image
    width: float
    height: float
    rotation: Rotation
    page_number: int


def render_pdf_page_for_ocr(
    page: pymupdf.Page, settings: OcrSettings = OcrSettings()
) -> RenderedPage:
    """Every MuPDF call OCR of a page needs: the pixels and the page's size and rotation.

    A page without area (a damaged MediaBox) fails alone as `page_error`."""
    rect = page.rect
    if not (rect.width >= 1 and rect.height >= 1):
        raise PdfError(
            ErrorCategory.PAGE_ERROR,
            f"page {page.number + 1} has no area ({rect.width:g} x {rect.height:g} pt)",
        )
    image = render_page_for_ocr(page, settings)
    if image.width < 1 or image.height < 1:  # e.g. a MediaBox of 14,400,000 x 1 pt
        raise PdfError(
            ErrorCategory.PAGE_ERROR,
            f"page {page.number + 1} ({rect.width:g} x {rect.height:g} pt) renders to no pixels",
        )
    return RenderedPage(
        image=image,
        width=rect.width,
        height=rect.height,
        rotation=page_rotation(page.rotation),
        page_number=page.number + 1,
    )


def rendered_page_content(
    engine: OcrEngine, rendered: RenderedPage, settings: OcrSettings = OcrSettings()
) -> PageContent:
    """OCR a rendered PDF page into `PageContent` with boxes in points of the displayed page."""
    ocr = recognise_upright(engine, rendered.image, settings)
    size = PageSize(
        width=round(rendered.width, 2),
        height=round(rendered.height, 2),
        rotation=rendered.rotation,
        unit="pt",
    )
    scale = (rendered.width / rendered.image.width, rendered.height / rendered.image.height)
    return build_page_content(ocr, size, rendered.page_number, scale)


def pdf_page_content(
    engine: OcrEngine, page: pymupdf.Page, settings: OcrSettings = OcrSettings()
) -> PageContent:
    """OCR a PDF page into `PageContent` with boxes in PDF points of the displayed page."""
    return rendered_page_content(engine, render_pdf_page_for_ocr(page, settings), settings)


def build_page_content(
    ocr: OcrPage, size: PageSize, page_number: int, scale: tuple[float, float] = (1.0, 1.0)
) -> PageContent:
    """Blocks in reading order, with boxes mapped back to the source and scaled to its unit."""
    blocks = [
        Block(
            index=index,
            kind=BlockKind.PARAGRAPH,
            text=block.text,
            bbox=_to_source(block.bbox, ocr, scale),
            confidence=block.confidence,
        )
        for index, block in enumerate(layout_blocks(ocr.lines))
    ]
    return PageContent(
        data=PageContentData.from_blocks(blocks, size, ENGINE_NAME),
        provenance=Provenance(
            page_number=page_number, bbox=(0.0, 0.0, size.width, size.height), unit=size.unit
        ),
    )


def to_source_point(x: float, y: float, ocr: OcrPage) -> Point:
    """Map a point of the upright image back to the source image it was turned from."""
    if ocr.rotation == 90:
        return ocr.height - y, x
    if ocr.rotation == 180:
        return ocr.width - x, ocr.height - y
    if ocr.rotation == 270:
        return y, ocr.width - x
    return x, y


def _to_source(bbox: BBox, ocr: OcrPage, scale: tuple[float, float]) -> BBox:
    a = to_source_point(bbox[0], bbox[1], ocr)
    b = to_source_point(bbox[2], bbox[3], ocr)
    sx, sy = scale
    return (
        round(min(a[0], b[0]) * sx, 2),
        round(min(a[1], b[1]) * sy, 2),
        round(max(a[0], b[0]) * sx, 2),
        round(max(a[1], b[1]) * sy, 2),
    )
