"""The derived forms of a block list: body text, GitHub-flavoured Markdown and HTML.

Every tier produces typed blocks (`schemas.blocks`); these pure functions are the one place
their text forms are made, so a page's `text` and `markdown` and a document's Markdown, HTML
and text exports agree. `pages`, `media` and `results` render whole document results (pages,
transcripts, video timelines) for the API's `?format=` and `greenhouse show`.
"""
