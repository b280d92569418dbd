"""The public trainings run ahead (saltlab.checks.training_checks.TrainingsAhead) give what each gives in its own turn.

The worker trains the second and third public configurations in
background threads while the first trains; ``make test`` starts all three
at collection, beside the unit checks. A grade must
not change by it: the same bytes for a correct submission, and for a
submission whose stride path raises, the same failure reported by the same
check. Two epochs instead of eight keep the test short; everything else is
the public cases' own.
"""

from pathlib import Path

import numpy as np

from mutants import copy_reference, mutate
from saltlab.checks import training_checks
from saltlab.checks.core import get_check, run_probe
from saltlab.impl import load_implementation

EPOCHS = 2


def _cases():
    cases = [training_checks.training_case(down, merge) for down, merge in training_checks.CONFIGURATIONS]
    for case in cases:
        case.params["epochs"] = EPOCHS
    return cases


def _outcomes(impl, ahead, monkeypatch, *, at_start=False):
    """Each public training probed in turn, as the worker asks: plain outcomes.

    ``at_start``: all three started before the first is asked, as ``make test``
    does at collection, while a unit check runs (holding the probe lock).
    """
    trainings = training_checks.TrainingsAhead()
    trainings.enabled = ahead
    monkeypatch.setattr(training_checks, "TRAININGS_AHEAD", trainings)
    check = get_check("training.maxpool_concat")  # every training check has the same probe
    if at_start:
        trainings.start(impl, _cases())
        unit = get_check("conv_block.numerics")
        run_probe(unit, impl, unit.public_cases()[0])
    outcomes = [run_probe(check, impl, case).to_plain() for case in _cases()]
    # Ahead, the second and third configurations were started by the first (and not again in turn).
    started = [future for future in trainings._futures.values() if future is not None]
    assert len(started) == (3 if at_start else 2 if ahead else 0)
    return outcomes


def _same(first, second):
    assert first["status"] == second["status"] and first["detail"] == second["detail"]
    for name in ("probabilities", "showcase"):
        if name in first["answer"]:
            assert np.asarray(first["answer"][name]).tobytes() == np.asarray(second["answer"][name]).tobytes(), name
    assert first["answer"].get("epoch_loss") == second["answer"].get("epoch_loss")


def test_trainings_ahead_give_the_bytes_of_trainings_in_turn(monkeypatch):
    impl = load_implementation("solutions")
    in_turn = _outcomes(impl, False, monkeypatch)
    ahead = _outcomes(impl, True, monkeypatch)
    at_start = _outcomes(impl, True, monkeypatch, at_start=True)
    assert [o["status"] for o in in_turn] == ["ok"] * 3
    for first, second, third in zip(in_turn, ahead, at_start):
        _same(first, second)
        _same(first, third)


def test_an_error_ahead_is_reported_by_its_own_check_as_in_turn(tmp_path, monkeypatch):
    folder = copy_reference(tmp_path / "stride_raises")
    blocks = Path(folder) / "blocks.py"
    blocks.write_text(mutate(blocks.read_text(), [(
        "downsample", "        x = layers.Conv2D(channels, 3, strides=2,",
        "        raise RuntimeError('the stride path is broken')\n        x = layers.Conv2D(channels, 3, strides=2,")],
        label="stride_raises"))
    impl = load_implementation(folder)
    in_turn = _outcomes(impl, False, monkeypatch)
    ahead = _outcomes(impl, True, monkeypatch)
    at_start = _outcomes(impl, True, monkeypatch, at_start=True)
    assert [o["status"] for o in in_turn] == ["ok", "error", "ok"]
    assert "the stride path is broken" in in_turn[1]["detail"] and "blocks.py:" in in_turn[1]["detail"]
    for first, second, third in zip(in_turn, ahead, at_start):
        _same(first, second)
        _same(first, third)


def test_nothing_starts_ahead_unless_enabled_or_from_the_first_public_configuration(monkeypatch):
    impl = load_implementation("solutions")
    trainings = training_checks.TrainingsAhead()
    monkeypatch.setattr(training_checks, "TRAININGS_AHEAD", trainings)
    first, second, _ = _cases()
    trainings.start_others(impl, first)  # not enabled
    trainings.enabled = True
    trainings.start_others(impl, second)  # a restarted worker's first request
    hidden = training_checks.training_case("maxpool", "concat", seed=12345)
    trainings.start_others(impl, hidden)  # the hidden data: never trained ahead
    trainings.enabled = False
    trainings.start(impl, [first, second])  # make test's start at collection, not enabled
    assert trainings._futures == {} and trainings._pool is None
