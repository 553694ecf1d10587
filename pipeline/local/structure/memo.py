"""Per-document facts kept on the open document itself (it lives in the process's PDF cache):
the font statistics, the header/footer bands of pages already read, and the lines of sample
pages until their own read takes them.

Every value is a function of the file alone (a fixed sample of pages, one page's bands), so
a page's result does not depend on which pages this process read before it."""

import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["DocumentMemo", "document_memo"]

T = TypeVar("T")

_ATTRIBUTE = "_greenhouse_structure_memo"
_CREATE_LOCK = threading.Lock()


class DocumentMemo:
    """Computed-once values of one open document, by key."""

    def __init__(self) -> None:
        self._values: dict[object, Any] = {}
        self._lock = threading.RLock()

    def get(self, key: object, compute: Callable[[], T]) -> T:
        """The value for `key`, computed on first use."""
        with self._lock:
            if key not in self._values:
                self._values[key] = compute()
            value: T = self._values[key]
            return value

    def take(self, key: object) -> Any:
        """Remove and return the value for `key` (None without one)."""
        with self._lock:
            return self._values.pop(key, None)

    def put(self, key: object, value: object) -> None:
        """Store a value computed elsewhere (the same function of the file)."""
        with self._lock:
            self._values.setdefault(key, value)


def document_memo(document: object) -> DocumentMemo:
    """The memo attached to an open document (created on first use)."""
    with _CREATE_LOCK:
        memo = getattr(document, _ATTRIBUTE, None)
        if not isinstance(memo, DocumentMemo):
            memo = DocumentMemo()
            setattr(document, _ATTRIBUTE, memo)
        return memo
