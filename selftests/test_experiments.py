"""The experiments: pieces on small arrays, the summary's statistics on hand-made results, then
the quick preset end to end and resumed."""

import csv
import json
import re
import subprocess
import sys
import time

import numpy as np
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
    _check_per_image_files(out, small_dataset, rows)
    assert "one seed, no interval over seeds" in summary and "bootstrap over 12 images" in summary

    start = time.perf_counter()
    second = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("done before, skipped") == 3
    assert "..." not in second.stdout.replace("done before", "")
    assert time.perf_counter() - start < 60


def _check_per_image_files(out, data, rows):
    """The per-image files of a real run re-pool to its scores, on the images the split says."""
    from saltlab.data import to_image_grid
    from saltlab.evaluation.paired import pooled_ratio, ratio_counts
    from saltlab.experiments import load_trained, prepare_arrays
    from saltlab.experiments.results import images_path, read_image_counts, threshold_split
    from saltlab.impl import default_implementation, load_implementation
    from saltlab.training import predict_probabilities

    arrays = prepare_arrays(get_preset("quick"), data, log=lambda *_: None)
    truth = arrays["masks_val"]
    calibration, test = threshold_split(truth)

    def pooled(counts, metric="iou"):
        return float(pooled_ratio(ratio_counts(metric, counts["truth_pixels"], counts["pred_pixels"],
                                               counts["intersection"])))

    for row in rows:
        counts = read_image_counts(images_path(out, row["variant"], 0))
        assert counts["image"].tolist() == list(range(len(truth)))
        assert counts["truth_pixels"].tolist() == truth.reshape(len(truth), -1).sum(axis=1).tolist()
        for metric in ("iou", "precision", "recall"):
            assert pooled(counts, metric) == pytest.approx(float(row[metric]), abs=1e-5), (row["variant"], metric)
        assert int(row["n_test"]) == len(test)
    # Question 4: the threshold comes from the calibration half; its scores from the test half only.
    impl = load_implementation(default_implementation())
    model, _, _ = load_trained(out, REFERENCE, 0, impl=impl)
    probs = to_image_grid(predict_probabilities(model, arrays["x_val"]))
    chosen, _ = impl.find_best_threshold(truth[calibration], probs[calibration], metric="f1")
    reference = next(r for r in rows if r["variant"] == REFERENCE)
    assert float(reference["best_threshold"]) == pytest.approx(float(chosen))
    post = {r["strategy"]: r for r in csv.DictReader(open(out / "postprocess.csv")) if r["seed"] == "0"}
    for strategy in ("threshold 0.5", "best threshold", "+ flip TTA"):
        q4 = read_image_counts(images_path(out, REFERENCE, 0, q4=True), strategy=strategy)
        assert q4["image"].tolist() == test.tolist()
        assert pooled(q4) == pytest.approx(float(post[strategy]["iou"]), abs=1e-5)
    assert float(reference["iou_best"]) == pytest.approx(float(post["best threshold"]["iou"]), abs=1e-5)


@pytest.mark.slow
def test_results_are_the_same_bytes_whatever_the_number_of_jobs(tmp_path, small_dataset):
    """One thread per kernel in every worker: two trainings side by side compute what one at a time does."""
    base = [sys.executable, "-m", "saltlab.experiments", "--preset", "standard", "--data", str(small_dataset),
            "--variants", "maxpool-concat,fcn", "--seeds", "1,0", "--epochs", "1"]
    for jobs in (1, 2):
        result = subprocess.run(base + ["--out", str(tmp_path / f"jobs{jobs}"), "--jobs", str(jobs)],
                                capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert f"{jobs} at a time" in result.stdout
    one, two = tmp_path / "jobs1", tmp_path / "jobs2"
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.suffix in (".csv", ".json") and p.is_file())
    assert len(files) >= 2 + 4 + 4  # results and postprocess, 4 histories, 4 per-image files (+ Q4's)
    timing = {"train_seconds", "seconds_per_epoch"}
    for name in files:
        if name.name == "results.csv":
            rows = [[{k: v for k, v in r.items() if k not in timing} for r in csv.DictReader(open(f))]
                    for f in (one / name, two / name)]
            assert rows[0] == rows[1]
            # Written in the plan's order, seed by seed, whichever finished first.
            assert [(r["variant"], r["seed"]) for r in rows[1]] == [
                ("maxpool-concat", "1"), ("fcn", "1"), ("maxpool-concat", "0"), ("fcn", "0")]
        else:
            assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_publish_copies_the_evidence_without_weights_and_keeps_the_readme(tmp_path):
    from saltlab.experiments.publish import publish_results

    source, dest = tmp_path / "results", tmp_path / "published"
    for name in ("config.json", "results.csv", "postprocess.csv", "summary.md", "cost.png", "runs/a_seed0.json",
                 "images/a_seed0.csv", "backup/a_seed0.weights.h5"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(name)
    (dest / "images").mkdir(parents=True)
    (dest / "README.md").write_text("how it was made")
    (dest / "images" / "stale_seed9.csv").write_text("from an older run")
    copied = publish_results(source, dest)
    assert sorted(map(str, copied)) == sorted(["config.json", "results.csv", "postprocess.csv", "summary.md",
                                              "cost.png", "runs/a_seed0.json", "images/a_seed0.csv"])
    assert (dest / "README.md").read_text() == "how it was made"
    assert not (dest / "backup").exists() and not (dest / "images" / "stale_seed9.csv").exists()
    assert (dest / "runs" / "a_seed0.json").read_text() == "runs/a_seed0.json"
    (source / "summary.md").unlink()
    with pytest.raises(FileNotFoundError, match="summary.md"):
        publish_results(source, dest)


@pytest.mark.slow
def test_the_real_quick_preset_learns_every_variant(tmp_path):
    """`make experiments` (PRESET=quick): every variant, seed 0, on the easy level of the default set.

    Both of the preset's seeds took 549 s on 2 loaded cores, every run
    reaching IoU 0.72-0.88; seed 0 alone took 218 s on an idle machine
    (2026-12-02) and still runs every
    variant through the real runner (seeds are the runner's loop, tested on
    a small preset above). The
    floor of 0.5 says each variant learned, not which one is better: the
    summary's spreads say that. Pinned to the easy level (the data this test
    was calibrated on): on the calibrated default, as on the real data, the
    quick preset is too short to learn reliably (measured: maxpool-none seed 1
    stayed at "no salt", IoU 0.0; the other runs 0.42-0.45), so a floor there
    would test luck, not the runner; data/README.md has those figures.
    """
    from saltlab.data import generate_dataset

    data = generate_dataset(tmp_path / "easy", n=4000, seed=0, level="easy")
    out = tmp_path / "quick"
    result = subprocess.run([sys.executable, "-m", "saltlab.experiments", "--preset", "quick", "--data", str(data),
                             "--out", str(out), "--seeds", "0"], capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with open(out / "results.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    preset = get_preset("quick")
    assert len(rows) == len(select_variants(preset.variants))
    weak = [(r["variant"], r["seed"], r["iou"]) for r in rows if float(r["iou"]) < 0.5]
    assert not weak, f"variants that did not learn: {weak}"


def test_the_default_data_is_made_once_before_the_workers_start(tmp_path, monkeypatch):
    """Every worker loads the default data as it starts: made by the parent first, or two workers
    regenerating a stale data/synthetic at once delete each other's files (seen, 2026-12-02)."""
    from saltlab.experiments import runner
    from saltlab.impl import load_implementation

    class Made(Exception):
        pass

    def ensure():
        raise Made  # stops the run here: nothing was spawned yet

    monkeypatch.setattr(runner, "ensure_default_dataset", ensure)
    preset = get_preset("quick", variants=("maxpool-concat",), seeds=(0,))
    todo = [(1, VARIANTS["maxpool-concat"], 0)]
    with pytest.raises(Made):
        runner._run_plan(todo, 1, preset, None, tmp_path, load_implementation("solutions"), 0, 2, print)


def test_resume_refuses_a_different_configuration(tmp_path):
    from saltlab.experiments.runner import ResultsMismatchError, check_config

    check_config(tmp_path, get_preset("quick"))
    with pytest.raises(ResultsMismatchError, match="input_size"):
        check_config(tmp_path, get_preset("quick", input_size=128))
    with pytest.raises(ResultsMismatchError, match="loss"):
        check_config(tmp_path, get_preset("quick", loss="bce"))
    with pytest.raises(ResultsMismatchError, match="schedule"):
        check_config(tmp_path, get_preset("quick", schedule="cosine"))
    with pytest.raises(ResultsMismatchError, match="augment"):
        check_config(tmp_path, get_preset("quick", augment=True))


def test_resume_refuses_results_of_another_version_of_the_default_data(tmp_path):
    """The default data's generator is recorded; a folder begun on another version is not resumed on this one."""
    from saltlab.data import default_dataset_generator
    from saltlab.experiments.runner import ResultsMismatchError, check_config

    check_config(tmp_path, get_preset("quick"))
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["synthetic_generator"] == default_dataset_generator() and config["data"] is None
    for older in ({**default_dataset_generator(), "version": default_dataset_generator()["version"] - 1}, None):
        (tmp_path / "config.json").write_text(json.dumps({**config, "synthetic_generator": older}))
        with pytest.raises(ResultsMismatchError, match="synthetic_generator"):
            check_config(tmp_path, get_preset("quick"))
    # On a named folder (the real files) there is no generator to record.
    check_config(tmp_path / "real", get_preset("quick"), data=tmp_path)
    assert "synthetic_generator" not in json.loads((tmp_path / "real" / "config.json").read_text())


def test_a_folder_written_before_schedule_and_augment_existed_still_resumes(tmp_path):
    """Those fields at their defaults are left out of config.json, as before they existed."""
    from saltlab.experiments import preset_of
    from saltlab.experiments.runner import check_config

    check_config(tmp_path, get_preset("quick"))
    written = json.loads((tmp_path / "config.json").read_text())
    assert "schedule" not in written and "augment" not in written
    check_config(tmp_path, get_preset("quick"))  # no mismatch
    assert preset_of(tmp_path)[0].config() == get_preset("quick").config()
    check_config(tmp_path / "standard", get_preset("standard"))
    assert preset_of(tmp_path / "standard")[0].config() == get_preset("standard").config()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_runnable(name):
    """What run_experiments needs of a preset, checked before hours of training find out."""
    preset = PRESETS[name]
    assert preset.name == name
    assert preset.loss in LOSSES and preset.input_size in SUPPORTED_SIZES
    assert preset.input_size % 2**preset.depth == 0, "the U-Net halves the input depth times"
    assert select_variants(preset.variants) and len(preset.seeds) == len(set(preset.seeds)) >= 1
    assert 0 < preset.val_fraction < 1 and preset.epochs >= 1 and preset.expected_time


# Hand-made results: a folder as the runner writes it, with known effects, and no training.
FAKE_SEEDS = (0, 1, 2)
FAKE_QUALITY = {"maxpool-concat": 0.85, "stride-concat": 0.85, "maxpool-none": 0.70, "fcn": 0.845}
"""Each variant's share of salt found: stride-concat is maxpool-concat's equal (no true difference),
maxpool-none is far below (a clear effect), fcn slightly below (too small to settle with 3 seeds)."""
FAKE_SEED_SHIFT = {0: 0.0, 1: -0.05, 2: 0.04}
"""A seed moves every variant alike (as a shared data order would): pairing cancels it."""


def _fake_counts(rng, truth, quality):
    """Per-image counts of a made-up prediction finding ``quality`` of the salt, with noise."""
    found = np.clip(quality + rng.normal(0, 0.08, truth.size), 0, 1)
    intersection = np.round(truth * found).astype(np.int64)
    false_positives = np.round(truth * rng.uniform(0, 0.1, truth.size)).astype(np.int64) + rng.integers(0, 20, truth.size)
    return {"truth_pixels": truth, "pred_pixels": intersection + false_positives, "intersection": intersection}


def write_fake_results(out, *, n_images=80, with_images=True):
    """Write results.csv, postprocess.csv, config.json and images/*.csv for FAKE_QUALITY x FAKE_SEEDS.

    Returns
    -------
    truth : dict
        ``(variant, seed) -> pooled IoU`` as written in results.csv.
    """
    from saltlab.evaluation.paired import pooled_ratio, ratio_counts
    from saltlab.experiments.results import (
        IMAGE_FIELDS, POSTPROCESS_FIELDS, Q4_IMAGE_FIELDS, RESULT_FIELDS, image_rows, images_path, write_rows)

    rng = np.random.default_rng(12345)
    truth = rng.integers(0, 4000, n_images) * (rng.random(n_images) > 0.3)  # 30 % empty images
    config = {**get_preset("quick").config(), "seeds": list(FAKE_SEEDS), "data": None}
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(config))
    rows, post, scores = [], [], {}

    def score_of(counts, metric):
        # Dice and the TGS metric are not bootstrapped: any number will do for them.
        metric = metric if metric in ("precision", "recall") else "iou"
        return float(pooled_ratio(ratio_counts(metric, counts["truth_pixels"], counts["pred_pixels"],
                                               counts["intersection"])))

    def iou_of(counts):
        return score_of(counts, "iou")

    for variant, quality in FAKE_QUALITY.items():
        for seed in FAKE_SEEDS:
            counts = _fake_counts(rng, truth, quality + FAKE_SEED_SHIFT[seed])
            scores[variant, seed] = iou_of(counts)
            if with_images:
                write_rows(images_path(out, variant, seed), IMAGE_FIELDS,
                           image_rows(counts, np.zeros(n_images), np.arange(n_images)))
            rows.append({"variant": variant, "seed": seed, "questions": VARIANTS[variant].questions,
                         "kind": VARIANTS[variant].kind, "params": 1000, "train_seconds": 10.0,
                         "seconds_per_epoch": 1.0, "epochs_run": 8, "best_val_loss": 0.3,
                         **{m: scores[variant, seed] for m in ("iou", "dice", "precision", "recall", "tgs_metric")},
                         "best_threshold": 0.4, "iou_best": scores[variant, seed], "weights": ""})
            if variant != REFERENCE:
                continue
            test = np.arange(1, n_images, 2)
            per_image = []
            # The tuned threshold finds 0.12 more salt than 0.5; the other strategies change nothing on average.
            for strategy, gain in (("threshold 0.5", 0.0), ("best threshold", 0.12), ("+ clean-up", 0.12),
                                   ("+ flip TTA", 0.12), ("+ flip TTA + clean-up", 0.12)):
                strategy_counts = _fake_counts(rng, truth[test], quality + FAKE_SEED_SHIFT[seed] + gain)
                post.append({"variant": variant, "seed": seed, "strategy": strategy, "threshold": 0.4,
                             "n_test": len(test), **{m: score_of(strategy_counts, m) for m in
                                                     ("iou", "dice", "precision", "recall", "tgs_metric")}})
                per_image += [{"strategy": strategy, **row}
                              for row in image_rows(strategy_counts, np.zeros(len(test)), test)]
            if with_images:
                write_rows(images_path(out, variant, seed, q4=True), Q4_IMAGE_FIELDS, per_image)
    write_rows(out / "results.csv", RESULT_FIELDS, rows)
    write_rows(out / "postprocess.csv", POSTPROCESS_FIELDS, post)
    return scores


def _bullet(summary, start):
    """The summary's line that starts with ``start``."""
    found = [line for line in summary.splitlines() if line.startswith(start)]
    assert len(found) == 1, (start, summary)
    return found[0]


def _interval(line, which):
    """The (low, high) after '95 % CI' (which='seeds') or 'images' (which='images') in a bullet."""
    pattern = r"95 % CI \[(-?[\d.]+), (-?[\d.]+)\] over" if which == "seeds" else r"images \[(-?[\d.]+), (-?[\d.]+)\]"
    low, high = re.search(pattern, line).groups()
    return float(low), float(high)


def test_summary_states_paired_differences_from_hand_made_results(tmp_path):
    from saltlab.experiments import write_summary

    out = tmp_path / "fake"
    scores = write_fake_results(out)
    summary = write_summary(out).read_text()
    assert "within noise" not in summary
    assert "data: the synthetic default (make data)." in summary  # no generator recorded: none claimed
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "synthetic_generator": {"level": "tgs", "version": 7}}))
    assert "data: the synthetic default (make data: level `tgs`, version 7)." in write_summary(out).read_text()
    (out / "config.json").write_text(json.dumps(config))
    summary = write_summary(out).read_text()

    # A clear effect (0.15 of salt found): settled, both intervals exclude 0 and hold the observed difference.
    line = _bullet(summary, "- `maxpool-concat` is better than `maxpool-none` by ")
    observed = np.mean([scores[REFERENCE, s] - scores["maxpool-none", s] for s in FAKE_SEEDS])
    for which in ("seeds", "images"):
        low, high = _interval(line, which)
        assert 0 < low <= observed <= high, (which, line)
    assert "over 3 seeds; bootstrap over 80 images" in line

    # No true difference: both intervals contain 0, and the sentence says what it would take.
    line = _bullet(summary, "- `maxpool-concat` − `stride-concat`: ")
    for which in ("seeds", "images"):
        low, high = _interval(line, which)
        assert low < 0 < high, (which, line)
    assert re.search(r"not settled at this budget\*\*; \d+ seeds would detect a difference of 0.02 IoU", line)

    # Question 4 on the test half, per strategy, with the tuned threshold against 0.5.
    assert "the *test* half (40 images)" in summary
    line = _bullet(summary, "- *best threshold* is better than *threshold 0.5* by ")
    assert "bootstrap over 40 images" in line
    # Each strategy on top of the tuned threshold: IoU, precision and recall (no true change: 0 inside).
    lines = [line for line in summary.splitlines() if line.startswith("- *+ flip TTA* − *best threshold*: ")]
    assert [line.split(": ")[1].split(",")[0].split()[1] for line in lines] == ["IoU", "precision", "recall"]
    assert all(_interval(line, "images")[0] < 0 < _interval(line, "images")[1] for line in lines)


def test_summary_names_the_runs_that_stayed_on_the_plateau(tmp_path):
    """A mean over seeds can hide networks that never left 'no salt anywhere': the summary names them."""
    from saltlab.experiments import read_rows, write_summary
    from saltlab.experiments.results import RESULT_FIELDS, write_rows

    out = tmp_path / "fake"
    write_fake_results(out)
    assert "Runs that stayed on" not in write_summary(out).read_text()
    rows = read_rows(out / "results.csv")
    for row in rows:
        if (row["variant"], int(row["seed"])) in {("maxpool-none", 1), ("maxpool-none", 2), ("fcn", 0)}:
            row.update(iou=0.0, recall=0.0, dice=0.0)
        if (row["variant"], int(row["seed"])) == ("stride-concat", 2):
            row.update(recall=0.05)  # at the bound: it found some salt, not on the plateau
    write_rows(out / "results.csv", RESULT_FIELDS, rows)
    note = _bullet(write_summary(out).read_text(), "**Runs that stayed on the 'no salt anywhere' plateau**")
    assert "`maxpool-none` seeds 1, 2 (2 of 3); `fcn` seed 0 (1 of 3)." in note
    assert "stride-concat" not in note


def test_summary_without_per_image_files_says_why_there_is_no_bootstrap(tmp_path):
    from saltlab.experiments import write_summary

    out = tmp_path / "old"
    write_fake_results(out, with_images=False)
    line = _bullet(write_summary(out).read_text(), "- `maxpool-concat` is better than `maxpool-none` by ")
    assert "bootstrap" not in line.split(";")[0] and "no per-image scores in this folder" in line
    assert "predate the calibration/test split" not in write_summary(out).read_text()
    # A folder from before the split: question 4's rows have no n_test and the summary warns.
    from saltlab.experiments.results import POSTPROCESS_FIELDS, write_rows

    post = list(csv.DictReader(open(out / "postprocess.csv")))
    write_rows(out / "postprocess.csv", [f for f in POSTPROCESS_FIELDS if f != "n_test"], post)
    assert "predate the calibration/test split" in write_summary(out).read_text()


def test_summary_refuses_to_pair_different_images(tmp_path):
    from saltlab.experiments import write_summary
    from saltlab.experiments.results import images_path

    out = tmp_path / "mixed"
    write_fake_results(out)
    # One run scored on other images (a hand-edited or mixed-up folder): its truths differ.
    path = images_path(out, "maxpool-none", 1)
    rows = list(csv.DictReader(open(path)))
    rows[0]["truth_pixels"] = str(int(rows[0]["truth_pixels"]) + 1)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    summary = write_summary(out).read_text()
    assert "disagree on the validation images" in _bullet(summary, "- `maxpool-concat` is better than `maxpool-none`")
    assert "bootstrap over 80 images" in _bullet(summary, "- `maxpool-concat` − `stride-concat`")


def test_threshold_split_halves_the_validation_images_by_coverage():
    from saltlab.data import coverage_classes
    from saltlab.experiments.results import threshold_split

    rng = np.random.default_rng(0)
    masks = np.zeros((81, 101, 101), np.uint8)
    for i, rows in enumerate(rng.integers(0, 102, 81)):
        masks[i, :rows] = 1
    calibration, test = threshold_split(masks)
    assert len(np.intersect1d(calibration, test)) == 0 and sorted(np.r_[calibration, test]) == list(range(81))
    assert abs(len(calibration) - len(test)) <= 1
    # Same coverage classes on both sides (to one image per class), and the same halves every time.
    classes = coverage_classes(masks)
    gap = np.abs(np.bincount(classes[calibration], minlength=11) - np.bincount(classes[test], minlength=11))
    assert gap.max() <= 1
    again = threshold_split(masks)
    assert np.array_equal(again[0], calibration) and np.array_equal(again[1], test)
    with pytest.raises(ValueError, match="at least 2"):
        threshold_split(masks[:1])


@pytest.mark.slow
def test_batch_order_depends_on_the_seed_only_not_on_the_network():
    """The runner's pairing: two variants with the same seed see the same batches in the same order.

    Two different networks (one and four convolutions) are fitted for two epochs of five batches
    on 40 images of 8x8 whose pixels hold their own index; a layer records the images it sees.
    Three tiny fits: 42 s measured with the machine loaded (load average 9), mostly tracing.
    """
    import keras
    import tensorflow as tf

    from saltlab.training import train_model

    seen = []

    class Record(keras.layers.Layer):
        def call(self, x):
            def record(values):
                seen.append(values.numpy().copy())
                return np.float32(0)

            tf.py_function(record, [x[:, 0, 0, 0]], tf.float32)
            return x

    def network(convolutions):
        inputs = keras.Input((8, 8, 1))
        hidden = Record()(inputs)
        for _ in range(convolutions):
            hidden = keras.layers.Conv2D(4, 3, padding="same")(hidden)
        return keras.Model(inputs, keras.layers.Conv2D(1, 1, activation="sigmoid")(hidden))

    x = np.arange(40, dtype=np.float32)[:, None, None, None] * np.ones((1, 8, 8, 1), np.float32)
    y = (np.random.default_rng(0).random((40, 8, 8, 1)) > 0.5).astype(np.float32)

    def order(convolutions, seed):
        seen.clear()
        train_model(network(convolutions), (x, y), (x[:4], y[:4]), epochs=2, batch_size=8, seed=seed, verbose=0)
        return np.concatenate(seen)

    first = order(0, seed=1)
    assert sorted(first[:40]) == list(range(40)) and not np.array_equal(first[:40], np.arange(40))  # shuffled
    assert np.array_equal(order(3, seed=1), first)
    assert not np.array_equal(order(3, seed=2), first)


def test_compare_variants_is_the_summary_sentence_for_the_notebooks(tmp_path):
    from saltlab.experiments import compare_variants, write_summary

    out = tmp_path / "fake"
    write_fake_results(out)
    sentence = compare_variants(out, REFERENCE, "maxpool-none")
    assert sentence.startswith("`maxpool-concat` is better than `maxpool-none` by ")
    assert "- " + sentence in write_summary(out).read_text()
    # The notebooks call it when grading, with no results at all.
    assert "no finished runs of both" in compare_variants(tmp_path / "nothing", REFERENCE, "fcn")


def test_question_4_threshold_is_chosen_on_calibration_images_and_scored_on_the_others():
    from saltlab.evaluation import evaluate_probabilities
    from saltlab.experiments.results import threshold_split
    from saltlab.experiments.runner import calibrated_threshold
    from saltlab.impl import load_implementation

    impl = load_implementation("solutions")
    truth = np.zeros((20, 101, 101), np.uint8)
    for i in range(20):
        truth[i, : i + 1] = 1  # coverage from 1 % to 20 %: mostly sediment
    calibration, test = threshold_split(truth)
    # Calibration images are best cut low (salt 0.35, sediment 0.1), test images high (0.85 and 0.6):
    # a threshold chosen on the test half, or on all images (the test half's sediment outweighs the
    # calibration half's salt), would sit above 0.6.
    probs = np.where(truth == 1, 0.35, 0.1).astype(np.float32)
    probs[test] = np.where(truth[test] == 1, 0.85, 0.6)
    threshold, scores, scored = calibrated_threshold(truth, probs, impl=impl)
    assert 0.1 < threshold <= 0.35
    assert impl.find_best_threshold(truth[test], probs[test], metric="f1")[0] > 0.6
    assert impl.find_best_threshold(truth, probs, metric="f1")[0] > 0.6
    assert scored.tolist() == test.tolist()
    assert scores == evaluate_probabilities(truth[test], probs[test], impl=impl, threshold=threshold)
    assert scores["precision"] < 0.9  # the low cut is wrong for the test images, and the score says so


def test_the_published_evidence_is_the_standard_preset_and_reproduces_its_summary(tmp_path):
    """published/standard (committed, read by the notebooks) is what it says it is.

    Every run of the standard preset is there, made with the preset's own
    settings on the synthetic default, and its summary.md is what the
    summary code makes of its CSV files today (a change of the statistics
    that would alter the published sentences fails here until they are
    republished).
    """
    import shutil

    from saltlab.data import default_dataset_generator
    from saltlab.experiments import PUBLISHED_DIR, preset_of, read_rows, write_summary

    published = PUBLISHED_DIR / "standard"
    preset, data = preset_of(published)
    assert preset.config() == get_preset("standard").config() and data is None
    made_on = json.loads((published / "config.json").read_text()).get("synthetic_generator")
    assert made_on == default_dataset_generator(), (
        f"published/standard was made on the default data of generator {made_on}, but `make data` now makes "
        f"{default_dataset_generator()}: run the standard preset again, republish it and rewrite the notebooks' "
        "model answers (published/standard/README.md says how)")
    rows = read_rows(published / "results.csv")
    assert sorted((r["variant"], int(r["seed"])) for r in rows) == sorted(
        (v.name, s) for v in select_variants(preset.variants) for s in preset.seeds)
    assert not (published / "backup").exists(), "weights are not published"
    copy = tmp_path / "standard"
    shutil.copytree(published, copy)
    write_summary(copy)
    assert (copy / "summary.md").read_text() == (published / "summary.md").read_text()
