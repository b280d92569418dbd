"""Gradescope: the autograder zip (``make gradescope``) and the grading of one upload inside it.

Gradescope runs each submission in its own container: ``setup.sh`` (from the
zip's root) builds the image once; for every upload, ``run_autograder`` runs
as root in ``/autograder`` with the zip's contents in ``/autograder/source``
and the student's files in ``/autograder/submission``, and must leave
``/autograder/results/results.json`` (Gradescope's documented format). Its
standard output is shown to instructors only.

The same core grades here as in ``make grade``: :func:`grader.collect.collect_upload`
stages the upload, :func:`grader.grading.grade_submission` runs the checks in a
worker, :func:`grader.report.results_json` writes the result. The seed is fixed
when the zip is built and stored in it, so every student of a course gets the
same hidden cases and a regrade reproduces the grade.

Student code never reads the zip's contents: before grading, the source
folder and the results folder are made root-only, and the worker runs as an
unprivileged uid (inside bubblewrap where the container allows namespaces;
with ``setpriv`` alone where it does not). ``SALTLAB_AUTOGRADER_ROOT``
overrides ``/autograder`` (the tests run the same script in a temporary folder).
"""

import argparse
import hashlib
import io
import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import traceback
import zipfile
from dataclasses import replace
from pathlib import Path

from saltlab.paths import REPO_ROOT

CONFIG_NAME = "autograder.json"
"""In the zip: the seed, whether to offer a leaderboard, what built it (root-only at grading time)."""

PYTHON_VERSION = "3.11"
"""The Python ``setup.sh`` installs (Ubuntu 22.04, Gradescope's default image, ships it)."""

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder image (Ubuntu 22.04).
# It installs Python {python}, bubblewrap and the pinned packages, and nothing else.
set -euxo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python{python} python{python}-venv bubblewrap util-linux ca-certificates
python{python} -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --upgrade pip
/autograder/venv/bin/python -m pip install -r /autograder/source/requirements.txt
# saltlab itself into site-packages (not editable): the worker imports it without reading the source folder.
/autograder/venv/bin/python -m pip install --no-deps /autograder/source
/autograder/venv/bin/python -c "import saltlab, keras, tensorflow, skimage; print('autograder ready')"
# The notebooks' test cells run in a Jupyter kernel (nbgrader's Execute): ipykernel's python3 kernelspec must be there.
/autograder/venv/bin/python -c "import nbgrader, nbclient, ipykernel; from jupyter_client.kernelspec import KernelSpecManager; print('kernel', KernelSpecManager().get_kernel_spec('python3').argv[0])"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as root, in /autograder.
# SALTLAB_AUTOGRADER_ROOT and SALTLAB_AUTOGRADER_PYTHON override the paths (tests).
set -u
ROOT="${SALTLAB_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${SALTLAB_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source" || exit 1
"$PYTHON" -m grader gradescope-run --root "$ROOT"
status=$?
if [ ! -s "$ROOT/results/results.json" ]; then
  # Python itself could not run: a result the student can act on, always.
  mkdir -p "$ROOT/results"
  printf '%s\\n' '{"score": 0, "output": "The autograder could not start (not a problem with your files). Your instructor has been told; please resubmit later.", "output_format": "md", "visibility": "visible", "stdout_visibility": "hidden", "tests": []}' > "$ROOT/results/results.json"
fi
exit 0
"""

SOURCE_FILES = ("pyproject.toml", "README.md", "tests/rubric.toml")
SOURCE_TREES = (("saltlab", "*.py"), ("grader", "*.py"), ("grader/schemas", "*.json"), ("solutions", "*.py"),
                ("solutions", "*.ipynb"))
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


def _source_members():
    """``{name in the zip: path}`` of everything grading needs: the package, the grader, the reference, the rubric."""
    members = {name: REPO_ROOT / name for name in SOURCE_FILES}
    for folder, pattern in SOURCE_TREES:
        for path in sorted((REPO_ROOT / folder).rglob(pattern)):
            relative = path.relative_to(REPO_ROOT)
            if "__pycache__" not in relative.parts and not relative.parts[-1].startswith("."):
                members[relative.as_posix()] = path
    return members


def _requirements():
    """The packages of this environment, pinned (``pip freeze``), without saltlab itself."""
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True,
                            text=True, check=True).stdout
    lines = [line for line in frozen.splitlines() if line and not line.lower().startswith(("saltlab", "-e "))]
    header = (f"# Pinned by `make gradescope` from the instructor's environment "
              f"(Python {sys.version_info.major}.{sys.version_info.minor}).\n")
    return header + "\n".join(sorted(lines, key=str.lower)) + "\n"


def _add(archive, name, data, mode=0o644):
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(out, *, seed=None, leaderboard=False, requirements=None, notebooks=True):
    """Write the autograder zip.

    Parameters
    ----------
    out : pathlib.Path
        The zip to write (``release/autograder.zip``).
    seed : int, optional
        The grading seed of the course; drawn with :mod:`secrets` when not
        given. Rebuild with another seed for a new term.
    leaderboard : bool, optional
        Add a leaderboard entry (the hidden training check's validation IoU).
    requirements : str, optional
        The pinned requirements text (default: this environment's).
    notebooks : bool, optional
        Grade the notebooks' test cells too (and list the written answers as
        graded by hand), as ``make grade`` does.

    Returns
    -------
    seed : int
        The seed stored in the zip (the instructor keeps it to regrade locally).
    """
    from .plan import grader_version, seed_fingerprint

    seed = secrets.randbits(63) if seed is None else int(seed)
    if sys.version_info[:2] != tuple(int(p) for p in PYTHON_VERSION.split(".")):
        print(f"warning: this environment is Python {sys.version_info.major}.{sys.version_info.minor}; the "
              f"autograder installs Python {PYTHON_VERSION} with these pins", file=sys.stderr)
    config = {"seed": seed, "seed_fingerprint": seed_fingerprint(seed), "leaderboard": bool(leaderboard),
              "grader_version": grader_version(), "notebooks": bool(notebooks)}
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        _add(archive, "setup.sh", SETUP_SH.format(python=PYTHON_VERSION), 0o755)
        _add(archive, "run_autograder", RUN_AUTOGRADER, 0o755)
        _add(archive, "requirements.txt", requirements if requirements is not None else _requirements())
        _add(archive, CONFIG_NAME, json.dumps(config, indent=2, sort_keys=True) + "\n", 0o600)
        for name, path in sorted(_source_members().items()):
            _add(archive, name, path.read_bytes())
    out.write_bytes(buffer.getvalue())
    out.chmod(0o600)  # it holds the seed and the reference
    return seed


def _lock(path):
    """Make ``path`` and everything below it readable by root only (the grader runs as root)."""
    for folder, folders, files in os.walk(path):
        for name in folders + files:
            target = os.path.join(folder, name)
            if not os.path.islink(target):
                os.chmod(target, 0o700 if os.path.isdir(target) else 0o600)
    os.chmod(path, 0o700)


def _failure_results(message):
    """A results.json for a grading that could not finish: score 0 and words the student can act on."""
    return json.dumps({"score": 0, "output": message, "output_format": "md", "visibility": "visible",
                       "stdout_visibility": "hidden", "tests": []}, indent=2, sort_keys=True) + "\n"


def _leaderboard(record):
    """The hidden training check's validation IoU, for Gradescope's leaderboard (None if it did not run)."""
    for row in record["checks"]:
        if row["hidden"] and row["question"] == "training" and row.get("measure") is not None:
            return [{"name": "validation IoU (hidden data)", "value": round(float(row["measure"]), 4)}]
    return None


def grade_upload(root, *, settings=None, only=None, skip_training=False):
    """Grade ``ROOT/submission`` with the zip's seed and write ``ROOT/results/results.json``.

    Parameters
    ----------
    root : pathlib.Path
        ``/autograder`` on Gradescope.
    settings : grader.worker_process.Settings, optional
    only, skip_training : optional
        Narrow the checks (tests only; a course zip grades everything).

    The notebooks (when the zip says so) are graded as by ``make grade``, in
    an nbgrader course folder laid out for this upload in a root-only
    temporary folder (it holds the hidden tests); their test cells are
    Gradescope tests with the rubric's points, the written answers tests
    without a score ("awaiting grading by hand": grade them in Gradescope,
    or with formgrader and ``merge-manual`` after a local ``make grade``).

    Returns
    -------
    record : dict
        The student's record (also printed, for the instructor, on stdout).
    """
    from . import report
    from .batch import resolve_settings
    from .collect import collect_upload
    from .grading import grade_submission
    from .plan import build_plan, compute_expected, grader_version
    from .sandbox import public_worker_files
    from .worker_process import Settings
    from saltlab.impl import load_implementation

    root = Path(root)
    config = json.loads((root / "source" / CONFIG_NAME).read_text())
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    _lock(root / "source")
    os.chmod(results, 0o700)
    started = time.monotonic()
    staging = Path(tempfile.mkdtemp(prefix="saltlab-grading-"))
    staging.chmod(0o711)
    private = Path(tempfile.mkdtemp(prefix="saltlab-nbgrader-"))  # 0o700: the course holds the hidden tests
    try:
        settings = resolve_settings(settings or Settings())
        settings = replace(settings, public_dir=public_worker_files(staging / ".worker"))
        submission = collect_upload(root / "submission", staging)
        plan = build_plan(config["seed"], only=only, skip_training=skip_training)
        if not submission.problem:
            compute_expected(plan, load_implementation("solutions"))
        course = None
        if config.get("notebooks", True):
            from .notebooks import COURSE_FOLDER, prepare_course

            course = prepare_course(private / COURSE_FOLDER, source=root / "source" / "solutions")
        record = grade_submission(submission, plan, settings, log_path=staging / "worker.log", course=course)
        record.update(grader_version=grader_version(), seed_fingerprint=plan.seed_fingerprint,
                      submission_hash=submission.content_hash)
        if config.get("leaderboard"):
            record["leaderboard"] = _leaderboard(record)
        report.score(record)
        record["timing"]["total_seconds"] = round(time.monotonic() - started, 3)
        report.write_atomic(results / "results.json", report.results_json(record), mode=0o600)
        print(json.dumps({k: record[k] for k in ("status", "total", "max_total", "timing")}, indent=2))
        log = staging / "worker.log"
        if log.is_file():
            print("--- the student's output (first 20 kB, instructors only) ---")
            print(log.read_bytes()[:20_000].decode("utf-8", "replace"))
        return record
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


def run(root):
    """``run_autograder``'s body: grade, and write a results.json whatever happens."""
    root = Path(root)
    try:
        grade_upload(root, skip_training=os.environ.get("SALTLAB_AUTOGRADER_SKIP_TRAINING") == "1")
    except BaseException:  # noqa: BLE001  (the student must get a result; the instructor gets the traceback)
        traceback.print_exc(file=sys.stdout)
        (root / "results").mkdir(parents=True, exist_ok=True)
        (root / "results" / "results.json").write_text(_failure_results(
            "The autograder failed while grading your submission (not a problem the tests found in your "
            "files). Your instructor has the details; check that you uploaded `blocks.py`, `metrics.py` and "
            "`threshold.py` (or the zip `make submit` writes) and resubmit."))
    return 0


def fingerprint(path):
    """The sha256 of a file, for the build message."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.gradescope", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "release" / "autograder.zip")
    parser.add_argument("--seed", type=int, default=None, help="grading seed (default: drawn now)")
    parser.add_argument("--leaderboard", action="store_true", help="offer the hidden validation IoU as a leaderboard")
    parser.add_argument("--no-notebooks", action="store_true", help="grade the .py files only")
    args = parser.parse_args(argv)
    seed = build(args.out, seed=args.seed, leaderboard=args.leaderboard, notebooks=not args.no_notebooks)
    from .plan import seed_fingerprint

    print(f"wrote {args.out} (sha256 {fingerprint(args.out)}); seed fingerprint {seed_fingerprint(seed)}. "
          f"The seed is inside the zip ({CONFIG_NAME}); keep the zip private. Upload it on Gradescope's "
          "'Configure Autograder' page (Ubuntu 22.04 base image).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
