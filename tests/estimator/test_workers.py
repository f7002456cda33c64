import pytest

from clickpred.estimator import workers
from clickpred.estimator.workers import WORKER_FRAMES, available_memory, fit_workers

GB = 2**30


@pytest.fixture
def four_cores(monkeypatch):
    monkeypatch.setattr(workers, "available_cores", lambda: 4)


def test_a_number_is_kept_up_to_the_tasks(four_cores):
    assert fit_workers(3, tasks=6, frame_bytes=GB, memory=GB) == (3, None)  # asked for: memory is the user's call
    assert fit_workers(8, tasks=6, frame_bytes=GB) == (6, None)


def test_auto_uses_every_core_up_to_the_tasks(four_cores):
    assert fit_workers(0, tasks=6, frame_bytes=GB, memory=100 * GB) == (4, None)
    assert fit_workers(0, tasks=2, frame_bytes=GB, memory=100 * GB) == (2, None)
    assert fit_workers(-1, tasks=6, frame_bytes=GB, memory=GB) == (4, None)  # every core, whatever the memory


def test_auto_stays_in_process_when_the_fits_are_too_short(four_cores):
    assert fit_workers(0, tasks=6, frame_bytes=GB, worth_it=False, memory=100 * GB) == (1, None)
    assert fit_workers(2, tasks=6, frame_bytes=GB, worth_it=False) == (2, None)  # a number is a number


def test_auto_holds_back_to_what_memory_holds_and_says_so(four_cores):
    n, note = fit_workers(0, tasks=6, frame_bytes=GB, memory=2 * WORKER_FRAMES * GB + GB // 2)
    assert n == 2
    assert (
        note
        == f"2 workers instead of 4: each needs about {WORKER_FRAMES}.0 GB and 8.5 GB is available (--jobs N to choose)"
    )
    assert fit_workers(0, tasks=6, frame_bytes=GB, memory=GB)[0] == 1


def test_available_memory_reads_a_positive_number_on_linux():
    m = available_memory()
    assert m is None or m > 0


def test_a_frames_text_is_measured_on_a_sample_of_its_rows():
    """frame_bytes: exact on a small frame; on a large one, typed columns exactly and text from 20,000 rows, within
    1% of measuring every string."""
    import numpy as np
    import pandas as pd

    from clickpred.estimator.workers import frame_bytes

    rng = np.random.default_rng(0)
    n = 200_000
    frame = pd.DataFrame(
        {
            "site": np.array([f"site-{i}" * (1 + i % 3) for i in rng.integers(0, 5000, n)], dtype=object),
            "bid": rng.random(n),
            "os": np.array(["android", "ios", "other"], dtype=object)[rng.integers(0, 3, n)],
        }
    )
    every = int(frame.memory_usage(index=True, deep=True).sum())
    assert abs(frame_bytes(frame) - every) / every < 0.01
    small = frame.head(1000)
    assert frame_bytes(small) == int(small.memory_usage(index=True, deep=True).sum())
    assert frame_bytes(frame[["bid"]]) == int(frame[["bid"]].memory_usage(index=True, deep=True).sum())
