from pipeline.assemble.document import PAGE_SEPARATOR, JobSnapshot, assemble_pages
from schemas.results import DocumentPagesData


def _job(seq: int, state: str, text: str | None = None) -> JobSnapshot:
    return JobSnapshot(
        seq=seq,
        state=state,
        kind="pdf_page",
        start_seconds=None,
        page_number=seq + 1,
        extraction_id=f"x{seq}" if text is not None else None,
        extraction_kind="page_content" if text is not None else None,
        data={"text": text} if text is not None else None,
        error_category="page_error" if state == "failed" else None,
        error_message="cannot read" if state == "failed" else None,
    )


def test_pages_are_assembled_in_order_with_failures_in_place() -> None:
    result = assemble_pages(
        [_job(2, "succeeded", "three"), _job(0, "succeeded", "one"), _job(1, "failed")]
    )
    data = DocumentPagesData.model_validate(result.data)
    assert result.kind == "document_pages"
    assert [page.page_number for page in data.pages] == [1, 2, 3]
    assert data.text == PAGE_SEPARATOR.join(["one", "", "three"])
    assert data.failed_pages == [2]
    assert data.pages[1].error == {"category": "page_error", "message": "cannot read"}
    assert data.pages[0].extraction_id == "x0"
    assert data.page_count == 3
