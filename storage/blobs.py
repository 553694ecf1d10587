"""A content-addressed blob store on the local filesystem (sha256, written atomically).

Bytes are first staged in `incoming/` while they are hashed; a staged blob is placed at its
address only by the intake transaction that records a document for it (`storage/intake.py`),
so a failed upload leaves nothing behind. Removal goes through `trash/`: a blob is detached
(renamed) inside the transaction that deletes its last document and purged after the commit,
or put back when that transaction fails. What a killed process left in `incoming/` or `trash/`
is removed by `remove_leftovers` (every reaper sweep).
"""

import hashlib
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

COPY_CHUNK_BYTES = 1024 * 1024


class BlobTooLargeError(Exception):
    """The stream exceeded the size limit; nothing was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the upload exceeds the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredBlob:
    """A blob's address and size."""

    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class StagedBlob:
    """Bytes hashed into a temporary file, not yet at their address."""

    blob: StoredBlob
    temp_path: Path


@dataclass(frozen=True)
class DetachedBlob:
    """A blob moved out of its address into the trash, to purge or put back."""

    sha256: str
    trash_path: Path


class BlobWriter:
    """Stages bytes written piece by piece (a streamed upload); hashes as it goes.

    Raises BlobTooLargeError (and removes what it wrote) once more than `max_bytes` arrive.
    """

    def __init__(self, incoming: Path, max_bytes: int | None) -> None:
        incoming.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=incoming)
        self._file = os.fdopen(handle, "wb")
        self._path = Path(name)
        self._digest = hashlib.sha256()
        self._size = 0
        self._max_bytes = max_bytes

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._size

    def write(self, data: bytes) -> None:
        """Append `data`; past the limit nothing more is written and the file is removed."""
        self._size += len(data)
        if self._max_bytes is not None and self._size > self._max_bytes:
            self.abort()
            raise BlobTooLargeError(self._max_bytes)
        self._digest.update(data)
        self._file.write(data)

    def finish(self) -> StagedBlob:
        """Close the temporary file and return what it holds."""
        self._file.close()
        blob = StoredBlob(sha256=self._digest.hexdigest(), size_bytes=self._size)
        return StagedBlob(blob=blob, temp_path=self._path)

    def abort(self) -> None:
        """Close and remove the temporary file; idempotent."""
        self._file.close()
        self._path.unlink(missing_ok=True)


class BlobStore:
    """Blobs live at `root/ab/cd/<sha256>`; identical content is stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this digest lives (it may not exist)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def derived_path(self, sha256: str, suffix: str) -> Path:
        """Where a file derived from the blob is kept, next to it (`<sha256>.<suffix>`, e.g. the
        PDF LibreOffice made of an office file); it is purged with the blob."""
        return self.path_for(sha256).with_name(f"{sha256}.{suffix}")

    def exists(self, sha256: str) -> bool:
        """True when the blob is present."""
        return self.path_for(sha256).is_file()

    def writer(self, max_bytes: int | None = None) -> BlobWriter:
        """A writer staging a new blob in `incoming/`."""
        return BlobWriter(self.root / "incoming", max_bytes)

    def stage_stream(self, stream: BinaryIO, max_bytes: int | None = None) -> StagedBlob:
        """Copy a stream into `incoming/`, hashing as it goes; BlobTooLargeError past max."""
        writer = self.writer(max_bytes)
        try:
            while chunk := stream.read(COPY_CHUNK_BYTES):
                writer.write(chunk)
            return writer.finish()
        except BaseException:
            writer.abort()
            raise

    def place(self, staged: StagedBlob) -> StoredBlob:
        """Move a staged blob to its address (replacing identical bytes already there)."""
        target = self.path_for(staged.blob.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.temp_path, target)
        return staged.blob

    def discard(self, staged: StagedBlob) -> None:
        """Remove a staged blob that will not be placed; idempotent."""
        staged.temp_path.unlink(missing_ok=True)

    def put_stream(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        """Stage and place a stream at once (no document records it: tests and tools)."""
        return self.place(self.stage_stream(stream, max_bytes))

    def put_file(self, path: Path) -> StoredBlob:
        """Store a file from disk."""
        with path.open("rb") as stream:
            return self.put_stream(stream)

    def detach(self, sha256: str) -> DetachedBlob | None:
        """Move a blob to `trash/` (None when it is absent): the first half of a removal."""
        trash = self.root / "trash"
        trash.mkdir(parents=True, exist_ok=True)
        trash_path = trash / f"{sha256}.{uuid.uuid4().hex}"
        try:
            os.replace(self.path_for(sha256), trash_path)
        except FileNotFoundError:
            return None
        return DetachedBlob(sha256=sha256, trash_path=trash_path)

    def purge(self, detached: DetachedBlob) -> None:
        """Delete a detached blob for good, with the files derived from it."""
        detached.trash_path.unlink(missing_ok=True)
        address = self.path_for(detached.sha256)
        if not address.exists():  # the same bytes were not stored again meanwhile
            for derived in address.parent.glob(f"{detached.sha256}.*"):
                derived.unlink(missing_ok=True)

    def restore(self, detached: DetachedBlob) -> None:
        """Put a detached blob back at its address (its removal was rolled back)."""
        target = self.path_for(detached.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(detached.trash_path, target)

    def remove_leftovers(self, older_than_seconds: float) -> int:
        """Remove files left in `incoming/` and `trash/` by processes killed mid-upload or
        mid-deletion, untouched for `older_than_seconds`; returns how many."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        for folder in (self.root / "incoming", self.root / "trash"):
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                try:
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                    elif path.is_dir() and path.stat().st_mtime < cutoff:
                        # a container's members staged by a worker that was killed
                        shutil.rmtree(path, ignore_errors=True)
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed
