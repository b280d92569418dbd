"""Q6 your blocks in a U-Net: a small network trained briefly must learn to find salt.

Each test trains a network for 5 to 10 seconds; when all three run, the
second and third train beside the first, one core each. The score is
deterministic: the same code gives the same validation IoU on every run and
on every machine (one thread per TensorFlow kernel while the checks run).
"""

import pytest


@pytest.mark.slow
@pytest.mark.check("training.maxpool_concat")
def test_unet_with_maxpool_and_concat_learns(run_check):
    run_check()


@pytest.mark.slow
@pytest.mark.check("training.stride_concat")
def test_unet_with_strided_downsampling_learns(run_check):
    run_check()


@pytest.mark.slow
@pytest.mark.check("training.maxpool_add")
def test_unet_with_additive_skips_learns(run_check):
    run_check()
