"""Grading on many machines: shards graded as separate processes, merged, equal one run byte for byte."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader.batch import BatchError, parse_shard, shard_of  # noqa: E402
from grader.merge import merge  # noqa: E402
from saltlab.paths import REPO_ROOT, SOLUTIONS_DIR  # noqa: E402
from saltlab.submit import make_submission  # noqa: E402

from test_grader_batch import make_submission_folder  # noqa: E402

SEED = 31337
ARGS = ["--only", "metrics,find_best_threshold", "--skip-training", "--timeout", "30", "--memory-gb", "4",
        "--jobs", "1", "--quiet"]
CLUSTER = REPO_ROOT / "grader" / "cluster"


def _grade(subs, out, *extra):
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", str(subs), "--out", str(out), *ARGS, *extra],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process):
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr[-3000:]
    return stderr


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One run, and the same submissions as two shards graded at the same time, then merged."""
    root = tmp_path_factory.mktemp("shards")
    subs = root / "submissions"
    for name in ("reference", "stubs", "eq_trick", "syntax_error", "infinite_loop"):
        make_submission_folder(name, subs / name)
    make_submission(SOLUTIONS_DIR, subs / "zipped.zip")
    (subs / "broken.zip").write_text("not a zip")
    (subs / "notes.txt").write_text("stray")
    single = _grade(subs, root / "single", "--seed", str(SEED))
    shards = [_grade(subs, root / f"shard{i}", "--seed", str(SEED), "--shard", f"{i}/2") for i in range(2)]
    for process in [single, *shards]:
        _finish(process)
    merge([root / "shard0", root / "shard1"], root / "merged")
    return root, subs


def _without_timing(path):
    data = json.loads(path.read_text())
    data.pop("execution_time", None)
    data.pop("timing", None)
    for row in data.get("checks", []):
        row.pop("seconds", None)
    return data


def test_merged_shards_equal_one_run(graded):
    root, _ = graded
    single, merged = root / "single", root / "merged"
    for name in ("gradebook.csv", "summary.md", "totals.png"):
        assert (merged / name).read_bytes() == (single / name).read_bytes(), name
    students = sorted(p.name for p in single.iterdir() if p.is_dir())
    assert students == sorted(p.name for p in merged.iterdir() if p.is_dir()) and len(students) == 7
    for student in students:
        assert (merged / student / "feedback.md").read_bytes() == (single / student / "feedback.md").read_bytes()
        for name in ("results.json", "grade.json"):  # equal but for the wall-clock times
            assert _without_timing(merged / student / name) == _without_timing(single / student / name)
    shard_students = [json.loads((root / f"shard{i}" / "run.json").read_text())["students"] for i in range(2)]
    assert shard_students[0] and shard_students[1], "both shards have students (the hash spreads them)"


def test_shares_do_not_depend_on_listing_order():
    ids = [f"student{k:03d}" for k in range(200)]
    shares = {i: shard_of(i, 4) for i in ids}
    assert {shard_of(i, 4) for i in reversed(ids)} == set(range(4))
    assert all(shard_of(i, 4) == shares[i] for i in sorted(ids, reverse=True))
    assert parse_shard("2/4") == (2, 4)
    for bad in ("4/4", "-1/2", "a/b", "1"):
        with pytest.raises(BatchError):
            parse_shard(bad)


def test_merge_refuses_shards_that_disagree(graded, tmp_path):
    root, subs = graded
    _finish(_grade(subs, tmp_path / "other1", "--seed", str(SEED + 1), "--shard", "1/2"))
    with pytest.raises(BatchError, match="with a different seed"):
        merge([root / "shard0", tmp_path / "other1"], tmp_path / "out")
    with pytest.raises(BatchError, match="exactly once"):
        merge([root / "shard0"], tmp_path / "out2")
    with pytest.raises(BatchError, match="exactly once"):
        merge([root / "shard0", root / "shard0"], tmp_path / "out3")
    with pytest.raises(BatchError, match="not graded as a shard"):
        merge([root / "single", root / "shard1"], tmp_path / "out4")


def test_shards_of_different_machines_merge_with_a_warning(graded, tmp_path):
    """Another processor kind can move a training check's last digits: merged, but said, in the summary too."""
    import shutil

    from saltlab.machine import numeric_platform

    root, _ = graded
    here = json.loads((root / "shard0" / "run.json").read_text())["platform"]
    assert here == numeric_platform() and here["machine"] and here["numpy"]
    other = tmp_path / "shard1"
    shutil.copytree(root / "shard1", other)
    run = json.loads((other / "run.json").read_text())
    run["platform"] = {**here, "processor": "Another CPU", "simd": ["avx2"]}
    (other / "run.json").write_text(json.dumps(run))
    said = []
    records, summary = merge([root / "shard0", other], tmp_path / "merged", warn=said.append)
    assert len(records) == 7 and len(said) == 1
    assert "2 kinds of machine" in said[0] and "Another CPU" in said[0] and str(other) in said[0]
    assert "shards graded on 2 kinds of machine" in (tmp_path / "merged" / "summary.md").read_text()
    merged_run = json.loads((tmp_path / "merged" / "run.json").read_text())
    assert merged_run["platform"] is None and len(merged_run["platforms"]) == 2
    # A hand-edited platform (not a dict, or with control characters) is described, never a crash.
    from grader.merge import _describe

    assert _describe(["x"]) == _describe("x") == "not recorded"
    assert "\x1b" not in _describe({**here, "processor": "evil\x1b[2J", "simd": [7, "a\nb"]})
    # One kind (the module's own merge): no warning and the summary of one run (test_merged_shards_equal_one_run).
    assert "kinds of machine" not in (root / "merged" / "summary.md").read_text()


def test_a_shard_needs_the_seed(tmp_path):
    make_submission_folder("reference", tmp_path / "subs" / "a")
    process = _grade(tmp_path / "subs", tmp_path / "out", "--shard", "0/2")
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 2 and "--shard needs the seed" in stderr


def test_cluster_recipes_are_well_formed():
    slurm = CLUSTER / "slurm.sbatch"
    assert subprocess.run(["bash", "-n", str(slurm)]).returncode == 0
    text = slurm.read_text()
    assert "#SBATCH --array=" in text and "--shard" in text and "SLURM_ARRAY_TASK_ID" in text
    documents = list(yaml.safe_load_all((CLUSTER / "kubernetes-job.yaml").read_text()))
    job = next(d for d in documents if d["kind"] == "Job")
    assert job["apiVersion"] == "batch/v1" and job["metadata"]["name"]
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] >= 1
    container = spec["template"]["spec"]["containers"][0]
    assert container["image"] and container["name"]
    assert "JOB_COMPLETION_INDEX" in json.dumps(container)
    assert spec["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    instructions = [line.split()[0] for line in (REPO_ROOT / "Dockerfile").read_text().splitlines()
                    if line.strip() and not line.startswith("#") and not line.startswith(" ")]
    assert instructions[0] == "FROM" and set(instructions) <= {"FROM", "RUN", "WORKDIR", "COPY", "ENV", "ENTRYPOINT"}
    assert "bubblewrap" in (REPO_ROOT / "Dockerfile").read_text()
