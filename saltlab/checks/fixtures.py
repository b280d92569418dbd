"""The reference's expected answers for the public cases (``make fixtures``).

Students receive no reference code, so every expected value a public test
needs is computed from ``solutions/`` once and stored under
``tests/fixtures/<check id>.npz``. ``--check`` recomputes them and proves the
stored files still equal what the reference produces now.
"""

import argparse
import hashlib
import json
import sys

import numpy as np

from ..paths import REPO_ROOT
from . import plaindata
from .core import REGISTRY, Check, get_check, run_probe
from .tolerance import float32_atol
from .training_feedback import BAND_PATH, BAND_SEEDS, load_band

FIXTURE_DIR = REPO_ROOT / "tests" / "fixtures"
ARRAY_RTOL = 1e-6
"""`--check` relative tolerance for stored float arrays. The absolute part is
:func:`saltlab.checks.tolerance.float32_atol` of the stored array: the
reference recomputed on another processor differs in the last float32 bits
(measured: up to 3.7 ulps of the array's largest magnitude, Intel against AMD),
while a real change of the reference moves values by 1e-2 of that scale."""


def case_digest(case):
    """A short hash of a case's inputs, so a fixture made for other inputs is caught."""
    digest = hashlib.sha256(json.dumps(case.params, sort_keys=True, default=str).encode())
    for key in sorted(case.arrays):
        array = np.ascontiguousarray(case.arrays[key])
        digest.update(key.encode() + str(array.dtype).encode() + str(array.shape).encode() + array.tobytes())
    return digest.hexdigest()[:16]


def fixture_path(check_id):
    return FIXTURE_DIR / f"{check_id}.npz"


def reference_answers(check, reference, cases):
    """Run the reference's probe on ``cases``; one answer per case.

    The one place where expected answers come from, for the stored fixtures
    (public cases, ``make fixtures``) and for the grader (public and hidden
    cases, live at grading time: :func:`grader.plan.compute_expected`).

    Returns
    -------
    answers : dict
        ``{case_id: (outcome, answer)}``: the reference's
        :class:`~saltlab.checks.core.Outcome` and its plain-data answer.

    Raises
    ------
    RuntimeError
        If the reference fails a case: the expected answers would be meaningless.
    """
    import keras

    # Layers built with name=None get Keras's global counters in their names
    # (conv2d_7): start each check from fresh counters, so what is stored does
    # not depend on what else this process built before.
    keras.backend.clear_session()
    answers = {}
    for case in cases:
        outcome = run_probe(check, reference, case)
        if outcome.status != "ok":
            raise RuntimeError(f"the reference fails {check.id} on {case.id}: {outcome.status} {outcome.detail}")
        answers[case.id] = (outcome, outcome.answer)
    return answers


def compute_expected(check, reference):
    """The reference's answers on every public case, as stored in ``tests/fixtures/<check id>.npz``.

    Returns
    -------
    fixture : dict
        ``{case_id: {"digest": str, "answer": dict}}``.

    Raises
    ------
    RuntimeError
        If the reference fails a case.
    """
    cases = check.public_cases()
    answers = reference_answers(check, reference, cases)
    return {case.id: {"digest": case_digest(case), "answer": answers[case.id][1]} for case in cases}


# --- the training check's band ---------------------------------------------

BAND_CHECK_RTOL = 0.02
"""``--check`` retrains one seed and compares its curve to the stored one with this tolerance.

The same seed gives the same curve to the last digit on one machine; on
another processor float32 kernels differ in the last bits and 160 Adam steps
can amplify that; a change of the recipe (rate, schedule, loss) moves the
curve by far more than 2%."""


def compute_band(reference, *, seeds=BAND_SEEDS, configurations=None):
    """The reference's epoch losses over ``seeds`` for each configuration (trains len(seeds) x 3 networks).

    Returns
    -------
    band : dict
        ``{"seeds": [...], "curves": {"maxpool-concat": array (len(seeds), epochs), ...}}``.
    """
    from .training_checks import CONFIGURATIONS, probe_training, training_case

    check = Check("training.band", "build_unet", "the reference's training curves", list, probe_training, None)
    curves = {}
    for downsample, merge in configurations or CONFIGURATIONS:
        rows = []
        for seed in seeds:
            case = training_case(downsample, merge, seed=seed)
            outcome = run_probe(check, reference, case)
            if outcome.status != "ok":
                raise RuntimeError(f"the reference fails training {case.id} seed {seed}: {outcome.detail}")
            rows.append(outcome.answer["epoch_loss"])
        curves[f"{downsample}-{merge}"] = np.asarray(rows, dtype=np.float64)
    return {"seeds": list(seeds), "curves": curves}


def check_band(reference):
    """``fixtures --check``'s test of the band: seed 0 of one configuration, retrained, equals the stored curve.

    One training (about 5 s), not eighteen: it proves the stored band was
    made by the current reference and recipe.

    Returns
    -------
    problem : str or None
    """
    band = load_band()
    if band is None:
        return f"{BAND_PATH.name} is missing"
    fresh = compute_band(reference, seeds=(0,), configurations=[("maxpool", "concat")])["curves"]["maxpool-concat"][0]
    stored = np.asarray(band["curves"].get("maxpool-concat"), dtype=float)
    if stored.ndim != 2 or list(band["seeds"])[:1] != [0] or stored.shape[1] != fresh.size:
        return f"{BAND_PATH.name} does not hold seed 0 of maxpool-concat"
    if not np.allclose(stored[0], fresh, rtol=BAND_CHECK_RTOL, atol=0):
        return f"{BAND_PATH.name}: seed 0 now trains to {np.round(fresh, 4).tolist()}, stored {np.round(stored[0], 4).tolist()}"
    return None



class FixtureError(LookupError):
    pass


def load_expected(check_id, case):
    """The stored reference answer for one public case.

    Raises
    ------
    FixtureError
        If the fixture file is missing or was made for other inputs.
    """
    path = fixture_path(check_id)
    if not path.is_file():
        raise FixtureError(f"{path.relative_to(REPO_ROOT)} is missing: the instructor runs `make fixtures`")
    fixture = _read(path)
    entry = fixture.get(case.id)
    if entry is None or entry["digest"] != case_digest(case):
        raise FixtureError(f"{path.relative_to(REPO_ROOT)} has no answer for the current inputs of {case.id}; "
                           "the instructor runs `make fixtures`")
    return entry["answer"]


_cache = {}


def _read(path):
    if path not in _cache:
        _cache[path] = plaindata.loads(path.read_bytes())
    return _cache[path]


def same_answer(stored, fresh):
    """Equal JSON values, and arrays equal to ARRAY_RTOL and float32_atol (see :mod:`.tolerance`).

    Integer and boolean arrays (shapes, counts, masks) must be equal exactly:
    they do not depend on the processor.
    """
    if isinstance(stored, np.ndarray) or isinstance(fresh, np.ndarray):
        stored, fresh = np.asarray(stored), np.asarray(fresh)
        if stored.shape != fresh.shape:
            return False
        if stored.dtype.kind != "f" and fresh.dtype.kind != "f":
            return bool(np.array_equal(stored, fresh))
        return bool(np.allclose(stored, fresh, rtol=ARRAY_RTOL, atol=float32_atol(stored)))
    if isinstance(stored, dict) and isinstance(fresh, dict):
        return stored.keys() == fresh.keys() and all(same_answer(stored[k], fresh[k]) for k in stored)
    if isinstance(stored, list) and isinstance(fresh, list):
        return len(stored) == len(fresh) and all(same_answer(a, b) for a, b in zip(stored, fresh))
    if isinstance(stored, float) and isinstance(fresh, float):
        # Scalars in fixtures are float64 results of NumPy on integer counts
        # (precision, recall, scores of thresholds): exact on every IEEE machine.
        return bool(np.isclose(stored, fresh, rtol=1e-12, atol=0))
    return stored == fresh


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.checks.fixtures", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the stored fixtures with the reference, write nothing")
    args = parser.parse_args(argv)
    from ..impl import load_implementation
    from ..seeding import pin_grading_threads

    pin_grading_threads()  # the band's curves are the grader's: trained as its worker trains

    reference = load_implementation("solutions")
    get_check("conv_block.shapes")  # fills the registry
    FIXTURE_DIR.mkdir(parents=True, exist_ok=True)
    stale = []
    wanted = set()
    for check_id, check in sorted(REGISTRY.items()):
        if not check.needs_reference:
            continue
        path = fixture_path(check_id)
        wanted.add(path.name)
        fresh = compute_expected(check, reference)
        if args.check:
            stored = _read(path) if path.is_file() else None
            if stored is None or not same_answer(stored, fresh):
                stale.append(check_id)
        else:
            path.write_bytes(plaindata.dumps(fresh))
            print(f"wrote {path.relative_to(REPO_ROOT)} ({len(fresh)} cases)")
    # The training check's band (tests/fixtures/training.band.npz): 18 trainings to make,
    # one to check (check_band).
    wanted.add(BAND_PATH.name)
    if args.check:
        problem = check_band(reference)
        if problem:
            print(f"fixtures: {problem}", file=sys.stderr)
            stale.append(BAND_PATH.name)
    else:
        BAND_PATH.write_bytes(plaindata.dumps(compute_band(reference)))
        print(f"wrote {BAND_PATH.relative_to(REPO_ROOT)} (the reference's training loss over seeds)")
    extra = sorted(p.name for p in FIXTURE_DIR.glob("*.npz") if p.name not in wanted)
    if args.check and (stale or extra):
        print("fixtures: out of date for " + ", ".join(stale + extra) + "; run `make fixtures`", file=sys.stderr)
        return 1
    for name in extra if not args.check else []:
        (FIXTURE_DIR / name).unlink()
        print(f"removed stale {name}")
    if args.check:
        print(f"fixtures: {len(wanted)} files equal what the reference produces now")
    return 0


if __name__ == "__main__":
    sys.exit(main())
