"""``make submit``: zip your ``assignment/`` into ``out/submission.zip``, ready to hand in.

The zip holds one top-level folder, ``assignment/``, with your ``.py`` files
and your notebooks (``assignment/*.ipynb``), nothing else (no caches, no
checkpoints). Entries carry a fixed date so the same files always give the
same zip. Before writing, it says what the grader would notice at once: a
missing graded file, a file that does not parse, a function still left as
the stub's ``raise NotImplementedError``.

Usage::

    make submit                      # or: python -m saltlab.submit
    python -m saltlab.submit --assignment path/to/assignment --out my.zip
"""

import argparse
import re
import sys
import zipfile
from pathlib import Path

from .impl import GRADED_FUNCTIONS, GRADED_MODULES
from .paths import ASSIGNMENT_DIR, OUT_DIR

FIXED_DATE = (2020, 1, 1, 0, 0, 0)
"""Zip entries' timestamp: the zip depends on the files only."""

INCLUDED_SUFFIXES = (".py", ".ipynb")


def files_to_submit(assignment):
    """The files that go into the zip: ``assignment/*.py`` and ``assignment/*.ipynb``, sorted."""
    return sorted(p for p in Path(assignment).iterdir()
                  if p.is_file() and p.suffix in INCLUDED_SUFFIXES and not p.name.startswith("."))


def warnings_for(assignment):
    """What a grader would notice at once, as sentences (empty when all is well)."""
    assignment = Path(assignment)
    messages = []
    for module in GRADED_MODULES:
        path = assignment / f"{module}.py"
        if not path.is_file():
            messages.append(f"{path} is missing: the grader needs it")
            continue
        source = path.read_bytes()
        try:
            compile(source, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            messages.append(f"{path} does not parse ({error}); it would score 0")
            continue
        text = source.decode("utf-8", "replace")
        for function, owner in GRADED_FUNCTIONS.items():
            if owner == module and re.search(rf'NotImplementedError\(\s*["\']{function}:', text):
                messages.append(f"{function} in {path.name} still raises NotImplementedError (the stub)")
    return messages


def make_submission(assignment=ASSIGNMENT_DIR, out=OUT_DIR / "submission.zip"):
    """Write the zip and return ``(path, names inside, warnings)``.

    Raises
    ------
    FileNotFoundError
        If ``assignment`` is not a folder.
    """
    assignment, out = Path(assignment), Path(out)
    if not assignment.is_dir():
        raise FileNotFoundError(f"no assignment folder at {assignment}")
    files = files_to_submit(assignment)
    out.parent.mkdir(parents=True, exist_ok=True)
    names = []
    temporary = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"assignment/{path.name}", date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
            names.append(info.filename)
    temporary.replace(out)
    return out, names, warnings_for(assignment)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.submit", description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", type=Path, default=ASSIGNMENT_DIR, help="folder to zip (default assignment/)")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "submission.zip", help="zip to write")
    args = parser.parse_args(argv)
    try:
        path, names, warnings = make_submission(args.assignment, args.out)
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    size = path.stat().st_size
    print(f"Wrote {path} ({size / 1024:.1f} KiB), holding:")
    for name in names:
        print(f"  {name}")
    for warning in warnings:
        print(f"warning: {warning}")
    print("Hand in this file. `make test` shows your score on the public checks; hidden checks run at grading.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
