"""The worker's cage: bubblewrap when present, resource limits always.

:func:`worker_command` returns the argv that starts one worker. It is

    python sandbox.py <limits JSON> -- bwrap <mounts...> [setpriv ...] python -m grader.worker /submission

The first step (this file run as a script, standard library only) applies
``setrlimit`` and ``oom_score_adj`` and then ``exec``\\ s the rest, so the
limits hold for bubblewrap and everything inside it. It replaces
``preexec_fn``, which is unsafe in the grader: TensorFlow's threads are
running there when it forks.

Inside bubblewrap the worker sees a read-only system (``/usr``, ``/etc``), the
Python installation and venv, the ``saltlab`` package at its own path (the
editable install resolves it there), the three files of ``grader/`` the
worker needs, and a read-only copy of one submission at ``/submission``.
Not visible: ``solutions/``, ``tests/``, the rest of ``grader/`` (hidden
cases), other submissions, the output folder. No network, private ``/tmp``,
own PID namespace, killed with the grader. When the grader runs as root,
``setpriv`` drops to an unprivileged uid per job slot, so ``RLIMIT_NPROC``
is enforced (the kernel ignores it for root) and no capability is left.

The launcher also installs a seccomp filter that denies the kernel keyring
(:mod:`grader.syscall_filter`: keyrings outlive processes and are shared by
a uid) and moves itself into the worker's control group (:mod:`grader.cgroup`:
one memory and process budget for all the worker's processes), when the
grader made one.

Without bubblewrap (or with ``--no-sandbox``) the same limits apply but the
student's code can read what the grader can read; the grader warns once.
"""

import functools
import json
import os
import resource
import shutil
import stat
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SUBMISSION_MOUNT = "/submission"
WORKER_FILES = ("grader/__init__.py", "grader/worker.py", "grader/protocol.py", "grader/notebook_worker.py",
                "grader/notebook_record.py")
"""All of ``grader/`` the worker may see: no hidden cases, no reference."""

SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
BASE_UID = 61000
"""Job slot ``k`` runs as uid ``BASE_UID + k`` (root grader only): each worker
gets its own process budget, and shares no files with anyone."""

GIB = 2**30


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process (and everything it starts).

    Attributes
    ----------
    memory_bytes : int
        ``RLIMIT_AS``, per process. TensorFlow reserves far more address
        space than it touches: the worker peaks at about 1.5 GiB without
        training and 2.9 GiB after the training checks (measured on 2 cores;
        more cores mean more thread stacks), so 12 GiB leaves room while
        stopping a memory bomb with a ``MemoryError``.
    total_memory_bytes : int
        Memory of all the worker's processes together (its control group,
        where the machine allows one: see :mod:`grader.cgroup`); above it the
        kernel kills them. Twice the measured peak of an honest worker.
    cpu_seconds : int
        ``RLIMIT_CPU`` over the worker's life (all its checks, all threads):
        30 CPU-minutes per core. A backstop; the wall-clock limits per check
        are what stop a hang.
    processes : int
        ``RLIMIT_NPROC``, threads included (TensorFlow starts a few per core).
    file_bytes : int
        ``RLIMIT_FSIZE``: the largest file the worker may write (its /tmp).
    tmp_bytes : int
        Size of the worker's private ``/tmp`` (memory-backed).
    """

    memory_bytes: int = 12 * GIB
    total_memory_bytes: int = 6 * GIB
    cpu_seconds: int = field(default_factory=lambda: 1800 * (os.cpu_count() or 1))
    processes: int = 2048
    file_bytes: int = 64 * 2**20
    tmp_bytes: int = 256 * 2**20

    def rlimits(self, *, own_uid=True):
        """``{RLIMIT name: (soft, hard)}`` as applied by the launcher.

        ``RLIMIT_NPROC`` counts every process of the *user*: it is set only
        when the worker runs as its own uid (``own_uid``), never against the
        instructor's account, whose desktop may run thousands of threads.
        """
        limits = {
            "RLIMIT_AS": (self.memory_bytes, self.memory_bytes),
            # SIGXCPU at the soft limit; SIGKILL 5 s later if it is caught.
            "RLIMIT_CPU": (self.cpu_seconds, self.cpu_seconds + 5),
            "RLIMIT_FSIZE": (self.file_bytes, self.file_bytes),
            "RLIMIT_CORE": (0, 0),
        }
        if own_uid:
            limits["RLIMIT_NPROC"] = (self.processes, self.processes)
        return limits


@functools.lru_cache(maxsize=1)
def bwrap_status():
    """Whether bubblewrap works here: ``(path or None, reason, help text)``.

    Tried once per process: a bwrap binary that cannot create namespaces (a
    locked-down container) counts as absent, with the reason.
    """
    path = shutil.which("bwrap")
    if path is None:
        return None, "bubblewrap (bwrap) is not installed", ""
    try:
        probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "true"],
                               capture_output=True, text=True, timeout=30)
        help_text = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return None, f"bwrap failed to start: {error}", ""
    if probe.returncode != 0:
        return None, f"bwrap cannot create a sandbox here: {probe.stderr.strip()[:200]}", ""
    return path, "", help_text


def _bind_tree(paths):
    """Mount arguments for read-only binds, with each missing parent made 0755.

    bubblewrap creates missing parents with the source's restrictive mode
    (``/root`` is 0700), which would lock the unprivileged worker out of a
    Python under ``/root/.pyenv``. Paths inside an earlier bind are skipped.
    """
    args, made, bound = [], {"/"}, []
    for path in sorted({str(Path(p)) for p in paths}, key=lambda p: (p.count("/"), p)):
        if any(path == b or path.startswith(b + "/") for b in bound):
            continue
        parents = [str(parent) for parent in reversed(Path(path).parents) if str(parent) not in made]
        for parent in parents:
            args += ["--perms", "0755", "--dir", parent]
            made.add(parent)
        args += ["--ro-bind", path, path]
        bound.append(path)
        made.add(path)
    return args


def _saltlab_dir():
    """Where ``saltlab`` is imported from: bound at that path, the venv's install finds it there."""
    import saltlab

    return str(Path(saltlab.__file__).resolve().parent)


WORKER_MOUNT = "/saltlab-worker"
"""Where the worker's own files (:func:`public_worker_files`) appear inside the sandbox."""


def bwrap_arguments(submission, limits, public_dir=None):
    """The bubblewrap argv (without the command) for one submission folder.

    With ``public_dir`` (a world-readable copy of the worker's files) the
    worker starts there and needs nothing of the repository, which may be
    private (Gradescope's source folder is root-only while grading).
    """
    bwrap, _, help_text = bwrap_status()
    args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--proc", "/proc", "--dev", "/dev"]
    if "--perms" in help_text:
        args += ["--perms", "1777"]
    if "--size" in help_text:
        args += ["--size", str(limits.tmp_bytes)]
    args += ["--tmpfs", "/tmp"]
    binds = []
    for directory in SYSTEM_DIRS:
        if os.path.islink(directory):
            args += ["--symlink", os.readlink(directory), directory]
        elif os.path.isdir(directory):
            binds.append(directory)
    binds += [sys.base_prefix, sys.prefix]
    if public_dir is None:
        binds += [_saltlab_dir(), *(str(REPO_ROOT / name) for name in WORKER_FILES)]
    args += _bind_tree(binds)
    args += ["--ro-bind", str(submission), SUBMISSION_MOUNT]
    if public_dir is None:
        return args + ["--chdir", str(REPO_ROOT)]
    return args + ["--ro-bind", str(public_dir), WORKER_MOUNT, "--chdir", WORKER_MOUNT]


def identity(slot):
    """Who the worker runs as inside bubblewrap.

    Returns
    -------
    bwrap_args : list of str
        Extra bubblewrap options.
    prefix : list of str
        Command put before the worker's (``setpriv ...``) or empty.
    own_uid : bool
        Whether the worker has a uid of its own (then ``RLIMIT_NPROC`` applies).

    Notes
    -----
    A root grader runs bubblewrap privileged, and the sandboxed process would
    keep root's capabilities (enough to remount the read-only binds). So:
    ``setpriv`` to uid ``BASE_UID + slot`` with no capabilities; without
    setpriv, a user namespace as ``nobody`` with every capability dropped
    (still uid 0 to the kernel, so no process limit). A non-root grader's
    bubblewrap is unprivileged already: the worker is the instructor's uid.
    """
    if os.geteuid() != 0:
        return [], [], False
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return ["--unshare-user", "--uid", "65534", "--gid", "65534", "--cap-drop", "ALL"], [], False
    return [], _setpriv(setpriv, BASE_UID + slot), True


def _setpriv(setpriv, uid):
    return [setpriv, "--reuid", str(uid), "--regid", str(uid), "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all", "--no-new-privs"]


def _reachable_by_others(path):
    """Whether a process of another uid can reach ``path`` (every folder above it has o+x)."""
    path = Path(path).resolve()
    return all(os.stat(parent).st_mode & stat.S_IXOTH for parent in path.parents)


@functools.lru_cache(maxsize=1)
def fallback_identity():
    """Who the worker runs as without bubblewrap: ``(setpriv prefix, uid or None, reason)``.

    A root grader without namespaces (a Docker container such as Gradescope's)
    still drops the worker to an unprivileged uid, so it can read nothing that
    is private to root (the autograder's source, the results file) and cannot
    signal the grader. That needs ``setpriv`` and a Python installation that
    other uids can reach (not one under a 0700 ``/root``); otherwise the
    worker keeps the grader's uid and the reason is given.
    """
    if os.geteuid() != 0:
        return [], None, "the grader is not root: the worker runs as the grader's own user"
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return [], None, "setpriv (util-linux) is missing: the worker runs as root"
    unreachable = [p for p in (sys.executable, sys.prefix) if not _reachable_by_others(p)]
    if unreachable:
        return [], None, (f"{unreachable[0]} is not reachable by other users (a folder above it lacks o+x): "
                          "the worker runs as root")
    return _setpriv(setpriv, BASE_UID), BASE_UID, ""


def public_worker_files(folder):
    """A world-readable copy of all the worker runs: its three grader files and the ``saltlab`` package.

    The worker starts in this folder, so ``python -m grader.worker`` and
    ``import saltlab`` resolve here (the current folder comes first on
    ``sys.path``), never in the repository: the repository may be private
    to root (Gradescope's source folder while grading) and the worker's uid
    is not root. The copy is the grader's own code, so both sides run the
    same checks.

    Returns
    -------
    folder : pathlib.Path
    """
    folder = Path(folder)
    (folder / "grader").mkdir(parents=True, exist_ok=True)
    for name in WORKER_FILES:
        shutil.copyfile(REPO_ROOT / name, folder / "grader" / Path(name).name)
    shutil.copytree(_saltlab_dir(), folder / "saltlab", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def worker_uid(slot, sandboxed):
    """The uid the worker of ``slot`` runs as when it is not the grader's own (root grader, setpriv), else None."""
    if sandboxed:
        return BASE_UID + slot if os.geteuid() == 0 and shutil.which("setpriv") is not None else None
    _, uid, _ = fallback_identity()
    return None if uid is None else uid + slot


def hand_over(folder, uid):
    """Make a staged submission readable by the worker's uid only (0500/0400), or by the grader only (uid None).

    Staged code is private: other local users must not read every student's
    files while grading runs, and one worker must not read another's.
    """
    folder = Path(folder)
    for path in [folder, *folder.iterdir()]:
        if uid is not None:
            os.chown(path, uid, uid, follow_symlinks=False)
        path.chmod(0o500 if path.is_dir() else 0o400)


def reclaim(folder):
    """Take a staged submission back from its worker's uid once it is graded (0700, the grader's).

    Without bubblewrap a later worker of the same uid could otherwise read it by its
    (predictable) path; inside bubblewrap nothing but its own submission is mounted anyway.
    """
    folder = Path(folder)
    for path in [folder, *folder.iterdir()]:
        if os.geteuid() == 0:
            os.chown(path, 0, 0, follow_symlinks=False)
        path.chmod(0o700 if path.is_dir() else 0o600)


def worker_environment():
    """A clean environment: nothing of the grader's leaks into the worker."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",  # the submission is read-only anyway
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "1",  # as saltlab/__init__.py sets it for make test: same kernels
        "TF_NUM_INTRAOP_THREADS": "1",  # as saltlab.seeding.pin_grading_threads: same sums on any machine
        "KERAS_BACKEND": "tensorflow",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "MPLBACKEND": "Agg",
    }


def worker_command(submission, *, limits, slot=0, sandboxed=True, cgroups=(), keyring_filter=True, public_dir=None,
                   module="grader.worker", arguments=None):
    """The argv that starts a worker for ``submission`` under ``limits``.

    Parameters
    ----------
    submission : pathlib.Path
        The staged, read-only copy of one student's graded files.
    limits : Limits
    slot : int, optional
        The parallel job slot (0 .. jobs-1): picks the unprivileged uid.
    sandboxed : bool, optional
        Use bubblewrap (it must be available: see :func:`bwrap_status`).
    cgroups : sequence of pathlib.Path, optional
        Control-group folders the launcher joins (:func:`grader.cgroup.create`).
    keyring_filter : bool, optional
        Install the seccomp keyring filter (see :func:`keyring_filter_status`).
    public_dir : pathlib.Path, optional
        A world-readable folder holding the worker's files
        (:func:`public_worker_files`): the worker starts there (bound at
        :data:`WORKER_MOUNT` inside bubblewrap), so a worker with its own uid
        needs nothing of the repository.
    module : str, optional
        What runs in the cage: ``grader.worker`` (the ``.py`` checks) or
        ``grader.notebook_worker`` (one notebook).
    arguments : list of str, optional
        The module's arguments; default the submission's folder as the worker sees it.

    Returns
    -------
    argv : list of str
    cwd : str
    """
    python = [sys.executable, "-m", module]
    cwd = str(REPO_ROOT)
    if sandboxed:
        bwrap_extra, prefix, own_uid = identity(slot)
        inner = (bwrap_arguments(submission, limits, public_dir) + bwrap_extra + prefix + python
                 + (arguments if arguments is not None else [SUBMISSION_MOUNT]))
    else:
        prefix, uid, _ = fallback_identity()
        own_uid = uid is not None
        if own_uid:
            prefix = _setpriv(prefix[0], uid + slot)
            cwd = str(public_dir) if public_dir is not None else cwd
        inner = prefix + python + (arguments if arguments is not None else [str(submission)])
    settings = {"rlimits": limits.rlimits(own_uid=own_uid), "cgroups": [str(c) for c in cgroups],
                "keyring_filter": keyring_filter}
    launcher = [sys.executable, "-S", str(Path(__file__).resolve()), json.dumps(settings), "--"]
    return launcher + inner, cwd


@functools.lru_cache(maxsize=1)
def keyring_filter_status():
    """Whether the seccomp keyring filter installs here: ``(works, reason)``. Tried once per process."""
    script = Path(__file__).resolve().with_name("syscall_filter.py")
    try:
        probe = subprocess.run([sys.executable, "-S", str(script)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as error:
        return False, f"the keyring filter could not be tried: {error}"
    if probe.returncode != 0:
        return False, f"the keyring filter does not work here: {probe.stdout.strip()[:200] or probe.returncode}"
    return True, ""


def describe(limits, sandboxed):
    """One line for logs and the benchmark: what cage the workers run in."""
    cage = f"bubblewrap ({bwrap_status()[0]})" if sandboxed else "no sandbox (resource limits only)"
    return {"sandbox": cage, **asdict(limits)}


def _launch(argv):
    """Script mode: apply the settings in ``argv[0]`` then exec ``argv[2:]``.

    In order: join the control groups (before anything else runs, so every
    later process is counted), set the resource limits, lower the OOM score,
    install the keyring filter (it must come last: it also sets
    ``no_new_privs``), exec. A step that fails ends the launcher with exit
    code 125 and a message on stderr (the worker's log): never a worker
    running with less protection than the grader believes.
    """
    settings = json.loads(argv[0])
    try:
        if settings["cgroups"]:
            import cgroup  # grader/cgroup.py: this script's folder is on sys.path

            cgroup.join(settings["cgroups"])
    except OSError as error:
        print(f"launcher: cannot join the worker's control group: {error}", file=sys.stderr)
        os._exit(125)
    for name, (soft, hard) in settings["rlimits"].items():
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        except (ValueError, OSError):  # a hard limit below ours already: keep the stricter one
            current_soft, current_hard = resource.getrlimit(getattr(resource, name))
            resource.setrlimit(getattr(resource, name), (min(soft, current_hard), current_hard))
    try:  # if memory runs out machine-wide, the kernel kills a worker first, not the grader
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    if settings["keyring_filter"]:
        import syscall_filter  # grader/syscall_filter.py

        try:
            syscall_filter.install()
        except OSError as error:
            print(f"launcher: cannot install the keyring filter: {error}", file=sys.stderr)
            os._exit(125)
    command = argv[2:]
    os.execv(command[0], command)


if __name__ == "__main__":
    _launch(sys.argv[1:])
