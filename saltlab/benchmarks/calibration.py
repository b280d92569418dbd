"""One round of the synthetic data's calibration: a candidate ``tgs`` level against the real figures.

``python -m saltlab.benchmarks.calibration --name hidden0 --knobs '{"hidden": 0.0}'``
generates ``make data``'s 4000 images with some of the ``tgs`` level's knobs
replaced (:func:`saltlab.data.synthetic.tgs_knobs`; no ``--knobs``: the
level as it is), trains the runs of :data:`ROWS` on them for each seed, and
writes ``out/bench/calibration/<name>.json``: per row the IoU of every
seed, the mean and sample standard deviation, the real figure
(:data:`REAL`) and the difference. ``data/README.md`` quotes these files.

The three ``quick_*`` rows are ``make experiments PRESET=quick`` for one
variant (11-13 s per training on a 2-core Intel Xeon, two at a time: about
2 minutes for the three rows over 5 seeds); ``recipe``,
``no_batchnorm`` and ``course`` are the demo's runs of
:mod:`saltlab.benchmarks.recipe_ablation` (45-110 s each). Finished runs are
kept on a rerun with the same ``--name`` and knobs, so an interrupted round
resumes; other knobs under the same name are refused.

With ``--data <Kaggle folder>`` instead of ``--knobs``, the same rows are
measured on that folder: run on the real train files, that gives the
targets over as many seeds as the candidates (the figures of :data:`REAL`
are one run, or two seeds, each).

How sure a difference is. Against :data:`REAL`, each row's difference gets
a 95 % interval that counts both sides' noise (:func:`interval_against_real`):
with one or two real runs it is wide, and says whether a row is off beyond
the noise, rarely whether it is within 0.05. ``--against <round>`` compares
with another round instead, seed by seed (:func:`compare_rounds`): run once
on the real files (``--data``), every candidate is then judged on the seeds
both rounds ran, each pair sharing its initial weights and batch order, and
a row is *within 0.05* only when its whole interval is.

No test asserts a score: the rows are measurements, and their spread over
seeds is part of what they say.
"""

import argparse
import csv
import dataclasses
import json
import math
import os
import statistics
import sys
from pathlib import Path

from ..evaluation.paired import CONFIDENCE, Interval, t_interval, t_quantile
from ..machine import numeric_platform
from ..paths import REPO_ROOT
from .recipe_ablation import ABLATIONS

REAL = {
    "course": (0.374, 1, None),
    "recipe": (0.756, 1, None),
    "no_batchnorm": (0.727, 1, None),
    "quick_concat": (0.486, 2, 0.066),
    "quick_none": (0.520, 2, 0.049),
    "quick_max": (0.398, 2, 0.022),
}
"""Validation IoU at 0.5 of each row on the real Kaggle TGS train files (issue 13): mean, runs, sample sd.

The package cannot measure these (the real files are the user's); they are the calibration's target."""

TOLERANCE = 0.05
"""How close to the real figure a row should land (issue 13: within ±0.05 IoU)."""

LOW_RUN = 0.2
"""A run below this IoU stayed on the "no salt anywhere" plateau, or left it late (``data/README.md``)."""

ROWS = {
    "course": "make demo COURSE=1: the course's U-Net at 128x128, 320 training images, 6 epochs",
    "recipe": "make demo: 64x64, all images, flips, cosine schedule, batch normalisation",
    "no_batchnorm": "the same without batch normalisation",
    "quick_concat": "make experiments PRESET=quick, maxpool-concat",
    "quick_none": "the same, maxpool-none",
    "quick_max": "the same, maxpool-max",
}
"""The calibration's runs, as ``data/README.md``'s table names them."""

_QUICK_VARIANTS = {"quick_concat": "maxpool-concat", "quick_none": "maxpool-none", "quick_max": "maxpool-max"}


def run_calibration(name, knobs, rows, seeds, folder, *, impl, data=None, log=print):
    """Generate the candidate data, train every row on it for every seed, and write ``<folder>/<name>.json``.

    Parameters
    ----------
    name : str
        The candidate's name: its data go to ``<folder>/<name>/data``, its runs beside them.
    knobs : dict
        Overrides of the ``tgs`` knobs (:func:`saltlab.data.synthetic.tgs_knobs`); ``{}``: the level as it is.
    rows : list of str
        Keys of :data:`ROWS`.
    seeds : list of int
    folder : pathlib.Path
    impl : saltlab.impl.Implementation
    data : str or pathlib.Path, optional
        A Kaggle-layout folder to measure instead of candidate data (``knobs`` must be empty then),
        e.g. the real train files.
    log : callable, optional

    Returns
    -------
    report : dict
        ``name``, ``knobs`` (all of them, after the overrides; None with ``data``), ``data``
        (the folder given, or None), ``machine``, and ``rows``: per row ``runs`` ({seed: IoU at
        0.5}, every seed run under this name so far), ``mean``, ``sd`` (None for one seed),
        ``real``, ``real_runs`` and ``mean_minus_real``.

    Raises
    ------
    ValueError
        For an unknown knob or row, knobs with ``data``, or a ``name`` already used with other knobs or data.
    """
    from ..data.synthetic import tgs_knobs
    from ..data.writer import generate_dataset

    if data is not None and knobs:
        raise ValueError("calibration: knobs apply to generated candidate data, not to a given data folder")
    resolved = None if data is not None else {k: list(v) if isinstance(v, tuple) else v
                                              for k, v in tgs_knobs(knobs).items()}
    given = str(Path(data).resolve()) if data is not None else None
    unknown = sorted(set(rows) - set(ROWS))
    if unknown:
        raise ValueError(f"calibration rows {', '.join(unknown)} are unknown; expected some of {', '.join(ROWS)}")
    out = folder / f"{name}.json"
    report = (json.loads(out.read_text()) if out.is_file()
              else {"name": name, "knobs": resolved, "data": given, "rows": {}})
    if (report["knobs"], report.get("data")) != (resolved, given):
        made = f"the knobs {report['knobs']}" if report.get("data") is None else f"the data {report['data']}"
        asked = f"the knobs {resolved}" if given is None else f"the data {given}"
        raise ValueError(f"{out}: made with {made}, not {asked}; choose another --name")
    report.pop("against", None)  # a comparison is of the runs it saw; main() redoes it when asked
    report["machine"] = {"cpus": os.cpu_count(), "processor": numeric_platform()["processor"]}
    data = Path(given) if given is not None else folder / name / "data"
    if given is None and not (data / "train.csv").is_file():
        log(f"Generating the candidate data into {data}")
        generate_dataset(data, knobs=knobs or None, force=True)

    def save():
        folder.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")  # after every row: an interruption loses one

    quick = [r for r in rows if r in _QUICK_VARIANTS]
    if quick:
        _quick_rows(report, quick, seeds, data, folder / name / "quick", impl=impl, log=log)
        save()
    for row in rows:
        if row in _QUICK_VARIANTS:
            continue
        runs = report["rows"].setdefault(row, {"runs": {}})["runs"]
        for seed in seeds:
            if str(seed) in runs:
                continue
            from ..demo import run_demo

            metrics = run_demo(dataclasses.replace(ABLATIONS[row], seed=seed), impl=impl, data=data,
                               out=folder / name / f"{row}_seed{seed}")
            runs[str(seed)] = round(metrics["at_0.5"]["iou"], 4)
            _summarise(report["rows"][row], row)
            save()
    for row, entry in report["rows"].items():  # every row, also those of earlier rounds: the same figures
        _summarise(entry, row)
    save()
    return report


def _quick_rows(report, quick, seeds, data, results, *, impl, log):
    """The quick preset's variants of ``quick`` over ``seeds``, through the experiments runner (resumable)."""
    from ..experiments import get_preset, run_experiments

    preset = get_preset("quick", seeds=tuple(seeds))
    run_experiments(preset, impl=impl, data=data, out=results,
                    variants=[_QUICK_VARIANTS[r] for r in quick], log=log)
    by_variant = {}
    with open(results / "results.csv", newline="") as f:
        for line in csv.DictReader(f):
            by_variant.setdefault(line["variant"], {})[line["seed"]] = round(float(line["iou"]), 4)
    for row in quick:
        # Every seed trained in this folder, as for the demo's rows: a round with other seeds adds to the row.
        runs = report["rows"].setdefault(row, {"runs": {}})["runs"]
        runs.update(by_variant.get(_QUICK_VARIANTS[row], {}))
        report["rows"][row]["runs"] = dict(sorted(runs.items(), key=lambda item: int(item[0])))


def default_name(knobs, data=None):
    """The name a round gets without ``--name``: ``current``, ``data-<folder>``, or the knobs spelled out.

    Examples
    --------
    >>> default_name({}), default_name({"hidden": 0.0, "noise": [0.15, 0.5]}), default_name({}, "/x/tgs/train")
    ('current', 'hidden0-noise0.15-0.5', 'data-train')
    """
    if data is not None:
        return f"data-{Path(data).resolve().name}"
    if not knobs:
        return "current"

    def spell(value):
        return "-".join(f"{float(v):g}" for v in value) if isinstance(value, (list, tuple)) else f"{float(value):g}"

    return "-".join(f"{name}{spell(value)}" for name, value in knobs.items())


def _summarise(entry, row):
    values = list(entry["runs"].values())
    entry["mean"] = round(statistics.mean(values), 4) if values else None
    entry["sd"] = round(statistics.stdev(values), 4) if len(values) > 1 else None
    real, runs, sd = REAL[row]
    entry["real"] = real
    entry["real_runs"] = "one run" if runs == 1 else f"{runs} seeds, sd {sd:.3f}"
    entry["mean_minus_real"] = round(entry["mean"] - entry["real"], 4) if values else None
    interval = interval_against_real(values, row) if values else None
    entry["interval_95"] = [round(interval.low, 4), round(interval.high, 4)] if interval and interval.known else None


def interval_against_real(values, row, *, confidence=CONFIDENCE):
    """The difference between a row's runs and its real figure, with a Welch t interval.

    The real figures are one run, or two: their own noise is counted. Where
    the real figure is one run, its spread is taken to be that of the
    synthetic runs (the only estimate there is): the interval is then the
    prediction interval of one more run, ``± t * sd * sqrt(1 + 1/n)`` with
    ``n - 1`` degrees of freedom. Where it is two runs, Welch's interval,
    with the Welch-Satterthwaite degrees of freedom rounded down (so a
    little wide, never narrow).

    Parameters
    ----------
    values : sequence of float, shape (n,)
        The row's IoU over seeds.
    row : str
        A key of :data:`REAL`.
    confidence : float, optional

    Returns
    -------
    saltlab.evaluation.paired.Interval
        ``estimate`` = mean(values) − real; NaN ends for fewer than 2 values.

    Examples
    --------
    >>> ci = interval_against_real([0.76, 0.74, 0.78], "recipe")  # 0.76 - 0.756; sd 0.02, t(0.975, 2) = 4.303
    >>> round(ci.estimate, 3), round(ci.high - ci.estimate, 4)
    (0.004, 0.0994)
    """
    real, real_runs, real_sd = REAL[row]
    n = len(values)
    estimate = statistics.mean(values) - real
    if n < 2:
        return Interval(estimate, math.nan, math.nan, n)
    sd = statistics.stdev(values)
    if real_runs == 1:
        se, df = sd * math.sqrt(1 + 1 / n), n - 1
    else:
        a, b = sd * sd / n, real_sd * real_sd / real_runs
        se = math.sqrt(a + b)
        df = (a + b) ** 2 / (a * a / (n - 1) + b * b / (real_runs - 1)) if a + b > 0 else n - 1
    half = t_quantile(0.5 + confidence / 2, max(1, math.floor(df))) * se
    return Interval(estimate, estimate - half, estimate + half, n)


def verdict(interval, *, tolerance=TOLERANCE):
    """What an interval of a difference says about a tolerance: within it, beyond it, or undecided.

    Parameters
    ----------
    interval : saltlab.evaluation.paired.Interval
    tolerance : float, optional

    Returns
    -------
    str
        ``"within"`` if the whole interval lies in ``[-tolerance, tolerance]``;
        ``"beyond"`` if it lies wholly outside (above ``tolerance`` or below
        ``-tolerance``); ``"undecided"`` otherwise, or when the interval is
        unknown (one seed).

    Examples
    --------
    >>> from saltlab.evaluation.paired import Interval
    >>> [verdict(Interval(0, lo, hi, 5)) for lo, hi in ((-0.03, 0.04), (0.06, 0.2), (-0.02, 0.09))]
    ['within', 'beyond', 'undecided']
    """
    if not interval.known:
        return "undecided"
    if -tolerance <= interval.low and interval.high <= tolerance:
        return "within"
    if interval.low > tolerance or interval.high < -tolerance:
        return "beyond"
    return "undecided"


def compare_rounds(candidate, reference):
    """Each row of a candidate round against another round (the real files measured), seed by seed.

    A seed fixes a run's initial weights and batch order whatever the data,
    so the two rounds' runs of one seed are a pair, and the difference is
    taken pair by pair (:func:`saltlab.evaluation.paired.t_interval`).

    Parameters
    ----------
    candidate, reference : dict
        Reports of :func:`run_calibration` (their ``rows``' ``runs``: ``{seed: IoU}``).

    Returns
    -------
    dict
        Per row both rounds have: ``seeds`` (those both ran, sorted),
        ``candidate`` and ``reference`` (their means over those seeds),
        ``difference`` (candidate − reference), ``interval_95`` ([low, high],
        None for one seed), ``verdict`` (:func:`verdict`), and ``low_runs``:
        ``[candidate's, reference's]`` count of runs below :data:`LOW_RUN`
        on those seeds (the plateau, which a mean hides).
    """
    compared = {}
    for row, entry in candidate["rows"].items():
        theirs = reference["rows"].get(row, {}).get("runs", {})
        seeds = sorted(set(entry["runs"]) & set(theirs), key=int)
        if not seeds:
            continue
        ours = [entry["runs"][s] for s in seeds]
        base = [theirs[s] for s in seeds]
        interval = t_interval([a - b for a, b in zip(ours, base)])
        compared[row] = {
            "seeds": [int(s) for s in seeds],
            "candidate": round(statistics.mean(ours), 4),
            "reference": round(statistics.mean(base), 4),
            "difference": round(interval.estimate, 4),
            "interval_95": [round(interval.low, 4), round(interval.high, 4)] if interval.known else None,
            "verdict": verdict(interval),
            "low_runs": [sum(v < LOW_RUN for v in ours), sum(v < LOW_RUN for v in base)],
        }
    return compared


def format_comparison(candidate, reference, compared):
    """:func:`compare_rounds`' result as a Markdown table."""
    lines = [f"Candidate {candidate['name']!r} against {reference['name']!r}, paired by seed "
             f"(95 % t interval; within ±{TOLERANCE} only if the whole interval is)", "",
             f"| run | seeds | {candidate['name']} | {reference['name']} | difference | 95 % interval | verdict "
             f"| runs below {LOW_RUN} |", "|---|---|---|---|---|---|---|---|"]
    for row, c in compared.items():
        interval = f"{c['interval_95'][0]:+.3f} to {c['interval_95'][1]:+.3f}" if c["interval_95"] else "–"
        low = f"{c['low_runs'][0]}, {c['low_runs'][1]}"
        lines.append(f"| {row} | {len(c['seeds'])} | {c['candidate']:.3f} | {c['reference']:.3f} "
                     f"| {c['difference']:+.3f} | {interval} | {c['verdict']} | {low} |")
    return "\n".join(lines)


def format_table(report):
    """The report as a Markdown table, one line per row: mean ± sd, the runs, the real figure, the difference."""
    made = f"data {report['data']}" if report.get("data") else f"knobs {json.dumps(report['knobs'])}"
    lines = [f"Candidate {report['name']!r}: {made}", "",
             "| run | mean ± sd | runs | real | mean − real | 95 % interval |", "|---|---|---|---|---|---|"]
    for row, entry in report["rows"].items():
        if entry.get("mean") is None:
            continue
        spread = f" ± {entry['sd']:.3f}" if entry["sd"] is not None else ""
        runs = " ".join(f"{v:.3f}" for v in entry["runs"].values())
        miss = " ✗" if abs(entry["mean_minus_real"]) > TOLERANCE else ""
        interval = entry.get("interval_95")
        interval = f"{interval[0]:+.3f} to {interval[1]:+.3f}" if interval else "–"
        lines.append(f"| {row} | {entry['mean']:.3f}{spread} | {runs} | {entry['real']:.3f} ({entry['real_runs']}) "
                     f"| {entry['mean_minus_real']:+.3f}{miss} | {interval} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.benchmarks.calibration",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--name", help="the round's name (default: 'current' for the data as they are, "
                        "'data-<folder>' with --data, else the knobs spelled out, e.g. 'hidden0')")
    parser.add_argument("--knobs", default="{}", help='JSON object of tgs knobs to replace, e.g. \'{"hidden": 0.0}\'')
    parser.add_argument("--rows", default=",".join(ROWS), help=f"comma-separated subset of {','.join(ROWS)}")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (default 0,1,2,3,4)")
    parser.add_argument("--data", type=Path, help="measure the rows on this Kaggle-layout folder (e.g. the real "
                        "train files) instead of generating candidate data; no --knobs then")
    parser.add_argument("--against", metavar="ROUND", help="also compare, seed by seed, with the round of this name "
                        "in the folder (e.g. 'data-train', measured with --data on the real files)")
    parser.add_argument("--folder", type=Path, default=REPO_ROOT / "out" / "bench" / "calibration")
    args = parser.parse_args(argv)
    try:
        knobs = json.loads(args.knobs)
    except ValueError as error:
        parser.error(f"--knobs: {args.knobs!r} is not JSON ({error})")
    if not isinstance(knobs, dict):
        parser.error(f"--knobs: expected a JSON object of knob names and values, got {args.knobs!r}")
    rows = [r for r in args.rows.split(",") if r]
    unknown = sorted(set(rows) - set(ROWS))
    if unknown:
        parser.error(f"--rows: unknown {', '.join(unknown)}; expected some of {', '.join(ROWS)}")
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        parser.error(f"--seeds: {args.seeds!r} is not a comma-separated list of integers")
    from ..data.synthetic import tgs_knobs

    try:
        tgs_knobs(knobs)
    except ValueError as error:
        parser.error(f"--knobs: {error}")
    if args.data is not None:
        if knobs:
            parser.error("--knobs and --data: knobs make candidate data; a given folder is measured as it is")
        if not (args.data / "train.csv").is_file():
            parser.error(f"--data: {args.data} has no train.csv; expected a Kaggle-layout folder "
                         "(train.csv, images/, masks/)")
    reference = None
    if args.against is not None:
        against = args.folder / f"{args.against}.json"
        try:
            reference = json.loads(against.read_text())
            reference["rows"].items()
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            parser.error(f"--against: {against} is not a calibration round this tool wrote ({error}); "
                         f"rounds there: {', '.join(sorted(p.stem for p in args.folder.glob('*.json'))) or 'none'}")
    from ..impl import load_implementation

    name = args.name or default_name(knobs, args.data)
    report = run_calibration(name, knobs, rows, seeds, args.folder, impl=load_implementation("solutions"),
                             data=args.data)
    print(format_table(report))
    if reference is not None:
        compared = compare_rounds(report, reference)
        print()
        print(format_comparison(report, reference, compared))
        report["against"] = {"name": reference["name"], "rows": compared}
        (args.folder / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.folder / (name + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
