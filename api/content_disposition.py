"""A Content-Disposition header that carries any filename safely (RFC 6266 / RFC 8187)."""

from urllib.parse import quote

UNSAFE_IN_QUOTED = frozenset('"\\/')


def attachment(filename: str | None, fallback: str) -> str:
    """`attachment` with an ASCII `filename` (anything else replaced by `_`) and, when that
    differs from the original, the exact name percent-encoded as UTF-8 in `filename*`."""
    name = filename or fallback
    plain = "".join(
        "_" if not " " <= char <= "~" or char in UNSAFE_IN_QUOTED else char for char in name
    )
    header = f'attachment; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header
