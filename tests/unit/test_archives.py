"""Expanding containers: members written under generated names, limits enforced on declared and
actual bytes, hostile names never used as paths."""

import gzip
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from pipeline.chunking.containers import expand_container
from pipeline.errors import SourceError
from pipeline.sources.expansion import (
    ContainerLimits,
    ContainerRefusedError,
    ExtractedMember,
    RefusedMember,
    normalise_member_path,
)
from schemas.enums import ErrorCategory, MediaType
from tests.support.families import (
    eml_bytes,
    lying_zip,
    pdf_bytes,
    png_bytes,
    tar_bytes,
    zip_bytes,
    zip_with_symlink,
)

LIMITS = ContainerLimits(max_members=10, max_total_bytes=50 * 1024 * 1024, max_ratio=100.0)


def _expand(tmp_path: Path, data: bytes, media: MediaType, limits: ContainerLimits = LIMITS):
    tmp_path.mkdir(parents=True, exist_ok=True)
    source = tmp_path / "container.bin"
    source.write_bytes(data)
    target = tmp_path / "out"
    return expand_container(source, media, target, limits, name_hint="report.txt.gz"), target


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_zip_members_in_order_with_digests_junk_and_directories_skipped(tmp_path: Path) -> None:
    pdf = pdf_bytes(tmp_path)
    data = zip_bytes(
        {
            "docs/": b"",
            "docs/a.pdf": pdf,
            "__MACOSX/docs/._a.pdf": b"junk",
            "docs/.DS_Store": b"junk",
            "empty.txt": b"",
            "pics/b.png": png_bytes(),
        }
    )
    expansion, target = _expand(tmp_path, data, MediaType.ZIP)
    members = expansion.members
    assert [m.path for m in members] == ["docs/a.pdf", "pics/b.png"]
    first = members[0]
    assert isinstance(first, ExtractedMember)
    assert first.sha256 == hashlib.sha256(pdf).hexdigest() and first.size_bytes == len(pdf)
    assert first.file.parent == target and first.file.read_bytes() == pdf


def test_normalised_names() -> None:
    assert normalise_member_path("C:\\Users\\x\\a.pdf") == "Users/x/a.pdf"
    assert normalise_member_path("/etc/passwd") == "etc/passwd"
    assert normalise_member_path("a/./b/../c.txt") == "a/c.txt"
    assert normalise_member_path("../evil.txt") is None
    assert normalise_member_path("a/../../evil.txt") is None
    assert normalise_member_path("./") is None


def test_hostile_names_never_write_outside_the_target(tmp_path: Path) -> None:
    data = zip_bytes(
        {"../evil.txt": b"escape", "/abs/evil2.txt": b"absolute", "..\\..\\evil3.txt": b"dos"}
    )
    expansion, target = _expand(tmp_path, data, MediaType.ZIP)
    refused = [m for m in expansion.members if isinstance(m, RefusedMember)]
    assert [(m.path, m.category) for m in refused] == [
        ("../evil.txt", ErrorCategory.CORRUPT_FILE),
        ("..\\..\\evil3.txt", ErrorCategory.CORRUPT_FILE),
    ]
    assert [m.path for m in expansion.extracted] == ["abs/evil2.txt"]
    written = _files_under(tmp_path)
    assert [p for p in written if target not in p.parents] == [tmp_path / "container.bin"]
    assert not (tmp_path.parent / "evil.txt").exists()


def test_zip_symlink_is_refused_not_followed(tmp_path: Path) -> None:
    expansion, target = _expand(tmp_path, zip_with_symlink("link", "/etc/passwd"), MediaType.ZIP)
    assert expansion.members == [
        RefusedMember(
            "link",
            ErrorCategory.UNSUPPORTED_MEDIA,
            "a link inside the container; links are not followed",
        )
    ]
    assert _files_under(target) == []


def test_tar_links_refused_and_traversal_refused(tmp_path: Path) -> None:
    data = tar_bytes({"ok.txt": b"fine", "../../up.txt": b"no"}, links={"passwd": "/etc/passwd"})
    expansion, target = _expand(tmp_path, data, MediaType.TAR)
    summary = [
        (m.path, m.category if isinstance(m, RefusedMember) else "ok") for m in expansion.members
    ]
    assert summary == [
        ("ok.txt", "ok"),
        ("../../up.txt", ErrorCategory.CORRUPT_FILE),
        ("passwd", ErrorCategory.UNSUPPORTED_MEDIA),
    ]
    assert [p.read_bytes() for p in _files_under(target)] == [b"fine"]


def test_zip_bomb_by_member_ratio_refused_before_extraction(tmp_path: Path) -> None:
    data = zip_bytes({"zeros.txt": b"\x00" * (20 * 1024 * 1024)})
    with pytest.raises(ContainerRefusedError) as refused:
        _expand(tmp_path, data, MediaType.ZIP)
    assert refused.value.category is ErrorCategory.TOO_LARGE
    assert "compression ratio over 100:1" in refused.value.message
    assert "declares" in refused.value.message
    assert not (tmp_path / "out").exists()


def test_zip_bomb_by_declared_total_refused(tmp_path: Path) -> None:
    limits = ContainerLimits(max_members=10, max_total_bytes=1_000_000, max_ratio=1e9)
    data = zip_bytes({f"f{i}.bin": bytes(range(256)) * 1500 for i in range(4)})
    with pytest.raises(ContainerRefusedError) as refused:
        _expand(tmp_path, data, MediaType.ZIP, limits)
    assert "more than 1000000 bytes" in refused.value.message
    assert "GREENHOUSE_CONTAINER_MAX_TOTAL_BYTES" in refused.value.message


def test_too_many_members_refused(tmp_path: Path) -> None:
    data = zip_bytes({f"f{i}.txt": b"x" for i in range(11)})
    with pytest.raises(ContainerRefusedError) as refused:
        _expand(tmp_path, data, MediaType.ZIP)
    assert "more than 10 members" in refused.value.message


def test_lying_zip_header_stops_at_the_declared_size(tmp_path: Path) -> None:
    """Declared 1,000 bytes, actually 5 MB: zipfile never yields past the declaration, the CRC
    then fails, and the member is refused as corrupt with nothing kept."""
    expansion, target = _expand(tmp_path, lying_zip(5_000_000, 1000), MediaType.ZIP)
    assert len(expansion.members) == 1
    member = expansion.members[0]
    assert isinstance(member, RefusedMember) and member.category is ErrorCategory.CORRUPT_FILE
    assert "CRC" in member.message
    assert _files_under(target) == []


def test_encrypted_member_is_a_failed_member(tmp_path: Path) -> None:
    data = bytearray(zip_bytes({"secret.txt": b"hidden"}, compression=zipfile.ZIP_STORED))
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 0x1  # general purpose flag: encrypted
    data[6] |= 0x1
    expansion, _ = _expand(tmp_path, bytes(data), MediaType.ZIP)
    assert [(m.path, getattr(m, "category", None)) for m in expansion.members] == [
        ("secret.txt", ErrorCategory.ENCRYPTED)
    ]


def test_gzip_single_member_named_from_its_header_and_gzip_bomb(tmp_path: Path) -> None:
    out = io.BytesIO()
    with gzip.GzipFile(filename="notes.txt", fileobj=out, mode="wb") as handle:
        handle.write(b"plain notes")
    expansion, _ = _expand(tmp_path, out.getvalue(), MediaType.GZIP)
    assert [(m.path, m.size_bytes) for m in expansion.extracted] == [("notes.txt", 11)]
    bomb = gzip.compress(b"\x00" * (30 * 1024 * 1024))
    with pytest.raises(ContainerRefusedError) as refused:
        _expand(tmp_path / "b", bomb, MediaType.GZIP)
    assert "compression ratio over 100:1" in refused.value.message
    assert _files_under(tmp_path / "b" / "out") == []


def test_tar_gz_members(tmp_path: Path) -> None:
    data = gzip.compress(tar_bytes({"a.txt": b"alpha", "dir/b.txt": b"beta"}))
    expansion, _ = _expand(tmp_path, data, MediaType.GZIP)
    assert [(m.path, m.size_bytes) for m in expansion.extracted] == [
        ("a.txt", 5),
        ("dir/b.txt", 4),
    ]


def test_eml_attachments_in_order_body_not_an_attachment(tmp_path: Path) -> None:
    inner = zip_bytes({"x.txt": b"x"})
    data = eml_bytes(
        [
            ("report.pdf", "application/pdf", b"%PDF-1.4 fake"),
            ("files.zip", "application/zip", inner),
        ]
    )
    expansion, _ = _expand(tmp_path, data, MediaType.EML)
    assert [(m.path, m.file.read_bytes()) for m in expansion.extracted] == [
        ("report.pdf", b"%PDF-1.4 fake"),
        ("files.zip", inner),
    ]


def test_unreadable_zip_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as error:
        _expand(tmp_path, b"PK\x03\x04 truncated", MediaType.ZIP)
    assert error.value.category is ErrorCategory.CORRUPT_FILE
