"""The advertised media types and the readers that exist agree."""

from pipeline.formats.registry import READERS, reader_for
from schemas.enums import MediaType
from schemas.media import ARCHIVE_MEDIA, STRUCTURED_SUPPORTED, SUPPORTED_MEDIA

NEEDS_LIBREOFFICE = frozenset({MediaType.DOC, MediaType.PPT})


def test_every_supported_structured_type_has_a_reader() -> None:
    for media_type in STRUCTURED_SUPPORTED:
        assert media_type in reader_for(media_type).media_types


def test_every_reader_reads_only_supported_types_or_what_libreoffice_converts() -> None:
    read = frozenset().union(*(reader.media_types for reader in READERS))
    assert read - SUPPORTED_MEDIA == NEEDS_LIBREOFFICE
    assert read >= STRUCTURED_SUPPORTED


def test_archives_are_supported_as_containers_not_read_by_a_reader() -> None:
    read = frozenset().union(*(reader.media_types for reader in READERS))
    assert ARCHIVE_MEDIA <= SUPPORTED_MEDIA
    assert not ARCHIVE_MEDIA & read
