"""A memory and process budget for all of one worker's processes together (Linux cgroups).

``RLIMIT_AS`` bounds each process, not their sum: three forked children can
each reserve the whole limit. A control group bounds the sum. Before a worker
starts, the grader makes a child group of its own group with ``memory`` and
``pids`` limits; the launcher moves itself into it before it execs bubblewrap,
so the worker and everything it forks are counted together, and the kernel's
OOM killer ends the group's processes (SIGKILL, reported as ``memory``) when
the sum passes the limit.

Both cgroup versions are handled: v2 (one unified hierarchy) where the
grader's group may have children with the memory controller, and v1 (a
``memory`` and a ``pids`` hierarchy, as on this project's CI machines).
Where neither can be written (no permission: a grader that is not root and
has no delegated group; macOS), :func:`create` returns None with the reason,
and each process keeps its own ``RLIMIT_AS`` only: the README says so.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class WorkerGroup:
    """The control-group folders one worker joins (one per hierarchy), and how to read its peak."""

    folders: tuple
    version: int

    def peak_memory_bytes(self):
        """The most memory the group used (v1: ``memory.max_usage_in_bytes``; v2: ``memory.peak``), or None."""
        for folder in self.folders:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                try:
                    return int((folder / name).read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
        return None

    def remove(self):
        """Remove the folders once the worker is gone (the kernel refuses while a process is inside)."""
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)  # the killed processes are still being reaped


def _own_paths():
    """``{hierarchy: path}`` of this process's groups, from /proc/self/cgroup (``""`` is v2's)."""
    paths = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path.lstrip("/")
    return paths


def _write(path, text):
    with open(path, "w") as handle:
        handle.write(text)


def _make(parent, name, settings):
    folder = parent / name
    folder.mkdir()
    try:
        for key, value in settings.items():
            if (folder / key).exists():
                _write(folder / key, value)
    except OSError:
        folder.rmdir()
        raise
    return folder


def create(name, *, memory_bytes, processes):
    """Make the worker's groups; None and a reason where this machine does not allow it.

    Parameters
    ----------
    name : str
        Unique among running workers (``saltlab-<pid>-<n>``).
    memory_bytes : int
        Limit on the memory of all the worker's processes together (swap
        included where the kernel accounts it separately).
    processes : int
        Limit on their number (threads included).

    Returns
    -------
    group : WorkerGroup or None
    reason : str
        Why there is no group (empty when there is one).
    """
    own = _own_paths()
    made = []
    try:
        if "" in own and (ROOT / "cgroup.controllers").exists():
            parent = ROOT / own[""]
            if "memory" in (parent / "cgroup.subtree_control").read_text().split():
                made.append(_make(parent, name, {"memory.max": str(memory_bytes), "memory.swap.max": "0",
                                                 "pids.max": str(processes)}))
                return WorkerGroup(tuple(made), 2), ""
        if "memory" in own and (ROOT / "memory").is_dir():
            made.append(_make(ROOT / "memory" / own["memory"], name,
                              {"memory.limit_in_bytes": str(memory_bytes),
                               "memory.memsw.limit_in_bytes": str(memory_bytes)}))
            if "pids" in own and (ROOT / "pids").is_dir():
                made.append(_make(ROOT / "pids" / own["pids"], name, {"pids.max": str(processes)}))
            return WorkerGroup(tuple(made), 1), ""
    except OSError as error:
        for folder in made:
            try:
                folder.rmdir()
            except OSError:
                pass
        return None, f"cannot create a control group ({error.strerror or error})"
    return None, "no writable memory controller (cgroup v1 or v2) for this process"


def join(folders):
    """Move the calling process into ``folders`` (the launcher does this before exec)."""
    for folder in folders:
        _write(Path(folder) / "cgroup.procs", str(os.getpid()))
