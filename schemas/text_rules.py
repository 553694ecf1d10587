"""Which strings the boundary refuses: PostgreSQL cannot store NUL characters or text that is
not valid Unicode (a lone UTF-16 surrogate from a JSON `\\ud800` escape), so such strings are
refused where they enter (422) instead of failing in the database (500)."""


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (it holds a lone surrogate)"
    return None


def printable(value: str) -> str:
    """`value` safe to echo back in a UTF-8 response: lone surrogates become `\\udXXX`."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")
