"""Which text format a file's head is: RTF, an e-mail, HTML, CSV/TSV, Markdown or plain text.

The rules, in order:

- RTF: `{\\rtf` at the start (after a UTF-8 BOM or whitespace).
- EML: the file opens with a run of RFC 822 header lines (`Name: value`, folded lines
  allowed; an mbox `From ` line first is skipped) holding at least two of From, To, Subject,
  Date, Message-ID, MIME-Version, Received; nothing else before the blank line.
- HTML/XHTML: after a BOM, whitespace, an XML declaration and comments, `<!DOCTYPE html`,
  `<html`, `<head` or `<body`.
- Then the head is decoded (`text_decoding`); bytes that are not text end here as UNKNOWN.
- Markdown: a score of distinct features over lines outside fences: ATX or setext headings,
  fences, list items, links/images, inline code/strong emphasis, block quotes, a pipe-table
  delimiter row. Two distinct features make Markdown; one is enough when it is a heading on the
  first line, a fence or a table delimiter row. (A shell script's `# comment` first line passes
  too; it then reads as a heading.)
- CSV/TSV: the first lines (up to 20; a cut last line dropped) split by `csv` into the same
  number of fields, at least two, with tab (TSV), comma or semicolon (CSV), tried in that
  order. Comma and semicolon also need short fields (an average under 40 characters) and no
  more than half of the lines ending a sentence, so prose with a comma per line stays text.
- Anything else that decodes is TEXT.
"""

import csv
import re
from typing import Final

from pipeline.sources.text_decoding import detect_encoding
from schemas.enums import MediaType

__all__ = ["looks_like_eml", "looks_like_rtf", "sniff_decoded_text", "sniff_text"]

_MAIL_HEADERS: Final = frozenset(
    {"from", "to", "subject", "date", "message-id", "mime-version", "received"}
)
_HEADER_LINE: Final = re.compile(rb"^([!-9;-~]+):(?:[ \t]|$)")
_LEADING_NOISE: Final = re.compile(r"^(?:\ufeff|\s+|<\?xml[^>]*\?>|<!--.*?-->)+", re.DOTALL)
_HTML_START: Final = re.compile(r"<(?:!doctype\s+html|html|head|body)(?=[\s>/])", re.IGNORECASE)
_CSV_LINES: Final = 20
_MAX_CSV_FIELD_AVERAGE: Final = 40
_SENTENCE_END: Final = re.compile(r"[.!?]['\")]?$")
_STRONG_FEATURES: Final = frozenset({"fence", "table"})
_FEATURES: Final = (
    ("heading", re.compile(r"^#{1,6}[ \t]+\S")),
    ("list", re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S")),
    ("link", re.compile(r"!?\[[^\]\n]+\]\([^)\n]*\)|^ {0,3}\[[^\]\n]+\]:[ \t]*\S")),
    ("inline", re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__|`[^`\n]+`")),
    ("quote", re.compile(r"^ {0,3}>[ \t]?\S")),
    ("table", re.compile(r"^ {0,3}\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$")),
)
_FENCE: Final = re.compile(r"^ {0,3}(?:```|~~~)")
_SETEXT: Final = re.compile(r"^ {0,3}(?:={3,}|-{3,})[ \t]*$")


def looks_like_rtf(head: bytes) -> bool:
    """An RTF file: `{\\rtf` first."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"{\\rtf")


def looks_like_eml(head: bytes) -> bool:
    """A message in RFC 822 form: header lines first, two or more of them well-known."""
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    if lines and lines[0].startswith(b"From "):
        lines = lines[1:]
    known: set[str] = set()
    headers = 0
    for raw in lines:
        line = raw.rstrip(b"\r")
        if not line:
            break
        if line[:1] in (b" ", b"\t"):
            if headers == 0:
                return False
            continue
        match = _HEADER_LINE.match(line)
        if match is None:
            return False
        headers += 1
        name = match.group(1).decode("ascii").lower()
        if name in _MAIL_HEADERS:
            known.add(name)
    return len(known) >= 2


def sniff_text(head: bytes, truncated: bool) -> MediaType:
    """HTML, Markdown, CSV, TSV or TEXT for a head that decodes as text, else UNKNOWN;
    `truncated` says the head is not the whole file (its last line may be cut)."""
    encoding = detect_encoding(head)
    if encoding is None:
        return MediaType.UNKNOWN
    text = head.decode(encoding, errors="replace")
    return sniff_decoded_text(text, truncated)


def sniff_decoded_text(text: str, truncated: bool = False) -> MediaType:
    """The text format of decoded text."""
    start = _LEADING_NOISE.sub("", text[:4096], count=1)
    if _HTML_START.match(start):
        return MediaType.HTML
    lines = text.splitlines()
    if truncated and len(lines) > 1:
        lines = lines[:-1]
    if _is_markdown(lines):
        return MediaType.MARKDOWN
    delimited = _delimited(lines)
    if delimited is not None:
        return delimited
    return MediaType.TEXT


def _is_markdown(lines: list[str]) -> bool:
    features: set[str] = set()
    first_heading = False
    previous = ""
    in_fence = False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            features.add("fence")
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if previous.strip() and _SETEXT.match(line) and not _FEATURES[1][1].match(previous):
            features.add("heading")
        for name, pattern in _FEATURES:
            if pattern.search(line):
                features.add(name)
                if name == "heading" and number == 0:
                    first_heading = True
        previous = line
    if len(features) >= 2:
        return True
    return first_heading or bool(features & _STRONG_FEATURES)


def _delimited(lines: list[str]) -> MediaType | None:
    rows = [line for line in lines[: _CSV_LINES * 2] if line.strip()][:_CSV_LINES]
    if len(rows) < 2:
        return None
    for delimiter, media in (("\t", MediaType.TSV), (",", MediaType.CSV), (";", MediaType.CSV)):
        fields = _consistent_fields(rows, delimiter)
        if fields is None:
            continue
        if delimiter == "\t" or _tabular(rows, fields):
            return media
    return None


def _consistent_fields(rows: list[str], delimiter: str) -> list[list[str]] | None:
    if not all(delimiter in row for row in rows):
        return None
    try:
        parsed = list(csv.reader(rows, delimiter=delimiter))
    except csv.Error:
        return None
    widths = {len(row) for row in parsed}
    if len(widths) != 1 or widths.pop() < 2:
        return None
    return parsed


def _tabular(rows: list[str], fields: list[list[str]]) -> bool:
    cells = [cell for row in fields for cell in row]
    average = sum(len(cell) for cell in cells) / len(cells)
    sentences = sum(1 for row in rows if _SENTENCE_END.search(row.rstrip()))
    return average < _MAX_CSV_FIELD_AVERAGE and sentences * 2 <= len(rows)
