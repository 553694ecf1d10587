"""The HTML reader: structure from markup, sanitised text, nothing fetched."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from pipeline.errors import PipelineError
from pipeline.formats.content import SECTION_BLOCKS
from pipeline.formats.html import HtmlReader, html_blocks
from pipeline.formats.registry import reader_for
from pipeline.sources.sniff import sniff_file
from schemas.blocks import BlockKind
from schemas.enums import ChunkKind, ErrorCategory, MediaType

_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Ignored title</title>
<script>document.write("SCRIPT TEXT")</script><style>p { color: red }</style></head>
<body>
<h1>Annual <em>report</em></h1>
<p>First paragraph with <a href="https://example.org">a link</a> and<br>a line break.</p>
<h2>Items</h2>
<ol start="3"><li>third<ul><li>nested <b>one</b></li><li><p>nested two</p></li></ul></li>
<li>fourth</li></ol>
<h3>Table</h3>
<table><caption>Sales by region</caption>
<thead><tr><th rowspan="2">Region</th><th colspan="2">Year</th></tr>
<tr><th>2025</th><th>2026</th></tr></thead>
<tbody><tr><td>North</td><td>10</td><td>12</td></tr>
<tr><td colspan="3">All regions: 22</td></tr></tbody></table>
<pre>def f():
    return 1</pre>
<blockquote><p>Quoted words.</p></blockquote>
<figure><img src="chart.png" alt="A bar chart"><figcaption>Figure 1: sales</figcaption></figure>
<aside role="doc-footnote">1. A footnote.</aside>
<noscript>Enable scripts</noscript><template><p>hidden</p></template>
<iframe src="https://example.org/frame"></iframe>
</body></html>
"""

_TABLE_HTML = (
    '<table><thead><tr><th rowspan="2">Region</th><th colspan="2">Year</th></tr>'
    "<tr><th>2025</th><th>2026</th></tr></thead><tbody><tr><td>North</td><td>10</td>"
    '<td>12</td></tr><tr><td colspan="3">All regions: 22</td></tr></tbody></table>'
)
_MARKDOWN = f"""# Annual report

First paragraph with a link and
a line break.

## Items

3. third
   - nested one
   - nested two
4. fourth

### Table

Sales by region

{_TABLE_HTML}

def f():
    return 1

Quoted words.

A bar chart

Figure 1: sales"""


def test_structure_of_a_page(tmp_path: Path) -> None:
    path = tmp_path / "page"
    path.write_text(_PAGE, encoding="utf-8")
    assert sniff_file(path) is MediaType.HTML
    reader = reader_for(MediaType.HTML)
    chunks = list(reader.chunks(path, MediaType.HTML))
    assert [(c.kind, c.seq, c.page_number, c.row_start) for c in chunks] == [
        (ChunkKind.SECTION, 0, 1, None)
    ]
    data = reader.read(path, chunks[0])
    kinds = [(b.kind, b.text, b.level, b.marker, b.depth) for b in data.blocks]
    assert kinds == [
        (BlockKind.TITLE, "Annual report", 1, None, 0),
        (BlockKind.PARAGRAPH, "First paragraph with a link and\na line break.", None, None, 0),
        (BlockKind.SECTION_HEADER, "Items", 2, None, 0),
        (BlockKind.LIST_ITEM, "third", None, "3.", 0),
        (BlockKind.LIST_ITEM, "nested one", None, "-", 1),
        (BlockKind.LIST_ITEM, "nested two", None, "-", 1),
        (BlockKind.LIST_ITEM, "fourth", None, "4.", 0),
        (BlockKind.SECTION_HEADER, "Table", 3, None, 0),
        (BlockKind.CAPTION, "Sales by region", None, None, 0),
        (BlockKind.TABLE, "", None, None, 0),
        (BlockKind.PARAGRAPH, "def f():\n    return 1", None, None, 0),
        (BlockKind.PARAGRAPH, "Quoted words.", None, None, 0),
        (BlockKind.FIGURE, "A bar chart", None, None, 0),
        (BlockKind.CAPTION, "Figure 1: sales", None, None, 0),
        (BlockKind.FOOTNOTE, "1. A footnote.", None, None, 0),
    ]
    assert data.markdown == _MARKDOWN
    assert "SCRIPT" not in data.text and "hidden" not in data.text
    assert "Enable scripts" not in data.text and "color" not in data.text
    assert data.engine == "html"
    assert {b.bbox for b in data.blocks} == {(0.0, 0.0, 0.0, 0.0)}


def test_table_spans_form_a_partition() -> None:
    page = (
        "<table><tr><th>A</th><th>B</th><th>C</th></tr>"
        "<tr><td rowspan=2>a</td><td colspan=2>bc</td></tr>"
        "<tr><td>y</td></tr>"
        "<tr><td colspan=5>wide</td><td rowspan=0>to end</td></tr>"
        "<tr><td>last</td></tr></table>"
    )
    [table] = html_blocks(page.encode())
    assert table.table is not None
    grid = table.table
    assert (grid.n_rows, grid.n_cols, grid.header_rows) == (5, 6, 1)
    covered: dict[tuple[int, int], int] = {}
    for cell in grid.cells:
        for row in range(cell.row, cell.row + cell.row_span):
            for col in range(cell.col, cell.col + cell.col_span):
                covered[(row, col)] = covered.get((row, col), 0) + 1
    assert covered == {(r, c): 1 for r in range(5) for c in range(6)}
    anchors = {(c.row, c.col): (c.text, c.row_span, c.col_span) for c in grid.cells if c.text}
    assert anchors == {
        (0, 0): ("A", 1, 1),
        (0, 1): ("B", 1, 1),
        (0, 2): ("C", 1, 1),
        (1, 0): ("a", 2, 1),
        (1, 1): ("bc", 1, 2),
        (2, 1): ("y", 1, 1),
        (3, 0): ("wide", 1, 5),
        (3, 5): ("to end", 2, 1),
        (4, 0): ("last", 1, 1),
    }


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ('<meta charset="iso-8859-1"><p>Caf\xe9</p>'.encode("latin-1"), "Café"),
        (
            '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">'
            "<p>Привет</p>".encode("cp1251"),
            "Привет",
        ),
        ("<!doctype html><p>Grüße</p>".encode("utf-16"), "Grüße"),
        (
            b'<?xml version="1.0" encoding="utf-8"?><html><body><p>x&amp;y</p></body></html>',
            "x&y",
        ),
        (b"<p>&lt;b&gt;not bold&lt;/b&gt;</p>", "<b>not bold</b>"),
    ],
)
def test_charsets_and_entities(data: bytes, expected: str) -> None:
    [paragraph] = html_blocks(data)
    assert paragraph.text == expected


def test_escaped_markup_stays_text_in_markdown(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(b"<html><body><p>&lt;script&gt;alert(1)&lt;/script&gt;</p></body></html>")
    reader = HtmlReader()
    [chunk] = reader.chunks(path, MediaType.HTML)
    assert reader.read(path, chunk).markdown == "\\<script>alert(1)\\</script>"


class _Counter(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Counter.requests.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        del format, args


@pytest.fixture
def local_server() -> Iterator[str]:
    _Counter.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_nothing_is_fetched(local_server: str, tmp_path: Path) -> None:
    page = f"""<!DOCTYPE html><html><head>
<link rel="stylesheet" href="{local_server}/style.css">
<script src="{local_server}/app.js"></script>
<base href="{local_server}/">
</head><body style="background: url({local_server}/bg.png)">
<p>Visible</p><img src="{local_server}/photo.jpg" alt="Photo" srcset="{local_server}/2x.jpg 2x">
<iframe src="{local_server}/frame.html"></iframe><object data="{local_server}/o.swf"></object>
<video src="{local_server}/v.mp4" poster="{local_server}/p.png"></video>
</body></html>"""
    path = tmp_path / "remote.html"
    path.write_text(page)
    reader = HtmlReader()
    [chunk] = reader.chunks(path, MediaType.HTML)
    data = reader.read(path, chunk)
    assert [(b.kind, b.text) for b in data.blocks] == [
        (BlockKind.PARAGRAPH, "Visible"),
        (BlockKind.FIGURE, "Photo"),
    ]
    assert _Counter.requests == []


def test_large_documents_are_cut_into_block_ranges(tmp_path: Path) -> None:
    count = SECTION_BLOCKS * 2 + 5
    path = tmp_path / "long.html"
    path.write_text(
        "<html><body>" + "".join(f"<p>p{i}</p>" for i in range(count)) + "</body></html>"
    )
    reader = HtmlReader()
    chunks = list(reader.chunks(path, MediaType.HTML))
    assert [(c.page_number, c.row_start, c.row_end) for c in chunks] == [
        (1, 0, SECTION_BLOCKS),
        (2, SECTION_BLOCKS, SECTION_BLOCKS * 2),
        (3, SECTION_BLOCKS * 2, count),
    ]
    last = reader.read(path, chunks[2])
    assert [b.text for b in last.blocks] == [f"p{i}" for i in range(SECTION_BLOCKS * 2, count)]


def test_deep_nesting_and_empty_documents() -> None:
    deep = "<div>" * 250 + "deep text" + "</div>" * 250 + "<p>after</p>"
    assert [b.text for b in html_blocks(deep.encode())] == ["deep text", "after"]
    with pytest.raises(PipelineError) as refused:
        html_blocks(("<div>" * 5000 + "lost" + "</div>" * 5000).encode())
    assert refused.value.category is ErrorCategory.TOO_LARGE
    assert html_blocks(b"") == []
    assert html_blocks(b"   \n ") == []
