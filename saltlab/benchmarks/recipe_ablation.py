"""What each ingredient of the demo's recipe buys: one removed at a time, written as JSON.

``python -m saltlab.benchmarks.recipe_ablation --out out/bench/recipe_ablation.json``
trains :data:`saltlab.demo.DEFAULT` and each variant of :data:`ABLATIONS`
(one ingredient changed) with :func:`saltlab.demo.run_demo` on the default
data, and records the validation IoU at 0.5 and at the best-F1 threshold,
the training time and the machine's load before and after each run. The
same runs over several seeds (``--seeds 0,1,2,3,4 --only recipe,no_batchnorm,course``)
are the calibration rows of ``data/README.md``.

About 12 minutes for the eight runs of one seed on a 2-core Intel Xeon,
30 on a 2-core AMD EPYC. Finished runs are skipped on a rerun with the same
``--out`` (their rows are kept), so an interrupted benchmark resumes.
No test asserts a time or a score: ``data/README.md`` quotes this file.
"""

import argparse
import dataclasses
import json
import os
import platform
import sys
from pathlib import Path

from ..demo import COURSE, DEFAULT
from ..machine import numeric_platform
from ..paths import REPO_ROOT

ABLATIONS = {
    "recipe": DEFAULT,
    "no_batchnorm": dataclasses.replace(DEFAULT, batchnorm=False),
    "images_400": dataclasses.replace(DEFAULT, n_images=400),
    "constant_rate": dataclasses.replace(DEFAULT, schedule="constant"),
    "no_flips": dataclasses.replace(DEFAULT, augment=False),
    "bce_alone": dataclasses.replace(DEFAULT, loss="bce"),
    "larger_steps": dataclasses.replace(DEFAULT, epochs=5, batch_size=32),
    "course": COURSE,
}
"""The demo's recipe, each ingredient removed in turn, and the course's own short run (``make demo COURSE=1``).

Every entry but ``course`` differs from :data:`saltlab.demo.DEFAULT` in the fields its name says (a
selftest checks it); ``name`` stays the recipe's, so the report still says which recipe was ablated."""


def run_ablation(names, seeds, out, *, impl):
    """Train each named configuration once per seed; append a row per run to ``out`` (JSON).

    Parameters
    ----------
    names : list of str
        Keys of :data:`ABLATIONS`.
    seeds : list of int
        ``DemoConfig.seed``: the images drawn, the split, the initial weights and the batch order.
    out : pathlib.Path
        JSON file; runs already in it (same name and seed) are skipped.
    impl : saltlab.impl.Implementation

    Returns
    -------
    report : dict
        ``machine`` and ``runs`` (one dict per run: ``name``, ``seed``, ``iou_at_0.5``,
        ``iou_at_best``, ``best_threshold``, ``training_seconds``, ``total_seconds``,
        ``load_average_before``, ``load_average_after``).
    """
    from ..demo import run_demo

    report = json.loads(out.read_text()) if out.is_file() else {"runs": []}
    report["machine"] = {"cpus": os.cpu_count(), "processor": numeric_platform()["processor"], "python": platform.python_version()}
    done = {(run["name"], run["seed"]) for run in report["runs"]}
    for seed in seeds:
        for name in names:
            if (name, seed) in done:
                continue
            before = list(os.getloadavg())
            metrics = run_demo(dataclasses.replace(ABLATIONS[name], seed=seed), impl=impl,
                               out=out.parent / "recipe_ablation" / f"{name}_seed{seed}")
            report["runs"].append({
                "name": name, "seed": seed,
                "iou_at_0.5": round(metrics["at_0.5"]["iou"], 4),
                "iou_at_best": round(metrics["at_threshold"]["iou"], 4),
                "best_threshold": metrics["threshold"],
                "training_seconds": metrics["timings_seconds"]["training"],
                "total_seconds": metrics["timings_seconds"]["total"],
                "load_average_before": before, "load_average_after": list(os.getloadavg()),
            })
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(report, indent=2) + "\n")  # after every run: an interruption loses one
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.benchmarks.recipe_ablation",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "out" / "bench" / "recipe_ablation.json")
    parser.add_argument("--only", default=",".join(ABLATIONS),
                        help=f"comma-separated subset of {','.join(ABLATIONS)}")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (default 0)")
    args = parser.parse_args(argv)
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(ABLATIONS))
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)}; expected some of {', '.join(ABLATIONS)}")
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s]
    except ValueError:
        parser.error(f"--seeds: {args.seeds!r} is not a comma-separated list of integers")
    from ..impl import load_implementation

    report = run_ablation(names, seeds, args.out, impl=load_implementation("solutions"))
    for run in report["runs"]:
        print(f"{run['name']:>14} seed {run['seed']}: IoU {run['iou_at_0.5']:.3f} at 0.5, "
              f"{run['iou_at_best']:.3f} at {run['best_threshold']:.2f}; {run['training_seconds']:.0f} s of training")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
