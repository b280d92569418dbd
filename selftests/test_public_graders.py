"""The public graders are themselves tested: wrong code loses points, unusual correct code keeps them.

Also: the reference passes everything, and the untouched stubs fail every
test with the one-line "not implemented yet" message, never a crash.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from saltlab.impl import load_implementation
from saltlab.paths import REPO_ROOT

from mutants import MUTANTS, NAMED, build_mutant, overlay
from saltlab.checks.in_process import score_locally

UNUSUAL = Path(__file__).parent / "unusual"


def test_reference_passes_every_public_check(reference):
    results = score_locally(reference)
    assert {cid: v.message for cid, v in results.items() if not v.passed} == {}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_wrong_implementation_loses_points(name, tmp_path):
    module, mistake, _, must_fail = MUTANTS[name]
    impl = load_implementation(build_mutant(name, tmp_path / name))
    results = score_locally(impl)
    kept = sorted(cid for cid in must_fail if results[cid].passed)
    assert not kept, f"mutant {name} ({mistake}) still passes {kept}"
    # A mistake must not cost points elsewhere, except where SPEC.md makes one function use
    # another: find_best_threshold's F1 comes from the student's precision and recall.
    affected = {module} | ({"threshold"} if module == "metrics" else set())
    unrelated_failures = sorted(cid for cid, v in results.items()
                                if not v.passed and cid not in must_fail and _module_of(cid) not in affected)
    assert not unrelated_failures, f"mutant {name} also fails unrelated checks {unrelated_failures}"
    # The feedback names the misconception (recomputed from the reference and the case's inputs).
    if name in NAMED:
        messages = [v.message for v in results.values() if not v.passed]
        assert any(NAMED[name] in m for m in messages), f"mutant {name} is not named: {messages}"


def _module_of(check_id):
    function = check_id.split(".")[0]
    return {"conv_block": "blocks", "downsample": "blocks", "merge_skip": "blocks", "precision": "metrics",
            "recall": "metrics", "metrics": "metrics", "find_best_threshold": "threshold"}[function]


def test_failure_messages_show_expected_and_got_without_code(tmp_path):
    impl = load_implementation(build_mutant("merge_concat_encoder_first", tmp_path / "m"))
    verdict = score_locally(impl, ["merge_skip.values"])["merge_skip.values"]
    message = verdict.message
    assert not verdict.passed
    assert "first at index" in message and "got" in message and "expected" in message
    assert "decoder first" in message
    # The verdict never quotes the reference's code.
    reference_lines = [line.strip() for line in (REPO_ROOT / "solutions" / "blocks.py").read_text().splitlines()
                       if line.strip().startswith(("x = ", "table", "return", '"concat"'))]
    assert reference_lines and not [line for line in reference_lines if line in message]


@pytest.mark.parametrize("mutant, named", [
    ("metrics_swapped", "your value equals the recall (the two denominators swapped)"),
    ("metrics_mean_per_image", "what you get computed per image (each index of the first axis) and averaged"),
])
def test_failure_names_the_known_mistake(mutant, named, tmp_path):
    """The verdict recomputes known mistakes from the case's inputs and names the one the answer matches."""
    impl = load_implementation(build_mutant(mutant, tmp_path / "m"))
    verdict = score_locally(impl, ["precision.hand"])["precision.hand"]
    assert not verdict.passed and named in verdict.message, verdict.message


def test_reference_answer_names_no_mistake(tmp_path):
    """A wrong value that matches no known mistake gets no diagnosis (no false naming)."""
    from saltlab.checks.misconceptions import name_metric_mistake

    assert name_metric_mistake("recall", [[1, 0], [1, 1]], [[1, 1], [0, 1]], got=0.123, want=2 / 3) == ""


@pytest.mark.parametrize("module", ["blocks", "metrics", "threshold"])
def test_unusual_correct_implementation_gets_full_marks(module, tmp_path):
    impl = load_implementation(overlay(tmp_path / module, {f"{module}.py": UNUSUAL / f"{module}.py"}))
    results = score_locally(impl)
    assert {cid: v.message for cid, v in results.items() if not v.passed} == {}


UNUSUAL_STYLES = Path(__file__).parent / "unusual_styles"


def graded_file_of_style(style):
    """The graded file a style replaces: ``metrics_*.py`` metrics.py, ``threshold_*.py`` threshold.py, else blocks.py."""
    prefix = style.split("_")[0]
    return f"{prefix}.py" if prefix in ("metrics", "threshold") else "blocks.py"


@pytest.mark.parametrize("style", sorted(p.stem for p in UNUSUAL_STYLES.glob("*.py")))
def test_correct_code_in_any_style_gets_full_marks(style, tmp_path):
    """Structure is judged on the computation (nested sub-models, shared layers, keras.ops calls, Lambda
    merges pass); metrics and thresholds on behaviour (bincount, loops, sorted sweeps, broadcasting)."""
    impl = load_implementation(overlay(tmp_path / style, {graded_file_of_style(style): UNUSUAL_STYLES / f"{style}.py"}))
    results = score_locally(impl)
    assert {cid: v.message for cid, v in results.items() if not v.passed} == {}


@pytest.mark.slow
def test_unusual_blocks_pass_the_training_check(tmp_path):
    impl = load_implementation(overlay(tmp_path / "blocks", {"blocks.py": UNUSUAL / "blocks.py"}))
    verdict = score_locally(impl, ["training.maxpool_concat"])["training.maxpool_concat"]
    assert verdict.passed, verdict.message
    assert "within the reference's band" in verdict.message and verdict.figure is not None


@pytest.mark.slow
def test_broken_blocks_fail_the_training_check(tmp_path):
    """Blocks that build but cannot learn (frozen convolutions) stay below the floor."""
    from saltlab.checks.core import get_check, judge, run_probe
    from saltlab.checks.training_checks import IOU_FLOOR, training_case, validation_iou

    impl = load_implementation(build_mutant("conv_block_frozen", tmp_path / "m"))
    case = training_case("maxpool", "concat", seed=0)
    check = get_check("training.maxpool_concat")
    outcome = run_probe(check, impl, case)
    assert outcome.status == "ok", outcome.detail  # it fails on the score, not on a crash
    assert validation_iou(case, outcome.answer) < IOU_FLOOR
    # The feedback names the pattern (measured: loss 1.36 -> 1.27, 0.0% of pixels predicted salt)
    # and carries the figure's data.
    verdict = judge(check, case, outcome, None)
    assert 'stuck on "no salt"' in verdict.message, verdict.message
    assert verdict.figure is not None and verdict.figure["band_low"] is not None


def test_untouched_stubs_fail_every_test_with_one_line(tmp_path):
    """`make test` on the stubs: every test fails, each with `not implemented yet: <function>`."""
    report = tmp_path / "points.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "-rN", "--impl", "assignment", "--points-json", str(report)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    out = result.stdout
    assert result.returncode == 1, out[-3000:]
    assert "error" not in out.splitlines()[-1], out[-3000:]  # no collection or setup errors
    points = json.loads(report.read_text())
    assert points["earned"] == 0 and points["possible"] > 0
    failures = [line for line in out.splitlines() if line.startswith("not implemented yet: ")]
    assert len(failures) == len(points["points"]), out[-3000:]
    assert "Traceback" not in out
    assert "Hidden tests run at grading time" in out


def test_question_option_selects_one_question():
    """Plain `pytest` from the repository root (no path): testpaths and the plugin's options."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rN", "--impl", "solutions", "--question", "metrics"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "6 passed" in result.stdout and "Q4 precision and recall" in result.stdout
    assert "Q1 conv_block" not in result.stdout


def test_unknown_implementation_folder_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-q", "--impl", str(tmp_path / "nowhere")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode != 0
    assert "no folder at" in result.stdout + result.stderr
