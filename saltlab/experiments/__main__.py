"""Command line: ``python -m saltlab.experiments --preset quick|full [options]``."""

import argparse
import sys
import time

from .presets import PRESETS, get_preset
from .variants import VARIANTS


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m saltlab.experiments",
        description="Train the variants behind the course's four questions (resumable).",
        epilog="Expected time: " + "; ".join(f"{p.name}: {p.expected_time}" for p in PRESETS.values()),
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--data", help="Kaggle-layout dataset folder (default: data/synthetic, generated if absent)")
    parser.add_argument("--out", help="results folder (default: results/<preset>)")
    parser.add_argument("--impl", help="implementation: solutions (default when present), assignment or a folder")
    parser.add_argument("--variants", help=f"comma-separated subset of {','.join(VARIANTS)}")
    parser.add_argument("--seeds", help="comma-separated seeds, overriding the preset's")
    parser.add_argument("--epochs", type=int, help="override the preset's epochs")
    parser.add_argument("--jobs", type=int,
                        help="trainings side by side (default: one per usable core; 1 on a GPU); "
                             "the results do not depend on it")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2), help="Keras's training display")
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")

    from ..impl import ImplementationError, default_implementation, load_implementation
    from .runner import run_experiments

    seeds = tuple(int(s) for s in args.seeds.split(",")) if args.seeds else None
    preset = get_preset(args.preset, seeds=seeds, epochs=args.epochs)
    variants = args.variants.split(",") if args.variants else None
    start = time.perf_counter()
    try:
        impl = load_implementation(args.impl or default_implementation())
        run_experiments(preset, impl=impl, data=args.data, out=args.out, variants=variants, verbose=args.verbose,
                        jobs=args.jobs)
    except (ValueError, FileNotFoundError, RuntimeError, ImplementationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Done in {time.perf_counter() - start:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
