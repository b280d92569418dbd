"""The grader end to end: real worker processes, real bubblewrap, hostile submissions.

Most tests share one batch graded once without the training checks
(``--skip-training``, seconds per submission). ``test_full_grade_*`` runs
everything, training included, on the reference and the stubs
(``@pytest.mark.slow``, a few minutes on 2 cores).

Every hostile submission is the reference with one twist
(``selftests/submissions/README.md``); each must lose exactly the points of
the checks its twist breaks, and the batch must complete.
"""

import csv
import json
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader.sandbox import bwrap_status  # noqa: E402
from saltlab.checks.rubric import load_rubric
from saltlab.paths import ASSIGNMENT_DIR, REPO_ROOT, SOLUTIONS_DIR
from saltlab.submit import make_submission

FIXTURES = REPO_ROOT / "selftests" / "submissions"
GRADED = ("__init__.py", "blocks.py", "metrics.py", "threshold.py")
SEED = 20251125
FAST = ["--skip-training", "--seed", str(SEED), "--timeout", "30", "--memory-gb", "4", "--jobs", "2", "--no-notebooks"]
"""These tests are about the .py part; the notebooks have their own (selftests/test_notebook_grading.py)."""
NETWORK_PORT = 47613

needs_bwrap = pytest.mark.skipif(bwrap_status()[0] is None, reason=f"the sandbox is needed: {bwrap_status()[1]}")

RUBRIC = load_rubric()
PUBLIC = [e.key for e in RUBRIC.checks.values() if e.question != "training"]
HIDDEN = [e.key for e in RUBRIC.hidden.values() if e.question != "training"]
FAST_KEYS = PUBLIC + HIDDEN


def keys(prefix):
    """Rubric entry keys (public and hidden, training left out) whose check id starts with ``prefix``."""
    return {k for k in FAST_KEYS if k.split(":")[-1].startswith(prefix)}


MUST_FAIL = {
    "reference": set(),
    "stubs": set(FAST_KEYS),
    "infinite_loop": {"metrics.conventions"},
    "memory_bomb": keys("conv_block."),
    "os_exit": {"merge_skip.values", "hidden:merge_skip.values", "merge_skip.names"},  # names has a 'max' case
    "sys_exit": keys("downsample.") - {"downsample.errors"},
    "exit_at_import": set(FAST_KEYS),
    # Its 'add' is a bare Subtract: no shape check, so shapes that broadcast pass unrefused.
    "patch_numpy": {"merge_skip.values", "hidden:merge_skip.values", "merge_skip.errors"},
    "forge": keys("downsample.") - {"downsample.errors"},
    "eq_trick": keys("find_best_threshold.") - {"find_best_threshold.errors"},
    "network": keys("merge_skip."),
    "read_solutions": keys("conv_block."),
    "syntax_error": set(FAST_KEYS),
    "non_utf8": set(FAST_KEYS),
    "import_error": set(FAST_KEYS),
    "flood_output": set(),
}
"""Per submission of the batch, the rubric entries that must fail; every other one must pass."""

STATUS = {"reference": "ok", "stubs": "ok", "infinite_loop": "timeout", "memory_bomb": "memory",
          "os_exit": "crash", "sys_exit": "ok", "exit_at_import": "crash", "patch_numpy": "ok", "forge": "ok",
          "eq_trick": "ok", "network": "ok", "read_solutions": "ok", "syntax_error": "syntax error",
          "non_utf8": "syntax error", "import_error": "import error", "flood_output": "ok"}


def make_submission_folder(name, target):
    """The reference with the fixture ``name`` laid over it (see selftests/submissions/README.md)."""
    target.mkdir(parents=True)
    if name == "stubs":
        for file in GRADED:
            shutil.copyfile(ASSIGNMENT_DIR / file, target / file)
        return target
    for file in GRADED:
        shutil.copyfile(SOLUTIONS_DIR / file, target / file)
    if name == "reference":
        return target
    for fixture in sorted((FIXTURES / name).glob("*.py")):
        if fixture.name != "__init__.py" and (target / fixture.name).exists():  # else: a helper module of its own
            (target / fixture.name).rename(target / f"_reference_{fixture.name}")
        shutil.copyfile(fixture, target / fixture.name)
    return target


def grade(submissions, out, *options):
    """``python -m grader grade`` as a subprocess, the way ``make grade`` runs it."""
    return subprocess.run([sys.executable, "-m", "grader", "grade", str(submissions), "--out", str(out), *options],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)


def failed_keys(out, folder):
    record = json.loads((out / folder / "grade.json").read_text())
    return {row["key"] for row in record["checks"] if not row["passed"]}, record


def gradebook(out):
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def listener():
    """A TCP server on the host's loopback that the network fixture tries to reach."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        server.bind(("127.0.0.1", NETWORK_PORT))
    except OSError:
        server.close()
        yield None
        return
    server.listen()
    server.settimeout(0.2)
    received = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            received.append(connection.recv(1000))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield received
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory, listener):
    """Every hostile submission, the reference (as a folder and as a `make submit` zip), the stubs,
    a zip that is not a zip, an odd student id and a stray file, graded once without training."""
    root = tmp_path_factory.mktemp("batch")
    subs = root / "submissions"
    for name in MUST_FAIL:
        make_submission_folder(name, subs / name)
    make_submission(SOLUTIONS_DIR, subs / "zipped_reference.zip")
    (subs / "not_a_zip.zip").write_text("I renamed my notes to .zip")
    make_submission_folder("reference", subs / "Zoë O'Neil; rm -rf ~" / "assignment")
    (subs / "README.txt").write_text("stray file")
    out = root / "out"
    result = grade(subs, out, *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    return subs, out, result, listener


@needs_bwrap
@pytest.mark.parametrize("name", sorted(MUST_FAIL))
def test_each_submission_loses_exactly_its_broken_checks(batch, name):
    _, out, _, _ = batch
    failed, record = failed_keys(out, name)
    assert failed == MUST_FAIL[name], {row["key"]: row["message"][:200] for row in record["checks"]
                                       if row["key"] in failed ^ MUST_FAIL[name]}
    assert record["status"] == STATUS[name], record["message"]
    expected_total = sum(e.points for e in RUBRIC.entries() if e.question != "training") - sum(
        e.points for e in RUBRIC.entries() if e.key in MUST_FAIL[name])
    assert record["total"] == pytest.approx(expected_total)
    results = json.loads((out / name / "results.json").read_text())
    assert results["score"] == pytest.approx(expected_total)


@needs_bwrap
def test_batch_gradebook_rows_and_bad_entries(batch):
    _, out, result, _ = batch
    book = gradebook(out)
    full = sum(e.points for e in RUBRIC.entries() if e.question != "training")
    assert list(book) == sorted(book)
    assert set(book) == set(MUST_FAIL) | {"zipped_reference", "not_a_zip", "Zoë O'Neil; rm -rf ~"}
    assert float(book["zipped_reference"]["total"]) == full
    assert float(book["Zoë O'Neil; rm -rf ~"]["total"]) == full
    assert book["not_a_zip"]["status"] == "bad archive" and float(book["not_a_zip"]["total"]) == 0
    assert "not_a_zip.zip is not a zip archive" in (out / "not_a_zip" / "feedback.md").read_text()
    assert "README.txt: neither a folder nor a .zip; skipped" in result.stderr
    assert list(csv.reader(open(out / "gradebook.csv")))[0] == [
        "student_id", "conv_block", "downsample", "merge_skip", "metrics", "threshold", "total", "max_total", "status"]
    odd = [p.name for p in out.iterdir() if p.name.startswith("Zo")]
    assert len(odd) == 1 and odd[0].isascii() and " " not in odd[0] and ";" not in odd[0]
    summary = (out / "summary.md").read_text()
    assert "## Pass rate per check" in summary and "| hidden:conv_block.numerics |" in summary
    assert (out / "totals.png").read_bytes()[:4] == b"\x89PNG"
    assert str(SEED) not in summary and str(SEED) not in (out / "reference" / "results.json").read_text()


@needs_bwrap
def test_forged_files_land_nowhere(batch):
    subs, out, result, _ = batch
    assert "FORGED" not in (out / "gradebook.csv").read_text()
    for path in [*out.rglob("*"), *subs.rglob("*")]:
        if path.is_file() and path.suffix in (".csv", ".json", ".md"):
            assert "FORGED" not in path.read_text(errors="replace"), path
    # The fixture writes gradebook.csv, results.json, grade.json and forge/results.json into every folder it
    # can name: /tmp and its folders, the repository, its parents and their folders. Inside the sandbox
    # none of them is the host's, so none of the host's holds its text.
    folders = {Path("/tmp"), REPO_ROOT, REPO_ROOT.parent, REPO_ROOT / "out" / "grades"}
    for root in (Path("/tmp"), REPO_ROOT, REPO_ROOT.parent):
        folders.update(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
    written = [folder / name for folder in folders
               for name in ("gradebook.csv", "results.json", "grade.json", "forge/results.json")]
    forged = [path for path in written if path.is_file() and "FORGED" in path.read_text(errors="replace")]
    assert forged == [], forged
    # Its print went to its own log, not into the grader's channel.
    assert "FORGED" in (out / "forge" / "worker.log").read_text()


@needs_bwrap
def test_network_is_unreachable(batch):
    _, out, _, received = batch
    if received is None:
        pytest.skip(f"port {NETWORK_PORT} is busy on this machine")
    assert received == [], "the sandboxed worker reached the host's network"
    _, record = failed_keys(out, "network")
    assert "ConnectionError" in json.dumps(record["checks"])


@needs_bwrap
def test_reference_is_invisible_to_the_worker(batch):
    _, out, _, _ = batch
    _, record = failed_keys(out, "read_solutions")
    row = next(r for r in record["checks"] if r["key"] == "conv_block.shapes")
    assert "FileNotFoundError: could not read the reference" in row["feedback"]


@needs_bwrap
def test_failures_are_explained_without_hidden_inputs(batch):
    _, out, _, _ = batch
    loop = (out / "infinite_loop" / "feedback.md").read_text()
    assert "timed out: metrics.conventions took more than 30 s" in loop
    crash = (out / "os_exit" / "feedback.md").read_text()
    assert "the process exited (exit code 0)" in crash
    assert "hidden cases of merge_skip.values" in crash and "the process running your code died on a hidden case" in crash
    bomb = json.loads((out / "memory_bomb" / "results.json").read_text())
    hidden = [t for t in bomb["tests"] if "hidden:" in t["name"]]
    assert hidden and all(t["visibility"] == "after_published" for t in hidden)
    (conv_hidden,) = [t for t in hidden if t["name"].endswith("| hidden: conv_block.numerics")]
    assert "raised MemoryError on an input not in the public tests" in conv_hidden["output"]
    assert "hidden-" not in conv_hidden["output"] and "input_shape" not in conv_hidden["output"]
    for name in ("eq_trick", "patch_numpy"):
        text = (out / name / "feedback.md").read_text()
        assert "disagrees with the reference on inputs not in the public tests" in text
        assert "hidden-1" not in text and "input_shape" not in text.split("hidden cases")[-1]
    log = (out / "flood_output" / "worker.log").stat().st_size
    assert 2**20 <= log < 2**20 + 1000, "the log keeps the first MiB of a flood"
    import_error = (out / "import_error" / "feedback.md").read_text()
    assert "No module named 'numpy_but_faster'" in import_error
    assert "not UTF-8" in (out / "non_utf8" / "feedback.md").read_text()


@needs_bwrap
def test_rerun_skips_unchanged_and_force_regrades(batch):
    subs, out, _, _ = batch
    before = (out / "gradebook.csv").read_bytes()
    again = grade(subs, out, *FAST)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"{len(MUST_FAIL) + 3} submissions: 0 to grade" in again.stderr
    assert (out / "gradebook.csv").read_bytes() == before


@needs_bwrap
def test_two_runs_give_identical_gradebooks(tmp_path):
    subs = tmp_path / "submissions"
    for name in ("reference", "stubs", "eq_trick", "os_exit", "syntax_error"):
        make_submission_folder(name, subs / name)
    (subs / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    books = []
    for run in ("first", "second"):
        result = grade(subs, tmp_path / run, "--only", "merge_skip,find_best_threshold,metrics", *FAST)
        assert result.returncode == 0, result.stderr[-2000:]
        books.append((tmp_path / run / "gradebook.csv").read_bytes())
    assert books[0] == books[1]
    questions = ("merge_skip", "metrics", "threshold")  # what --only merge_skip,find_best_threshold,metrics selects
    points = [sum(e.points for e in RUBRIC.entries() if e.question == q) for q in questions]
    row = ",".join(["reference", *(f"{p:g}" for p in points), f"{sum(points):g}", f"{sum(points):g}", "ok"])
    assert row.encode() in books[0], books[0]


def test_empty_and_missing_submission_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    result = grade(tmp_path / "empty", tmp_path / "out")
    assert result.returncode == 2 and "no submissions in" in result.stderr and "one folder or .zip" in result.stderr
    result = grade(tmp_path / "missing", tmp_path / "out")
    assert result.returncode == 2 and "does not exist" in result.stderr
    result = grade(tmp_path / "empty", tmp_path / "out", "--only", "nonsense")
    assert result.returncode == 2


def test_fallback_without_sandbox_warns_and_still_limits(tmp_path):
    subs = tmp_path / "submissions"
    make_submission_folder("reference", subs / "reference")
    make_submission_folder("infinite_loop", subs / "loop")
    result = grade(subs, tmp_path / "out", "--no-sandbox", "--only", "metrics", "--seed", "1", "--timeout", "20")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "WITHOUT a sandbox" in result.stderr
    book = gradebook(tmp_path / "out")
    assert book["reference"]["total"] == "11" and book["loop"]["status"] == "timeout"
    assert book["loop"]["total"] == "9"


@needs_bwrap
@pytest.mark.slow
def test_full_grade_with_training(tmp_path):
    """Everything, training and the hidden training case included: the reference gets full marks."""
    subs = tmp_path / "submissions"
    make_submission_folder("reference", subs / "reference")
    make_submission_folder("stubs", subs / "stubs")
    result = grade(subs, tmp_path / "out", "--seed", str(SEED), "--jobs", "2", "--no-notebooks")
    assert result.returncode == 0, result.stderr[-3000:]
    book = gradebook(tmp_path / "out")
    full = RUBRIC.possible()
    assert float(book["reference"]["total"]) == full, (tmp_path / "out" / "reference" / "feedback.md").read_text()
    assert book["reference"]["training"] == "10" and book["reference"]["status"] == "ok"
    assert float(book["stubs"]["total"]) == 0 and book["stubs"]["status"] == "ok"
    record = json.loads((tmp_path / "out" / "reference" / "grade.json").read_text())
    hidden_training = next(r for r in record["checks"] if r["key"] == "hidden:training.maxpool_concat")
    assert hidden_training["passed"]
    # The figures, drawn in the background while the worker trained (grader.figures), are the record's.
    from saltlab.checks.training_feedback import render_figure

    drawn = [row for row in record["checks"] if row.get("figure")]
    assert len(drawn) == 3
    for row in drawn:
        png = (tmp_path / "out" / "reference" / f"{row['check_id']}.png").read_bytes()
        assert png == render_figure(row["figure"], title=row["check_id"]), row["check_id"]
    # The trainings again, the reference alone, no worker spawned ahead: the two other public
    # configurations train beside the first in both runs (TrainingsAhead), under other loads;
    # every training row (IoU, curve, predictions) must be the same to the last bit.
    alone = tmp_path / "alone"
    make_submission_folder("reference", alone / "reference")
    result = grade(alone, tmp_path / "again", "--seed", str(SEED), "--only", "training", "--jobs", "1",
                   "--no-warm-start", "--no-notebooks")
    assert result.returncode == 0, result.stderr[-3000:]
    again = json.loads((tmp_path / "again" / "reference" / "grade.json").read_text())
    trainings = {row["key"]: (row["measure"], row.get("figure")) for row in record["checks"]
                 if row["question"] == "training"}
    assert len(trainings) == 4
    assert {row["key"]: (row["measure"], row.get("figure")) for row in again["checks"]} == trainings
