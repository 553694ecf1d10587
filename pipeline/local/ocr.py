"""Embedded CPU OCR: RapidOCR (PP-OCR ONNX models bundled in its wheel) to `PageContent`.

Models: the wheel ships `PP-OCRv6_det_small.onnx`, `PP-OCRv6_rec_small.onnx` and
`ch_ppocr_mobile_v2.0_cls_mobile.onnx` in `rapidocr/models/`. The engine is built with explicit
`model_path`s to those files, so RapidOCR's download step (which runs when `model_path` is
unset and the file is missing or fails its checksum) is never reached.

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

import os
import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from math import atan2, cos, dist, sin
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pymupdf
from PIL import Image

from pipeline.sources.images import to_rgb
from schemas.extractions import BBox, PageContent, PageContentData, PageSize, Provenance, TextBlock

if TYPE_CHECKING:
    from rapidocr import RapidOCR

ENGINE_NAME = "rapidocr"
DETECTOR_MIN_SIDE = 736
ENGINE_MAX_SIDE = 4096
MODEL_FILES = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}
Point = tuple[float, float]
Quad = tuple[Point, Point, Point, Point]
Rotation = Literal[0, 90, 180, 270]
_TRANSPOSE_TO_UPRIGHT = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}
_TALL_RATIO = 1.5  # RapidOCR turns crops at least this much taller than wide by 90 degrees
_FLIP_MARGIN = 0.05
_SAMPLE_MAX_RATIO = 16
_GUTTER_CROSSINGS = 0.25
_MAX_COLUMN_DEPTH = 4
_MIN_GUTTER = 0.35
_MIN_COLUMN_LINES = 3
_MIN_COLUMN_CHARS = 8
_ROW_OVERLAP = 0.5
_BLOCK_GAP = 0.6
_MIN_SKEW_RADIANS = 0.003


@dataclass(frozen=True)
class OcrSettings:
    """OCR knobs; `threads` is onnxruntime's intra-op thread count (None: all cores)."""

    dpi: float = 150.0
    max_side: int = 2000
    min_score: float = 0.5
    threads: int | None = None
    detect_rotation: bool = True
    confident_score: float = 0.93
    rotation_samples: int = 6


@dataclass(frozen=True)
class OcrLine:
    """One recognised text line: text, corner points (clockwise from top-left), confidence."""

    text: str
    quad: Quad
    confidence: float

    @property
    def bbox(self) -> BBox:
        xs = [p[0] for p in self.quad]
        ys = [p[1] for p in self.quad]
        return (min(xs), min(ys), max(xs), max(ys))


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


@dataclass(frozen=True)
class OcrBlock:
    """Lines read as one block; `rows` are lines side by side on one baseline."""

    rows: tuple[tuple[OcrLine, ...], ...]
    bbox: BBox
    confidence: float

    @property
    def text(self) -> str:
        return "\n".join(" ".join(line.text for line in row) for row in self.rows)


# --- engine ---------------------------------------------------------------------------------

_engines: dict[tuple[int, int | None], "RapidOCR"] = {}
_engine_lock = threading.Lock()


def bundled_model_paths() -> dict[str, Path]:
    """Paths of the ONNX models shipped inside the rapidocr wheel."""
    import rapidocr

    models = Path(rapidocr.__file__).parent / "models"
    return {stage: models / name for stage, name in MODEL_FILES.items()}


def get_engine(threads: int | None = None) -> "RapidOCR":
    """The process's RapidOCR instance, built on first use (again after a fork)."""
    key = (os.getpid(), threads)
    with _engine_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = build_engine(threads)
            _engines.clear()
            _engines[key] = engine
        return engine


def build_engine(threads: int | None = None) -> "RapidOCR":
    """A new RapidOCR on the bundled models (prefer the cached `get_engine`)."""
    from rapidocr import RapidOCR

    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.max_side_len": ENGINE_MAX_SIDE,
        "Global.use_cls": False,
        "Rec.rec_batch_num": 1,
        "EngineConfig.onnxruntime.intra_op_num_threads": threads or -1,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1 if threads else -1,
    }
    for stage, path in bundled_model_paths().items():
        if not path.is_file():
            raise FileNotFoundError(f"RapidOCR's bundled model is missing: {path}")
        params[f"{stage}.model_path"] = str(path)
    return RapidOCR(params=params)


def _run(image: Image.Image, settings: OcrSettings, *, detect: bool) -> Any:
    engine = get_engine(settings.threads)
    with _engine_lock:  # RapidOCR stores call flags on the instance
        return engine(
            image,
            use_det=detect,
            use_cls=False,
            use_rec=True,
            text_score=settings.min_score,
        )


# --- recognition ----------------------------------------------------------------------------


def ocr_image(image: Image.Image, settings: OcrSettings = OcrSettings()) -> list[OcrLine]:
    """Detect and recognise text lines as the image stands (no orientation correction).

    Images larger than `settings.max_side` are shrunk first; boxes are in the input's pixels.
    """
    if settings.max_side > ENGINE_MAX_SIDE:
        raise ValueError(f"max_side must be at most {ENGINE_MAX_SIDE}")
    rgb = image if image.mode == "RGB" else to_rgb(image)
    scale = min(1.0, settings.max_side / max(rgb.size))
    if scale < 1.0:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    result = _run(rgb, settings, detect=True)
    boxes, texts, scores = result.boxes, result.txts, result.scores
    if boxes is None or texts is None:
        return []
    lines = []
    for box, text, score in zip(boxes, texts, scores, strict=True):
        points = [(float(x) / scale, float(y) / scale) for x, y in box]
        if text.strip():
            lines.append(OcrLine(text.strip(), _as_quad(points), round(float(score), 4)))
    return lines


def recognise_upright(image: Image.Image, settings: OcrSettings = OcrSettings()) -> OcrPage:
    """OCR an image whose text may be turned by 0/90/180/270 degrees.

    The first pass costs nothing extra on upright pages; a turned page is OCRed a second time
    after a lossless transpose.
    """
    rgb = image if image.mode == "RGB" else to_rgb(image)
    lines = ocr_image(rgb, settings)
    rotation = detect_rotation(rgb, lines, settings) if settings.detect_rotation else 0
    if rotation:
        rgb = rgb.transpose(_TRANSPOSE_TO_UPRIGHT[rotation])
        lines = ocr_image(rgb, settings)
    return OcrPage(tuple(lines), rgb.width, rgb.height, rotation)


def detect_rotation(
    image: Image.Image, lines: Sequence[OcrLine], settings: OcrSettings = OcrSettings()
) -> Rotation:
    """Clockwise rotation of the text, from a first OCR pass of the image as it stands.

    Line boxes taller than wide (weighted by characters) mean 90 or 270. RapidOCR reads tall
    crops turned a quarter counter-clockwise, which is right for 90 and upside down for 270;
    upside-down reading is found by re-reading a few long lines turned by 180 degrees, and
    only when the first pass was not already confident (upright clean pages skip it).
    """
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
        as_read = _mean_score(crops, settings)
        turned = _mean_score([c.transpose(Image.Transpose.ROTATE_180) for c in crops], settings)
        flipped = turned > as_read + _FLIP_MARGIN
    if is_tall:
        return 270 if flipped else 90
    return 180 if flipped else 0


def _mean_score(crops: Sequence[Image.Image], settings: OcrSettings) -> float:
    scores = []
    for crop in crops:
        result = _run(crop, settings, detect=False)
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


# --- reading order --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    """A line with its box in deskewed layout coordinates."""

    line: OcrLine
    x0: float
    y0: float
    x1: float
    y1: float


def layout_blocks(lines: Sequence[OcrLine]) -> list[OcrBlock]:
    """Group upright lines into blocks in reading order; columns are read one after another."""
    placed = _deskewed(lines)
    if not placed:
        return []
    line_height = statistics.median(p.y1 - p.y0 for p in placed)
    blocks: list[OcrBlock] = []
    for section in _column_sections(placed, line_height):
        blocks.extend(_blocks_of_column(section, line_height))
    return blocks


def _deskewed(lines: Sequence[OcrLine]) -> list[_Placed]:
    angles = [
        atan2(q[1][1] - q[0][1], q[1][0] - q[0][0])
        for q in (line.quad for line in lines)
        if dist(q[0], q[1]) > 2 * dist(q[0], q[3])
    ]
    angle = statistics.median(angles) if angles else 0.0
    if abs(angle) < _MIN_SKEW_RADIANS:
        angle = 0.0
    c, s = cos(-angle), sin(-angle)
    placed = []
    for line in lines:
        xs = [x * c - y * s for x, y in line.quad]
        ys = [x * s + y * c for x, y in line.quad]
        placed.append(_Placed(line, min(xs), min(ys), max(xs), max(ys)))
    return placed


def _column_sections(
    items: list[_Placed], line_height: float, depth: int = 0
) -> list[list[_Placed]]:
    """Split into single-column runs in reading order; lines crossing a gutter separate runs."""
    gutter = _find_gutter(items, line_height) if depth < _MAX_COLUMN_DEPTH else None
    if gutter is None:
        return [items]
    low, high = gutter
    sections: list[list[_Placed]] = []
    left: list[_Placed] = []
    right: list[_Placed] = []
    spanning: list[_Placed] = []

    def flush_columns() -> None:
        for side in (left, right):
            if side:
                sections.extend(_column_sections(list(side), line_height, depth + 1))
                side.clear()

    for item in sorted(items, key=lambda p: p.y0):
        if item.x0 < low and item.x1 > high:
            flush_columns()
            spanning.append(item)
            continue
        if spanning:
            sections.append(list(spanning))
            spanning.clear()
        (left if item.x0 + item.x1 < low + high else right).append(item)
    flush_columns()
    if spanning:
        sections.append(spanning)
    return sections


def _find_gutter(items: list[_Placed], line_height: float) -> tuple[float, float] | None:
    """The widest vertical strip that few lines cross, between two columns of prose lines.

    A strip may be crossed by a title or a footer line (up to a quarter of the lines): those
    lines are read in place, between the column runs above and below them.
    """
    start = min(p.x0 for p in items)
    step = max(line_height / 8, 1.0)
    coverage = np.zeros(int((max(p.x1 for p in items) - start) / step) + 2, dtype=np.int32)
    for p in items:
        coverage[int((p.x0 - start) / step) : int((p.x1 - start) / step) + 1] += 1
    sparse = coverage <= max(2, int(_GUTTER_CROSSINGS * len(items)))
    gaps: list[tuple[float, float]] = []
    run_start: int | None = None
    for index, is_sparse in enumerate(sparse.tolist()):
        if is_sparse and run_start is None:
            run_start = index
        elif not is_sparse and run_start is not None:
            if run_start > 0 and (index - run_start) * step >= _MIN_GUTTER * line_height:
                gaps.append((start + run_start * step, start + index * step))
            run_start = None
    for low, high in sorted(gaps, key=lambda g: g[0] - g[1]):
        inside = [p for p in items if not (p.x0 < low and p.x1 > high)]
        left = [p for p in inside if p.x0 + p.x1 < low + high]
        right = [p for p in inside if p.x0 + p.x1 >= low + high]
        if _is_column(left) and _is_column(right) and _side_by_side(left, right):
            return low, high
    return None


def _is_column(items: list[_Placed]) -> bool:
    return (
        len(items) >= _MIN_COLUMN_LINES
        and statistics.median(len(p.line.text) for p in items) >= _MIN_COLUMN_CHARS
    )


def _side_by_side(left: list[_Placed], right: list[_Placed]) -> bool:
    top = max(min(p.y0 for p in left), min(p.y0 for p in right))
    bottom = min(max(p.y1 for p in left), max(p.y1 for p in right))
    shorter = min(max(p.y1 for p in side) - min(p.y0 for p in side) for side in (left, right))
    return bottom - top >= 0.5 * shorter


def _blocks_of_column(items: list[_Placed], line_height: float) -> list[OcrBlock]:
    blocks: list[OcrBlock] = []
    current: list[list[_Placed]] = []
    for row in _rows(items):
        if current and not _continues(current[-1], row, line_height):
            blocks.append(_make_block(current))
            current = []
        current.append(row)
    if current:
        blocks.append(_make_block(current))
    return blocks


def _rows(items: list[_Placed]) -> list[list[_Placed]]:
    rows: list[list[_Placed]] = []
    for item in sorted(items, key=lambda p: (p.y0 + p.y1) / 2):
        if rows:
            row = rows[-1]
            top, bottom = min(p.y0 for p in row), max(p.y1 for p in row)
            overlap = min(bottom, item.y1) - max(top, item.y0)
            if overlap >= _ROW_OVERLAP * min(bottom - top, item.y1 - item.y0):
                row.append(item)
                continue
        rows.append([item])
    return [sorted(row, key=lambda p: p.x0) for row in rows]


def _continues(previous: list[_Placed], row: list[_Placed], line_height: float) -> bool:
    gap = min(p.y0 for p in row) - max(p.y1 for p in previous)
    overlap = min(max(p.x1 for p in row), max(p.x1 for p in previous)) - max(
        min(p.x0 for p in row), min(p.x0 for p in previous)
    )
    return gap <= _BLOCK_GAP * line_height and overlap > 0


def _make_block(rows: list[list[_Placed]]) -> OcrBlock:
    lines = [p.line for row in rows for p in row]
    boxes = [line.bbox for line in lines]
    weights = [max(len(line.text), 1) for line in lines]
    confidence = sum(line.confidence * w for line, w in zip(lines, weights, strict=True))
    return OcrBlock(
        rows=tuple(tuple(p.line for p in row) for row in rows),
        bbox=(
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        ),
        confidence=round(min(1.0, confidence / sum(weights)), 4),
    )


# --- page content ---------------------------------------------------------------------------


def image_page_content(
    image: Image.Image, *, page_number: int = 1, settings: OcrSettings = OcrSettings()
) -> PageContent:
    """OCR a document image into `PageContent` with boxes in the image's pixels."""
    page = recognise_upright(image, settings)
    size = PageSize(width=image.width, height=image.height, unit="px")
    return build_page_content(page, size, page_number, scale=(1.0, 1.0))


def pdf_page_content(page: pymupdf.Page, settings: OcrSettings = OcrSettings()) -> PageContent:
    """OCR a PDF page into `PageContent` with boxes in PDF points of the displayed page."""
    image = render_page_for_ocr(page, settings)
    ocr = recognise_upright(image, settings)
    rect = page.rect
    size = PageSize(
        width=round(rect.width, 2),
        height=round(rect.height, 2),
        rotation=_page_rotation(page.rotation),
        unit="pt",
    )
    scale = (rect.width / image.width, rect.height / image.height)
    return build_page_content(ocr, size, page.number + 1, scale)


def build_page_content(
    ocr: OcrPage, size: PageSize, page_number: int, scale: tuple[float, float] = (1.0, 1.0)
) -> PageContent:
    """Blocks in reading order, with boxes mapped back to the source and scaled to its unit."""
    blocks = [
        TextBlock(
            index=index,
            text=block.text,
            bbox=_to_source(block.bbox, ocr, scale),
            confidence=block.confidence,
        )
        for index, block in enumerate(layout_blocks(ocr.lines))
    ]
    return PageContent(
        data=PageContentData(
            text="\n\n".join(block.text for block in blocks),
            blocks=blocks,
            tables=[],
            page=size,
            engine=ENGINE_NAME,
        ),
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


def _page_rotation(value: int) -> Rotation:
    rotation = value % 360
    if rotation == 90:
        return 90
    if rotation == 180:
        return 180
    if rotation == 270:
        return 270
    return 0
