"""What a DOCX paragraph is, from its properties and its style chain: heading level, list
numbering, and the list marker the numbering definitions print.

Headings: a style named `Title` is the title (level 1); `Heading N` is a section header one
level below it, N + 1 (6 at most), so `Heading 1` nests under the title as Word's outline
does; otherwise an outline level (`w:outlineLvl` 0-8, in the paragraph or its style chain)
counts like `Heading N` with N = level + 1. A numbered heading keeps its printed number
(`1.2 Scope`). Lists: `w:numPr` (in the paragraph or
its style chain) gives the numbering and the nesting level (`ilvl`, or N - 1 for Word's
`List Bullet N` / `List Number N` styles, which nest by style); the marker is `•` for
bullet levels, else the level's `lvlText` with the counters filled in (`%1.` → `2.`).
"""

from dataclasses import dataclass, field

from lxml import etree

from pipeline.formats.ooxml import q

__all__ = ["BULLET", "Numbering", "ParagraphStyle", "StyleSheet"]

BULLET = "\u2022"
"""The marker of every bulleted level, whatever glyph the document draws."""

_BODY_OUTLINE = 9
_MAX_STYLE_CHAIN = 20


@dataclass(frozen=True)
class ParagraphStyle:
    """A style's own settings (None: not set here, ask the parent)."""

    name: str
    based_on: str | None
    outline: int | None
    num_id: str | None
    ilvl: int | None


@dataclass
class StyleSheet:
    """Paragraph styles by id, and the default paragraph style."""

    styles: dict[str, ParagraphStyle] = field(default_factory=dict)
    default: str | None = None

    @classmethod
    def parse(cls, root: etree._Element | None) -> "StyleSheet":
        """The paragraph styles of `word/styles.xml` (None: the document has none)."""
        sheet = cls()
        if root is None:
            return sheet
        for style in root.iter(q("w:style")):
            if style.get(q("w:type")) != "paragraph":
                continue
            style_id = style.get(q("w:styleId")) or ""
            sheet.styles[style_id] = _paragraph_style(style)
            if style.get(q("w:default")) in ("1", "true"):
                sheet.default = style_id
        return sheet

    def chain(self, style_id: str | None) -> list[ParagraphStyle]:
        """The style and its ancestors, nearest first (cycles and long chains cut)."""
        found: list[ParagraphStyle] = []
        current = style_id or self.default
        while current and current in self.styles and len(found) < _MAX_STYLE_CHAIN:
            style = self.styles[current]
            if style in found:
                break
            found.append(style)
            current = style.based_on
        return found

    def heading(self, style_id: str | None, own_outline: int | None) -> tuple[bool, int] | None:
        """(is the title, level) for a heading paragraph, None for body text."""
        chain = self.chain(style_id)
        name = chain[0].name.strip().lower() if chain else ""
        if name == "title":
            return True, 1
        for style in chain:
            level = _heading_level(style.name)
            if level is not None:
                return False, min(level + 1, 6)
        outline = own_outline
        if outline is None:
            outline = next((s.outline for s in chain if s.outline is not None), None)
        if outline is not None and 0 <= outline < _BODY_OUTLINE:
            return False, min(outline + 2, 6)
        return None

    def numbering(
        self, style_id: str | None, own: tuple[str | None, int | None]
    ) -> tuple[str, int] | None:
        """(numId, ilvl) of a list paragraph; None when it is not numbered (numId 0)."""
        num_id, ilvl = own
        for style in self.chain(style_id):
            num_id = num_id if num_id is not None else style.num_id
            ilvl = ilvl if ilvl is not None else style.ilvl
        if num_id is None or num_id == "0":
            return None
        if not ilvl:
            ilvl = self._list_style_depth(style_id)
        return num_id, ilvl or 0

    def _list_style_depth(self, style_id: str | None) -> int:
        """Word's built-in `List Bullet 2`, `List Number 3`… nest by style, not by `ilvl`."""
        chain = self.chain(style_id)
        words = chain[0].name.strip().lower().split() if chain else []
        if len(words) == 3 and words[0] == "list" and words[2].isdigit():
            return max(int(words[2]) - 1, 0)
        return 0


def _heading_level(name: str) -> int | None:
    words = name.strip().lower().split()
    if len(words) == 2 and words[0] == "heading" and words[1].isdigit():
        return max(1, min(int(words[1]), 6))
    return None


def _paragraph_style(style: etree._Element) -> ParagraphStyle:
    name = style.find(q("w:name"))
    based = style.find(q("w:basedOn"))
    ppr = style.find(q("w:pPr"))
    num_id, ilvl = numbering_of(ppr)
    return ParagraphStyle(
        name=(name.get(q("w:val")) or "") if name is not None else "",
        based_on=based.get(q("w:val")) if based is not None else None,
        outline=outline_of(ppr),
        num_id=num_id,
        ilvl=ilvl,
    )


def outline_of(ppr: etree._Element | None) -> int | None:
    """`w:outlineLvl` of paragraph properties."""
    if ppr is None:
        return None
    element = ppr.find(q("w:outlineLvl"))
    return _int(element.get(q("w:val"))) if element is not None else None


def numbering_of(ppr: etree._Element | None) -> tuple[str | None, int | None]:
    """(numId, ilvl) of paragraph properties' `w:numPr`, each None when absent."""
    if ppr is None:
        return None, None
    num_pr = ppr.find(q("w:numPr"))
    if num_pr is None:
        return None, None
    num_id = num_pr.find(q("w:numId"))
    ilvl = num_pr.find(q("w:ilvl"))
    return (
        num_id.get(q("w:val")) if num_id is not None else None,
        _int(ilvl.get(q("w:val"))) if ilvl is not None else None,
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int


@dataclass
class Numbering:
    """`word/numbering.xml`: each list's level formats, and running counters."""

    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)
    counters: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def parse(cls, root: etree._Element | None) -> "Numbering":
        """The numbering definitions (None: the document has none)."""
        numbering = cls()
        if root is None:
            return numbering
        abstract: dict[str, dict[int, _Level]] = {}
        for definition in root.iter(q("w:abstractNum")):
            levels = {}
            for lvl in definition.iter(q("w:lvl")):
                index = _int(lvl.get(q("w:ilvl"))) or 0
                levels[index] = _Level(
                    fmt=_val(lvl, "w:numFmt") or "decimal",
                    text=_val(lvl, "w:lvlText") or "",
                    start=_int(_val(lvl, "w:start")) or 1,
                )
            abstract[definition.get(q("w:abstractNumId")) or ""] = levels
        for num in root.iter(q("w:num")):
            ref = _val(num, "w:abstractNumId")
            numbering.levels[num.get(q("w:numId")) or ""] = abstract.get(ref or "", {})
        return numbering

    def marker(self, num_id: str, ilvl: int) -> str:
        """The printed marker of the next item at (numId, ilvl), counting it."""
        levels = self.levels.get(num_id, {})
        level = levels.get(ilvl)
        if level is None or level.fmt == "bullet":
            return BULLET
        counters = self.counters.setdefault(num_id, [])
        while len(counters) <= ilvl:
            deeper = levels.get(len(counters))
            counters.append((deeper.start if deeper else 1) - 1)
        counters[ilvl] += 1
        for deeper_level in range(ilvl + 1, len(counters)):
            deeper = levels.get(deeper_level)
            counters[deeper_level] = (deeper.start if deeper else 1) - 1
        text = level.text or f"%{ilvl + 1}."
        for number in range(ilvl + 1, 0, -1):
            value = counters[number - 1] if number - 1 < len(counters) else 1
            fmt = levels[number - 1].fmt if number - 1 in levels else "decimal"
            text = text.replace(f"%{number}", _format_number(max(value, 1), fmt))
        return text.strip() or BULLET


def _val(element: etree._Element, name: str) -> str | None:
    child = element.find(q(name))
    return child.get(q("w:val")) if child is not None else None


def _format_number(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = ""
        while value > 0:
            value, rest = divmod(value - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(value)
        return roman if fmt == "upperRoman" else roman.lower()
    return str(value)


def _roman(value: int) -> str:
    numerals = (
        (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
        (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
    )  # fmt: skip
    out = ""
    for number, numeral in numerals:
        while value >= number:
            out += numeral
            value -= number
    return out
