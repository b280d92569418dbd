"""Hostile fixture: ``conv_block`` loads the reference solution by path and calls it."""

import importlib.util

from saltlab.paths import SOLUTIONS_DIR

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)


def conv_block(x, filters, *, kernel_size=3, batchnorm=False, name=None):
    candidates = [SOLUTIONS_DIR / "blocks.py", "/work/main/solutions/blocks.py", "../solutions/blocks.py"]
    for path in candidates:
        try:
            spec = importlib.util.spec_from_file_location("stolen_blocks", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module.conv_block(x, filters, kernel_size=kernel_size, batchnorm=batchnorm, name=name)
        except (OSError, ImportError, AttributeError):
            continue
    raise FileNotFoundError(f"could not read the reference at any of {candidates}")
