"""Workers spawned ahead (grader/warm_start.py): faster, and still one student at a time.

A job slot spawns the next student's worker while the current student is
graded. These tests grade three submissions in one slot, each of which
writes to its own ``worker.log`` when its files are imported and whenever
its ``conv_block`` is called, with ``time.monotonic()`` (one clock for the
whole machine: bubblewrap does not give the sandbox a time namespace), and
check from those logs that no student's code ran before the previous
student was finished.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader.sandbox import bwrap_status, identity  # noqa: E402
from saltlab.paths import REPO_ROOT, SOLUTIONS_DIR

needs_bwrap = pytest.mark.skipif(bwrap_status()[0] is None, reason=f"the sandbox is needed: {bwrap_status()[1]}")

STAMPS = '''
import os as _os, sys as _sys, time as _time


def _age():
    """Seconds since this process started (its Python and TensorFlow start-up, at import time)."""
    with open("/proc/self/stat") as stat:
        start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        return float(uptime.read().split()[0]) - start_ticks / _os.sysconf("SC_CLK_TCK")


_STARTUP = _age()
print(f"IMPORTED {{_time.monotonic()!r}} uid={{_os.getuid()}} startup={{_STARTUP:.2f}}", file=_sys.stderr, flush=True)
_conv_block, _calls = conv_block, []


def conv_block(*args, **kwargs):
    if not _calls and {slow}:
        # Outlast the next worker's start-up, whatever the machine's load: it takes about as long as
        # this one's did. Had that worker imported its files at once, they would run inside this sleep.
        _time.sleep(3 * _STARTUP + 5)
    _calls.append(1)
    print(f"CALLED {{_time.monotonic()!r}}", file=_sys.stderr, flush=True)
    return _conv_block(*args, **kwargs)
'''


def stamped_submission(folder, slow):
    """The reference, whose blocks.py logs its import and every conv_block call (the first delayed if ``slow``)."""
    assignment = folder / "assignment"
    assignment.mkdir(parents=True)
    for name in ("__init__.py", "blocks.py", "metrics.py", "threshold.py"):
        shutil.copyfile(SOLUTIONS_DIR / name, assignment / name)
    with open(assignment / "blocks.py", "a") as blocks:
        blocks.write(STAMPS.format(slow=slow))


def stamps(log):
    """``(import time, uid, [call times])`` read from one worker.log."""
    text = log.read_text()
    imported = re.findall(r"IMPORTED ([0-9.]+) uid=(\d+) startup=", text)
    assert len(imported) == 1, text[-2000:]
    return float(imported[0][0]), int(imported[0][1]), [float(t) for t in re.findall(r"CALLED ([0-9.]+)", text)]


@needs_bwrap
def test_next_worker_starts_warm_but_runs_no_student_code_early(tmp_path):
    subs, out = tmp_path / "submissions", tmp_path / "out"
    # a's first call sleeps three times its own start-up (about 16 s idle): had b's files been
    # imported as soon as b's worker was spawned, b's import stamp would fall inside a's checks.
    for name, slow in (("a", True), ("b", False), ("c", False)):
        stamped_submission(subs / name, slow)
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--only",
                             "conv_block", "--jobs", "1", "--seed", "3", "--timeout", "900", "--budget", "1200",
                             "--no-notebooks", "--quiet"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    records = {name: json.loads((out / name / "grade.json").read_text()) for name in "abc"}
    assert all(r["total"] == r["max_total"] > 0 for r in records.values()), {n: r["total"] for n, r in records.items()}
    assert [records[n]["timing"]["warm_start"] for n in "abc"] == [False, True, True]
    logged = {name: stamps(out / name / "worker.log") for name in "abc"}
    for before, after in (("a", "b"), ("b", "c")):
        last_call = max(logged[before][2])
        assert logged[after][0] > last_call, (
            f"{after}'s files were imported {last_call - logged[after][0]:.2f} s before {before}'s last call")
    if os.geteuid() == 0 and identity(0)[2]:  # a uid per cage (root grader with setpriv)
        uids = [logged[n][1] for n in "abc"]
        assert uids[0] != uids[1] and uids[0] == uids[2], uids


@needs_bwrap
def test_ctrl_c_leaves_no_worker_behind(tmp_path):
    """Interrupted while a worker waits ahead: every worker process is gone, nothing half-written."""
    subs, out = tmp_path / "submissions", tmp_path / "out"
    for name, slow in (("a", True), ("b", False), ("c", False)):
        stamped_submission(subs / name, slow)
    staging = tmp_path / "tmp"
    staging.mkdir()
    grader = subprocess.Popen([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), "--only",
                               "conv_block", "--jobs", "1", "--seed", "3", "--timeout", "900", "--no-notebooks",
                               "--quiet"], cwd=REPO_ROOT, env={**os.environ, "TMPDIR": str(staging)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 600
        while not (out / "b" / "worker.log").exists():  # b's worker is spawned ahead: a is importing its files
            assert grader.poll() is None and time.monotonic() < deadline, grader.stderr.read()[-2000:]
            time.sleep(0.2)
        grader.send_signal(signal.SIGINT)
        grader.wait(timeout=120)
    finally:
        if grader.poll() is None:
            grader.kill()
    left = subprocess.run(["pgrep", "-f", str(staging)], capture_output=True, text=True).stdout.split()
    assert not left, f"worker processes left running: {left}"
    assert not (out / "a" / "grade.json").exists() and not (out / "b" / "grade.json").exists()
