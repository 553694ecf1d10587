"""Office documents end to end: `greenhouse ingest` (embedded) of a folder with a DOCX, a
PPTX and an XLSX; every document done, its result assembled from typed blocks."""

from pathlib import Path

from schemas.settings import Settings
from storage.database import make_engine, make_session_factory, transaction
from storage.results import get_document_result
from tests.support.cli import ingest_cli, reports_by_name
from tests.support.office_files import DOCX_PICTURE_TEXT, make_docx, make_pptx, make_xlsx


def test_a_folder_of_office_documents_is_ingested(
    sqlite_settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "office"
    folder.mkdir()
    make_docx(folder / "guide.docx")
    make_pptx(folder / "deck.pptx")
    make_xlsx(folder / "book.xlsx")
    result = ingest_cli(sqlite_settings, str(folder), "--json")
    assert result.returncode == 0, result.stderr
    reports = reports_by_name(result.stdout)
    assert {name: report["status"] for name, report in reports.items()} == {
        "guide.docx": "done",
        "deck.pptx": "done",
        "book.xlsx": "done",
    }
    assert reports["guide.docx"]["jobs"]["succeeded"] == 2  # the section and its picture
    assert reports["deck.pptx"]["jobs"]["succeeded"] == 4  # three slides and a picture
    assert reports["book.xlsx"]["jobs"]["succeeded"] == 2  # two visible sheets

    sessions = make_session_factory(make_engine(sqlite_settings.database_url))
    with transaction(sessions) as session:
        results = {
            name: get_document_result(session, report["id"]) for name, report in reports.items()
        }
    guide, deck, book = (results[name] for name in ("guide.docx", "deck.pptx", "book.xlsx"))
    assert guide is not None and deck is not None and book is not None
    section, picture = guide.data["pages"]
    assert section["kind"] == "section"
    assert [b["kind"] for b in section["blocks"]][:3] == ["page_header", "title", "section_header"]
    assert (picture["kind"], picture["part"], picture["text"]) == (
        "image",
        "word/media/image1.png",
        DOCX_PICTURE_TEXT,
    )
    assert guide.data["markdown"].startswith("# Growing guide\n\n## Seeds\n\n")
    assert guide.data["markdown"].endswith(
        f"The end.\n\n<!-- image word/media/image1.png -->\n\n{DOCX_PICTURE_TEXT}"
    )
    assert deck.data["markdown"].startswith(
        "<!-- slide 1 -->\n\n# Greenhouse review\n\nSeason 2026\n\n<!-- slide 2 -->\n\n## Findings"
    )
    assert [page["kind"] for page in deck.data["pages"]] == ["slide", "slide", "slide", "image"]
    assert book.data["markdown"].startswith("<!-- sheet 1: Harvest -->\n\n## Harvest\n\n<table>")
    assert (
        "<!-- sheet 2: Notes -->\n\n## Notes\n\n| Planted | 2026-03-01 |" in book.data["markdown"]
    )
