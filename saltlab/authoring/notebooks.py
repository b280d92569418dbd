"""nbgrader notebooks: release ``solutions/*.ipynb`` into ``assignment/`` and check them.

``solutions/`` holds the source notebooks (nbgrader's source format: cell
metadata schema 3, ``### BEGIN SOLUTION`` / ``### END SOLUTION`` regions,
markdown answer cells whose whole text is the model answer, test cells with
points and ``### BEGIN HIDDEN TESTS`` regions). The student versions are made
by nbgrader's own ``generate_assignment`` in a throw-away course directory,
never by hand.

Commands::

    python -m saltlab.authoring.notebooks release   # regenerate assignment/*.ipynb
    python -m saltlab.authoring.notebooks check     # in sync, no solution text, solved notebooks validate

``check`` executes every source notebook on the reference (``IMPL =
"solutions"``, the quick configuration) and runs nbgrader's validator on the
executed copies; ``--no-execute`` skips that part.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..paths import ASSIGNMENT_DIR, SOLUTIONS_DIR

ASSIGNMENT_NAME = "salt"
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
QUICK_PARAMETERS = {"IMPL": "solutions", "QUICK": True}
"""What CI runs the source notebooks with."""
CELL_TIMEOUT = 900


class NotebookError(RuntimeError):
    """A notebook is out of sync, leaks a solution, or fails to run or validate."""


def source_notebooks(folder=SOLUTIONS_DIR):
    """Sorted ``*.ipynb`` paths of a folder.

    Raises
    ------
    NotebookError
        If the folder holds none.
    """
    paths = sorted(Path(folder).glob("*.ipynb"))
    if not paths:
        raise NotebookError(f"{folder}: no .ipynb source notebooks found")
    return paths


def generate_release(dest, *, source=SOLUTIONS_DIR):
    """Run nbgrader ``generate_assignment`` on the source notebooks into ``dest``.

    Parameters
    ----------
    dest : str or pathlib.Path
        Folder receiving the student notebooks (created; existing ``.ipynb``
        files of the same names are replaced).
    source : str or pathlib.Path, optional
        Folder of source notebooks (default ``solutions/``).

    Returns
    -------
    paths : list of pathlib.Path
        The released notebooks.

    Raises
    ------
    NotebookError
        If nbgrader fails; the message holds its log.
    """
    dest = Path(dest)
    notebooks = source_notebooks(source)
    with tempfile.TemporaryDirectory(prefix="saltlab-nbgrader-") as tmp:
        course = Path(tmp)
        (course / "source" / ASSIGNMENT_NAME).mkdir(parents=True)
        for path in notebooks:
            shutil.copy2(path, course / "source" / ASSIGNMENT_NAME / path.name)
        env = dict(os.environ)
        # nbgrader runs `alembic` (its database migrations) as a program: it
        # must be found next to this interpreter even when the venv is not activated.
        env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
        command = [sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT_NAME, "--force", "--create",
                   f"--CourseDirectory.root={course}", "--log-level=WARN"]
        result = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
        released = course / "release" / ASSIGNMENT_NAME
        if result.returncode != 0 or not released.is_dir():
            raise NotebookError(
                f"nbgrader generate_assignment failed on {source} (exit {result.returncode}):\n"
                + result.stdout[-4000:] + result.stderr[-4000:]
            )
        dest.mkdir(parents=True, exist_ok=True)
        paths = []
        for path in notebooks:
            target = dest / path.name
            shutil.copyfile(released / path.name, target)
            paths.append(target)
    return paths


def release(*, source=SOLUTIONS_DIR, dest=ASSIGNMENT_DIR):
    """Regenerate the student notebooks in ``assignment/``; return their paths."""
    paths = generate_release(dest, source=source)
    for path in paths:
        print(f"released {path}")
    return paths


def normalized(path):
    """A notebook's JSON as a canonical string (sorted keys, fixed indent).

    Raises
    ------
    NotebookError
        If the file is missing or not valid JSON.
    """
    try:
        return json.dumps(json.loads(Path(path).read_text()), sort_keys=True, indent=1)
    except FileNotFoundError:
        raise NotebookError(f"{path}: missing; run `make notebooks`") from None
    except json.JSONDecodeError as error:
        raise NotebookError(f"{path}: not valid notebook JSON ({error})") from None


def check_sync(*, source=SOLUTIONS_DIR, released=ASSIGNMENT_DIR):
    """Regenerate into a temporary folder and compare with ``released``.

    Returns
    -------
    problems : list of str
        One line per notebook that differs or is missing (empty: in sync).
    """
    problems = []
    with tempfile.TemporaryDirectory(prefix="saltlab-release-") as tmp:
        for fresh in generate_release(tmp, source=source):
            current = Path(released) / fresh.name
            if not current.is_file():
                problems.append(f"{current}: missing; run `make notebooks`")
            elif normalized(current) != normalized(fresh):
                problems.append(f"{current}: differs from nbgrader's release of {Path(source) / fresh.name}; "
                                "run `make notebooks`")
    extra = {p.name for p in Path(released).glob("*.ipynb")} - {p.name for p in source_notebooks(source)}
    problems += [f"{Path(released) / name}: no source notebook in {source}" for name in sorted(extra)]
    return problems


def solution_snippets(path):
    """Text that must never reach students, from one source notebook.

    Lines inside solution and hidden-test regions, and the whole text of
    solution cells without a region (nbgrader replaces those entirely: the
    markdown model answers). Blank lines and lines of fewer than 8
    characters (``else:``, ``)``) are left out: they prove nothing.

    Returns
    -------
    snippets : list of (str, str)
        ``(grade_id, line)`` pairs.
    """
    nb = json.loads(Path(path).read_text())
    snippets = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        lines = source.split("\n")
        inside = None
        has_region = False
        for line in lines:
            if SOLUTION_MARKERS[0] in line or HIDDEN_MARKERS[0] in line:
                inside, has_region = line, True
            elif SOLUTION_MARKERS[1] in line or HIDDEN_MARKERS[1] in line:
                inside = None
            elif inside is not None and len(line.strip()) >= 8:
                snippets.append((meta.get("grade_id", "?"), line.strip()))
        if meta.get("solution") and not has_region:
            snippets += [(meta.get("grade_id", "?"), line.strip()) for line in lines if len(line.strip()) >= 8]
    return snippets


def check_no_solutions(*, source=SOLUTIONS_DIR, released=ASSIGNMENT_DIR):
    """Lines of solution or hidden-test text found in the released notebooks.

    Returns
    -------
    problems : list of str
        Empty when nothing leaks.
    """
    problems = []
    for src in source_notebooks(source):
        target = Path(released) / src.name
        if not target.is_file():
            problems.append(f"{target}: missing; run `make notebooks`")
            continue
        nb = json.loads(target.read_text())
        text = "\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"]
        )
        for grade_id, line in solution_snippets(src):
            if line in text:
                problems.append(f"{target}: cell {grade_id!r} leaks solution text {line!r}")
    return problems


def inject_parameters(nb, parameters):
    """Insert a cell assigning ``parameters`` after the cell tagged ``parameters``.

    Like papermill: the new cell is tagged ``injected-parameters`` and runs
    after the notebook's defaults, overriding them.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    parameters : dict of str to object
        Values written with ``repr``.

    Returns
    -------
    nb : nbformat.NotebookNode
        The same notebook, modified.

    Raises
    ------
    NotebookError
        If no cell is tagged ``parameters``.
    """
    import nbformat

    for index, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            break
    else:
        raise NotebookError("no cell tagged 'parameters' to override")
    code = "# Injected parameters\n" + "".join(f"{name} = {value!r}\n" for name, value in parameters.items())
    new = nbformat.v4.new_code_cell(code, metadata={"tags": ["injected-parameters"]})
    new["id"] = "injected-parameters"
    nb.cells.insert(index + 1, new)
    return nb


def execute_notebook(path, parameters=None, *, output=None, timeout=CELL_TIMEOUT):
    """Execute a notebook top to bottom with ``parameters`` injected.

    Parameters
    ----------
    path : str or pathlib.Path
    parameters : dict, optional
        Default :data:`QUICK_PARAMETERS`.
    output : str or pathlib.Path, optional
        Where to write the executed notebook.
    timeout : int, optional
        Seconds allowed per cell.

    Returns
    -------
    nb : nbformat.NotebookNode
        The executed notebook.

    Raises
    ------
    NotebookError
        If a cell raises; the message names the notebook and the error.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = Path(path)
    nb = inject_parameters(nbformat.read(path, as_version=4), QUICK_PARAMETERS if parameters is None else parameters)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        raise NotebookError(f"{path}: execution failed:\n{error}") from None
    finally:
        if output is not None:
            nbformat.write(nb, output)
    return nb


def validate_executed(path):
    """nbgrader's validator on an already executed notebook (no re-execution).

    Parameters
    ----------
    path : str or pathlib.Path
        A notebook whose cells hold their outputs.

    Returns
    -------
    results : dict
        nbgrader's result: empty when every test cell passes; otherwise
        ``failed``, ``changed`` or ``type_changed`` lists.
    """
    from nbgrader.preprocessors import CheckCellMetadata
    from nbgrader.validator import Validator

    validator = Validator(preprocessors=[CheckCellMetadata])
    return validator.validate(str(Path(path).resolve()))


def check(*, execute=True, data=None, source=SOLUTIONS_DIR, released=ASSIGNMENT_DIR):
    """Every notebook check; return the problems found (empty: all good)."""
    problems = check_sync(source=source, released=released)
    problems += check_no_solutions(source=source, released=released)
    if execute:
        with tempfile.TemporaryDirectory(prefix="saltlab-executed-") as tmp:
            # Fresh in-notebook experiments: evidence from results/ would skip that code.
            parameters = dict(QUICK_PARAMETERS, RESULTS=str(Path(tmp) / "results"),
                              **({"DATA": str(data)} if data else {}))
            for path in source_notebooks(source):
                executed = Path(tmp) / path.name
                print(f"executing {path} with {parameters} ...", flush=True)
                try:
                    execute_notebook(path, parameters, output=executed)
                except NotebookError as error:
                    problems.append(str(error))
                    continue
                results = validate_executed(executed)
                if results:
                    problems.append(f"{path}: nbgrader validate failed on the solved notebook: "
                                    + json.dumps(results)[:2000])
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.authoring.notebooks", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("release", help="regenerate assignment/*.ipynb with nbgrader generate_assignment")
    check_parser = sub.add_parser("check", help="sync, no solution text, solved notebooks validate")
    check_parser.add_argument("--no-execute", action="store_true", help="skip executing and validating")
    check_parser.add_argument("--data", help="dataset folder for the executed notebooks")
    args = parser.parse_args(argv)
    try:
        if args.command == "release":
            release()
            return 0
        problems = check(execute=not args.no_execute, data=args.data)
    except NotebookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"FAIL {problem}")
    print("notebooks: all checks passed" if not problems else f"notebooks: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
