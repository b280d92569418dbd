"""Hostile fixture: at import, leaves a process behind that escapes its process group.

The grandchild starts a new session (so killing the worker's process group
misses it) and becomes ``sleep 313.3131``; nothing of a worker may outlive it.
"""

import os

from ._reference_blocks import *  # noqa: F401,F403  (the correct parts)

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "313.3131"])
    os._exit(0)
os.wait()
