"""Join the output folders of shards into one, as if every student had been graded in one run.

``python -m grader merge OUT_0 ... OUT_N-1 --out OUT``. Each shard's
``run.json`` says what it graded (its students, the seed's fingerprint, the
grader version, the checks); the shards must agree on everything but their
index, and every index 0 .. N-1 must be there once. The students' folders
are copied as they are, then the gradebook, the summary and the histogram
are rebuilt by :func:`grader.batch.finish_batch`, the function a single run
uses, so they are byte-identical to one run's. When the notebooks were
graded, the shards' nbgrader course folders are joined into ``OUT/nbgrader``
(:func:`grader.notebooks.merge_courses`): its gradebook holds the same rows
as one run's, ready for formgrader and ``merge-manual``.
"""

import json
import shutil
from pathlib import Path

from .batch import NBGRADER_FOLDER, RUN_FILE, SEED_FILE, BatchError, finish_batch
from .report import write_atomic

AGREE = ("submissions", "selection", "checks", "points", "grader_version", "sandboxed", "seed_fingerprint",
         "skipped")
"""What every shard of one grading must share."""


def _read_run(folder):
    path = Path(folder) / RUN_FILE
    try:
        run = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BatchError(f"{path}: not a grading output folder ({type(error).__name__}); give the --out folders "
                         "of `python -m grader grade --shard I/N`") from None
    if not run.get("shard"):
        raise BatchError(f"{folder} was not graded as a shard (its {RUN_FILE} has no shard)")
    return run


def merge(shard_folders, out, *, warn=None):
    """Merge shard output folders into ``out``.

    Parameters
    ----------
    shard_folders : list of pathlib.Path
    out : pathlib.Path
        Created if missing; must not be one of the shards.
    warn : callable, optional
        Receives a sentence when the shards were graded on different kinds
        of machine (``run.json``'s ``platform``,
        :func:`saltlab.machine.numeric_platform`). They are merged all the same:
        correct and clearly wrong code get the same grade everywhere, but
        the merge is then not what one run on one machine would give byte
        for byte, and ``summary.md`` says so.

    Returns
    -------
    records : list of dict
    summary : str

    Raises
    ------
    BatchError
        If the shards disagree (another seed, grader version, selection...),
        an index is missing or repeated, or a student is in two shards.
    """
    out = Path(out)
    runs = [(Path(folder), _read_run(folder)) for folder in shard_folders]
    if not runs:
        raise BatchError("no shard folders given")
    first_folder, first = runs[0]
    for folder, run in runs[1:]:
        for key in AGREE:
            if run.get(key) != first.get(key):
                shown = "seed" if key == "seed_fingerprint" else key.replace("_", " ")
                raise BatchError(f"{folder} and {first_folder} were graded with a different {shown} "
                                 f"({run.get(key)!r} against {first.get(key)!r}); grade every shard alike")
    count = first["shard"][1]
    indices = sorted(run["shard"][0] for _, run in runs)
    if any(run["shard"][1] != count for _, run in runs) or indices != list(range(count)):
        raise BatchError(f"shards {', '.join(f'{i}/{count}' for i in indices)} given; a merge needs each of "
                         f"0/{count} to {count - 1}/{count} exactly once")
    if any(out.resolve() == folder.resolve() for folder, _ in runs):
        raise BatchError(f"--out {out} is one of the shards; merge into a new folder")
    students = [name for _, run in runs for name in run["students"]]
    if len(set(students)) != len(students):
        raise BatchError("a student was graded by two shards (were they sharded from different folders?)")
    out.mkdir(parents=True, exist_ok=True)
    for folder, run in runs:
        for name in run["students"]:
            shutil.copytree(folder / name, out / name, dirs_exist_ok=True, copy_function=shutil.copy2)
    if (first_folder / SEED_FILE).is_file():
        shutil.copy2(first_folder / SEED_FILE, out / SEED_FILE)
    courses = {folder / NBGRADER_FOLDER: run["students"] for folder, run in runs
               if (folder / NBGRADER_FOLDER / "gradebook.db").is_file()}
    if courses:  # the notebooks were graded: one course folder for formgrader, as one run leaves it
        from .notebooks import CourseError, merge_courses

        try:
            merge_courses(list(courses), out / NBGRADER_FOLDER, courses)
        except CourseError as error:
            raise BatchError(str(error)) from None
    merged = {**first, "shard": None, "students": sorted(students)}
    kinds = []
    for _, run in runs:
        if run.get("platform") not in kinds:
            kinds.append(run.get("platform"))
    if len(kinds) > 1:  # shards from before platforms were recorded (None) count as a kind of their own
        merged.update(platform=None, platforms=kinds)
        if warn is not None:
            described = "; ".join(
                f"{folder}: {_describe(run.get('platform'))}" for folder, run in runs)
            warn(f"the shards were graded on {len(kinds)} kinds of machine ({described}); a training check's IoU "
                 "may differ in its third decimal between them. Grade every shard on one kind for a merge equal "
                 "to one run byte for byte")
    write_atomic(out / RUN_FILE, json.dumps(merged, indent=2, sort_keys=True) + "\n", mode=0o600)
    return finish_batch(out, merged, first["skipped"])


def _describe(platform):
    """One line naming a shard's machine kind; anything but a dict (a hand-edited run.json) reads "not recorded"."""
    if not isinstance(platform, dict) or not platform:
        return "not recorded"

    def shown(value):  # printed to a terminal: no control characters, bounded length
        return "".join(c if c.isprintable() else "?" for c in str(value))[:80]

    simd = platform.get("simd")
    simd = "+".join(map(shown, simd)) if isinstance(simd, list) and simd else "no SIMD listed"
    return (f"{shown(platform.get('processor'))} ({shown(platform.get('machine'))}, {simd}), "
            f"numpy {shown(platform.get('numpy'))}, tensorflow {shown(platform.get('tensorflow'))}")
