"""Reading an office document by its structure or as rendered pages: a pure function of the
media type, the requested tier and whether LibreOffice is installed.

| request          | paginated office format, LibreOffice | without LibreOffice | EPUB, other |
|------------------|--------------------------------------|---------------------|-------------|
| `tier=moe`       | pages of the PDF LibreOffice makes   | structure + note    | structure + note |
| anything else    | structure                            | structure           | structure   |

Paginated formats are the word-processing, presentation and spreadsheet ones (they have a page
layout LibreOffice prints); EPUB, web, text and e-mail files flow and are never rendered. The
note says why a `tier=moe` request is read by structure on the local tier.
"""

from dataclasses import dataclass

from schemas.enums import MediaType, Tier
from schemas.media import OFFICE_MEDIA

__all__ = ["PAGINATED_MEDIA", "OfficeReading", "choose_office_reading"]

PAGINATED_MEDIA = frozenset(
    {
        MediaType.DOCX,
        MediaType.DOC,
        MediaType.ODT,
        MediaType.RTF,
        MediaType.PPTX,
        MediaType.PPT,
        MediaType.ODP,
        MediaType.XLSX,
        MediaType.XLS,
        MediaType.ODS,
    }
)
"""Office formats LibreOffice converts to PDF pages for the MoE tier."""

NO_LIBREOFFICE_NOTE = "LibreOffice is not installed: read by structure on the local tier"


@dataclass(frozen=True)
class OfficeReading:
    """`rendered`: the document becomes the pages of its PDF conversion; `note`: why a request
    for the MoE tier is read by structure instead (None when nothing was asked otherwise)."""

    rendered: bool
    note: str | None = None


def choose_office_reading(
    media_type: MediaType, requested_tier: str | None, soffice_installed: bool
) -> OfficeReading:
    """How a document of `media_type` is read for a request of `requested_tier`."""
    if requested_tier != Tier.MOE.value or media_type not in OFFICE_MEDIA:
        return OfficeReading(rendered=False)
    if media_type not in PAGINATED_MEDIA:
        return OfficeReading(
            rendered=False,
            note=f"{media_type.name} files are not rendered to pages: read by structure on"
            " the local tier",
        )
    if not soffice_installed:
        return OfficeReading(rendered=False, note=NO_LIBREOFFICE_NOTE)
    return OfficeReading(rendered=True)
