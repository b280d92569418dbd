"""The experiments: pieces on small arrays, then the quick preset end to end and resumed."""

import csv
import json
import subprocess
import sys
import time

import pytest

from saltlab.data import SUPPORTED_SIZES
from saltlab.experiments import PRESETS, REFERENCE, VARIANTS, get_preset, select_variants
from saltlab.models import MERGE_CHOICES
from saltlab.training import LOSSES


def test_variants_cover_every_unet_option_and_the_four_questions():
    unets = [v for v in VARIANTS.values() if v.kind == "unet"]
    # Every combination of the builder's options, once, named after it.
    assert sorted((v.downsample, v.merge) for v in unets) == sorted(
        (d, m) for d in ("maxpool", "stride") for m in MERGE_CHOICES)
    assert all(v.name == f"{v.downsample}-{v.merge}" for v in unets)
    assert [v.name for v in VARIANTS.values() if v.kind != "unet"] == ["fcn"]
    assert VARIANTS[REFERENCE].questions == "Q1 Q2 Q3 Q4"
    quick = select_variants(PRESETS["quick"].variants)
    questions = " ".join(v.questions for v in quick)
    for q in ("Q1", "Q2", "Q3", "Q4"):
        assert q in questions
    with pytest.raises(ValueError, match="unknown variant"):
        select_variants(["maxpool-sum"])


def test_get_preset_overrides_and_rejects_unknown():
    assert get_preset("quick", epochs=1).epochs == 1
    assert get_preset("quick", seeds=None).seeds == PRESETS["quick"].seeds
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("medium")


@pytest.fixture(scope="module")
def small_dataset(tmp_path_factory):
    from saltlab.data import generate_dataset

    return generate_dataset(tmp_path_factory.mktemp("data") / "synthetic", n=120, seed=0)


@pytest.mark.slow
def test_quick_preset_runs_then_resumes(tmp_path, small_dataset):
    out = tmp_path / "results"
    # The quick preset, narrowed to one variant per kind of comparison and one
    # seed to keep the selftests short: Q1 (stride), Q2/Q4 (reference), Q3 (fcn).
    command = [sys.executable, "-m", "saltlab.experiments", "--preset", "quick", "--data", str(small_dataset),
               "--out", str(out), "--variants", "maxpool-concat,stride-concat,fcn", "--seeds", "0",
               "--epochs", "1"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "[1/3] maxpool-concat seed 0 ..." in first.stdout
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["variant"], r["seed"]) for r in rows] == [
        ("maxpool-concat", "0"), ("stride-concat", "0"), ("fcn", "0")]
    for row in rows:
        assert (out / "backup" / f"{row['variant']}_seed0.weights.h5").is_file()
        assert 0.0 <= float(row["iou"]) <= 1.0 and int(row["params"]) > 0 and float(row["train_seconds"]) > 0
    assert {r["strategy"] for r in csv.DictReader(open(out / "postprocess.csv"))} >= {"threshold 0.5", "+ flip TTA"}
    summary = (out / "summary.md").read_text()
    for heading in ("Question 1", "Question 2", "Question 3", "Question 4"):
        assert heading in summary
    assert "soft Dice" in summary  # the loss, and why it is not the course's BCE alone
    for png in ("comparison.png", "cost.png", "strategies.png", "precision_recall.png"):
        assert (out / png).stat().st_size > 5000, png
    assert json.loads((out / "config.json").read_text())["name"] == "quick"

    start = time.perf_counter()
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("done before, skipped") == 3
    assert "..." not in second.stdout.replace("done before", "")
    assert time.perf_counter() - start < 60


@pytest.mark.slow
def test_the_real_quick_preset_learns_every_variant(tmp_path):
    """`make experiments` (PRESET=quick) as CI runs it: all variants, all seeds, the default data.

    Measured on 2 loaded cores: 549 s; every run reached IoU 0.72-0.88. The
    floor of 0.5 says each variant learned, not which one is better: the
    summary's spreads say that.
    """
    out = tmp_path / "quick"
    result = subprocess.run([sys.executable, "-m", "saltlab.experiments", "--preset", "quick", "--out", str(out)],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    preset = get_preset("quick")
    assert len(rows) == len(select_variants(preset.variants)) * len(preset.seeds)
    weak = [(r["variant"], r["seed"], r["iou"]) for r in rows if float(r["iou"]) < 0.5]
    assert not weak, f"variants that did not learn: {weak}"


def test_resume_refuses_a_different_configuration(tmp_path):
    from saltlab.experiments.runner import ResultsMismatchError, check_config

    check_config(tmp_path, get_preset("quick"))
    with pytest.raises(ResultsMismatchError, match="input_size"):
        check_config(tmp_path, get_preset("quick", input_size=128))
    with pytest.raises(ResultsMismatchError, match="loss"):
        check_config(tmp_path, get_preset("quick", loss="bce"))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_runnable(name):
    """What run_experiments needs of a preset, checked before hours of training find out."""
    preset = PRESETS[name]
    assert preset.name == name
    assert preset.loss in LOSSES and preset.input_size in SUPPORTED_SIZES
    assert preset.input_size % 2**preset.depth == 0, "the U-Net halves the input depth times"
    assert select_variants(preset.variants) and len(preset.seeds) == len(set(preset.seeds)) >= 1
    assert 0 < preset.val_fraction < 1 and preset.epochs >= 1 and preset.expected_time
