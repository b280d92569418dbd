"""One sandboxed worker process: start it, ask it, read its answer within a deadline, kill it.

:class:`Worker` owns one process running :mod:`grader.worker` for one
submission, in the cage :mod:`grader.sandbox` builds (and, where the machine
allows, its own control group: :mod:`grader.cgroup`). Every frame it sends is
decoded with size checks (:mod:`grader.protocol`) and every string in it
cleaned (:mod:`grader.untrusted`) before anything else reads it. Whatever the
process does wrong (hangs, dies, floods, writes garbage on the channel)
becomes a :class:`WorkerFailure` with a kind: ``timeout``, ``memory``,
``crash`` or ``budget``. What a failure costs in points is decided by
:mod:`grader.grading`.
"""

import itertools
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from saltlab.checks.core import Outcome

from . import cgroup, protocol
from .sandbox import Limits, hand_over, worker_command, worker_environment, worker_uid
from .untrusted import clean_data


@dataclass(frozen=True)
class Settings:
    """How workers run.

    Attributes
    ----------
    limits : grader.sandbox.Limits
    sandboxed : bool
        Whether to use bubblewrap.
    startup_timeout : float
        Seconds to import TensorFlow and the submission (a loaded machine
        takes 10 to 20 s; an ``import`` that loops forever hits this).
    max_restarts : int
        Fresh workers after crashes or timeouts before the remaining checks
        are failed unrun (bounds the time one submission can take).
    log_bytes : int
        How much of a worker's output (``print``, tracebacks) is kept in
        ``OUT/<student>/worker.log``; the rest is read and dropped.
    submission_budget : float
        Wall-clock seconds for the whole submission (every start, every
        check); checks not run by then fail with status ``budget``. Grading
        the reference takes about 50 s on an idle 2-core machine and 210 s on
        a heavily loaded one.
    keyring_filter : bool
        Install the seccomp filter that denies the kernel keyring.
    control_group : bool
        Put each worker's processes in a control group with one memory budget
        (``limits.total_memory_bytes``) where the machine allows it.
    public_dir : pathlib.Path or None
        The world-readable folder holding the worker's own files
        (:func:`grader.sandbox.public_worker_files`), made per batch.
    """

    limits: Limits = field(default_factory=Limits)
    sandboxed: bool = True
    startup_timeout: float = 180.0
    max_restarts: int = 6
    log_bytes: int = 2**20
    submission_budget: float = 600.0
    keyring_filter: bool = True
    control_group: bool = True
    public_dir: object = None


class WorkerFailure(RuntimeError):
    """The worker did not answer: ``kind`` is 'timeout', 'memory' or 'crash'."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


class OverBudget(WorkerFailure):
    """The submission's total time budget ran out; the worker was killed."""

    def __init__(self, budget):
        super().__init__("budget", f"your submission used its whole time budget ({budget:g} s for every check "
                                   "together); the checks not run by then failed")


_ACTIVE = set()
_ACTIVE_LOCK = threading.Lock()


def kill_all_workers():
    """Kill every running worker (on Ctrl-C: their checks are abandoned, not failed)."""
    with _ACTIVE_LOCK:
        processes = list(_ACTIVE)
    for process in processes:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class Deadline(WorkerFailure):
    """The wall-clock limit passed; the worker was killed."""

    def __init__(self, message="timed out"):
        super().__init__("timeout", message)


class CappedLog:
    """A log file that keeps the first ``limit`` bytes of everything written to it."""

    def __init__(self, path, limit):
        self.path, self.limit, self.size = path, limit, 0
        self.lock = threading.Lock()
        # The log holds whatever the student printed, hidden inputs included: the instructor's only.
        self.handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") if path else None

    def write(self, data):
        with self.lock:
            if self.handle is None or self.size > self.limit:
                return
            room = self.limit - self.size
            self.handle.write(data[:room])
            self.size += len(data)
            if self.size > self.limit:
                self.handle.write(b"\n[... more output dropped: the log keeps the first %d bytes]\n" % self.limit)
            self.handle.flush()

    def close(self):
        with self.lock:
            if self.handle:
                self.handle.close()
                self.handle = None


def _exit_failure(returncode, limits):
    """Name what killed a worker from its exit code (bwrap reports 128 + signal)."""
    signum = -returncode if returncode < 0 else returncode - 128 if returncode > 128 else 0
    if signum == signal.SIGKILL:
        return WorkerFailure("memory", "the process was killed (SIGKILL), most likely for using more memory "
                                       "than its limit")
    if signum == signal.SIGXCPU:
        return WorkerFailure("timeout", f"the process used its {limits.cpu_seconds} s of CPU time")
    if signum == signal.SIGXFSZ:
        return WorkerFailure("crash", f"the process wrote a file larger than {limits.file_bytes // 2**20} MiB")
    if signum:
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        return WorkerFailure("crash", f"the process died of signal {name}")
    return WorkerFailure("crash", f"the process exited (exit code {returncode}), e.g. os._exit() or a crash "
                                  "in native code")


class Worker:
    """One worker process serving one submission.

    Parameters
    ----------
    submission : pathlib.Path
        The staged folder of the student's files.
    settings : Settings
    slot : int
        The parallel job slot (picks the sandbox uid).
    log : CappedLog
        Receives the worker's stdout and stderr.
    module : str, optional
        What runs in the cage (:func:`grader.sandbox.worker_command`).
    arguments : list of str, optional
        Its arguments (default: the submission folder).
    """

    _names = itertools.count()

    def __init__(self, submission, settings, slot, log, *, module="grader.worker", arguments=None):
        self.submission, self.settings, self.slot, self.log = submission, settings, slot, log
        self.module, self.arguments = module, arguments
        # grader.worker loads the submission only when asked (so it can be spawned ahead of time).
        self.load_request = module == "grader.worker"
        self.process = None
        self.group = None
        self.peak_memory_bytes = None
        self.seq = 0

    def start(self):
        """Spawn the worker (unless :meth:`spawn` did already) and wait for its import report.

        Returns
        -------
        report : dict
            ``{"ready": bool, "kind": "syntax error" | "import error" | "", "error": str}``.

        Raises
        ------
        WorkerFailure
            If it does not report within ``startup_timeout`` of this call or dies first.
        """
        if self.process is None:
            self.spawn()
        deadline = time.monotonic() + self.settings.startup_timeout
        doing = f"importing your files (more than {self.settings.startup_timeout:g} s)"
        if self.load_request:
            try:
                protocol.write_frame(self.process.stdin.fileno(), {"seq": 0, "load": True}, deadline=deadline)
            except protocol.FrameTimeout:
                self.stop()
                raise Deadline(f"timed out while {doing}") from None
            except protocol.ProtocolError as error:
                raise self._failure(error) from None
        report = self._read(deadline, doing)
        if report.get("seq") != 0 or not isinstance(report.get("ready"), bool):
            self.stop()
            raise WorkerFailure("crash", "the process wrote something other than its import report on the "
                                         "grader's channel")
        return report

    def spawn(self):
        """Start the process in its cage; it loads TensorFlow and, for ``grader.worker``, waits.

        Nothing of the submission runs before :meth:`start` sends the load
        request, so a worker can be spawned while another student is graded.
        """
        limits = self.settings.limits
        hand_over(self.submission, worker_uid(self.slot, self.settings.sandboxed))
        if self.settings.control_group:
            self.group, _ = cgroup.create(f"saltlab-{os.getpid()}-{next(self._names)}",
                                          memory_bytes=limits.total_memory_bytes, processes=limits.processes)
        argv, cwd = worker_command(self.submission, limits=limits, slot=self.slot, sandboxed=self.settings.sandboxed,
                                   cgroups=self.group.folders if self.group else (),
                                   keyring_filter=self.settings.keyring_filter, public_dir=self.settings.public_dir,
                                   module=self.module, arguments=self.arguments)
        self.process = subprocess.Popen(argv, cwd=cwd, env=worker_environment(), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        with _ACTIVE_LOCK:
            _ACTIVE.add(self.process)
        os.set_blocking(self.process.stdin.fileno(), False)
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()

    def _drain_output(self):
        stream = self.process.stderr
        while chunk := stream.read1(1 << 16):
            self.log.write(chunk)

    def _read(self, deadline, doing):
        """The next frame, every string in it cleaned (:mod:`grader.untrusted`): it is the student's data."""
        try:
            return clean_data(protocol.read_frame(self.process.stdout.fileno(), deadline=deadline))
        except protocol.FrameTimeout:
            self.stop()
            raise Deadline(f"timed out while {doing}") from None
        except protocol.ProtocolError as error:
            raise self._failure(error) from None

    def _failure(self, error):
        """The process broke the channel: name why (exit code) and make sure it is gone."""
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.stop()
            return WorkerFailure("crash", f"the process broke the grader's channel ({error})")
        self.stop()
        return _exit_failure(returncode, self.settings.limits)

    def ask(self, check_id, case, deadline):
        """Run the probe of ``check_id`` on ``case`` in the worker.

        Only the case's id, parameters and input arrays are sent; its
        ``secret`` never leaves this process.

        Returns
        -------
        outcome : saltlab.checks.core.Outcome

        Raises
        ------
        WorkerFailure
            Timeout, death, or a reply that is not the answer to this request.
        """
        request = {"check_id": check_id, "case_id": case.id, "params": case.params, "arrays": case.arrays}
        return Outcome.from_plain(self.call(request, deadline).get("outcome"))

    def call(self, request, deadline, doing="running"):
        """Send one request (its ``seq`` is added) and return the worker's cleaned reply.

        Raises
        ------
        WorkerFailure
            Timeout, death, or a reply that is not the answer to this request.
        """
        self.seq += 1
        request = {"seq": self.seq, **request}
        try:
            protocol.write_frame(self.process.stdin.fileno(), request, deadline=deadline)
        except protocol.FrameTimeout:
            self.stop()
            raise Deadline() from None
        except protocol.ProtocolError as error:
            raise self._failure(error) from None
        response = self._read(deadline, doing)
        if response.get("seq") != self.seq:
            self.stop()
            raise WorkerFailure("crash", "the process wrote a reply that does not belong to the request "
                                         "on the grader's channel")
        return response

    def stop(self):
        """Kill the worker's whole process group (bubblewrap takes the sandbox with it)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        if self.group is not None:
            self.peak_memory_bytes = self.group.peak_memory_bytes()
            self.group.remove()
            self.group = None
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self.process)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._drain.join(timeout=5)
        self.process.stderr.close()
        self.process = None
