"""Hostile fixture: imports a module that does not exist."""

import numpy_but_faster  # noqa: F401

from ._reference_threshold import *  # noqa: F401,F403
