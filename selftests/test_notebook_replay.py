"""Notebook tests as probe and verdict: recorded in a kernel-like process, replayed in the grader's.

Fast (no notebook runs; a few seconds): the recording side
(:mod:`grader.notebook_record`) runs in a separate Python process standing in
for the student's kernel, so that what it patches there (``numpy.testing``,
``AssertionError``) cannot leak into the replay (:mod:`grader.notebook_replay`),
as in grading. The whole path through a real sandboxed kernel is in
``test_notebook_grading.py`` (slow).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader.notebook_record import MAX_ELEMENTS, RECORDS_ENV  # noqa: E402
from grader.notebook_replay import decode, RecordError, recording_source, replay, student_names  # noqa: E402
from grader.notebook_worker import _records  # noqa: E402
from saltlab.checks import plaindata  # noqa: E402
from saltlab.paths import REPO_ROOT, SOLUTIONS_DIR  # noqa: E402


def _test_source(notebook, grade_id):
    cells = json.loads((SOLUTIONS_DIR / notebook).read_text())["cells"]
    cell = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(cell["source"])


COVERAGE = _test_source("1_data_and_unet.ipynb", "test_salt_coverage")
SHAPES = _test_source("1_data_and_unet.ipynb", "test_unet_shapes")
CLEAN_UP = _test_source("2_questions.ipynb", "test_clean_up")
RIGHT_COVERAGE = "def salt_coverage(masks):\n    return (np.asarray(masks) != 0).reshape(len(masks), -1).mean(axis=1)\n"


def kernel(tmp_path, grade_id, source, student_code):
    """Run the grader's recording cell after ``student_code`` in a fresh process; the record it left."""
    records = tmp_path / "records"
    script = ("import numpy as np\n" + student_code + "\n" + recording_source(grade_id, source))
    env = dict(os.environ, **{RECORDS_ENV: str(records)},
               PYTHONPATH=os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return _records(str(records)).get(grade_id)


def outcome(outputs):
    """"passed", or the error output's ``ename: evalue`` (nbgrader scores a test cell by that)."""
    return "passed" if not outputs else f"{outputs[0]['ename']}: {outputs[0]['evalue']}"


def test_the_names_a_test_takes_from_the_student():
    assert student_names(COVERAGE) == ["np", "salt_coverage"]
    assert student_names(SHAPES) == ["build_unet", "impl"]
    assert student_names(CLEAN_UP) == ["clean_up", "np"]


def test_a_right_answer_passes_and_a_wrong_one_fails_with_the_assertion(tmp_path):
    record = kernel(tmp_path, "test_salt_coverage", COVERAGE, RIGHT_COVERAGE)
    assert outcome(replay("test_salt_coverage", COVERAGE, record)) == "passed"
    wrong = kernel(tmp_path / "wrong", "test_salt_coverage", COVERAGE,
                   "def salt_coverage(masks):\n    return np.asarray(masks).reshape(len(masks), -1).sum(axis=1)\n")
    outputs = replay("test_salt_coverage", COVERAGE, wrong)
    assert outcome(outputs).startswith("AssertionError: \nNot equal to tolerance")
    assert outputs[0]["traceback"][0].startswith("----> 4 np.testing.assert_allclose(salt_coverage(toy)")


def test_hidden_tests_are_replayed_too(tmp_path):
    """Right on the visible toy (integers), wrong on the hidden boolean masks."""
    record = kernel(tmp_path, "test_salt_coverage", COVERAGE,
                    "def salt_coverage(masks):\n    m = np.asarray(masks)\n"
                    "    return m.reshape(len(m), -1).mean(axis=1) if m.dtype != bool else np.zeros(len(m))\n")
    assert "1 / 15" not in COVERAGE.split("### BEGIN HIDDEN TESTS")[0]
    assert outcome(replay("test_salt_coverage", COVERAGE, record)).startswith("AssertionError")


FORGERIES = {
    "numpy.testing patched": "np.testing.assert_allclose = lambda *a, **k: None\n",
    "AssertionError replaced": "import builtins\nbuiltins.AssertionError = type('AssertionError', (Exception,), {})\n",
    "assert_allclose raises nothing, excepthook silent": (
        "import sys, numpy.testing\nnumpy.testing.assert_allclose = lambda *a, **k: None\n"
        "sys.excepthook = lambda *a: None\n"),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_what_the_kernel_patches_does_not_reach_the_verdict(tmp_path, forgery):
    wrong = "def salt_coverage(masks):\n    return np.zeros(len(masks))\n"
    record = kernel(tmp_path, "test_salt_coverage", COVERAGE, wrong + FORGERIES[forgery])
    assert outcome(replay("test_salt_coverage", COVERAGE, record)).startswith("AssertionError")


def test_inputs_changed_in_the_kernel_do_not_count(tmp_path):
    """A kernel whose np.zeros gives other toy inputs recorded answers to other questions."""
    record = kernel(tmp_path, "test_salt_coverage", COVERAGE, RIGHT_COVERAGE +
                    "_zeros = np.zeros\nnp.zeros = lambda shape, dtype=float: _zeros(shape, dtype) + 1\n")
    assert outcome(replay("test_salt_coverage", COVERAGE, record)).startswith(
        "NotRecorded: salt_coverage was not called with the test's inputs")


def test_a_function_that_changes_its_input_in_place_is_replayed_as_it_ran(tmp_path):
    """Right values, then the input zeroed: in the kernel the second call sees zeros, so must the replay."""
    record = kernel(tmp_path, "test_salt_coverage", COVERAGE,
                    "def salt_coverage(masks):\n    m = np.asarray(masks)\n"
                    "    out = (m != 0).reshape(len(m), -1).mean(axis=1)\n    m[...] = 0\n    return out\n")
    assert outcome(replay("test_salt_coverage", COVERAGE, record)) == "passed"


def test_what_the_student_raised_is_named_by_its_type_and_message(tmp_path):
    record = kernel(tmp_path, "test_clean_up", CLEAN_UP,
                    "def clean_up(masks, min_object=20, max_hole=20):\n"
                    "    raise NotImplementedError('clean_up: not implemented yet')\n")
    assert outcome(replay("test_clean_up", CLEAN_UP, record)) == "NotImplementedError: clean_up: not implemented yet"
    deleted = kernel(tmp_path / "deleted", "test_clean_up", CLEAN_UP, "")
    assert outcome(replay("test_clean_up", CLEAN_UP, deleted)) == "NameError: name 'clean_up' is not defined"


def test_a_models_shapes_are_replayed(tmp_path):
    """build_unet is the library's (a student's own binding is ignored), the blocks are the student's."""
    student = (f"import sys\nsys.path.insert(0, {str(REPO_ROOT)!r})\nfrom saltlab.impl import load_implementation\n"
               f"impl = load_implementation({str(SOLUTIONS_DIR)!r})\n"
               "build_unet = lambda impl: None  # ignored: the recording takes saltlab.models.build_unet\n")
    record = kernel(tmp_path, "test_unet_shapes", SHAPES, student)
    assert outcome(replay("test_unet_shapes", SHAPES, record)) == "passed"
    assert record["names"]["impl"] == {"kind": "value", "value": {"__opaque__": "Implementation"}}
    model = record["calls"][0]["result"]["__model__"]
    model["layers"]["bottleneck_relu2"] = {"__tuple__": [None, 8, 8, 512]}
    assert outcome(replay("test_unet_shapes", SHAPES, record)) == "AssertionError: (None, 8, 8, 512)"


def _toy():
    """The visible test's input, as the test cell builds it."""
    toy = np.zeros((3, 4, 4), dtype=np.uint8)
    toy[1, :2] = 1
    toy[2] = 1
    return toy


def _record(result, args=None):
    """A record of two calls answering ``result`` (the visible test calls salt_coverage(toy) twice)."""
    toy_args = args if args is not None else [_toy()]
    call = {"name": "salt_coverage", "args": toy_args, "kwargs": {"__dict__": {}}, "result": result}
    return {"names": {"salt_coverage": {"kind": "callable"}}, "calls": [call, dict(call)]}


HOSTILE_RECORDS = {
    "no record": None,
    "not a table": [1, 2, 3],
    "names not a table": {"names": "salt_coverage", "calls": []},
    "calls not a list": {"names": {"salt_coverage": {"kind": "callable"}}, "calls": {"a": 1}},
    "unknown tag": _record({"__pickle__": "cos\nsystem\n"}),
    "two keys": _record({"__tuple__": [], "__dict__": {}}),
    "huge array": _record(np.zeros(MAX_ELEMENTS + 1, dtype=np.uint8)),
    "deep nesting": _record(json.loads("[" * 40 + "]" * 40)),
    "name of unknown kind": {"names": {"salt_coverage": {"kind": "trusted"}}, "calls": []},
    "exception not text": {"names": {"salt_coverage": {"kind": "callable"}},
                           "calls": [{"name": "salt_coverage", "args": [], "kwargs": {"__dict__": {}},
                                      "raised": {"type": ["x"], "message": 1}}]},
    "model of strings": _record({"__model__": {"input_shape": {"__tuple__": ["a"]},
                                               "output_shape": {"__tuple__": []}, "layers": {}}}),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_RECORDS))
def test_a_tampered_record_fails_the_test_without_harming_the_grader(name):
    outputs = replay("test_salt_coverage", COVERAGE, HOSTILE_RECORDS[name])
    expected = "NotRecorded" if name in ("no record", "not a table") else "RecordError"
    assert outputs and outputs[0]["ename"] == expected, outputs


def test_a_record_for_the_right_inputs_is_used():
    """The fixture above is sound: the same record with a right result passes the visible test's first line."""
    outputs = replay("test_salt_coverage", COVERAGE, _record(np.array([0.0, 0.5, 1.0])))
    assert outputs[0]["ename"] == "NotRecorded" and outputs[0]["traceback"][0].startswith("----> 9 ")  # the hidden call


@pytest.mark.parametrize("result", [np.full(3, np.nan), "0.0 0.5 1.0", {"__opaque__": "FakeArray"}, None,
                                    {"__tuple__": [0.0, 0.5, 1.0]}, np.array([0.0, 0.5, 1.0, 9.0])])
def test_odd_but_readable_results_are_judged_not_trusted(result):
    """NaN, strings, opaque objects, tuples: read as data, then the grader's assertions fail them."""
    outputs = replay("test_salt_coverage", COVERAGE, _record(result))
    assert outputs and outputs[0]["ename"] not in ("RecordError", "NotRecorded"), outputs


def test_the_worker_reads_record_files_defensively(tmp_path):
    folder = tmp_path / "records"
    folder.mkdir()
    (folder / "test_a.npz").write_bytes(b"PK\x03\x04 not a zip")
    (folder / "test_b.npz").symlink_to("/dev/zero")
    (folder / "test_c.npz").write_bytes(plaindata.dumps({"arrays": [np.zeros(1)] * 100}))
    (folder / "test_d.npz").write_bytes(plaindata.dumps(_record(np.zeros(3))))
    records = _records(str(folder))
    assert set(records["test_a"]) == set(records["test_b"]) == set(records["test_c"]) == {"unreadable"}
    assert "too many arrays" in records["test_c"]["unreadable"]
    assert outcome(replay("test_salt_coverage", COVERAGE, records["test_a"])).startswith("RecordError")
    assert isinstance(records["test_d"]["calls"][0]["result"], np.ndarray)


def test_decode_refuses_what_is_not_tagged_plain_data():
    with pytest.raises(RecordError):
        decode(np.zeros(2, dtype=object))
    with pytest.raises(RecordError):
        decode({"__scalar__": np.zeros(2)})
    assert decode({"__tuple__": [None, {"__scalar__": np.array(2, dtype=np.uint8)}]}) == (None, 2)
