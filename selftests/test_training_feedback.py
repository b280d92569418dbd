"""The training check's feedback: the reference's band, the named pattern, the figure next to feedback.md."""

import json

import numpy as np
import pytest

from saltlab.checks.core import Case
from saltlab.checks.training_checks import CONFIG, CONFIGURATIONS
from saltlab.checks.training_feedback import (BAND_SEEDS, band_of, curve_pattern, figure_data, load_band,
                                              render_figure, showcase)


def _case(downsample="maxpool", merge="concat"):
    """A training case's parameters without its data (synthesizing 480 images takes seconds)."""
    return Case(f"{downsample}-{merge}", {"downsample": downsample, "merge": merge, **CONFIG})


def test_band_fixture_holds_every_configuration_and_seed():
    band = load_band()
    assert band is not None, "tests/fixtures/training.band.npz is missing: run `make fixtures`"
    assert list(band["seeds"]) == list(BAND_SEEDS)
    for downsample, merge in CONFIGURATIONS:
        curves = np.asarray(band["curves"][f"{downsample}-{merge}"])
        assert curves.shape == (len(BAND_SEEDS), CONFIG["epochs"])
        # Every reference seed learns: its loss falls by a third or more over the run.
        assert (curves[:, -1] < 0.67 * curves[:, 0]).all(), curves
        low, high = band_of(_case(downsample, merge))
        assert (low <= high).all() and np.allclose(low, curves.min(axis=0))


def test_pattern_names_each_way_a_training_goes_wrong():
    low, high = band_of(_case())
    band = (low, high)
    inside = list((low + high) / 2)
    assert curve_pattern(inside, band, 0.3)[0] == "within"
    assert curve_pattern([inside[0]] * len(inside), band, 0.3)[0] == "slower"
    assert curve_pattern([inside[0]] * len(inside), band, 0.0)[0] == "no salt"
    assert curve_pattern(inside[:-1] + [float("nan")], band, 0.3)[0] == "diverging"
    assert curve_pattern([v * 3 for v in inside[::-1]], band, 0.3)[0] == "diverging"
    # Ending below every reference seed is not "slower".
    assert curve_pattern(list(low - 0.05), band, 0.3)[0] == "within"


def test_showcase_images_are_public_and_hold_salt():
    x, masks = showcase(32)
    assert x.shape == (3, 32, 32, 1) and masks.shape == (3, 32, 32)
    coverage = masks.reshape(3, -1).mean(axis=1)
    assert ((coverage >= 0.1) & (coverage <= 0.6)).all()


def _figure():
    low, high = band_of(_case())
    rng = np.random.default_rng(0)
    return figure_data(list((low + high) / 2), (low, high), rng.random((3, 32, 32)))


def test_figure_bytes_are_identical_run_to_run():
    data = json.loads(json.dumps(_figure()))  # as stored in grade.json and read back
    first, second = render_figure(data, title="training.maxpool_concat"), render_figure(data, title="training.maxpool_concat")
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    assert first == second
    assert b"tIME" not in first and b"Software" not in first  # no date, no version in the metadata


def test_figure_data_is_small_and_rejects_malformed_data():
    data = _figure()
    assert len(json.dumps(data)) < 6000
    with pytest.raises(ValueError, match="figure data"):
        render_figure({**data, "predicted": data["predicted"][:-1]})


def test_grader_writes_the_figure_next_to_feedback_and_links_it(tmp_path):
    from grader.report import score, write_student

    row = {"key": "training.maxpool_concat", "check_id": "training.maxpool_concat", "question": "training",
           "hidden": False, "description": "a small U-Net learns", "points": 3.0, "earned": 3.0, "passed": True,
           "outcome": "passed", "message": "", "feedback": "", "seconds": 1.0, "measure": 0.8, "figure": _figure()}
    record = score({"student_id": "alice", "folder": "alice", "status": "ok", "problems": [], "message": "",
                    "notes": [], "checks": [row], "timing": {"total_seconds": 1.0}})
    (tmp_path / "alice").mkdir()
    write_student(tmp_path, record)
    png = (tmp_path / "alice" / "training.maxpool_concat.png").read_bytes()
    assert "](training.maxpool_concat.png)" in (tmp_path / "alice" / "feedback.md").read_text()
    write_student(tmp_path, record)
    assert (tmp_path / "alice" / "training.maxpool_concat.png").read_bytes() == png


def test_figures_drawn_in_the_background_are_the_figures_of_the_written_record(tmp_path):
    """The batch draws a row's figure while the worker goes on (grader.figures); the files must not change."""
    import copy

    from grader.figures import FigureDrawer
    from grader.report import score, write_student

    def record_with(figure):
        row = {"key": "training.maxpool_concat", "check_id": "training.maxpool_concat", "question": "training",
               "hidden": False, "description": "a small U-Net learns", "points": 3.0, "earned": 3.0, "passed": True,
               "outcome": "passed", "message": "", "feedback": "", "seconds": 1.0, "measure": 0.8, "figure": figure}
        return score({"student_id": "alice", "folder": "alice", "status": "ok", "problems": [], "message": "",
                      "notes": [], "checks": [row], "timing": {"total_seconds": 1.0}})

    (tmp_path / "alice").mkdir()
    written = tmp_path / "alice" / "training.maxpool_concat.png"
    record = record_with(_figure())
    write_student(tmp_path, record)
    drawn_here = written.read_bytes()
    with FigureDrawer() as drawer:
        drawer.start(record["checks"][0])
        write_student(tmp_path, record, drawer)
        assert written.read_bytes() == drawn_here
        # A row whose figure changed after its drawing started gets the figure it holds now.
        other = copy.deepcopy(_figure())
        other["curve"] = [value * 2 for value in other["curve"]]
        drawer.start(record["checks"][0])
        record["checks"][0]["figure"] = other
        write_student(tmp_path, record, drawer)
        assert written.read_bytes() == render_figure(other, title="training.maxpool_concat") != drawn_here


def test_hidden_training_rows_carry_no_figure():
    """A hidden check's curve would tell its outcome before grades are published."""
    from grader.grading import _row
    from grader.plan import PlannedCheck
    from saltlab.checks.core import get_check
    from saltlab.checks.rubric import load_rubric

    planned = [PlannedCheck(entry, get_check(entry.check_id), (), 900.0) for entry in load_rubric().entries(hidden=True)
               if entry.check_id == "training.maxpool_concat"]
    rows = {p.entry.hidden: _row(p, True, "passed", "", "", 1.0, 0.8, _figure()) for p in planned}
    assert "figure" in rows[False] and "figure" not in rows[True]


def test_make_test_draws_figures_in_the_background_and_reports_the_ones_that_fail(tmp_path, monkeypatch):
    """make test's plugin draws each figure while the next training runs, and waits before the score."""
    from saltlab.checks import pytest_plugin

    monkeypatch.setattr(pytest_plugin, "FIGURE_DIR", tmp_path)
    good, bad = _figure(), {**_figure(), "predicted": _figure()["predicted"][:-1]}
    pytest_plugin._write_figure("training.maxpool_concat", good)
    pytest_plugin._write_figure("training.maxpool_add", bad)
    failed = pytest_plugin._finish_figures()
    assert (tmp_path / "training.maxpool_concat.png").read_bytes() == render_figure(good, title="training.maxpool_concat")
    assert len(failed) == 1 and "training.maxpool_add.png: ValueError" in failed[0]
    assert not (tmp_path / "training.maxpool_add.png").exists()
    assert pytest_plugin._finish_figures() == []
