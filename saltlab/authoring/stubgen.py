"""Generate the student stubs in ``assignment/`` from the reference in ``solutions/``.

The reference marks each graded region::

    def precision(y_true, y_pred, *, zero_division=1.0):
        \"\"\"docstring with shapes\"\"\"
        ### BEGIN SOLUTION: TP / (TP + FP) pooled over all elements; ...
        ...reference code...
        ### END SOLUTION
        return float(result)

and the stub keeps everything but the region, which becomes::

        raise NotImplementedError("precision: TP / (TP + FP) pooled over all elements; ...")

Run ``make stubs`` (``python -m saltlab.authoring.stubgen``) to write ``assignment/``;
``--check`` compares instead of writing, and fails when the two have drifted.
Bad markers (unbalanced, nested, outside a function) stop the generation with
the file and line.
"""

import argparse
import re
import sys
from pathlib import Path

from ..paths import ASSIGNMENT_DIR, REPO_ROOT, SOLUTIONS_DIR

BEGIN = re.compile(r"^(?P<indent>\s*)### BEGIN SOLUTION(?::\s*(?P<hint>.*\S))?\s*$")
END = re.compile(r"^\s*### END SOLUTION\s*$")
DEF = re.compile(r"^(?P<indent>\s*)def (?P<name>\w+)\s*\(")

HEADER = (
    "# Generated from the reference solution by `make stubs` (python -m saltlab.authoring.stubgen).\n"
    "# Replace each `raise NotImplementedError(...)` with your code; keep the signatures.\n"
)

STUB_SOURCES = ("__init__.py", "blocks.py", "metrics.py", "threshold.py")
"""The files of ``solutions/`` that become ``assignment/`` (notebooks go through nbgrader)."""


class MarkerError(ValueError):
    """A solution marker is unbalanced, nested or outside a function."""


def _enclosing_function(lines, index, indent):
    """Name of the innermost ``def`` that encloses line ``index`` (0-based)."""
    for line in reversed(lines[:index]):
        match = DEF.match(line)
        if match and len(match["indent"]) < len(indent):
            return match["name"]
    return None


def strip_solutions(source, filename="<source>"):
    """Replace every marked solution region of ``source`` by a NotImplementedError.

    Parameters
    ----------
    source : str
        Python source of a reference file.
    filename : str, optional
        Shown in error messages (``solutions/blocks.py:42: ...``).

    Returns
    -------
    stub : str
        The stub source, with the generated-file header first.

    Raises
    ------
    MarkerError
        For a BEGIN without END, an END without BEGIN, a BEGIN inside a region,
        or a region outside any function; the message gives file and line.
    """
    lines = source.splitlines(keepends=True)
    out = [HEADER]
    open_at = None  # line number of the BEGIN being processed
    for number, line in enumerate(lines, start=1):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(
                    f"{filename}:{number}: BEGIN SOLUTION inside the region opened at line {open_at}"
                )
            function = _enclosing_function(lines, number - 1, begin["indent"])
            if function is None:
                raise MarkerError(f"{filename}:{number}: BEGIN SOLUTION outside any function")
            message = f"{function}: {begin['hint']}" if begin["hint"] else function
            out.append(f"{begin['indent']}raise NotImplementedError({message!r})\n")
            open_at = number
        elif end:
            if open_at is None:
                raise MarkerError(f"{filename}:{number}: END SOLUTION without a BEGIN SOLUTION")
            open_at = None
        elif open_at is None:
            out.append(line)
    if open_at is not None:
        raise MarkerError(f"{filename}:{open_at}: BEGIN SOLUTION never closed by END SOLUTION")
    return "".join(out)


def generate_stubs(solutions_dir=SOLUTIONS_DIR):
    """Stub sources for every file of ``STUB_SOURCES``.

    Returns
    -------
    stubs : dict of str to str
        File name (``"blocks.py"``) to stub source.
    """
    stubs = {}
    for name in STUB_SOURCES:
        path = Path(solutions_dir) / name
        try:
            label = path.relative_to(REPO_ROOT)
        except ValueError:
            label = path
        stubs[name] = strip_solutions(path.read_text(encoding="utf-8"), filename=str(label))
    return stubs


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.authoring.stubgen", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare assignment/ with the generated stubs, write nothing")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS_DIR)
    parser.add_argument("--out", type=Path, default=ASSIGNMENT_DIR)
    args = parser.parse_args(argv)
    try:
        stubs = generate_stubs(args.solutions)
    except (MarkerError, OSError) as error:
        print(f"stubgen: {error}", file=sys.stderr)
        return 2
    drifted = []
    for name, text in stubs.items():
        target = args.out / name
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current == text:
            continue
        if args.check:
            drifted.append(name)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if drifted:
        print(
            "stubgen: assignment/ differs from what `make stubs` generates for: "
            + ", ".join(drifted) + "\n  run `make stubs` (edit solutions/, never assignment/ by hand)",
            file=sys.stderr,
        )
        return 1
    if args.check:
        print("stubgen: assignment/ is in sync with solutions/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
