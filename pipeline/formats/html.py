"""HTML and XHTML: decoded (BOM, `<meta charset>`, detection), parsed by lxml.html, and turned
into blocks by `html_blocks`.

lxml's HTML parser (libxml2) is used rather than the standard library's `html.parser`: it
builds the tree browsers would (implied `<p>`/`<li>` ends, misnested tags), in C, about ten
times faster; it is set to fetch nothing (`no_network`), drop comments and processing
instructions and refuse huge trees (a document nested deeper than libxml2's 256 levels is
`too_large`, since the parser would drop everything after that point). Its exceptions become
`corrupt_file` here, the one boundary of lxml.html. A document is one section, cut every
`SECTION_BLOCKS` blocks (`row_start`/`row_end` hold the block range).
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from lxml import etree, html

from pipeline.errors import SourceError
from pipeline.formats.content import page_content, section_chunks, section_slice
from pipeline.formats.html_blocks import blocks_of_tree
from pipeline.formats.text_files import read_upload
from pipeline.sources.text_decoding import decode_text, normalise_codec
from schemas.blocks import Block
from schemas.chunks import ChunkDescriptor
from schemas.enums import ErrorCategory, MediaType
from schemas.extractions import PageContentData

__all__ = ["HtmlReader", "declared_charset", "html_blocks", "html_fragment_blocks"]

_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]{1,40})""", re.IGNORECASE
)
_XML_DECLARATION: Final = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROLS: Final = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


class HtmlReader:
    """HTML and XHTML pages."""

    name = "html"
    media_types = frozenset({MediaType.HTML})

    def chunks(self, path: Path, media_type: MediaType) -> Iterator[ChunkDescriptor]:
        del media_type
        yield from section_chunks(len(html_blocks(read_upload(path))))

    def read(self, path: Path, chunk: ChunkDescriptor) -> PageContentData:
        blocks = html_blocks(read_upload(path))
        return page_content(section_slice(blocks, chunk), self.name)


def html_blocks(data: bytes, declared: str | None = None) -> list[Block]:
    """The blocks of an HTML document's bytes; `declared` is a charset its container names
    (an e-mail part's), used when the page declares none."""
    charset = declared_charset(data) or declared
    text = decode_text(data, declared=charset).text
    return html_fragment_blocks(text)


def html_fragment_blocks(text: str) -> list[Block]:
    """The blocks of a decoded HTML document or fragment."""
    text = _CONTROLS.sub("", _XML_DECLARATION.sub("", text, count=1))
    if not text.strip():
        return []
    return blocks_of_tree(_parse(text))


def declared_charset(data: bytes) -> str | None:
    """The charset a `<meta>` in the first 4 KiB declares, when Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    return normalise_codec(match.group(1).decode("ascii"))


def _parse(text: str) -> html.HtmlElement:
    parser = html.HTMLParser(
        remove_comments=True,
        remove_pis=True,
        no_network=True,
        huge_tree=False,
        default_doctype=False,
    )
    try:
        root = html.document_fromstring(text, parser=parser)
    except etree.ParserError:
        return html.fragment_fromstring("<div></div>")
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise SourceError(ErrorCategory.CORRUPT_FILE, f"the HTML cannot be parsed: {exc}") from exc
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT":
            # libxml2 stops at 256 levels of nesting and drops the rest: refused, not cut.
            raise SourceError(ErrorCategory.TOO_LARGE, f"the HTML is too deep: {entry.message}")
    return root
