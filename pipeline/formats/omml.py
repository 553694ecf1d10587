# ruff: noqa: RUF001  (the symbol tables are of these very characters)
"""Office Math (OMML, `m:oMath`) as LaTeX: the structures Word's equation editor writes most.

Fractions, super- and subscripts, radicals, n-ary operators (sums, integrals, products with
their limits), delimiters, functions, accents, bars, lower/upper limits, equation arrays and
matrices; runs give their text with common symbols as LaTeX commands (`π` → `\\pi`). Anything
else gives its children's LaTeX in order, so no text is lost.
"""

from collections.abc import Callable

from lxml import etree

__all__ = ["MATH_NS", "omml_latex"]

MATH_NS = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_SYMBOLS = {
    "π": "\\pi ", "∞": "\\infty ", "×": "\\times ", "±": "\\pm ", "≤": "\\leq ", "≥": "\\geq ",
    "≠": "\\neq ", "≈": "\\approx ", "→": "\\to ", "·": "\\cdot ", "∂": "\\partial ",
    "α": "\\alpha ", "β": "\\beta ", "γ": "\\gamma ", "δ": "\\delta ", "ε": "\\epsilon ",
    "θ": "\\theta ", "λ": "\\lambda ", "μ": "\\mu ", "σ": "\\sigma ", "φ": "\\phi ",
    "ω": "\\omega ", "Δ": "\\Delta ", "Σ": "\\Sigma ", "Ω": "\\Omega ", "…": "\\ldots ",
}  # fmt: skip
_NARY = {"∑": "\\sum", "∫": "\\int", "∏": "\\prod", "∬": "\\iint", "∮": "\\oint", "⋃": "\\bigcup"}
_ACCENTS = {"̂": "\\hat", "̃": "\\tilde", "̄": "\\bar", "⃗": "\\vec", "̇": "\\dot"}
_FUNCTIONS = frozenset({"sin", "cos", "tan", "log", "ln", "exp", "lim", "max", "min", "det"})
_MAX_DEPTH = 64


def m(name: str) -> str:
    """Clark notation of an OMML element name."""
    return f"{{{MATH_NS}}}{name}"


def omml_latex(element: etree._Element) -> str:
    """The LaTeX of an `m:oMath` (or any OMML element)."""
    return " ".join(_latex(element, 0).split())


def _latex(element: etree._Element, depth: int) -> str:
    if depth > _MAX_DEPTH or not isinstance(element.tag, str):
        return ""
    handler = _HANDLERS.get(element.tag)
    if handler is not None:
        return handler(element, depth + 1)
    return _children(element, depth)


def _children(element: etree._Element | None, depth: int) -> str:
    if element is None:
        return ""
    return "".join(
        _latex(child, depth + 1) for child in element if not str(child.tag).endswith("Pr")
    )


def _part(element: etree._Element, name: str, depth: int) -> str:
    return _children(element.find(m(name)), depth)


def _property(element: etree._Element, name: str, default: str) -> str:
    for found in element.iter(m(name)):
        return str(found.get(m("val"), default))
    return default


def _run(element: etree._Element, depth: int) -> str:
    del depth
    text = "".join(t.text or "" for t in element.iter(m("t")))
    if text in _FUNCTIONS:
        return f"\\{text} "
    return "".join(_SYMBOLS.get(char, char) for char in text)


def _superscript(element: etree._Element, depth: int) -> str:
    return f"{_part(element, 'e', depth)}^{{{_part(element, 'sup', depth)}}}"


def _subscript(element: etree._Element, depth: int) -> str:
    return f"{_part(element, 'e', depth)}_{{{_part(element, 'sub', depth)}}}"


def _sub_superscript(element: etree._Element, depth: int) -> str:
    base = _part(element, "e", depth)
    return f"{base}_{{{_part(element, 'sub', depth)}}}^{{{_part(element, 'sup', depth)}}}"


def _fraction(element: etree._Element, depth: int) -> str:
    return f"\\frac{{{_part(element, 'num', depth)}}}{{{_part(element, 'den', depth)}}}"


def _radical(element: etree._Element, depth: int) -> str:
    degree = _part(element, "deg", depth)
    index = f"[{degree}]" if degree else ""
    return f"\\sqrt{index}{{{_part(element, 'e', depth)}}}"


def _nary(element: etree._Element, depth: int) -> str:
    operator = _property(element, "chr", "∫")
    command = _NARY.get(operator, operator)
    lower, upper = _part(element, "sub", depth), _part(element, "sup", depth)
    limits = (f"_{{{lower}}}" if lower else "") + (f"^{{{upper}}}" if upper else "")
    return f"{command}{limits} {_part(element, 'e', depth)}"


def _delimiter(element: etree._Element, depth: int) -> str:
    begin = _property(element, "begChr", "(") or "."
    end = _property(element, "endChr", ")") or "."
    separator = _property(element, "sepChr", "|")
    inner = separator.join(_children(e, depth) for e in element.findall(m("e")))
    return f"\\left{_fence(begin)}{inner}\\right{_fence(end)}"


def _fence(char: str) -> str:
    return {"{": "\\{", "}": "\\}", "⟨": "\\langle ", "⟩": "\\rangle ", "|": "|"}.get(char, char)


def _function(element: etree._Element, depth: int) -> str:
    return f"{_part(element, 'fName', depth)}{_part(element, 'e', depth)}"


def _accent(element: etree._Element, depth: int) -> str:
    command = _ACCENTS.get(_property(element, "chr", "̂"), "\\hat")
    return f"{command}{{{_part(element, 'e', depth)}}}"


def _bar(element: etree._Element, depth: int) -> str:
    return f"\\overline{{{_part(element, 'e', depth)}}}"


def _lower_limit(element: etree._Element, depth: int) -> str:
    return f"{_part(element, 'e', depth)}_{{{_part(element, 'lim', depth)}}}"


def _upper_limit(element: etree._Element, depth: int) -> str:
    return f"{_part(element, 'e', depth)}^{{{_part(element, 'lim', depth)}}}"


def _equation_array(element: etree._Element, depth: int) -> str:
    rows = [_children(e, depth) for e in element.findall(m("e"))]
    if len(rows) == 1:
        return rows[0]
    return "\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}"


def _matrix(element: etree._Element, depth: int) -> str:
    rows = [
        " & ".join(_children(e, depth) for e in row.findall(m("e")))
        for row in element.findall(m("mr"))
    ]
    return "\\begin{matrix}" + " \\\\ ".join(rows) + "\\end{matrix}"


_HANDLERS: dict[str, Callable[[etree._Element, int], str]] = {
    m("r"): _run,
    m("sSup"): _superscript,
    m("sSub"): _subscript,
    m("sSubSup"): _sub_superscript,
    m("f"): _fraction,
    m("rad"): _radical,
    m("nary"): _nary,
    m("d"): _delimiter,
    m("func"): _function,
    m("acc"): _accent,
    m("bar"): _bar,
    m("limLow"): _lower_limit,
    m("limUpp"): _upper_limit,
    m("eqArr"): _equation_array,
    m("m"): _matrix,
}
