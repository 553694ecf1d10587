"""LibreOffice's boundary: `soffice --headless --convert-to` in a sandbox of its own.

A conversion runs on a copy of the file in a private work directory, with its own user profile
(`-env:UserInstallation`: parallel conversions do not share, or lock, one profile), no restore,
lock check or first-start wizard, and a timeout (`CONVERT_TIMEOUT_SECONDS`, then `timeout`).
LibreOffice is optional: `soffice_installed` says whether it is on PATH.
"""

import shutil
import subprocess
from pathlib import Path

from pipeline.errors import SourceError
from schemas.enums import ErrorCategory

__all__ = ["CONVERT_TIMEOUT_SECONDS", "run_soffice", "soffice_command", "soffice_installed"]

CONVERT_TIMEOUT_SECONDS = 120


def soffice_command() -> str | None:
    """The LibreOffice executable on PATH (`soffice`, else `libreoffice`), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_installed() -> bool:
    """True when LibreOffice can be run."""
    return soffice_command() is not None


def run_soffice(path: Path, source_suffix: str, target: str, work: Path) -> Path:
    """`path` converted to `target` (`docx`, `pptx`, `pdf`) in `work`; `timeout` past the
    deadline, `unsupported_media` when LibreOffice is missing or cannot start, `corrupt_file`
    when it cannot convert the file."""
    soffice = soffice_command()
    if soffice is None:
        raise SourceError(ErrorCategory.UNSUPPORTED_MEDIA, "LibreOffice is not installed")
    source = work / f"input.{source_suffix}"
    shutil.copyfile(path, source)
    output = work / "out"
    output.mkdir()
    command = [
        soffice,
        f"-env:UserInstallation={(work / 'profile').as_uri()}",
        "--headless",
        "--invisible",
        "--norestore",
        "--nolockcheck",
        "--nodefault",
        "--nofirststartwizard",
        "--convert-to",
        target,
        "--outdir",
        str(output),
        str(source),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=CONVERT_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise SourceError(
            ErrorCategory.TIMEOUT,
            f"LibreOffice did not convert the file within {CONVERT_TIMEOUT_SECONDS} s",
        ) from exc
    except OSError as exc:
        raise SourceError(
            ErrorCategory.UNSUPPORTED_MEDIA, f"LibreOffice cannot be started: {exc}"
        ) from exc
    converted = output / f"input.{target}"
    if done.returncode != 0 or not converted.is_file():
        detail = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise SourceError(
            ErrorCategory.CORRUPT_FILE,
            f"LibreOffice could not convert the .{source_suffix} file to {target}"
            f" (exit {done.returncode}){': ' + detail if detail else ''}",
        )
    return converted
