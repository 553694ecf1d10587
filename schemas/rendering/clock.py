"""Timestamps as they appear in rendered transcripts and timelines: `[HH:MM:SS]`."""

__all__ = ["clock", "iso_duration"]

_SECONDS_PER_MINUTE = 60
_SECONDS_PER_HOUR = 3600


def clock(seconds: float) -> str:
    """Whole seconds as `HH:MM:SS` (fractions dropped, hours not wrapped)."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, _SECONDS_PER_HOUR)
    minutes, secs = divmod(rest, _SECONDS_PER_MINUTE)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """The offset as an ISO 8601 duration for `<time datetime=...>`, e.g. `PT83.5S`."""
    return f"PT{max(seconds, 0.0):g}S"
