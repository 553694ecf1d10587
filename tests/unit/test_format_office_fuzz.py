"""Office readers on damaged files: flipped bytes in the container and in its XML parts give
results or `PipelineError`s, never another exception."""

import contextlib
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.errors import PipelineError
from pipeline.formats.registry import reader_for
from schemas.enums import MediaType
from tests.support.office_files import make_docx, make_odp, make_ods, make_odt, make_pptx, make_xlsx

_MAKERS = {
    MediaType.DOCX: make_docx,
    MediaType.PPTX: make_pptx,
    MediaType.XLSX: make_xlsx,
    MediaType.ODT: make_odt,
    MediaType.ODS: make_ods,
    MediaType.ODP: make_odp,
}


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[MediaType, bytes]:
    folder = tmp_path_factory.mktemp("seeds")
    return {
        media_type: make(folder / f"seed.{media_type.name.lower()}").read_bytes()
        for media_type, make in _MAKERS.items()
    }


def _read_all(path: Path, media_type: MediaType) -> None:
    reader = reader_for(media_type)
    try:
        for chunk in list(reader.chunks(path, media_type)):
            with contextlib.suppress(PipelineError):
                reader.read(path, chunk)
    except PipelineError:
        pass


def _mutate_member(data: bytes, member_index: int, flips: list[tuple[int, int]], cut: int) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    names = [name for name in source.namelist() if name.endswith(".xml")]
    target_name = names[member_index % len(names)]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = bytearray(source.read(name))
            if name == target_name and content:
                for position, value in flips:
                    content[position % len(content)] = value
                content = content[: max(cut, 1) % (len(content) + 1) or len(content)]
            target.writestr(name, bytes(content))
    return out.getvalue()


_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(
    st.sampled_from(sorted(_MAKERS)),
    st.integers(0, 50),
    st.lists(st.tuples(st.integers(0, 1 << 20), st.sampled_from(b'<>/"= x\x00\xff')), max_size=8),
    st.integers(0, 1 << 20),
)
def test_damaged_xml_parts_raise_only_pipeline_errors(
    tmp_path: Path,
    seeds: dict[MediaType, bytes],
    media_type: MediaType,
    member: int,
    flips: list[tuple[int, int]],
    cut: int,
) -> None:
    path = tmp_path / "damaged"
    path.write_bytes(_mutate_member(seeds[media_type], member, flips, cut))
    _read_all(path, media_type)


@_SETTINGS
@given(
    st.sampled_from(sorted(_MAKERS)),
    st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), max_size=8),
    st.integers(1, 1 << 20),
)
def test_damaged_containers_raise_only_pipeline_errors(
    tmp_path: Path,
    seeds: dict[MediaType, bytes],
    media_type: MediaType,
    flips: list[tuple[int, int]],
    cut: int,
) -> None:
    data = bytearray(seeds[media_type])
    for position, value in flips:
        data[position % len(data)] = value
    path = tmp_path / "damaged"
    path.write_bytes(bytes(data[:cut]))
    _read_all(path, media_type)
