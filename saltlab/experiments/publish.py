"""Copy a results folder's evidence, without its weights, to where the notebooks read it.

``python -m saltlab.experiments.publish results/standard published/standard``
copies what :mod:`.summary` and the notebooks read (``config.json``, the CSV
files, ``runs/``, ``images/``, ``summary.md`` and its figures) and leaves the
weights (``backup/``, megabytes per run) behind, so the evidence can live in
git. A ``README.md`` already in the destination (how the results were made,
how long they took) is kept.
"""

import argparse
import shutil
import sys
from pathlib import Path

PUBLISHED_FILES = ("config.json", "results.csv", "postprocess.csv", "summary.md")
"""Files of a results folder that are published (those present)."""

PUBLISHED_FOLDERS = ("runs", "images")
"""Folders published whole: per-run histories and curves, per-image pixel counts."""


def publish_results(source, dest):
    """Copy the evidence of ``source`` to ``dest``, replacing what ``dest`` held but its README.

    Parameters
    ----------
    source, dest : str or pathlib.Path
        A results folder (``make experiments``) and the published folder.

    Returns
    -------
    copied : list of pathlib.Path
        The files written, relative to ``dest``.

    Raises
    ------
    FileNotFoundError
        If ``source`` has no ``results.csv`` or ``summary.md``.
    """
    source, dest = Path(source), Path(dest)
    for needed in ("results.csv", "summary.md", "config.json"):
        if not (source / needed).is_file():
            raise FileNotFoundError(f"{source / needed}: not found; finish the run (make experiments) first")
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():  # a rerun with fewer runs must not leave stale files behind
        if old.name != "README.md":
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    names = [n for n in PUBLISHED_FILES if (source / n).is_file()] + sorted(p.name for p in source.glob("*.png"))
    for name in names:
        shutil.copy2(source / name, dest / name)
    copied = [Path(n) for n in names]
    for folder in PUBLISHED_FOLDERS:
        if (source / folder).is_dir():
            shutil.copytree(source / folder, dest / folder)
            copied += sorted(p.relative_to(dest) for p in (dest / folder).rglob("*") if p.is_file())
    return copied


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.experiments.publish", description=__doc__.splitlines()[0])
    parser.add_argument("source", help="results folder, e.g. results/standard")
    parser.add_argument("dest", help="published folder, e.g. published/standard")
    args = parser.parse_args(argv)
    try:
        copied = publish_results(args.source, args.dest)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    size = sum((Path(args.dest) / p).stat().st_size for p in copied)
    print(f"published {len(copied)} files ({size / 1024:.0f} KiB, no weights) to {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
