"""The Markdown reader: markdown-it-py tokens into the same blocks as HTML."""

from pathlib import Path

from pipeline.formats.markdown import MarkdownReader, markdown_blocks
from pipeline.sources.sniff import sniff_file
from schemas.blocks import BlockKind
from schemas.enums import ChunkKind, MediaType

_NOTE = """# Field notes

Intro with [a link](https://example.org), `code` and **bold**.

## Plan

1. dig
   - north bed
   - south bed

     a second paragraph
2. plant

![A sketch of the beds](http://127.0.0.1:9/sketch.png)

| crop | rows |
|------|-----:|
| kale | 4 |
| leek | 2 |

> Water in the morning.

```python
def water():
    return "now"
```

<div><script>steal()</script><p>Raw <b>HTML</b> block</p></div>
"""


def test_structure_of_a_note(tmp_path: Path) -> None:
    path = tmp_path / "note"
    path.write_text(_NOTE)
    assert sniff_file(path) is MediaType.MARKDOWN
    reader = MarkdownReader()
    [chunk] = reader.chunks(path, MediaType.MARKDOWN)
    assert (chunk.kind, chunk.page_number) == (ChunkKind.SECTION, 1)
    data = reader.read(path, chunk)
    assert [(b.kind, b.text, b.level, b.marker, b.depth) for b in data.blocks] == [
        (BlockKind.TITLE, "Field notes", 1, None, 0),
        (BlockKind.PARAGRAPH, "Intro with a link, code and bold.", None, None, 0),
        (BlockKind.SECTION_HEADER, "Plan", 2, None, 0),
        (BlockKind.LIST_ITEM, "dig", None, "1.", 0),
        (BlockKind.LIST_ITEM, "north bed", None, "-", 1),
        (BlockKind.LIST_ITEM, "south bed\na second paragraph", None, "-", 1),
        (BlockKind.LIST_ITEM, "plant", None, "2.", 0),
        (BlockKind.FIGURE, "A sketch of the beds", None, None, 0),
        (BlockKind.TABLE, "", None, None, 0),
        (BlockKind.PARAGRAPH, "Water in the morning.", None, None, 0),
        (BlockKind.PARAGRAPH, 'def water():\n    return "now"', None, None, 0),
        (BlockKind.PARAGRAPH, "Raw HTML block", None, None, 0),
    ]
    table = data.blocks[8].table
    assert table is not None
    assert (table.header_rows, table.rows()) == (
        1,
        [["crop", "rows"], ["kale", "4"], ["leek", "2"]],
    )
    assert data.markdown == (
        "# Field notes\n\nIntro with a link, code and bold.\n\n## Plan\n\n"
        "1. dig\n   - north bed\n   - south bed\n     a second paragraph\n2. plant\n\n"
        "A sketch of the beds\n\n| crop | rows |\n| --- | --- |\n| kale | 4 |\n| leek | 2 |\n\n"
        'Water in the morning.\n\ndef water():\n    return "now"\n\nRaw HTML block'
    )
    assert data.engine == "markdown"


def test_setext_headings_and_empty_items() -> None:
    blocks = markdown_blocks("Title\n=====\n\nSub\n---\n\n-\n- b\n")
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        (BlockKind.TITLE, "Title", 1),
        (BlockKind.SECTION_HEADER, "Sub", 2),
        (BlockKind.LIST_ITEM, "", None),
        (BlockKind.LIST_ITEM, "b", None),
    ]
