"""Least disclosure: internals (addresses, exception class names) only to admin keys.

Error and waiting messages are written for operators; a non-admin caller gets them with
internal URLs, host:port pairs and exception class names replaced by placeholders.
"""

import re
from typing import Any

INTERNAL_ADDRESS = "<internal address>"
INTERNAL_ERROR = "<internal error>"

_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>),;]*[^\s'\"<>),;:.]", re.IGNORECASE)
_HOST_PORT = re.compile(
    r"\b(?:\d{1,3}(?:\.\d{1,3}){3}|[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*):\d{2,5}\b", re.IGNORECASE
)
_EXCEPTION_CLASS = re.compile(
    r"\b(?:[a-z_][a-z0-9_]*\.)*[A-Z][A-Za-z0-9]*(?:Error|Exception|Timeout|Failure)\b"
)


def public_text(text: str) -> str:
    """`text` without internal addresses or exception class names."""
    text = _URL.sub(INTERNAL_ADDRESS, text)
    text = _HOST_PORT.sub(INTERNAL_ADDRESS, text)
    return _EXCEPTION_CLASS.sub(INTERNAL_ERROR, text)


def public_json(value: Any) -> Any:
    """A JSON value with every string passed through `public_text`."""
    if isinstance(value, str):
        return public_text(value)
    if isinstance(value, list):
        return [public_json(item) for item in value]
    if isinstance(value, dict):
        return {key: public_json(item) for key, item in value.items()}
    return value


def message_for(text: str | None, reveal_internals: bool) -> str | None:
    """An operator's message as this caller may see it."""
    if text is None or reveal_internals:
        return text
    return public_text(text)
