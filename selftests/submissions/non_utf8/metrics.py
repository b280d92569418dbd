"""Hostile fixture: this file is Latin-1, not UTF-8 (café)."""

from ._reference_metrics import *  # noqa: F401,F403
