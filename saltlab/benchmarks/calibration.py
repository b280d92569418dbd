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

No test asserts a score: the rows are measurements, and their spread over
seeds is part of what they say.
"""

import argparse
import csv
import dataclasses
import json
import os
import statistics
import sys
from pathlib import Path

from ..paths import REPO_ROOT
from ..machine import numeric_platform
from .recipe_ablation import ABLATIONS

REAL = {
    "course": (0.374, "one run"),
    "recipe": (0.756, "one run"),
    "no_batchnorm": (0.727, "one run"),
    "quick_concat": (0.486, "2 seeds, sd 0.066"),
    "quick_none": (0.520, "2 seeds, sd 0.049"),
    "quick_max": (0.398, "2 seeds, sd 0.022"),
}
"""Validation IoU at 0.5 of each row on the real Kaggle TGS train files (issue 13), and how many runs.

The package cannot measure these (the real files are the user's); they are the calibration's target."""

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
    for row in rows:
        _summarise(report["rows"][row], row)
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
    entry["real"], entry["real_runs"] = REAL[row]
    entry["mean_minus_real"] = round(entry["mean"] - entry["real"], 4) if values else None


def format_table(report):
    """The report as a Markdown table, one line per row: mean ± sd, the runs, the real figure, the difference."""
    made = f"data {report['data']}" if report.get("data") else f"knobs {json.dumps(report['knobs'])}"
    lines = [f"Candidate {report['name']!r}: {made}", "",
             "| run | mean ± sd | runs | real | mean − real |", "|---|---|---|---|---|"]
    for row, entry in report["rows"].items():
        if entry.get("mean") is None:
            continue
        spread = f" ± {entry['sd']:.3f}" if entry["sd"] is not None else ""
        runs = " ".join(f"{v:.3f}" for v in entry["runs"].values())
        miss = " ✗" if abs(entry["mean_minus_real"]) > 0.05 else ""
        lines.append(f"| {row} | {entry['mean']:.3f}{spread} | {runs} | {entry['real']:.3f} ({entry['real_runs']}) "
                     f"| {entry['mean_minus_real']:+.3f}{miss} |")
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
    from ..impl import load_implementation

    name = args.name or default_name(knobs, args.data)
    report = run_calibration(name, knobs, rows, seeds, args.folder, impl=load_implementation("solutions"),
                             data=args.data)
    print(format_table(report))
    print(f"wrote {args.folder / (name + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
