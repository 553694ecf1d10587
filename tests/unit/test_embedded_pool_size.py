"""How many workers an embedded drain starts for a batch: none for a tiny batch, then one
more per PAGES_PER_THREAD jobs (isolated: thread workers with forked children) or per
PAGES_PER_PROCESS jobs (isolation off: spawned processes), never more than --processes."""

import pytest

from workers.embedded_pool import PAGES_PER_PROCESS, PAGES_PER_THREAD, pool_size


def test_the_thresholds_are_the_measured_ones() -> None:
    assert (PAGES_PER_THREAD, PAGES_PER_PROCESS) == (8, 128)


@pytest.mark.parametrize(
    ("jobs", "processes", "workers"),
    [
        (1, 2, 1),
        (7, 2, 1),
        (15, 2, 1),
        (16, 2, 2),
        (133, 2, 2),
        (16, 8, 2),
        (24, 8, 3),
        (63, 8, 7),
        (64, 8, 8),
        (5000, 8, 8),
        (500, 1, 1),
        (0, 4, 1),
    ],
)
def test_isolated_batches_get_a_thread_worker_per_eight_jobs(
    jobs: int, processes: int, workers: int
) -> None:
    assert pool_size(jobs, processes, isolated=True) == workers


@pytest.mark.parametrize(
    ("jobs", "processes", "workers"),
    [(1, 2, 1), (133, 2, 1), (255, 2, 1), (256, 2, 2), (1000, 2, 2), (1000, 16, 7)],
)
def test_batches_without_isolation_start_processes_only_when_large(
    jobs: int, processes: int, workers: int
) -> None:
    assert pool_size(jobs, processes, isolated=False) == workers
