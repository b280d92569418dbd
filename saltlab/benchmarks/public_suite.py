"""Benchmark of the public graders (``make bench``), written as JSON.

Records, for the reference implementation:

- the wall time of the whole public suite (``pytest tests --impl solutions``),
  and of the suite on the untouched stubs;
- the time of each training check;
- the training checks' validation IoU over several data/weight seeds, the
  floor, and the margin (lowest IoU minus the floor) that justifies the floor;
- the same check run repeatedly with the grading seed 0, to show the score is
  identical on every run.

No test asserts a time: this file is where times are measured and quoted.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from ..checks.core import get_check, run_probe
from ..checks.training_checks import CONFIGURATIONS, IOU_FLOOR, training_case, validation_iou
from ..impl import load_implementation
from ..paths import REPO_ROOT


def _timed_suite(impl):
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "tests", "-q", "--impl", impl, "-p", "no:cacheprovider"],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    tail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    return {"seconds": round(seconds, 1), "exit_code": result.returncode, "summary": tail}


def measure_training(seeds, repeats):
    reference = load_implementation("solutions")
    rows = []
    for downsample, merge in CONFIGURATIONS:
        check = get_check(f"training.{downsample}_{merge}")
        scores, seconds = [], []
        for seed in seeds:
            case = training_case(downsample, merge, seed=seed)
            start = time.perf_counter()
            outcome = run_probe(check, reference, case)
            seconds.append(time.perf_counter() - start)
            if outcome.status != "ok":
                raise RuntimeError(f"reference failed {check.id} seed {seed}: {outcome.detail}")
            scores.append(round(validation_iou(case, outcome.answer), 6))
            print(f"  {check.id} seed {seed}: IoU {scores[-1]:.4f} in {seconds[-1]:.1f} s", flush=True)
        repeat_scores = []
        case = training_case(downsample, merge, seed=0)
        for _ in range(repeats):
            outcome = run_probe(check, reference, case)
            repeat_scores.append(round(validation_iou(case, outcome.answer), 6))
        print(f"  {check.id} seed 0 repeated {repeats}x: {repeat_scores}", flush=True)
        rows.append({
            "check": check.id, "seeds": list(seeds), "iou": scores,
            "iou_min": min(scores), "iou_mean": round(sum(scores) / len(scores), 4),
            "floor": IOU_FLOOR, "margin_over_floor": round(min(scores) - IOU_FLOOR, 4),
            "seconds_mean": round(sum(seconds) / len(seconds), 1),
            "repeat_seed0_iou": repeat_scores, "repeat_identical": len(set(repeat_scores)) == 1,
        })
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.benchmarks.public_suite", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "out" / "bench" / "public_suite.json")
    parser.add_argument("--seeds", type=int, default=6, help="seeds per training configuration (default 6)")
    parser.add_argument("--repeats", type=int, default=2, help="extra runs of seed 0 to show determinism")
    parser.add_argument("--skip-suite", action="store_true", help="only the training measurements")
    args = parser.parse_args(argv)
    from ..seeding import pin_grading_threads

    pin_grading_threads()  # measure the checks as make test and the grader run them

    report = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_average_at_start": list(os.getloadavg())}}
    if not args.skip_suite:
        print("timing the public suite on solutions/ ...", flush=True)
        report["public_suite_solutions"] = _timed_suite("solutions")
        print("timing the public suite on the untouched stubs ...", flush=True)
        report["public_suite_stubs"] = _timed_suite("assignment")
    print(f"training checks over {args.seeds} seeds ...", flush=True)
    report["training"] = measure_training(range(args.seeds), args.repeats)
    report["load_average_at_end"] = list(os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
