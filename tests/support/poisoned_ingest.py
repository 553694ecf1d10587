"""`greenhouse ingest` whose chunking step meets an exception it does not expect.

For a stored file that carries `POISON_MARKER`, the chunking step's check that the file is in
the store raises a `TypeError` (not a `PipelineError`), as a parser bug would: the document
must fail alone, after its attempts, and the batch go on. Run as
`python -m tests.support.poisoned_ingest PATH... [options]`.
"""

import pathlib
import sys

POISON_MARKER = b"%greenhouse-test-poison"
POISON_MESSAGE = "'NoneType' object is not subscriptable"


def poison_chunking() -> None:
    """Make `Path.is_file`, called from the chunking step on a poisoned file, raise."""
    real_is_file = pathlib.Path.is_file

    def is_file(self: pathlib.Path) -> bool:
        caller = sys._getframe(1).f_globals.get("__name__")
        if (
            caller == "workers.chunk_document"
            and real_is_file(self)
            and POISON_MARKER in self.read_bytes()
        ):
            raise TypeError(POISON_MESSAGE)
        return real_is_file(self)

    pathlib.Path.is_file = is_file  # type: ignore[method-assign]


def poison(path: pathlib.Path) -> None:
    """Mark a file as poisoned (a trailing PDF comment: the file stays a valid PDF)."""
    with path.open("ab") as stream:
        stream.write(b"\n" + POISON_MARKER + b"\n")


if __name__ == "__main__":
    poison_chunking()
    from cli.main import main

    sys.exit(main(["ingest", *sys.argv[1:]]))
