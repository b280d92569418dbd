"""The Gradescope route: build the autograder zip, run its run_autograder on uploads, as Gradescope would.

The zip is extracted into a temporary root laid out like Gradescope's
``/autograder`` (``source/``, ``submission/``, ``results/``) and its own
``run_autograder`` runs there, as root, with the root and the Python
overridden by environment variables (the same script runs unchanged on
Gradescope). Every ``results.json`` is validated against a JSON schema
written from Gradescope's documented fields.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader import gradescope, sandbox  # noqa: E402
from grader.plan import seed_fingerprint  # noqa: E402
from saltlab.checks.rubric import load_rubric  # noqa: E402
from saltlab.paths import REPO_ROOT, SOLUTIONS_DIR  # noqa: E402
from saltlab.submit import make_submission  # noqa: E402

from test_grader_batch import make_submission_folder  # noqa: E402

SEED = 4242424242
SCHEMA = json.loads((REPO_ROOT / "grader" / "schemas" / "gradescope_results.schema.json").read_text())
RUBRIC = load_rubric()


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "autograder.zip"
    gradescope.build(path, seed=SEED, requirements="numpy==2.0\n", notebooks=False)
    return path


@pytest.fixture(scope="module")
def notebooks_zip(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "autograder.zip"
    gradescope.build(path, seed=SEED, requirements="numpy==2.0\n")
    return path


def run_autograder(autograder_zip, root, upload, *, skip_training=True):
    """Lay out ``root`` like /autograder with ``upload`` as the submission; run the zip's run_autograder."""
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    for name, info in ((i.filename, i) for i in zipfile.ZipFile(autograder_zip).infolist()):
        os.chmod(root / "source" / name, (info.external_attr >> 16) & 0o777)  # as Gradescope's unzip keeps them
    shutil.copytree(upload, root / "submission")
    env = {**os.environ, "SALTLAB_AUTOGRADER_ROOT": str(root), "SALTLAB_AUTOGRADER_PYTHON": sys.executable,
           "SALTLAB_AUTOGRADER_SKIP_TRAINING": "1" if skip_training else "0"}
    result = subprocess.run(["bash", str(root / "source" / "run_autograder")], cwd=root, env=env,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    return results, result


def test_zip_layout_and_private_contents(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = archive.namelist()
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        config = json.loads(archive.read(gradescope.CONFIG_NAME))
        setup = archive.read("setup.sh").decode()
    assert {"setup.sh", "run_autograder", "requirements.txt", gradescope.CONFIG_NAME} <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755 and modes[gradescope.CONFIG_NAME] == 0o600
    assert "solutions/blocks.py" in names and "grader/hidden_cases.py" in names and "saltlab/impl.py" in names
    assert not any(n.startswith(("assignment/", "selftests/", ".git")) for n in names)
    assert config["seed"] == SEED and config["seed_fingerprint"] == seed_fingerprint(SEED)
    assert "bubblewrap" in setup and "pip install -r /autograder/source/requirements.txt" in setup
    assert "get_kernel_spec('python3')" in setup  # the notebooks' kernel
    assert "solutions/1_data_and_unet.ipynb" in names and "solutions/2_questions.ipynb" in names
    assert config["notebooks"] is False
    assert subprocess.run(["bash", "-n", "-c", setup]).returncode == 0
    assert stat.S_IMODE(autograder_zip.stat().st_mode) == 0o600


@pytest.mark.parametrize("upload", ["stubs", "syntax_error", "exit_at_import", "nested_zip"])
def test_uploads_that_cannot_score(autograder_zip, tmp_path, upload):
    """Stubs score 0 with every test failed; broken uploads get a status the student can act on."""
    files = tmp_path / "upload"
    if upload == "nested_zip":
        make_submission(SOLUTIONS_DIR.parent / "assignment", tmp_path / "inner" / "submission.zip")
        files.mkdir()
        shutil.copy(tmp_path / "inner" / "submission.zip", files / "submission.zip")
    else:
        make_submission_folder(upload, files / "assignment")
    results, run = run_autograder(autograder_zip, tmp_path / "root", files)
    assert results["score"] == 0 and all(t["status"] == "failed" for t in results["tests"]), results["output"]
    expected = {"stubs": "not implemented yet", "nested_zip": "not implemented yet",
                "syntax_error": "Status **syntax error**", "exit_at_import": "Status **crash**"}[upload]
    assert expected in json.dumps(results), results["output"]
    assert str(SEED) not in json.dumps(results) and str(SEED) not in run.stdout
    assert results["extra_data"]["seed_fingerprint"] == seed_fingerprint(SEED)
    for test in results["tests"]:
        assert test["visibility"] == ("after_published" if "| hidden:" in test["name"] else "visible")


def test_reference_gets_full_marks_and_hides_hidden_points(autograder_zip, tmp_path):
    """Every check, the four trainings included: the reference scores the whole rubric."""
    make_submission_folder("reference", tmp_path / "upload")
    results, run = run_autograder(autograder_zip, tmp_path / "root", tmp_path / "upload", skip_training=False)
    assert results["score"] == RUBRIC.possible(), run.stdout[-3000:]
    hidden = sum(e.points for e in RUBRIC.hidden.values())
    assert f"Hidden checks ({hidden:g} points) are shown when grades are published." in results["output"]
    assert f"{RUBRIC.possible():g}" not in results["output"], "the total with hidden points is not shown early"
    assert all(t["visibility"] == "after_published" for t in results["tests"] if "| hidden:" in t["name"])
    assert stat.S_IMODE((tmp_path / "root" / "source").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "root" / "results").stat().st_mode) == 0o700


def test_a_crash_of_the_grader_still_writes_results(autograder_zip, tmp_path):
    """No submission folder at all (Gradescope never does this, a broken image might): score 0, a message."""
    root = tmp_path / "root"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
    (root / "source" / gradescope.CONFIG_NAME).write_text("{not json")
    env = {**os.environ, "SALTLAB_AUTOGRADER_ROOT": str(root), "SALTLAB_AUTOGRADER_PYTHON": sys.executable}
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                         timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 0 and "autograder failed" in results["output"]
    assert "Traceback" in run.stdout and "Traceback" not in results["output"]
    env["SALTLAB_AUTOGRADER_PYTHON"] = str(tmp_path / "no-python-here")
    (root / "results" / "results.json").unlink()
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, timeout=60)
    results = json.loads((root / "results" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    assert results["score"] == 0 and "could not start" in results["output"]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv")
def test_uid_drop_without_bubblewrap_cannot_read_root_only_files(tmp_path, monkeypatch):
    """In a container without namespaces the worker runs through setpriv as an unprivileged uid:
    the same prefix, run here on a root-only file laid out like Gradescope's source, is refused."""
    sandbox.fallback_identity.cache_clear()
    monkeypatch.setattr(sandbox, "_reachable_by_others", lambda path: True)
    try:
        prefix, uid, reason = sandbox.fallback_identity()
    finally:
        sandbox.fallback_identity.cache_clear()
    assert uid == sandbox.BASE_UID and reason == "" and prefix[0].endswith("setpriv")
    secret = tmp_path / "source" / gradescope.CONFIG_NAME
    secret.parent.mkdir()
    secret.write_text('{"seed": 1}')
    gradescope._lock(tmp_path / "source")
    tmp_path.chmod(0o755)
    read = subprocess.run(prefix + ["/bin/cat", str(secret)], capture_output=True, text=True)
    assert read.returncode != 0 and "Permission denied" in read.stderr
    who = subprocess.run(prefix + ["/usr/bin/id", "-u"], capture_output=True, text=True)
    assert who.stdout.strip() == str(uid)


def test_leaderboard_offers_the_hidden_training_iou_only():
    rows = [{"hidden": False, "question": "training", "measure": 0.91},
            {"hidden": True, "question": "training", "measure": 0.8765432},
            {"hidden": True, "question": "metrics", "measure": None}]
    assert gradescope._leaderboard({"checks": rows}) == [{"name": "validation IoU (hidden data)", "value": 0.8765}]
    assert gradescope._leaderboard({"checks": rows[:1]}) is None
    board = {"score": 1, "leaderboard": gradescope._leaderboard({"checks": rows})}
    jsonschema.validate(board, SCHEMA)


@pytest.mark.skipif(sandbox.bwrap_status()[0] is None, reason="the notebooks run in the sandbox")
def test_notebooks_are_graded_and_written_answers_await_grading_by_hand(notebooks_zip, tmp_path):
    """The reference's notebooks over the stubs' .py files (their checks fail fast): the notebooks' own
    test cells pass with the rubric's points, the U-Net's (built from the stub blocks) fails, answers have no score."""
    folder = make_submission_folder("stubs", tmp_path / "upload" / "assignment")
    for name in ("1_data_and_unet.ipynb", "2_questions.ipynb"):
        shutil.copyfile(SOLUTIONS_DIR / name, folder / name)
    results, run = run_autograder(notebooks_zip, tmp_path / "root", tmp_path / "upload")
    tests = {t["name"].split(" | ")[-1]: t for t in results["tests"]}
    for grade_id, entry in RUBRIC.notebook.items():
        test = tests[grade_id]
        assert test["max_score"] == entry.points and test["visibility"] == "visible"
        if entry.manual:  # informational in Gradescope's terms: neither a score nor a status
            assert "score" not in test and "status" not in test, test
            assert test["output"].startswith("awaiting grading by hand"), test
        elif grade_id == "test_unet_shapes":
            assert test["status"] == "failed" and test["score"] == 0 and "NotImplementedError" in test["output"]
        else:
            assert test["status"] == "passed" and test["score"] == entry.points, test["output"]
    written = sum(e.points for e in RUBRIC.notebook.values() if e.manual)
    assert f"Written answers ({written:g} points) await grading by hand." in results["output"]
    assert not list(Path(tmp_path / "root").rglob("gradebook.db"))  # the course folder (hidden tests) is gone
