"""Document structure for the local tier's text-layer pages, one concern per module.

`lines` reads a page's text lines (`accents`, `spacing` and `cleanup` repair their text),
`relining` rebuilds an invisible OCR layer's lines, `drop_caps` and `paragraphs` form blocks,
`fonts` learns the document's body and heading sizes, `numbering` and `outline` refine
heading levels, `headings`, `lists`, `captions`, `footnotes` and `figures` type the blocks,
`furniture` finds running headers, footers and page numbers, `page` assembles a page, and
`document` with `memo` makes and keeps the per-document reads on the open document.
"""
