"""A complete HTML5 document around a rendered body: no scripts, no external resources."""

from html import escape

__all__ = ["CONTENT_SECURITY_POLICY", "html_document"]

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
"""Nothing loads and nothing runs: the page stays inert wherever it is opened."""


def html_document(title: str, body: str, language: str | None = None) -> str:
    """`body` inside `<main>` of a standalone page titled `title` (escaped)."""
    lang = f' lang="{escape(language)}"' if language else ""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f"<html{lang}>",
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            "</head>",
            "<body>",
            "<main>",
            body,
            "</main>",
            "</body>",
            "</html>",
        ]
    )
