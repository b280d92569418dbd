"""Import every check module so that :data:`core.REGISTRY` is complete."""

from . import (  # noqa: F401
    conv_block_checks,
    downsample_checks,
    merge_skip_checks,
    metrics_checks,
    threshold_checks,
    training_checks,
)
