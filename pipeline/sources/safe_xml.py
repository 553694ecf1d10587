"""Parsing XML from uploads safely: lxml's boundary for the structured formats.

The parser resolves no entities (a billion-laughs bomb stays a handful of unexpanded
references), loads no DTD, touches no network and refuses huge trees. lxml raises
`XMLSyntaxError` (and `ValueError` for some encodings); both become `corrupt_file` naming
the part.
"""

from lxml import etree

from pipeline.errors import SourceError
from schemas.enums import ErrorCategory

__all__ = ["parse_xml", "safe_parser"]


def safe_parser() -> etree.XMLParser:
    """A fresh lxml parser with entity expansion, DTDs, network and huge trees off."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, part: str) -> etree._Element:
    """The root element of `data`, or `corrupt_file` saying which part is broken."""
    try:
        return etree.fromstring(data, parser=safe_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SourceError(
            ErrorCategory.CORRUPT_FILE, f"part {part} is not well-formed XML: {exc}"
        ) from exc
