"""``make demo`` in its tiny configuration writes the whole report."""

import json
import subprocess
import sys

import pytest

from saltlab.demo import COURSE, DEFAULT, QUICK, WHY
from saltlab.training import LOSSES


@pytest.mark.parametrize("config", [DEFAULT, COURSE, QUICK], ids=["default", "course", "quick"])
def test_configurations_are_runnable(config):
    """What run_demo needs of a configuration: a known loss, an input the U-Net can halve depth times."""
    assert config.loss in LOSSES and config.schedule in ("constant", "cosine")
    assert config.input_size in (64, 128) and config.input_size % 2**config.depth == 0
    assert config.epochs >= 1 and (config.n_images is None or config.n_images >= 10) and config.batch_size >= 1
    assert config.name in WHY


def test_quick_is_smaller_than_default():
    assert QUICK.epochs <= DEFAULT.epochs and QUICK.n_images < 4000 and DEFAULT.n_images is None


def test_course_is_the_course_network():
    assert (COURSE.input_size, COURSE.base_filters, COURSE.depth) == (128, 16, 4)


@pytest.mark.slow
def test_quick_demo_writes_report_metrics_and_figures(tmp_path):
    from saltlab.data import generate_dataset

    data = generate_dataset(tmp_path / "data", n=160, seed=0)
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "saltlab.demo", "--quick", "--data", str(data), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for step in range(1, 7):
        assert f"[{step}/6]" in result.stdout
    assert f"Report: {out / 'report.md'}" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("at_0.5", "at_threshold"):
        assert set(metrics[key]) == {"iou", "dice", "precision", "recall", "tgs_metric"}
    assert 0.05 <= metrics["threshold"] <= 0.95
    report = (out / "report.md").read_text()
    for png in ("learning_curves.png", "predictions.png", "precision_recall.png", "threshold_scores.png"):
        assert (out / png).stat().st_size > 5000, png
        assert f"]({png})" in report
    assert "| threshold | IoU | Dice | precision | recall | TGS metric |" in report
    assert "soft Dice" in report and metrics["config"]["loss"] == "bce_dice"
    assert "Configuration `quick`. A smoke test" in report and "input 64x64" in report
    assert "cosine decay, random left-right flips" in report


def test_missing_data_folder_is_named(tmp_path, capsys):
    from saltlab.demo import main

    assert main(["--quick", "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o")]) == 2
    assert "nowhere" in capsys.readouterr().err


def test_each_ablation_of_the_recipe_changes_only_what_its_name_says():
    """data/README.md's ablation table reads "one ingredient removed at a time": hold it to that."""
    import dataclasses

    from saltlab.benchmarks.recipe_ablation import ABLATIONS

    changed = {"recipe": set(), "no_batchnorm": {"batchnorm"}, "images_400": {"n_images"},
               "constant_rate": {"schedule"}, "no_flips": {"augment"}, "bce_alone": {"loss"},
               "larger_steps": {"epochs", "batch_size"}}
    assert set(ABLATIONS) == set(changed) | {"course"} and ABLATIONS["course"] == COURSE
    for name, fields in changed.items():
        differ = {f.name for f in dataclasses.fields(DEFAULT) if getattr(ABLATIONS[name], f.name) != getattr(DEFAULT, f.name)}
        assert differ == fields, name


def test_the_ablation_benchmark_refuses_unknown_names_and_seeds(capsys):
    from saltlab.benchmarks.recipe_ablation import main

    for argv, said in ((["--only", "recipe,no_dice"], "unknown no_dice"), (["--seeds", "0,x"], "'0,x'")):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2 and said in capsys.readouterr().err
