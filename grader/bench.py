"""``make bench-grade``: what the sandbox and the worker protocol cost.

Grades ``copies`` copies of the reference with the real grader (bubblewrap,
a worker process per submission, frames over pipes, verdicts in the grader)
and runs the very same checks and cases in this process on the reference
loaded as a submission, without sandbox or worker. Writes both timings, per
submission and per check, as JSON.

The worker's fixed cost is its start (Python, TensorFlow, the submission);
the in-process run pays TensorFlow's import once for all submissions, so it
is reported apart (``in_process_import_seconds``).

What a class costs is the *marginal* time of one more submission in a batch:
the grader spawns each next worker while the current student is graded
(:mod:`grader.warm_start`), so the start-up of every worker but the first
overlaps checks. The benchmark grades a batch of one copy and a batch of
``copies`` copies, one at a time, and reports ``(wall(copies) - wall(1)) /
(copies - 1)``: every cost of a batch (collecting, the reference's answers,
writing files) that does not grow with the class cancels out. The overhead
target is judged on that figure.

One worker already keeps two cores busy while its public trainings run side
by side, one core otherwise. To see whether grading more students at once
pays, the benchmark also grades batches of ``cores`` and ``2 * cores``
copies with ``--jobs cores`` and reports that *throughput* cost,
``(wall(2 * cores) - wall(cores)) / cores`` seconds per submission (what
``--jobs`` defaults to, one per two cores, rests on it).
"""

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from saltlab.checks.core import judge, run_probe
from saltlab.paths import SOLUTIONS_DIR

from .batch import Options, grade_folder, usable_cores
from .plan import build_plan, compute_expected

TARGET_OVERHEAD = 0.10
"""The sandbox and the protocol should add at most 10 % per submission."""

TARGET_SECONDS = 20.0
"""One correct submission, every check and training included, on 2 idle cores."""


def _in_process(plan, impl):
    """Seconds per planned check, running probe and verdict here; and whether all passed."""
    seconds, passed = {}, True
    for planned in plan.checks:
        start = time.perf_counter()
        for case in planned.cases:
            outcome = run_probe(planned.check, impl, case)
            verdict = judge(planned.check, case, outcome, plan.expected.get((planned.key, case.id)))
            passed &= verdict.passed
            if not verdict.passed:
                break
        seconds[planned.key] = round(time.perf_counter() - start, 3)
    return seconds, passed


def _profile(records, per_submission):
    """Mean seconds per record: worker start-up (cold or warm), training checks, other checks, the rest."""
    def mean_sum(select):
        return statistics.mean(sum(row["seconds"] for row in r["checks"] if select(row)) for r in records)

    startup = statistics.mean(sum(r["timing"]["startup_seconds"]) for r in records)
    training = mean_sum(lambda row: row["question"] == "training")
    other = mean_sum(lambda row: row["question"] != "training")
    return {"worker_startup": round(startup, 2), "training_checks": round(training, 2),
            "other_checks": round(other, 2), "rest": round(per_submission - startup - training - other, 2)}


def run_bench(out_json, *, copies=3, options=Options(), settings=None, no_sandbox=False, throughput=True):
    """Time the grader against in-process checks and write ``out_json``.

    Parameters
    ----------
    out_json : pathlib.Path
    copies : int, optional
        How many copies of the reference the grader grades in the larger batch (at least 2).
    options : grader.batch.Options
        ``jobs`` defaults to 1 here, so per-submission time is not inflated by
        parallel submissions sharing the cores; ``seed`` defaults to 0.
    settings : grader.worker_process.Settings, optional
    no_sandbox : bool, optional
    throughput : bool, optional
        Also time batches of ``cores`` and ``2 * cores`` copies graded ``cores`` at a time.

    Returns
    -------
    result : dict
        What is written to ``out_json``.
    """
    from saltlab.impl import load_implementation

    from .worker_process import Settings

    settings = settings or Settings()
    load_at_start = [round(value, 2) for value in os.getloadavg()]
    seed = 0 if options.seed is None else options.seed
    options = replace(options, seed=seed, jobs=options.jobs or 1, force=True)
    work = Path(tempfile.mkdtemp(prefix="saltlab-bench-"))
    try:
        from saltlab.seeding import pin_grading_threads

        pin_grading_threads()  # the in-process checks compute as the worker does
        start = time.perf_counter()
        import keras  # noqa: F401  (TensorFlow, timed)

        import_seconds = time.perf_counter() - start
        plan = build_plan(seed, only=options.only, skip_training=options.skip_training)
        start = time.perf_counter()
        compute_expected(plan, load_implementation("solutions"))
        reference_seconds = time.perf_counter() - start
        copy = work / "in_process" / "reference"
        copy.mkdir(parents=True)
        for path in SOLUTIONS_DIR.glob("*.py"):
            shutil.copyfile(path, copy / path.name)
        from saltlab.checks.training_checks import TRAININGS_AHEAD

        TRAININGS_AHEAD.enabled = True  # as the worker does: the comparison is of the sandbox, not of this
        start = time.perf_counter()
        in_process, all_passed = _in_process(plan, load_implementation(copy))
        in_process_seconds = time.perf_counter() - start
        if not all_passed:
            raise RuntimeError("the reference failed a check in-process; the benchmark would be meaningless")

        if copies < 2:
            raise ValueError(f"copies={copies}: the marginal cost needs a batch of at least 2")
        print(f"in-process: {in_process_seconds:.1f} s for {len(plan.checks)} checks; now grading batches of 1 and "
              f"{copies} copies of the reference with the grader ({options.jobs} at a time)...", file=sys.stderr)
        walls, batches, cold_walls = {}, {}, {}
        for size in (1, copies):
            submissions = work / f"submissions{size}"
            for index in range(size):
                shutil.copytree(copy, submissions / f"copy{index:02d}")
            # The .py part against the same checks in-process; the notebooks' time is in each grade.json
            # (timing.notebook_seconds) and in README. Each batch twice: workers spawned ahead, and not.
            for warm_start, into in ((True, walls), (False, cold_walls)):
                start = time.perf_counter()
                batch, _summary = grade_folder(submissions, work / f"out{size}-{warm_start}",
                                               replace(options, notebooks=False, warm_start=warm_start), settings,
                                               no_sandbox=no_sandbox)
                into[size] = time.perf_counter() - start
                batches.setdefault(size, batch)
        cores, parallel = usable_cores(), {}
        if throughput and cores > 1:
            print(f"now batches of {cores} and {2 * cores} copies, {cores} at a time...", file=sys.stderr)
            for size in (cores, 2 * cores):
                submissions = work / f"parallel{size}"
                for index in range(size):
                    shutil.copytree(copy, submissions / f"copy{index:02d}")
                start = time.perf_counter()
                batch, _summary = grade_folder(submissions, work / f"parallel-out{size}",
                                               replace(options, notebooks=False, jobs=cores), settings,
                                               no_sandbox=no_sandbox)
                parallel[size] = time.perf_counter() - start
                batches.setdefault(f"parallel{size}", batch)
        records = batches[copies]
        if any(r["total"] != r["max_total"] for rs in batches.values() for r in rs):
            raise RuntimeError("a copy of the reference lost points under the grader; see " + str(work))
        wall = walls[copies]
        marginal = (walls[copies] - walls[1]) / (copies - 1)
        marginal_cold = (cold_walls[copies] - cold_walls[1]) / (copies - 1)
        per_submission = statistics.mean(r["timing"]["total_seconds"] for r in records)
        cold = [s for r in records if not r["timing"].get("warm_start") for s in r["timing"]["startup_seconds"]]
        warm = [r["timing"]["startup_seconds"][0] for r in records if r["timing"].get("warm_start")]
        startup = statistics.mean(cold)
        worker_checks = {key: round(statistics.mean(row["seconds"] for r in records for row in r["checks"]
                                                     if row["key"] == key), 3) for key in in_process}
        result = {
            "copies": copies,
            "jobs": options.jobs,
            "checks": len(plan.checks),
            "cases": sum(len(p.cases) for p in plan.checks),
            "selection": plan.selection or "all",
            "sandbox": "bubblewrap" if all(r["sandboxed"] for r in records) else "none (limits only)",
            # The cost of one more student in a batch, and what the overhead target is judged on.
            "marginal_seconds_per_submission": round(marginal, 2),
            "batch_wall_seconds": {"1": round(walls[1], 2), str(copies): round(wall, 2)},
            # The same without workers spawned ahead (--no-warm-start): what the overlap buys.
            "marginal_seconds_without_warm_start": round(marginal_cold, 2),
            # Every core busy (--jobs cores), as a class is graded: seconds of wall per submission.
            "throughput_jobs": cores if parallel else None,
            "throughput_seconds_per_submission": (round((parallel[2 * cores] - parallel[cores]) / cores, 2)
                                                  if parallel else None),
            "throughput_batch_wall_seconds": {str(k): round(v, 2) for k, v in parallel.items()} or None,
            "batch_wall_seconds_without_warm_start": {"1": round(cold_walls[1], 2),
                                                      str(copies): round(cold_walls[copies], 2)},
            # Each record's own clock (the first pays a cold start; the others start warm).
            "grader_seconds_per_submission": round(per_submission, 2),
            "grader_wall_seconds": round(wall, 2),
            "worker_startup_seconds": round(startup, 2),
            # From the load request to the import report, for workers spawned ahead (TensorFlow loaded).
            "warm_startup_seconds": round(statistics.mean(warm), 2) if warm else None,
            # All the worker's processes together (its control group), where the machine has one:
            # what a Gradescope container must hold.
            "worker_peak_memory_mib": max((round(r["timing"]["peak_memory_bytes"] / 2**20)
                                           for r in records if "peak_memory_bytes" in r["timing"]), default=None),
            "in_process_seconds_per_submission": round(in_process_seconds, 2),
            "in_process_import_seconds": round(import_seconds, 2),
            "reference_answers_seconds": round(reference_seconds, 2),
            "overhead": round(marginal / in_process_seconds - 1, 3),
            "overhead_per_record": round(per_submission / in_process_seconds - 1, 3),
            "target_overhead": TARGET_OVERHEAD,
            "meets_target": marginal / in_process_seconds - 1 <= TARGET_OVERHEAD,
            "target_seconds_per_submission": TARGET_SECONDS,
            "meets_seconds_target": marginal <= TARGET_SECONDS,
            # Where a submission's time goes in the worker: start-up, the trainings, every other
            # check, and what is left (frames, verdicts, the grader's bookkeeping).
            "profile_seconds": _profile(records, per_submission),
            "per_check_seconds": {key: {"in_process": in_process[key], "worker": worker_checks[key]}
                                  for key in in_process},
            "machine": {"cores": os.cpu_count(), "usable_cores": cores,
                        "load_average_at_start": load_at_start,
                        "load_average_1min": round(os.getloadavg()[0], 2),
                        "python": platform.python_version()},
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out_json = Path(out_json)
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "per_check_seconds"}, indent=2))
    print(f"written to {out_json}", file=sys.stderr)
    return result
