"""Command line of the grader: ``python -m grader {grade,merge,merge-manual,explain,bench,gradescope-run}``.

Examples
--------
``python -m grader grade submissions/ --out out/grades`` (``make grade``)
``python -m grader grade submissions/ --out /tmp/g --only conv_block,metrics --seed 1``
``python -m grader bench --out out/bench/grading.json --copies 3`` (``make bench-grade``)
``python -m grader merge-manual out/grades/nbgrader/gradebook.db --out out/grades`` (after formgrader)
``python -m grader explain alice_01 --out out/grades --json /tmp/alice.json`` (a regrade request)
"""

import argparse
import sys
from pathlib import Path

import saltlab  # noqa: F401  (quiets TensorFlow before anything imports it)

from .sandbox import GIB, Limits


def _add_run_options(parser):
    parser.add_argument("--jobs", type=int, default=None, help="submissions graded in parallel (default: one per two cores)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the hidden cases (default: drawn once per OUT, stored in OUT/.grading-seed)")
    parser.add_argument("--only", default=None,
                        help="comma-separated questions, checks or functions to run (e.g. conv_block,metrics); "
                             "'notebooks' selects the notebooks' cells (graded by default only without --only)")
    parser.add_argument("--skip-training", action="store_true", help="leave out the training checks (slow)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per check (default 120)")
    parser.add_argument("--training-timeout", type=float, default=900.0,
                        help="seconds per training check (default 900)")
    parser.add_argument("--startup-timeout", type=float, default=180.0,
                        help="seconds for a worker to import TensorFlow and the submission (default 180)")
    parser.add_argument("--memory-gb", type=float, default=12.0,
                        help="address-space limit per worker process (default 12)")
    parser.add_argument("--total-memory-gb", type=float, default=6.0,
                        help="memory of all a worker's processes together, where cgroups allow (default 6)")
    parser.add_argument("--budget", type=float, default=600.0,
                        help="wall-clock seconds for one whole submission, every check included (default 600)")
    parser.add_argument("--no-notebooks", action="store_true",
                        help="grade the .py files only (the notebooks are graded unless --only is given)")
    parser.add_argument("--notebook-budget", type=float, default=180.0,
                        help="wall-clock seconds per notebook, kernel start included (default 180)")
    parser.add_argument("--notebook-cell-timeout", type=int, default=90,
                        help="seconds per notebook cell before the kernel is interrupted (default 90)")
    parser.add_argument("--no-warm-start", action="store_true",
                        help="start each worker only at its student's turn (default: spawned while the previous "
                             "student is graded, which overlaps TensorFlow's start with that student's checks)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run workers without bubblewrap (limits only; for testing the fallback)")


def _settings(args):
    from .worker_process import Settings

    return Settings(limits=Limits(memory_bytes=int(args.memory_gb * GIB), total_memory_bytes=int(args.total_memory_gb * GIB)),
                    startup_timeout=args.startup_timeout, submission_budget=args.budget)


def _options(args, **extra):
    from .batch import Options

    return Options(seed=args.seed, jobs=args.jobs, only=args.only, skip_training=args.skip_training,
                   check_timeout=args.timeout, training_timeout=args.training_timeout,
                   notebooks=not args.no_notebooks, notebook_budget=args.notebook_budget,
                   notebook_cell_timeout=args.notebook_cell_timeout, warm_start=not args.no_warm_start, **extra)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description="Grade course submissions.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade every submission in a folder")
    grade.add_argument("submissions", type=Path, help="folder with one folder or .zip per student")
    grade.add_argument("--out", type=Path, default=Path("out/grades"), help="output folder (default out/grades)")
    grade.add_argument("--force", action="store_true", help="regrade submissions that are up to date")
    grade.add_argument("--quiet", action="store_true", help="no progress lines, no summary on the terminal")
    grade.add_argument("--shard", default=None, metavar="I/N",
                       help="grade only share I of N (0 <= I < N, by a hash of the student id); needs --seed")
    _add_run_options(grade)
    merge = commands.add_parser("merge", help="join the output folders of shards into one")
    merge.add_argument("shards", type=Path, nargs="+", help="the --out folders of every shard")
    merge.add_argument("--out", type=Path, required=True, help="the merged output folder")
    manual = commands.add_parser("merge-manual", help="merge the grades given in nbgrader's formgrader into a "
                                                      "grading output folder")
    manual.add_argument("gradebook", type=Path, help="the nbgrader gradebook.db (OUT/nbgrader/gradebook.db)")
    manual.add_argument("--out", type=Path, required=True, help="the grading output folder (make grade's OUT)")
    bench = commands.add_parser("bench", help="time the grader against the same checks run in-process")
    bench.add_argument("--out", type=Path, default=Path("out/bench/grading.json"))
    bench.add_argument("--copies", type=int, default=3,
                       help="copies of the reference in the larger of the two batches timed (default 3)")
    bench.add_argument("--no-throughput", action="store_true",
                       help="skip the batches graded with every core busy")
    _add_run_options(bench)
    gradescope = commands.add_parser("gradescope-run", help="grade one upload inside the Gradescope autograder "
                                                            "(run_autograder calls this)")
    gradescope.add_argument("--root", type=Path, default=Path("/autograder"))
    explain = commands.add_parser("explain", help="grade one student again with the stored seed, show every case "
                                                  "(hidden ones too) and check the stored grade reproduces")
    explain.add_argument("student", help="the student id (or its output folder name)")
    explain.add_argument("--out", type=Path, required=True, help="the grading output folder (make grade's OUT)")
    explain.add_argument("--json", type=Path, default=None, metavar="FILE",
                         help="also write the explanation as JSON (instructor only: it names hidden cases)")
    explain.add_argument("--submissions", type=Path, default=None,
                         help="where the submissions folder is now (default: where the run found it)")
    explain.add_argument("--seed", type=int, default=None,
                         help="only for a folder graded with --seed by a grader that did not store it")
    explain.add_argument("--graded-cases-only", action="store_true",
                         help="do not run the cases a check skipped after its first failure")
    explain.add_argument("--no-sandbox", action="store_true", help="run workers without bubblewrap (testing)")
    args = parser.parse_args(argv)
    if args.command == "explain":
        from .explain import ExplainError, explain as run_explain, explanation_text, write_json
        from .collect import CollectError
        from .plan import PlanError

        try:
            explanation = run_explain(args.student, args.out, submissions=args.submissions, seed=args.seed,
                                      no_sandbox=args.no_sandbox, run_ungraded_cases=not args.graded_cases_only)
        except (ExplainError, CollectError, PlanError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        sys.stdout.write(explanation_text(explanation))
        if args.json:
            write_json(explanation, args.json)
        return 0 if explanation["reproduced"] else 1
    if args.command == "gradescope-run":
        from .gradescope import run

        return run(args.root)
    if args.command == "merge-manual":
        from .manual import ManualError, merge_manual

        try:
            records, counts = merge_manual(args.gradebook, args.out)
        except ManualError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"merged {args.gradebook} into {args.out}: {len(records)} students, {counts['graded']} written answers "
              f"graded, {counts['pending']} still pending; gradebook {args.out / 'gradebook.csv'}", file=sys.stderr)
        return 0

    from .batch import BatchError, grade_folder
    from .collect import CollectError
    from .plan import PlanError

    try:
        if args.command == "grade":
            from .batch import parse_shard

            shard = parse_shard(args.shard) if args.shard else None
            records, summary = grade_folder(args.submissions, args.out, _options(args, force=args.force,
                                                                                  progress=not args.quiet,
                                                                                  shard=shard),
                                      _settings(args), no_sandbox=args.no_sandbox)
            if not args.quiet:
                print(summary)
            print(f"Gradebook: {args.out / 'gradebook.csv'}; per student: {args.out}/<student>/feedback.md, "
                  "results.json", file=sys.stderr)
            broken = [r["student_id"] for r in records if "grader error" in r["problems"]]
            if broken:
                print(f"error: the grader failed on {len(broken)} submission(s) (status 'grader error'; tracebacks "
                      "above); every other student is graded", file=sys.stderr)
                return 1
        elif args.command == "merge":
            from .merge import merge

            records, summary = merge(args.shards, args.out,
                                     warn=lambda text: print(f"warning: {text}", file=sys.stderr))
            print(f"merged {len(args.shards)} shards: {len(records)} students; gradebook {args.out / 'gradebook.csv'}",
                  file=sys.stderr)
        else:
            from .bench import run_bench

            run_bench(args.out, copies=args.copies, options=_options(args), settings=_settings(args),
                      no_sandbox=args.no_sandbox, throughput=not args.no_throughput)
    except (CollectError, BatchError, PlanError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: students already graded are kept in the output folder; run again to continue",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
