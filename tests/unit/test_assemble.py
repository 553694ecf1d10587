from typing import Any

from pipeline.assemble.document import (
    PAGE_SEPARATOR,
    JobSnapshot,
    assemble_document,
    assemble_pages,
)
from schemas.blocks import Block, BlockKind
from schemas.extractions import PageContentData, PageSize
from schemas.results import (
    DocumentPagesData,
    FailedSpan,
    TranscriptResultData,
    VideoTimelineResultData,
)
from schemas.timeline import TimelineFrame

BOX = (0.0, 0.0, 100.0, 20.0)


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


def _page_content(*blocks: Block) -> dict[str, Any]:
    data = PageContentData.from_blocks(blocks, PageSize(width=100, height=100), "test-engine")
    return data.model_dump(mode="json")


def _block(kind: BlockKind, text: str, **fields: Any) -> Block:
    return Block.model_validate({"index": 0, "kind": kind, "text": text, "bbox": BOX, **fields})


def _snapshot(
    seq: int,
    kind: str,
    *,
    data: dict[str, Any] | None = None,
    start: float | None = None,
    failed: str | None = None,
) -> JobSnapshot:
    return JobSnapshot(
        seq=seq,
        state="failed" if failed else "succeeded",
        kind=kind,
        start_seconds=start,
        page_number=seq + 1 if kind in ("pdf_page", "image") else None,
        extraction_id=None if failed else f"x{seq}",
        extraction_kind=None,
        data=data,
        error_category=failed,
        error_message="worker said 10.0.0.5:9000 refused" if failed else None,
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


def test_pages_carry_their_blocks_and_markdown_and_the_document_its_markdown() -> None:
    first = _page_content(
        _block(BlockKind.PAGE_HEADER, "Greenhouse report"),
        _block(BlockKind.TITLE, "Harvest plan", level=1),
        _block(BlockKind.LIST_ITEM, "Kale", marker="•"),
        _block(BlockKind.LIST_ITEM, "Chard", marker="•"),
    )
    third = _page_content(_block(BlockKind.PARAGRAPH, "The end."))
    jobs = [
        _snapshot(0, "pdf_page", data=first),
        _snapshot(1, "pdf_page", failed="page_error"),
        _snapshot(2, "pdf_page", data=third),
    ]
    data = DocumentPagesData.model_validate(assemble_document("application/pdf", jobs).data)

    assert data.markdown == (
        "<!-- page 1 -->\n\n# Harvest plan\n\n- Kale\n- Chard\n\n"
        "<!-- page 2 -->\n\n> **Page 2: no content** (failed: page_error)\n\n"
        "<!-- page 3 -->\n\nThe end."
    )
    assert data.pages[0].markdown == "# Harvest plan\n\n- Kale\n- Chard"
    assert data.pages[0].blocks is not None
    assert [block.kind for block in data.pages[0].blocks] == [
        BlockKind.PAGE_HEADER,
        BlockKind.TITLE,
        BlockKind.LIST_ITEM,
        BlockKind.LIST_ITEM,
    ]
    assert data.pages[0].blocks[0].furniture is True
    assert data.pages[1].blocks is None and data.pages[1].markdown is None
    assert data.text == PAGE_SEPARATOR.join(["Harvest plan\n\n• Kale\n\n• Chard", "", "The end."])


def test_a_transcript_result_has_timestamped_markdown_and_its_failed_segments() -> None:
    def speech(start: float, end: float, text: str) -> dict[str, Any]:
        segment = {"start": start, "end": end, "text": text}
        return {"text": text, "segments": [segment], "language": "en", "engine": "moonshine"}

    jobs = [
        _snapshot(
            0, "speech_segment", data=speech(0.0, 5.5, "and so my fellow Americans"), start=0
        ),
        _snapshot(1, "speech_segment", start=30.0, failed="asr_error"),
        _snapshot(2, "speech_segment", data=speech(61.0, 64.0, "ask not"), start=60.0),
    ]
    result = assemble_document("audio/ogg", jobs)
    data = TranscriptResultData.model_validate(result.data)

    assert result.kind == "transcript"
    assert data.markdown == (
        "**[00:00:00]** and so my fellow Americans\n\n"
        "> **[00:00:30]** speech not transcribed (failed: asr_error)\n\n"
        "**[00:01:01]** ask not"
    )
    assert data.failed_segments == [
        FailedSpan(
            seq=1, start=30.0, category="asr_error", message="worker said 10.0.0.5:9000 refused"
        )
    ]
    assert data.text == "and so my fellow Americans ask not"


def test_a_video_timeline_keeps_frame_blocks_and_has_markdown() -> None:
    slide = _page_content(_block(BlockKind.TITLE, "Irrigation schedule", level=1))
    speech = {
        "text": "ask not",
        "segments": [{"start": 2.0, "end": 3.0, "text": "ask not"}],
        "language": "en",
        "engine": "moonshine",
    }
    jobs = [
        _snapshot(0, "video_frame", data=slide, start=4.0),
        _snapshot(1, "video_frame", start=8.0, failed="ocr_error"),
        _snapshot(2, "speech_segment", data=speech, start=0.0),
    ]
    result = assemble_document("video/mp4", jobs)
    data = VideoTimelineResultData.model_validate(result.data)

    assert result.kind == "video_timeline"
    assert data.markdown == (
        "**[00:00:02]** ask not\n\n"
        "## [00:00:04] Keyframe\n\n# Irrigation schedule\n\n"
        "> **[00:00:08]** keyframe not read (failed: ocr_error)"
    )
    frame = data.items[1]
    assert isinstance(frame, TimelineFrame)
    assert frame.markdown == "# Irrigation schedule"
    assert [block.kind for block in frame.blocks] == [BlockKind.TITLE]
    assert [span.seq for span in data.failed_frames] == [1]
    assert data.failed_segments == []
