"""Progress: a bar redrawn in place on a terminal, plain lines elsewhere, never too many."""

import io

import pytest

from cli.progress import DrainDisplay, ProgressBar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_plain_lines_come_once_per_tenth_when_progress_is_fast(clock: Clock) -> None:
    out = io.StringIO()
    bar = ProgressBar("ingest", out, clock=clock)
    for done in range(1, 101):
        bar.update(done, 100)
    assert out.getvalue().splitlines() == [
        f"jobs {done}/100 done" for done in (1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100)
    ]


def test_plain_lines_come_at_most_once_a_second_when_progress_is_slow(clock: Clock) -> None:
    out = io.StringIO()
    bar = ProgressBar("ingest", out, clock=clock)
    for done in range(1, 8):  # seven jobs of a thousand, 0.4 s apart
        bar.update(done, 1000)
        clock.now += 0.4
    assert out.getvalue().splitlines() == [
        "jobs 1/1000 done",
        "jobs 4/1000 done",
        "jobs 7/1000 done",
    ]


def test_the_same_count_is_never_repeated_and_the_last_is_always_shown(clock: Clock) -> None:
    out = io.StringIO()
    bar = ProgressBar("waiting", out, clock=clock)
    for _ in range(3):
        bar.update(1, 3)
        clock.now += 5
    bar.update(2, 3)
    bar.update(3, 3)
    bar.update(3, 3)
    assert out.getvalue().splitlines() == ["jobs 1/3 done", "jobs 2/3 done", "jobs 3/3 done"]


def test_a_drain_shows_documents_chunked_then_jobs_done(clock: Clock) -> None:
    out = io.StringIO()
    display = DrainDisplay(out, clock)
    display.documents(1, 2)
    display.documents(2, 2)
    display.jobs(5, 5)
    assert out.getvalue() == "chunked 1/2 documents\nchunked 2/2 documents\njobs 5/5 done\n"


def test_a_terminal_gets_a_bar_redrawn_in_place(clock: Clock) -> None:
    out = Terminal()
    bar = ProgressBar("chunking", out, unit="documents", clock=clock)
    bar.update(1, 2)
    bar.update(2, 2)  # the final count is drawn even within a tenth of a second
    clock.now += 1
    drawn = out.getvalue()
    assert drawn.startswith("\rchunking [###############---------------] 1/2 documents")
    assert "\rchunking [##############################] 2/2 documents" in drawn
    assert drawn.endswith("\n") and drawn.count("\n") == 1


def test_nothing_is_shown_for_an_empty_total(clock: Clock) -> None:
    out = io.StringIO()
    ProgressBar("ingest", out, clock=clock).update(0, 0)
    assert out.getvalue() == ""
