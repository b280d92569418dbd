"""Float32 results compared across processors: noise passes, real changes fail.

The stored fixtures were made on one processor; another one recomputes the
reference with last-bit differences (measured Intel against AMD EPYC: up to
3.7 float32 ulps of an output's largest magnitude). These tests perturb the
stored answers by twice that noise and check that both the fixture sync check
(``python -m saltlab.checks.fixtures --check``) and the public verdicts still
accept them, then replace them by what a real change of the reference
produces (mutants of ``selftests/mutants.py``) and check that both reject it.
"""

import shutil

import numpy as np
import pytest

from saltlab.checks import fixtures, plaindata
from saltlab.checks.core import get_check, judge, run_probe
from saltlab.checks.tolerance import FLOAT32_EPS
from saltlab.impl import load_implementation

from mutants import build_mutant

NUMERIC_CHECKS = ("conv_block.numerics", "downsample.numerics")
NOISE_ULPS = 8
"""Twice the largest cross-processor difference measured (3.7 ulps of the scale)."""


def _perturb(answer, rng):
    """Every float array of an answer moved by up to NOISE_ULPS ulps of its largest magnitude."""
    if isinstance(answer, np.ndarray) and answer.dtype.kind == "f":
        scale = max(1.0, float(np.abs(answer).max()))
        noise = rng.uniform(-1, 1, size=answer.shape) * NOISE_ULPS * FLOAT32_EPS * scale
        return (answer + noise).astype(answer.dtype)
    if isinstance(answer, dict):
        return {key: _perturb(value, rng) for key, value in answer.items()}
    if isinstance(answer, list):
        return [_perturb(value, rng) for value in answer]
    return answer


@pytest.fixture
def fixture_copy(tmp_path, monkeypatch):
    """A private copy of tests/fixtures/ that the sync check reads instead of the real one."""
    folder = tmp_path / "fixtures"
    shutil.copytree(fixtures.FIXTURE_DIR, folder)
    monkeypatch.setattr(fixtures, "FIXTURE_DIR", folder)
    monkeypatch.setattr(fixtures, "_cache", {})
    return folder


def _rewrite(folder, check_id, transform):
    path = folder / f"{check_id}.npz"
    stored = plaindata.loads(path.read_bytes())
    path.write_bytes(plaindata.dumps(transform(stored)))
    return stored


@pytest.mark.parametrize("check_id", NUMERIC_CHECKS)
def test_cross_machine_noise_passes_sync_check_and_public_verdict(check_id, fixture_copy):
    rng = np.random.default_rng(2026)
    stored = _rewrite(fixture_copy, check_id, lambda fixture: _perturb(fixture, rng))
    noisy = plaindata.loads((fixture_copy / f"{check_id}.npz").read_bytes())
    moved = max(float(np.abs(noisy[c]["answer"]["y"] - stored[c]["answer"]["y"]).max()) for c in stored)
    assert moved > 1e-6, "the perturbation must be as large as the differences seen across processors"
    assert fixtures.main(["--check"]) == 0
    check = get_check(check_id)
    for case in check.public_cases():
        verdict = check.verdict(case, noisy[case.id]["answer"], stored[case.id]["answer"])
        assert verdict.passed, verdict.message


@pytest.mark.parametrize(("check_id", "mutant"), [
    ("conv_block.numerics", "conv_block_relu_before_bn"),
    ("conv_block.numerics", "conv_block_no_second_relu"),
    ("downsample.numerics", "downsample_stride_without_relu"),
])
def test_real_change_fails_sync_check_and_public_verdict(check_id, mutant, fixture_copy, tmp_path, capsys):
    changed = load_implementation(build_mutant(mutant, tmp_path / mutant))
    check = get_check(check_id)
    stored = plaindata.loads((fixture_copy / f"{check_id}.npz").read_bytes())
    fresh = fixtures.compute_expected(check, changed)
    _rewrite(fixture_copy, check_id, lambda fixture: fresh)
    assert fixtures.main(["--check"]) == 1
    assert check_id in capsys.readouterr().err
    failed = [case.id for case in check.public_cases()
              if not judge(check, case, run_probe(check, changed, case), stored[case.id]["answer"]).passed]
    assert failed, f"{mutant} passes every public case of {check_id}"
