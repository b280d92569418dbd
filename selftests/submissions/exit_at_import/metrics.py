"""Hostile fixture: importing this module ends the process."""

import os

os._exit(0)
