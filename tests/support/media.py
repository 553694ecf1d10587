"""Audio and video with known content, generated for the end-to-end tests."""

import subprocess
from pathlib import Path

import pymupdf

from pipeline.sources.ffmpeg import locate_tools

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SPEECH_CLIP = FIXTURES / "speech_jfk.ogg"
# JFK, inaugural address (1961), public domain: the words spoken in the clip.
SPEECH_TEXT = (
    "and so my fellow americans ask not what your country can do for you "
    "ask what you can do for your country"
)
SPEECH_WORDS = SPEECH_TEXT.split()
SLIDE_SECONDS = 4


def make_slides_video(path: Path, slide_texts: list[str], with_speech: bool = True) -> Path:
    """A video showing each text on its own slide for SLIDE_SECONDS, with the speech clip."""
    folder = path.parent / f"{path.stem}-slides"
    folder.mkdir(exist_ok=True)
    for index, text in enumerate(slide_texts):
        document = pymupdf.open()
        page = document.new_page(width=640, height=360)
        page.draw_rect(page.rect, color=None, fill=(1, 1, 1))
        page.insert_text((40, 190), text, fontsize=30)
        page.get_pixmap().save(folder / f"slide{index}.png")
        document.close()
    command = [locate_tools().ffmpeg, "-y", "-loglevel", "error"]
    for index in range(len(slide_texts)):
        command += ["-loop", "1", "-t", str(SLIDE_SECONDS), "-i", str(folder / f"slide{index}.png")]
    if with_speech:
        command += ["-i", str(SPEECH_CLIP)]
    streams = "".join(f"[{index}:v]" for index in range(len(slide_texts)))
    command += [
        "-filter_complex",
        f"{streams}concat=n={len(slide_texts)}:v=1:a=0,format=yuv420p[v]",
    ]
    command += ["-map", "[v]", "-r", "5", "-c:v", "libx264"]
    if with_speech:
        command += ["-map", f"{len(slide_texts)}:a", "-c:a", "aac"]
    command.append(str(path))
    subprocess.run(command, check=True)
    return path
