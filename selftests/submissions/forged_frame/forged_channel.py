"""Finds the worker's private reply pipe (a helper module of the junk_frame fixture)."""

import fcntl
import os


def channel():
    log = os.readlink("/proc/self/fd/2")
    for name in sorted(os.listdir("/proc/self/fd"), key=int):
        fd = int(name)
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if fd > 2 and target.startswith("pipe:") and target != log:
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
                return fd
    return None
