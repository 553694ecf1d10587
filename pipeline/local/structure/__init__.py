"""Document structure for the local tier's text-layer pages, one concern per module.

`lines` reads a page's text lines (with `accents`, `spacing` and `cleanup` repairing their
text), `fonts` learns the document's body and heading sizes, `furniture` finds running
headers, footers and page numbers, `headings`, `lists` and `captions` type the blocks, and
`memo` keeps the per-document facts on the open document.
"""
