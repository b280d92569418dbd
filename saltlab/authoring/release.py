"""Build the student bundle (``make release``): ``release/salt-assignment/`` and its zip.

The bundle holds what a student needs and nothing of the reference:
``assignment/`` (stubs and released notebooks), ``tests/`` with the rubric and
the reference's stored answers, the contract ``SPEC.md``, the support package
``saltlab/`` without its instructor-only parts (:data:`INSTRUCTOR_ONLY`), the
data tooling and README, ``pyproject.toml``, and the student Makefile and
README from ``saltlab/authoring/student_bundle/``. No ``solutions/``, no
``grader/``, no hidden cases, no project self-tests.

:func:`find_reference_code` greps a folder for any line of the reference's
solution regions; the release refuses to finish if it finds one.
"""

import argparse
import re
import shutil
import sys
import zipfile
from pathlib import Path

from ..paths import REPO_ROOT, SOLUTIONS_DIR

BUNDLE_NAME = "salt-assignment"
STUDENT_FILES = Path(__file__).parent / "student_bundle"

INCLUDE = ("assignment", "tests", "saltlab", "SPEC.md", "data/README.md", "published", "pyproject.toml", "mk",
           "conftest.py")
INSTRUCTOR_ONLY = ("saltlab/authoring", "saltlab/benchmarks", "tests/CLAUSES.md", "saltlab/checks/threshold_mistakes.py")
"""Paths (from the repository root) left out of the bundle: building what students
get (this package) and the benchmarks both need ``solutions/``; the clause table
describes the hidden cases' arrangements and names the project's mutants; the
threshold search's known mistakes are variations of a working grid search (the
grader names them; the bundle's public tests do without)."""
CACHE_NAMES = {"__pycache__", ".ipynb_checkpoints"}

_REGION = re.compile(r"### BEGIN SOLUTION.*?\n(.*?)### END SOLUTION", re.DOTALL)
_TRIVIAL = re.compile(
    r"^(return\b.*|pass|else:|try:|\)|\]|\}|\)\(x\)|[\w.]+\)?\(x\)"
    r"|\w+ = np\.\w+\(\w+\))$"  # generic conversions such as `masks = np.asarray(masks)`
)


def reference_lines(solutions_dir=SOLUTIONS_DIR):
    """Distinctive lines of code from inside every solution region of ``solutions/``.

    Lines shorter than 20 characters or generic (``raise ValueError(``,
    ``return x``) are skipped: they say nothing about the answer and appear
    everywhere.
    """
    lines = set()
    for path in sorted(Path(solutions_dir).glob("*.py")) + sorted(Path(solutions_dir).glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":
            text = text.replace("\\n", "\n").replace('\\"', '"')
        for region in _REGION.findall(text):
            for line in region.splitlines():
                line = line.strip().strip('",').strip()
                if len(line) >= 20 and not _TRIVIAL.match(line) and not line.startswith("#"):
                    lines.add(line)
    return lines


def find_reference_code(folder, lines=None):
    """Files under ``folder`` with a line equal to a line of the reference's solutions.

    Whole stripped lines are compared, so a docstring that says
    ``padding="same"`` is fine while a copied statement is caught.

    Returns
    -------
    hits : list of (str, str)
        (path relative to ``folder``, the reference line found).
    """
    lines = reference_lines() if lines is None else lines
    hits = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in (".py", ".ipynb", ".md", ".txt", ".toml", ".json", ""):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":
            text = text.replace("\\n", "\n").replace('\\"', '"')
        present = {line.strip().strip('",').strip() for line in text.splitlines()}
        hits += [(str(path.relative_to(folder)), line) for line in sorted(lines & present)]
    return hits


def _ignore(directory, names):
    here = Path(directory).resolve()
    excluded = {(REPO_ROOT / path).resolve() for path in INSTRUCTOR_ONLY}
    return [n for n in names
            if n in CACHE_NAMES or n.endswith((".pyc", ".egg-info")) or here / n in excluded]


def build_release(out_dir=REPO_ROOT / "release"):
    """Write the bundle folder and zip; return the folder.

    Raises
    ------
    RuntimeError
        If any file of the bundle holds reference code (naming file and line).
    """
    out_dir = Path(out_dir)
    bundle = out_dir / BUNDLE_NAME
    if bundle.exists():
        shutil.rmtree(bundle)
    bundle.mkdir(parents=True)
    for entry in INCLUDE:
        source = REPO_ROOT / entry
        target = bundle / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=_ignore)
        else:
            shutil.copy2(source, target)
    for name in ("Makefile", "README.md"):
        shutil.copy2(STUDENT_FILES / name, bundle / name)
    (bundle / ".gitignore").write_text(".venv/\n__pycache__/\nout/\nresults/\ndata/*/\n*.egg-info/\n")
    hits = find_reference_code(bundle)
    if hits:
        listing = "\n".join(f"  {path}: {line}" for path, line in hits[:20])
        raise RuntimeError(f"the bundle holds reference code; refusing to release:\n{listing}")
    archive = out_dir / f"{BUNDLE_NAME}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(bundle.rglob("*")):
            # Fixed timestamps: the same tree gives the same zip.
            info = zipfile.ZipInfo(str(Path(BUNDLE_NAME) / path.relative_to(bundle)), date_time=(2020, 1, 1, 0, 0, 0))
            if path.is_file():
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, path.read_bytes())
    return bundle


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.authoring.release", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "release")
    args = parser.parse_args(argv)
    try:
        bundle = build_release(args.out)
    except RuntimeError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    files = sum(1 for p in bundle.rglob("*") if p.is_file())
    print(f"wrote {bundle} ({files} files) and {bundle.parent / (BUNDLE_NAME + '.zip')}")
    print("checked: no line of the reference's solution regions appears in the bundle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
