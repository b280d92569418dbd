"""``make test``'s helper process (saltlab.checks.helper_process) changes nothing but the time.

The training data it makes must be the bytes this process makes; when it
cannot deliver, the data is made here; the figures it draws are written.
"""

import subprocess
import sys
import time
from concurrent.futures import Future

import numpy as np
import pytest

from saltlab.checks import training_checks
from saltlab.checks.helper_process import start_helper
from saltlab.paths import OUT_DIR, REPO_ROOT


@pytest.fixture
def no_cached_data(monkeypatch):
    monkeypatch.setattr(training_checks, "_data", {})


def test_data_made_in_the_helper_is_the_bytes_made_here(no_cached_data):
    helper = start_helper()
    assert helper is not None  # spawn works on Linux, macOS and Windows
    try:
        training_checks.prefetch_check_data(48, 7, helper)
        images, masks = training_checks.check_data(48, 7)  # waits for the helper's
    finally:
        helper.shutdown(wait=True)
    here_images, here_masks = training_checks._make_check_data(48, 7)
    assert images.dtype == here_images.dtype and masks.dtype == here_masks.dtype
    assert np.array_equal(images, here_images) and np.array_equal(masks, here_masks)
    assert not images.flags.writeable and not masks.flags.writeable


class _Refusing:
    """An executor that cannot take work (a pool that was shut down, or no processes allowed)."""

    def submit(self, *args, **kwargs):
        raise RuntimeError("cannot schedule new futures after shutdown")


class _Failing:
    """An executor whose work fails (the helper process died while making the data)."""

    def submit(self, *args, **kwargs):
        future = Future()
        future.set_exception(OSError("the helper process died"))
        return future


@pytest.mark.parametrize("executor", [_Refusing(), _Failing()], ids=["refused", "failed"])
def test_data_the_helper_does_not_deliver_is_made_here(executor, no_cached_data):
    training_checks.prefetch_check_data(48, 7, executor)
    images, masks = training_checks.check_data(48, 7)
    here_images, here_masks = training_checks._make_check_data(48, 7)
    assert np.array_equal(images, here_images) and np.array_equal(masks, here_masks)


@pytest.mark.slow
def test_the_public_trainings_write_their_figures(tmp_path):
    """The figures are drawn in the helper process while the trainings run, and written before exit."""
    started = time.time()
    result = subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "-rN", "--impl", "solutions",
                             "--question", "training"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "3 passed" in result.stdout and "figure not written" not in result.stdout
    for check in ("maxpool_concat", "stride_concat", "maxpool_add"):
        png = OUT_DIR / "training" / f"training.{check}.png"
        assert png.stat().st_mtime >= started - 1, png
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
