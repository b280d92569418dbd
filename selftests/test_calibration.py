"""The calibration tooling: candidate knobs of the tgs level, and the benchmark that measures a candidate."""

import json
import statistics

import numpy as np
import pytest

from saltlab.data import synthesize
from saltlab.data import writer
from saltlab.data.synthetic import TGS, tgs_knobs


def test_knobs_left_as_they_are_give_the_level_itself():
    plain = synthesize(40, seed=3)
    for knobs in ({}, {"hidden": TGS["hidden"]}, {"noise": list(TGS["noise"])}):
        same = synthesize(40, seed=3, knobs=knobs)
        assert np.array_equal(same.images, plain.images) and np.array_equal(same.masks, plain.masks), knobs


def test_a_knob_changes_the_pixels_not_the_labels():
    plain = synthesize(40, seed=3)
    for knobs in ({"mismatch": (1.0, 4.0)}, {"speckle": (0.6, 0.9)}, {"hidden": 0.0}):
        other = synthesize(40, seed=3, knobs=knobs)
        assert other.ids == plain.ids and np.array_equal(other.depths, plain.depths), knobs
        assert np.array_equal(other.masks, plain.masks), knobs
        assert not np.array_equal(other.images, plain.images), knobs


def test_the_shown_salt_wobbles_off_the_mask_by_the_knob():
    """mismatch draws the salt into the section off the interpreter's mask: more pixels differ for a larger wobble."""
    from saltlab.data.synthetic import _shown_salt

    mask_field = np.broadcast_to(np.arange(101, dtype=np.float32)[None, :, None] - 50.0, (20, 101, 101))
    mask = mask_field >= 0
    moved = []
    for amplitude in (1.0, 6.0):
        shown = _shown_salt(np.random.default_rng(0), mask_field, tgs_knobs({"mismatch": (amplitude, amplitude)}))
        moved.append(np.mean(shown.astype(bool) != mask))
    assert 0 < moved[0] < moved[1] < 0.1


@pytest.mark.parametrize("knobs, said", [
    ({"salt": 1.0}, "'salt' is unknown"),
    ({"noise": 0.5}, "'noise': expected a (low, high) pair"),
    ({"noise": [0.5, 0.2]}, "'noise': expected 0 <= low <= high"),
    ({"noise": [0.1, float("nan")]}, "'noise': expected 0 <= low <= high"),
    ({"noise": [-1, 0.2]}, "'noise': expected 0 <= low <= high"),
    ({"hidden": 1.5}, "'hidden': expected a probability"),
    ({"hidden": "0.1"}, "'hidden': expected a probability"),
    ({"no_boundary": True}, "'no_boundary': expected a probability"),
])
def test_a_bad_knob_is_refused_by_name(knobs, said):
    with pytest.raises(ValueError) as error:
        synthesize(4, knobs=knobs)
    assert said in str(error.value)


def test_knobs_are_refused_at_the_easy_level():
    with pytest.raises(ValueError, match="level 'tgs' only"):
        synthesize(4, level="easy", knobs={"hidden": 0.0})


def test_a_candidate_folder_records_its_knobs_and_is_never_the_default(tmp_path, monkeypatch):
    folder = writer.generate_dataset(tmp_path / "candidate", n=12, knobs={"hidden": 0.0})
    meta = json.loads((folder / writer.MARKER).read_text())
    assert meta["version"] is None and meta["knobs"]["hidden"] == 0.0
    assert meta["knobs"]["noise"] == list(TGS["noise"])
    regenerated = []
    monkeypatch.setattr(writer, "default_dataset_path", lambda: folder)
    monkeypatch.setattr(writer, "generate_dataset", lambda f: regenerated.append(f) or f)
    writer.ensure_default_dataset()
    assert regenerated == [folder], "a candidate's data were taken for make data's"


def test_the_calibration_benchmark_refuses_bad_arguments(capsys):
    from saltlab.benchmarks.calibration import main

    for argv, said in ((["--knobs", "{hidden: 0}"], "is not JSON"),
                       (["--knobs", "[1, 2]"], "expected a JSON object"),
                       (["--knobs", '{"salt": 1}'], "'salt' is unknown"),
                       (["--rows", "quick_concat,quick_add"], "unknown quick_add"),
                       (["--seeds", "0,one"], "'0,one'"),
                       (["--data", "/nonexistent/tgs", "--knobs", '{"hidden": 0}'], "--knobs and --data"),
                       (["--data", "/nonexistent/tgs"], "/nonexistent/tgs has no train.csv")):
        with pytest.raises(SystemExit) as stop:
            main(argv)
        assert stop.value.code == 2 and said in capsys.readouterr().err, argv


def test_a_candidate_name_keeps_its_knobs(tmp_path):
    """Resuming under a name with other knobs would mix two candidates' runs in one file."""
    from saltlab.benchmarks.calibration import run_calibration

    (tmp_path / "c.json").write_text(json.dumps({"name": "c", "knobs": tgs_knobs({"hidden": 0.0}), "rows": {}}))
    with pytest.raises(ValueError, match="choose another --name"):
        run_calibration("c", {"hidden": 0.2}, ["quick_concat"], [0], tmp_path, impl=None)
    assert not (tmp_path / "c").exists(), "nothing is generated for a refused candidate"
    with pytest.raises(ValueError, match="made with the knobs"):
        run_calibration("c", {}, ["quick_concat"], [0], tmp_path, impl=None, data=tmp_path)
    with pytest.raises(ValueError, match="not to a given data folder"):
        run_calibration("d", {"hidden": 0.0}, ["quick_concat"], [0], tmp_path, impl=None, data=tmp_path)


def test_the_table_states_each_row_against_its_real_figure():
    from saltlab.benchmarks.calibration import REAL, _summarise, format_table

    report = {"name": "c", "knobs": {}, "rows": {"recipe": {"runs": {"0": 0.80, "1": 0.76}},
                                                 "quick_max": {"runs": {"0": 0.50, "1": 0.45, "2": 0.52}}}}
    for row, entry in report["rows"].items():
        _summarise(entry, row)
    recipe, quick_max = report["rows"]["recipe"], report["rows"]["quick_max"]
    assert recipe["mean"] == pytest.approx(0.78) and recipe["sd"] == pytest.approx(statistics.stdev([0.8, 0.76]), abs=1e-4)
    assert quick_max["mean_minus_real"] == pytest.approx(np.mean([0.50, 0.45, 0.52]) - REAL["quick_max"][0], abs=1e-4)
    table = format_table(report).splitlines()
    assert [line.split("|")[1].strip() for line in table[4:]] == ["recipe", "quick_max"]
    assert "+0.024 |" in table[4] and "✗" not in table[4]  # 0.78 - 0.756, within 0.05
    assert "| +0.092 ✗ |" in table[5]  # 0.490 - 0.398
    assert table[2].endswith("| 95 % interval |") and table[5].endswith(" to +0.204 |")  # its interval last


def test_the_interval_against_a_two_run_target_is_welchs():
    """Welch's interval, checked by hand: its degrees of freedom are rounded down (1.78 -> 1)."""
    import math

    from saltlab.benchmarks.calibration import REAL, interval_against_real

    real, runs, real_sd = REAL["quick_none"]
    assert (runs, real_sd) == (2, 0.049)
    values = [0.50, 0.60]  # mean 0.55, sd 0.0707
    a, b = statistics.variance(values) / 2, real_sd ** 2 / 2
    assert (a + b) ** 2 / (a * a + b * b) == pytest.approx(1.78, abs=0.01)  # Welch-Satterthwaite
    half = 12.706 * math.sqrt(a + b)  # t(0.975, 1) from a t table
    ci = interval_against_real(values, "quick_none")
    assert ci.estimate == pytest.approx(0.55 - real)
    assert (ci.low, ci.high) == pytest.approx((0.55 - real - half, 0.55 - real + half), abs=1e-3)
    assert not interval_against_real([0.5], "quick_none").known  # one run: no spread to go on


def test_a_one_run_target_gets_the_prediction_interval_of_one_more_run():
    import math

    from saltlab.benchmarks.calibration import REAL, interval_against_real

    values = [0.70, 0.66, 0.62, 0.74, 0.68]  # sd 0.0447, 4 degrees of freedom: t = 2.776
    half = 2.776 * statistics.stdev(values) * math.sqrt(1 + 1 / 5)
    ci = interval_against_real(values, "no_batchnorm")
    assert (ci.low, ci.high) == pytest.approx((0.68 - REAL["no_batchnorm"][0] - half,
                                               0.68 - REAL["no_batchnorm"][0] + half), abs=1e-3)


@pytest.mark.parametrize("low, high, said", [(-0.05, 0.05, "within"), (-0.049, 0.051, "undecided"),
                                             (0.051, 0.3, "beyond"), (-0.4, -0.06, "beyond"),
                                             (-0.2, 0.2, "undecided"), (float("nan"), float("nan"), "undecided")])
def test_a_verdict_needs_the_whole_interval(low, high, said):
    from saltlab.benchmarks.calibration import verdict
    from saltlab.evaluation.paired import Interval

    assert verdict(Interval(0.0, low, high, 5)) == said


def test_two_rounds_are_compared_on_the_seeds_both_ran():
    """Pairs by seed (numeric order), skips rows without common seeds, counts the plateau's runs."""
    from saltlab.benchmarks.calibration import compare_rounds, format_comparison

    candidate = {"name": "cand", "rows": {
        "quick_none": {"runs": {"0": 0.50, "2": 0.10, "10": 0.40, "11": 0.45}},
        "recipe": {"runs": {"0": 0.78}},
        "course": {"runs": {"7": 0.40}}}}
    reference = {"name": "data-train", "rows": {
        "quick_none": {"runs": {"2": 0.45, "10": 0.50, "11": 0.52, "12": 0.0}},
        "recipe": {"runs": {"0": 0.75}},
        "course": {"runs": {"0": 0.37}}}}
    compared = compare_rounds(candidate, reference)
    assert list(compared) == ["quick_none", "recipe"]  # course: no seed in common
    none = compared["quick_none"]
    differences = [0.10 - 0.45, 0.40 - 0.50, 0.45 - 0.52]
    half = 4.303 * statistics.stdev(differences) / 3 ** 0.5  # t(0.975, 2)
    assert none["seeds"] == [2, 10, 11] and none["low_runs"] == [1, 0]
    assert none["difference"] == pytest.approx(statistics.mean(differences), abs=1e-4)
    assert none["interval_95"] == pytest.approx([statistics.mean(differences) - half,
                                                 statistics.mean(differences) + half], abs=1e-3)
    assert none["verdict"] == "undecided"
    assert compared["recipe"]["interval_95"] is None and compared["recipe"]["verdict"] == "undecided"
    table = format_comparison(candidate, reference, compared)
    assert "| quick_none | 3 | 0.317 | 0.490 | -0.173 |" in table and "| 1, 0 |" in table


def test_against_names_a_round_that_exists(tmp_path, capsys):
    from saltlab.benchmarks.calibration import main

    (tmp_path / "hidden0.json").write_text(json.dumps({"name": "hidden0", "rows": {}}))
    (tmp_path / "broken.json").write_text("[1, 2]")
    for against in ("data-train", "broken"):
        with pytest.raises(SystemExit) as stop:
            main(["--against", against, "--folder", str(tmp_path)])
        said = capsys.readouterr().err
        assert stop.value.code == 2 and f"{against}.json is not a calibration round" in said
        assert "rounds there: broken, hidden0" in said


@pytest.mark.slow
def test_a_calibration_round_trains_the_quick_rows_on_the_candidate_data(tmp_path):
    """End to end on one quick row and one seed: candidate data generated, trained, read back, resumed."""
    from saltlab.benchmarks.calibration import run_calibration
    from saltlab.impl import load_implementation

    impl = load_implementation("solutions")
    report = run_calibration("c", {"hidden": 0.0}, ["quick_concat"], [0], tmp_path, impl=impl, log=lambda line: None)
    iou = report["rows"]["quick_concat"]["runs"]["0"]
    assert 0.0 <= iou <= 1.0
    meta = json.loads((tmp_path / "c" / "data" / writer.MARKER).read_text())
    assert meta["knobs"]["hidden"] == 0.0 and meta["n"] == 4000
    with open(tmp_path / "c" / "quick" / "results.csv") as f:
        assert "maxpool-concat,0," in f.read()
    again = run_calibration("c", {"hidden": 0.0}, ["quick_concat"], [0], tmp_path, impl=impl, log=lambda line: None)
    assert again["rows"] == report["rows"]
    assert json.loads((tmp_path / "c.json").read_text())["rows"] == report["rows"]
    more = run_calibration("c", {"hidden": 0.0}, ["quick_concat"], [1], tmp_path, impl=impl, log=lambda line: None)
    runs = more["rows"]["quick_concat"]["runs"]
    assert list(runs) == ["0", "1"] and runs["0"] == iou, "another round's seeds add to the row"
    assert more["rows"]["quick_concat"]["mean"] == pytest.approx(np.mean(list(runs.values())), abs=1e-4)

    # The same row measured on a given folder (as on the real train files): nothing generated, the folder recorded.
    given = writer.generate_dataset(tmp_path / "given", n=500, seed=1)
    measured = run_calibration("real", {}, ["quick_concat"], [0], tmp_path, impl=impl, data=given, log=lambda line: None)
    assert measured["knobs"] is None and measured["data"] == str(given.resolve())
    assert 0.0 <= measured["rows"]["quick_concat"]["runs"]["0"] <= 1.0 and not (tmp_path / "real" / "data").exists()
