"""Families of documents on both backends with the real task bodies: containers expanded into
member documents, the container finished by the last of its jobs and members, duplicates
linked once, bombs and hostile members refused, deletion and the reaper's sweep."""

import hashlib
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from schemas.enums import DocumentStatus, ErrorCategory
from schemas.settings import Settings
from storage.database import transaction
from storage.deletion import delete_documents
from storage.families import members_of, record_members, settle_member
from storage.intake import take_in
from storage.ledger import ExtractionRecord, claim_job, complete_job
from storage.models import Document, DocumentMember
from storage.results import get_document_result
from tests.integration.ledger_helpers import document_with_jobs
from tests.support.families import docx_bytes, eml_bytes, pdf_bytes, png_bytes, zip_bytes
from workers.context import CollectingEnqueuer, WorkerContext, build_context
from workers.embedded import EmbeddedExecutor
from workers.families import sweep_families


def _settings(engine: Engine, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "blob_root": str(tmp_path / "blobs"),
        "isolation": "off",
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def context(any_engine: Engine, tmp_path: Path) -> Iterator[WorkerContext]:
    built = build_context(_settings(any_engine, tmp_path), CollectingEnqueuer())
    yield built
    built.close()


def _ingest(context: WorkerContext, data: bytes, filename: str) -> str:
    intake = take_in(
        context.sessions,
        context.blobs,
        io.BytesIO(data),
        filename=filename,
        collection="c",
        options={},
    )
    if intake.created:
        assert isinstance(context.enqueuer, CollectingEnqueuer)
        context.enqueuer.enqueue_documents([intake.document.id])
    return intake.document.id


def _drain(context: WorkerContext) -> None:
    EmbeddedExecutor(context, processes=1).drain()


def _family(context: WorkerContext, document_id: str) -> dict[str, object]:
    """The document's status, error and, recursively, its members as
    (path, status, error category, family) tuples."""
    with transaction(context.sessions) as session:
        document = session.get(Document, document_id)
        assert document is not None
        rows = [
            (m.member_path, m.child_id, c.status if c else None, m.error_category)
            for m, c in members_of(session, document_id)
        ]
        shape: dict[str, object] = {
            "status": document.status,
            "error": document.error_category,
            "depth": document.depth,
        }
    shape["members"] = [
        (path, _family(context, child) if child else ("refused", category))
        for path, child, _, category in rows
    ]
    return shape


def _staging_left(context: WorkerContext) -> list[Path]:
    incoming = context.blobs.root / "incoming"
    return sorted(incoming.rglob("*")) if incoming.exists() else []


def _leaf(depth: int) -> dict[str, object]:
    return {"status": DocumentStatus.DONE, "error": None, "depth": depth, "members": []}


def test_mail_with_pdf_and_zip_becomes_a_family(context: WorkerContext, tmp_path: Path) -> None:
    inner = zip_bytes(
        {
            "scans/notes.pdf": pdf_bytes(tmp_path, 2),
            "scans/handbook.docx": docx_bytes(),
            "scans/photo.png": png_bytes(),
        }
    )
    mail = eml_bytes(
        [
            ("report.pdf", "application/pdf", pdf_bytes(tmp_path, 1, "r.pdf")),
            ("files.zip", "application/zip", inner),
        ]
    )
    mail_id = _ingest(context, mail, "mail.eml")
    _drain(context)
    assert _family(context, mail_id) == {
        "status": DocumentStatus.DONE,
        "error": None,
        "depth": 0,
        "members": [
            ("report.pdf", _leaf(1)),
            (
                "files.zip",
                {
                    "status": DocumentStatus.DONE,
                    "error": None,
                    "depth": 1,
                    "members": [
                        ("scans/notes.pdf", _leaf(2)),
                        ("scans/handbook.docx", _leaf(2)),  # a ZIP inside, but no container
                        ("scans/photo.png", _leaf(2)),
                    ],
                },
            ),
        ],
    }
    with transaction(context.sessions) as session:
        result = get_document_result(session, mail_id)
        assert result is not None
        members = result.data["members"]
        mail_row = session.get(Document, mail_id)
        assert mail_row is not None
        own_jobs = (mail_row.media_type, mail_row.jobs_total, mail_row.jobs_succeeded)
        media = session.scalars(
            select(Document.media_type).where(Document.depth > 0).order_by(Document.depth)
        ).all()
    assert [(m["position"], m["member_path"], m["status"]) for m in members] == [
        (0, "report.pdf", "done"),
        (1, "files.zip", "done"),
    ]
    assert own_jobs == ("message/rfc822", 1, 1)  # the headers and body: one section
    assert sorted(m or "" for m in media) == [
        "application/pdf",
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
        "image/png",
    ]
    assert _staging_left(context) == []


def test_duplicate_attachment_is_one_document_linked_twice(
    context: WorkerContext, tmp_path: Path
) -> None:
    pdf = pdf_bytes(tmp_path)
    standalone = _ingest(context, pdf, "same.pdf")
    _drain(context)
    mail = eml_bytes([("a.pdf", "application/pdf", pdf), ("copy-of-a.pdf", "application/pdf", pdf)])
    mail_id = _ingest(context, mail, "mail.eml")
    _drain(context)
    with transaction(context.sessions) as session:
        links = [(m.member_path, m.child_id, m.settled) for m, _ in members_of(session, mail_id)]
        documents = session.scalar(select(func.count()).select_from(Document))
        mail_row = session.get(Document, mail_id)
        assert mail_row is not None
        status, pending = mail_row.status, mail_row.children_pending
    assert links == [("a.pdf", standalone, True), ("copy-of-a.pdf", standalone, True)]
    assert documents == 2  # the upload and the e-mail: the attachments are the upload
    assert (status, pending) == (DocumentStatus.DONE, 0)


def test_zip_bomb_fails_the_container_and_keeps_nothing(
    context: WorkerContext, tmp_path: Path
) -> None:
    bomb = zip_bytes({"zeros.bin": b"\x00" * (30 * 1024 * 1024)})
    bomb_id = _ingest(context, bomb, "bomb.zip")
    _drain(context)
    with transaction(context.sessions) as session:
        document = session.get(Document, bomb_id)
        assert document is not None
        status, category, message = (
            document.status,
            document.error_category,
            document.error_message or "",
        )
        count = session.scalar(select(func.count()).select_from(Document))
    assert (status, category, count) == (DocumentStatus.FAILED, ErrorCategory.TOO_LARGE, 1)
    assert "compression ratio over 100:1" in message
    assert _staging_left(context) == []


def test_nesting_past_the_depth_limit_and_a_broken_member_make_parents_partial(
    any_engine: Engine, tmp_path: Path
) -> None:
    context = build_context(
        _settings(any_engine, tmp_path, container_max_depth=2), CollectingEnqueuer()
    )
    try:
        deepest = zip_bytes({"leaf.pdf": pdf_bytes(tmp_path)})
        middle = zip_bytes({"level2.zip": deepest, "broken.pdf": b"%PDF-1.7\nnot a pdf at all"})
        top = zip_bytes({"level1.zip": middle, "../evil.txt": b"escape"})
        top_id = _ingest(context, top, "top.zip")
        _drain(context)
        shape = _family(context, top_id)
        with transaction(context.sessions) as session:
            deep_message = session.scalars(
                select(Document.error_message).where(Document.filename == "level2.zip")
            ).one()
    finally:
        context.close()
    assert deep_message == (
        "a container inside 2 others is not expanded (GREENHOUSE_CONTAINER_MAX_DEPTH=2)"
    )
    too_deep = {"status": "failed", "error": "too_large", "depth": 2, "members": []}
    broken = {"status": "failed", "error": "corrupt_file", "depth": 2, "members": []}
    assert shape == {
        "status": "partial",
        "error": "partial_failure",
        "depth": 0,
        "members": [
            (
                "level1.zip",
                {
                    "status": "partial",
                    "error": "partial_failure",
                    "depth": 1,
                    "members": [("level2.zip", too_deep), ("broken.pdf", broken)],
                },
            ),
            ("../evil.txt", ("refused", "corrupt_file")),
        ],
    }


def test_deleting_a_container_deletes_the_members_only_it_holds(
    context: WorkerContext, tmp_path: Path
) -> None:
    shared_pdf = pdf_bytes(tmp_path, 1, "shared.pdf")
    own_pdf = pdf_bytes(tmp_path, 2, "own.pdf")
    standalone = _ingest(context, shared_pdf, "shared.pdf")
    archive = _ingest(context, zip_bytes({"shared.pdf": shared_pdf, "own.pdf": own_pdf}), "a.zip")
    _drain(context)
    with transaction(context.sessions) as session:
        own_id = next(m.child_id for m, _ in members_of(session, archive) if m.position == 1)
    assert own_id is not None
    report = delete_documents(context.sessions, context.blobs, [archive])
    assert sorted(report.documents) == sorted([archive, own_id])
    assert report.blobs_removed == 2
    with transaction(context.sessions) as session:
        left = session.scalars(select(Document.id)).all()
        links = session.scalar(select(func.count()).select_from(DocumentMember))
    assert (left, links) == ([standalone], 0)


def test_a_member_finished_but_never_settled_is_swept(
    context: WorkerContext, tmp_path: Path
) -> None:
    archive = _ingest(context, zip_bytes({"a.pdf": pdf_bytes(tmp_path)}), "a.zip")
    _drain(context)
    with transaction(context.sessions) as session:
        # As if the member's finaliser died before counting it on its container.
        session.execute(update(DocumentMember).values(settled=False))
        session.execute(
            update(Document)
            .where(Document.id == archive)
            .values(status=DocumentStatus.PROCESSING, children_pending=1, finished_at=None)
        )
    assert sweep_families(context) == 1
    with transaction(context.sessions) as session:
        document = session.get(Document, archive)
        assert document is not None
        assert (document.status, document.children_pending) == (DocumentStatus.DONE, 0)
        assert get_document_result(session, archive) is not None


def test_container_waits_for_a_linked_member_still_running(
    context: WorkerContext, tmp_path: Path
) -> None:
    """A member found in the collection before it finished is counted as pending; its end
    (its last job) finishes the container, once."""
    member_id, (job_id,) = document_with_jobs(context.sessions, context.blobs, 1)
    with transaction(context.sessions) as session:
        member = session.get(Document, member_id)
        assert member is not None
        member_sha = member.sha256
    archive = _ingest(context, b"placeholder archive bytes", "a.zip")
    _claim(context, archive)
    _record_linking(context, archive, member_id, member_sha)
    with transaction(context.sessions) as session:
        parent = session.get(Document, archive)
        assert parent is not None
        assert (parent.children_pending, parent.status) == (1, DocumentStatus.QUEUED)
    record = ExtractionRecord(kind="page_content", data={"text": "x"}, provenance={})
    with transaction(context.sessions) as session:
        claim_job(session, job_id, "w", 60)
        assert complete_job(session, job_id, "w", record).finished_document == member_id
    _mark_processing(context, archive)
    with transaction(context.sessions) as session:
        assert settle_member(session, member_id) == [archive]
    with transaction(context.sessions) as session:
        assert settle_member(session, member_id) == []  # counted once
        parent = session.get(Document, archive)
        assert parent is not None
        assert (parent.status, parent.children_pending) == (DocumentStatus.DONE, 0)


def _claim(context: WorkerContext, document_id: str) -> None:
    from storage.documents import claim_for_chunking

    with transaction(context.sessions) as session:
        assert claim_for_chunking(session, document_id, "owner", 60, max_attempts=3) == 1


def _record_linking(context: WorkerContext, archive: str, member_id: str, sha256: str) -> None:
    """Record one member of `archive` whose bytes are the existing `member_id`'s."""
    from storage.blobs import StagedBlob, StoredBlob
    from storage.families import MemberEntry

    with transaction(context.sessions) as session:
        member = session.get(Document, member_id)
        assert member is not None
        staged_file = context.blobs.root / "incoming" / "linked"
        staged_file.parent.mkdir(parents=True, exist_ok=True)
        staged_file.write_bytes(b"same bytes")
        entry = MemberEntry(
            "x.pdf", staged=StagedBlob(StoredBlob(sha256, member.size_bytes), staged_file)
        )
        record = record_members(session, context.blobs, archive, "owner", [entry])
        assert record.recorded and record.new_children == []


def _mark_processing(context: WorkerContext, archive: str) -> None:
    """The container's own chunks recorded: none (an archive), still waiting."""
    with transaction(context.sessions) as session:
        session.execute(
            update(Document)
            .where(Document.id == archive)
            .values(status=DocumentStatus.PROCESSING, lease_owner=None)
        )


def test_last_job_and_last_member_racing_finish_the_container_once(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """The container's last own job and its last member end in concurrent transactions: both
    update the container's row, so the later sees the other's count and finishes it."""
    context = build_context(_settings(postgres_engine, tmp_path), CollectingEnqueuer())
    try:
        member_id, _ = document_with_jobs(context.sessions, context.blobs, 1, b"%PDF- member")
        container_id, (own_job,) = document_with_jobs(
            context.sessions, context.blobs, 1, b"%PDF- container"
        )
        with transaction(context.sessions) as session:
            session.add(
                DocumentMember(
                    parent_id=container_id, position=0, child_id=member_id, member_path="m.pdf"
                )
            )
            session.execute(
                update(Document)
                .where(Document.id == container_id)
                .values(children_total=1, children_pending=1)
            )
            session.execute(
                update(Document)
                .where(Document.id == member_id)
                .values(status=DocumentStatus.DONE, jobs_pending=0)
            )
            claim_job(session, own_job, "w", 60)
        finished: list[object] = []
        record = ExtractionRecord(kind="page_content", data={"text": "x"}, provenance={})
        job_session = context.sessions()
        job_session.begin()
        transition = complete_job(job_session, own_job, "w", record)  # holds the row lock
        settler = threading.Thread(
            target=lambda: finished.append(_settle(context, member_id)), daemon=True
        )
        settler.start()
        settler.join(1.0)
        assert settler.is_alive()  # waiting for the job's transaction
        job_session.commit()
        job_session.close()
        settler.join(10)
        assert transition.finished_document is None  # a member was still pending then
        assert finished == [[container_id]]
        with transaction(context.sessions) as session:
            container = session.get(Document, container_id)
            assert container is not None
            assert (container.status, container.jobs_pending, container.children_pending) == (
                DocumentStatus.DONE,
                0,
                0,
            )
    finally:
        context.close()


def _settle(context: WorkerContext, member_id: str) -> list[str]:
    with transaction(context.sessions) as session:
        return settle_member(session, member_id)


def test_member_ending_while_its_container_is_recorded_is_counted_once(
    postgres_engine: Engine, tmp_path: Path
) -> None:
    """The container's recording transaction locks an existing, unfinished member; that
    member's last job waits for the commit, then its end finishes the container."""
    from storage.blobs import StagedBlob, StoredBlob
    from storage.documents import claim_for_chunking, record_chunks
    from storage.families import MemberEntry, lock_member_blobs, settle_recorded_container

    context = build_context(_settings(postgres_engine, tmp_path), CollectingEnqueuer())
    try:
        member_id, (job_id,) = document_with_jobs(context.sessions, context.blobs, 1)
        container_id = _ingest(context, b"a container's bytes", "c.zip")
        with transaction(context.sessions) as session:
            member = session.get(Document, member_id)
            assert member is not None
            entry_blob = StoredBlob(member.sha256, member.size_bytes)
            assert claim_for_chunking(session, container_id, "owner", 60, max_attempts=3) == 1
            claim_job(session, job_id, "w", 60)
        staged_file = context.blobs.root / "incoming" / "dup"
        staged_file.parent.mkdir(parents=True, exist_ok=True)
        staged_file.write_bytes(b"%PDF-")
        entries = [MemberEntry("m.pdf", staged=StagedBlob(entry_blob, staged_file))]
        recording = context.sessions()
        recording.begin()
        lock_member_blobs(recording, entries)
        record_members(recording, context.blobs, container_id, "owner", entries)
        outcome: list[list[str]] = []

        def finish_member() -> None:
            record = ExtractionRecord(kind="page_content", data={"text": "x"}, provenance={})
            with transaction(context.sessions) as session:
                complete_job(session, job_id, "w", record)
            outcome.append(_settle(context, member_id))

        finisher = threading.Thread(target=finish_member, daemon=True)
        finisher.start()
        finisher.join(1.0)
        assert finisher.is_alive()  # the member's row is locked by the recording
        record_chunks(recording, container_id, "owner", media_type="application/zip", plans=[])
        assert not settle_recorded_container(recording, container_id)  # the member is pending
        recording.commit()
        recording.close()
        finisher.join(10)
        assert outcome == [[container_id]]
        with transaction(context.sessions) as session:
            container = session.get(Document, container_id)
            assert container is not None
            assert (container.status, container.children_pending) == (DocumentStatus.DONE, 0)
    finally:
        context.close()


def test_a_failed_family_transaction_leaves_no_member_blob(
    context: WorkerContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workers.chunk_container as chunk_container

    member = pdf_bytes(tmp_path)
    archive = _ingest(context, zip_bytes({"a.pdf": member}), "a.zip")

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("database went away")

    monkeypatch.setattr(chunk_container, "record_chunks", broken)
    _drain(context)  # every attempt fails: the document ends failed, nothing of it stays
    digest = hashlib.sha256(member).hexdigest()
    with transaction(context.sessions) as session:
        count = session.scalar(select(func.count()).select_from(Document))
        document = session.get(Document, archive)
        assert document is not None
        state = (document.status, document.error_category, document.attempts)
    assert (count, state) == (1, (DocumentStatus.FAILED, ErrorCategory.INTERNAL, 3))
    assert not context.blobs.exists(digest)
    assert _staging_left(context) == []
    monkeypatch.undo()
    again = _ingest(context, zip_bytes({"b.pdf": member}), "b.zip")
    _drain(context)
    assert _family(context, again) == {
        "status": "done",
        "error": None,
        "depth": 0,
        "members": [("b.pdf", _leaf(1))],
    }
    assert context.blobs.exists(digest)


def test_nested_bombs_are_refused_one_level_down(context: WorkerContext) -> None:
    """A ZIP of ZIPs whose inner members are bombs: the outer ZIP is small and expands, each
    inner ZIP is refused as too_large before anything of it is extracted."""
    inner = zip_bytes({"zeros.bin": b"\x00" * (20 * 1024 * 1024)})
    outer = zip_bytes({f"layer/{i}.zip": inner + bytes([i]) for i in range(3)})
    outer_id = _ingest(context, outer, "nested.zip")
    _drain(context)
    shape = _family(context, outer_id)
    refused = {"status": "failed", "error": "too_large", "depth": 1, "members": []}
    assert shape == {
        "status": "partial",
        "error": "partial_failure",
        "depth": 0,
        "members": [(f"layer/{i}.zip", refused) for i in range(3)],
    }
    with transaction(context.sessions) as session:
        count = session.scalar(select(func.count()).select_from(Document))
    assert count == 4
    assert _staging_left(context) == []


def test_deleting_a_pending_member_lets_its_container_finish(
    context: WorkerContext, tmp_path: Path
) -> None:
    """A member deleted while its container waits for it counts as failed there; the reaper's
    sweep then finishes the container, which has nothing left pending."""
    archive = _ingest(context, zip_bytes({"a.pdf": pdf_bytes(tmp_path)}), "a.zip")
    assert isinstance(context.enqueuer, CollectingEnqueuer)
    from workers.chunk_document import chunk_document

    context.enqueuer.documents.clear()
    chunk_document(context, archive, "owner")  # the member is created, not yet chunked
    with transaction(context.sessions) as session:
        (member_id,) = [m.child_id for m, _ in members_of(session, archive)]
    assert member_id is not None
    delete_documents(context.sessions, context.blobs, [member_id])
    assert sweep_families(context) == 1
    assert _family(context, archive) == {
        "status": "partial",
        "error": "partial_failure",
        "depth": 0,
        "members": [],
    }


def test_members_staged_by_a_killed_worker_are_removed_with_the_leftovers(
    context: WorkerContext,
) -> None:
    staging = context.blobs.root / "incoming" / "members-of-a-dead-worker"
    staging.mkdir(parents=True)
    (staging / "member-000001").write_bytes(b"orphan")
    assert context.blobs.remove_leftovers(older_than_seconds=-1) == 1
    assert not staging.exists()


def test_outlook_message_attachments_become_members(context: WorkerContext, tmp_path: Path) -> None:
    from tests.support.compound_files import build_msg

    message = build_msg(
        subject="Files",
        sender="alice@example.org",
        to="bob@example.org",
        cc="",
        date="Mon, 30 Nov 2026 08:00:00 +0000",
        body="Two files attached.",
        html=None,
        attachments=[
            ("report.pdf", "application/pdf", pdf_bytes(tmp_path)),
            ("files.zip", "application/zip", zip_bytes({"in/a.pdf": pdf_bytes(tmp_path, 2)})),
        ],
    )
    message_id = _ingest(context, message, "mail.msg")
    _drain(context)
    assert _family(context, message_id) == {
        "status": "done",
        "error": None,
        "depth": 0,
        "members": [
            ("report.pdf", _leaf(1)),
            (
                "files.zip",
                {
                    "status": "done",
                    "error": None,
                    "depth": 1,
                    "members": [("in/a.pdf", _leaf(2))],
                },
            ),
        ],
    }
    with transaction(context.sessions) as session:
        document = session.get(Document, message_id)
        assert document is not None
        assert (document.media_type, document.jobs_total) == ("application/vnd.ms-outlook", 1)


def test_the_member_limit_bounds_a_whole_family(any_engine: Engine, tmp_path: Path) -> None:
    """Nested containers share their upload's allowance: with 5 members in all, the first inner
    ZIP takes the two left after the outer's three, the next ones are refused."""
    context = build_context(
        _settings(any_engine, tmp_path, container_max_members=5), CollectingEnqueuer()
    )
    try:
        inner = [
            zip_bytes(
                {
                    f"{i}a.pdf": pdf_bytes(tmp_path, 1 + i, f"{i}a.pdf"),
                    f"{i}b.pdf": pdf_bytes(tmp_path, 4 + i, f"{i}b.pdf"),
                }
            )
            for i in range(3)
        ]
        top_id = _ingest(context, zip_bytes({f"z{i}.zip": inner[i] for i in range(3)}), "t.zip")
        _drain(context)
        shape = _family(context, top_id)
        with transaction(context.sessions) as session:
            refused = session.scalars(
                select(Document.error_message).where(Document.filename == "z1.zip")
            ).one()
    finally:
        context.close()
    too_many = {"status": "failed", "error": "too_large", "depth": 1, "members": []}
    assert shape == {
        "status": "partial",
        "error": "partial_failure",
        "depth": 0,
        "members": [
            (
                "z0.zip",
                {
                    "status": "done",
                    "error": None,
                    "depth": 1,
                    "members": [("0a.pdf", _leaf(2)), ("0b.pdf", _leaf(2))],
                },
            ),
            ("z1.zip", too_many),
            ("z2.zip", too_many),
        ],
    }
    assert refused is not None and refused.startswith("the container, with 5 members (")
    assert refused.endswith(
        "of its family already, holds more than 0 members (GREENHOUSE_CONTAINER_MAX_MEMBERS)"
    )


def test_a_member_that_is_its_own_container_is_refused(context: WorkerContext) -> None:
    """A ZIP quine: a member whose bytes are the container's own resolves to the container;
    it is a refused member, never a link that would wait on itself."""
    from storage.blobs import StagedBlob, StoredBlob
    from storage.documents import claim_for_chunking
    from storage.families import MemberEntry, lock_member_blobs

    archive = _ingest(context, b"PK a quine's bytes", "quine.zip")
    with transaction(context.sessions) as session:
        document = session.get(Document, archive)
        assert document is not None
        blob = StoredBlob(document.sha256, document.size_bytes)
        assert claim_for_chunking(session, archive, "owner", 60, max_attempts=3) == 1
    staged_file = context.blobs.root / "incoming" / "self"
    staged_file.write_bytes(b"PK a quine's bytes")
    entries = [MemberEntry("quine.zip", staged=StagedBlob(blob, staged_file))]
    with transaction(context.sessions) as session:
        lock_member_blobs(session, entries)
        record = record_members(session, context.blobs, archive, "owner", entries)
    assert record.recorded and record.new_children == []
    with transaction(context.sessions) as session:
        ((member, child),) = members_of(session, archive)
        container = session.get(Document, archive)
        assert container is not None
        total, pending, failed = (
            container.children_total,
            container.children_pending,
            container.children_failed,
        )
    assert (member.child_id, child, member.error_category) == (None, None, "corrupt_file")
    assert member.error_message == "the member is the container itself or one that holds it"
    assert (total, pending, failed) == (1, 0, 1)
