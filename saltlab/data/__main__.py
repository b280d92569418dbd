"""Command line: ``python -m saltlab.data {generate,inspect}``.

``generate [--out data/synthetic] [--n 4000] [--seed 0] [--difficulty D]
[--level {tgs,easy}] [--force]`` writes a synthetic dataset in the Kaggle layout and says what it
did and how long it took. ``inspect <folder>`` prints the JSON report of
:func:`saltlab.data.inspect_dataset` on stdout; exit code 0 when it lists no
problem, 1 otherwise.
"""

import argparse
import json
import sys
import time
from pathlib import Path

from saltlab.data.dataset import DatasetError
from saltlab.data.inspection import inspect_dataset
from saltlab.data.synthetic import DEFAULT_DIFFICULTY, DEFAULT_LEVEL, LEVELS
from saltlab.data.writer import default_dataset_path, generate_dataset


def main(argv=None):
    """Run the command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m saltlab.data",
        description="Generate or inspect a TGS-layout salt dataset.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser(
        "generate", help="write a synthetic dataset in the Kaggle layout"
    )
    gen.add_argument("--out", type=Path, default=None,
                     help="folder to write (default: <repository>/data/synthetic)")
    gen.add_argument("--n", type=int, default=4000, help="number of images (4000)")
    gen.add_argument("--seed", type=int, default=0, help="random seed (0)")
    gen.add_argument("--difficulty", type=float, default=DEFAULT_DIFFICULTY,
                     help=f"noise and blur in [0, 1] ({DEFAULT_DIFFICULTY})")
    gen.add_argument("--level", choices=LEVELS, default=DEFAULT_LEVEL,
                     help=f"generator level: tgs is calibrated to the real data's difficulty, "
                          f"easy is the pre-calibration generator ({DEFAULT_LEVEL})")
    gen.add_argument("--force", action="store_true",
                     help="write into an existing folder not made by saltlab")
    ins = commands.add_parser("inspect", help="print statistics and problems as JSON")
    ins.add_argument("folder", type=Path)
    args = parser.parse_args(argv)

    if args.command == "generate":
        out = args.out if args.out is not None else default_dataset_path()
        start = time.perf_counter()
        try:
            folder = generate_dataset(out, n=args.n, seed=args.seed,
                                      difficulty=args.difficulty, level=args.level,
                                      force=args.force)
        except (DatasetError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        took = time.perf_counter() - start
        print(f"wrote {args.n} synthetic images and masks (seed {args.seed}, "
              f"difficulty {args.difficulty}, level {args.level}) to {folder} in {took:.1f} s")
        return 0

    report = inspect_dataset(args.folder)
    print(json.dumps(report, indent=2))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
