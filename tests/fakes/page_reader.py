"""The fake's eyes: the text lines of the image a chat request carries, read by RapidOCR.

A schema answerer (`FakeVllmControl.schema_answerer`) built on this fills a schema from what
is printed in the image, as a model would, so provenance and grounding can be tested against
the page's text layer: the values come from the pixels, the grounding from the text layer.
"""

import base64
import io
import threading
from typing import Any

from PIL import Image

from pipeline.local.ocr_engine import OcrEngine

__all__ = ["image_of_request", "read_lines", "read_pieces"]

_ENGINE = OcrEngine(threads=1)
_LOCK = threading.Lock()


def image_of_request(body: Any) -> Image.Image | None:
    """The first image of a chat request, decoded (None when it has none)."""
    for message in body.get("messages", []) if isinstance(body, dict) else []:
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            url = (part.get("image_url") or {}).get("url", "") if isinstance(part, dict) else ""
            if url.startswith("data:") and "," in url:
                data = base64.b64decode(url.split(",", 1)[1])
                return Image.open(io.BytesIO(data)).convert("RGB")
    return None


def read_pieces(image: Image.Image) -> list[tuple[float, float, float, str]]:
    """The text pieces OCR detects, as (top, left, bottom, text), top to bottom."""
    with _LOCK:
        result = _ENGINE.run(image, detect=True, min_score=0.5)
    boxes = getattr(result, "boxes", None)
    texts = getattr(result, "txts", None)
    if boxes is None or texts is None:
        return []
    return sorted(
        (
            (min(p[1] for p in box), min(p[0] for p in box), max(p[1] for p in box), text)
            for box, text in zip(boxes, texts, strict=True)
        ),
        key=lambda piece: (piece[0], piece[1]),
    )


def read_lines(image: Image.Image) -> list[str]:
    """The image's text lines, top to bottom, left to right within a row (about half a line
    height apart counts as one row)."""
    pieces = read_pieces(image)
    rows: list[list[tuple[float, float, float, str]]] = []
    for piece in pieces:
        if rows and piece[0] < (rows[-1][0][0] + rows[-1][0][2]) / 2:
            rows[-1].append(piece)
        else:
            rows.append([piece])
    return [" ".join(text for *_, text in sorted(row, key=lambda p: p[1])) for row in rows]
