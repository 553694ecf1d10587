"""A content-addressed blob store on the local filesystem (sha256, written atomically)."""

import hashlib
import os
import tempfile
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


class BlobStore:
    """Blobs live at `root/ab/cd/<sha256>`; identical content is stored once."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        """Where the blob with this digest lives (it may not exist)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        """True when the blob is present."""
        return self.path_for(sha256).is_file()

    def put_stream(self, stream: BinaryIO, max_bytes: int | None = None) -> StoredBlob:
        """Copy a stream into the store, hashing as it goes; raise BlobTooLargeError past max."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle, temp_name = tempfile.mkstemp(dir=incoming)
        try:
            with os.fdopen(handle, "wb") as out:
                while chunk := stream.read(COPY_CHUNK_BYTES):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise BlobTooLargeError(max_bytes)
                    digest.update(chunk)
                    out.write(chunk)
            blob = StoredBlob(sha256=digest.hexdigest(), size_bytes=size)
            target = self.path_for(blob.sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temp_name, target)
            return blob
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def put_file(self, path: Path) -> StoredBlob:
        """Store a file from disk."""
        with path.open("rb") as stream:
            return self.put_stream(stream)
