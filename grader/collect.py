"""Find each student's submission, unzip it safely, stage its graded files.

The input folder holds one entry per student: a directory, or a ``.zip`` as
``make submit`` makes it, named by the student id. Inside, the graded files
(``blocks.py``, ``metrics.py``, ``threshold.py``) may sit in an
``assignment/`` folder, at the top, or under one wrapping folder. Anything
else in the input folder is reported and skipped.

Each submission's ``.py`` files are copied to a private staging folder (the
read-only copy the worker sees). Problems that need no student code to run
are found here: an archive that is not a zip, unsafe or too big; missing
files; a file that does not compile (``compile()`` parses without
executing) or is not UTF-8.
"""

import hashlib
import io
import re
import shutil
import stat
import tokenize
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from saltlab.impl import GRADED_MODULES

GRADED_FILES = tuple(f"{m}.py" for m in GRADED_MODULES)
MAX_ARCHIVE_BYTES = 64 * 2**20
"""Total uncompressed size a zip may extract to (an honest submission is
well under 1 MB of code; notebooks with plots a few MB). Larger: a zip bomb."""
MAX_ARCHIVE_MEMBERS = 2000
MAX_SOURCE_BYTES = 2 * 2**20
"""A graded ``.py`` file larger than this is refused (compile() would be slow)."""
RESERVED_NAMES = {"gradebook.csv", "summary.md", "totals.png", "students"}
JUNK = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".DS_Store"}


class CollectError(ValueError):
    """The submissions folder itself cannot be used (missing, not a folder)."""


class ArchiveError(ValueError):
    """A student's zip is not a zip, is unsafe (paths outside), or too big."""


@dataclass
class Submission:
    """One student's entry, staged for grading.

    Attributes
    ----------
    student_id : str
        The entry's name without ``.zip``, made printable (gradebook key).
    folder_name : str
        Sanitized, unique name of ``OUT/<folder_name>/``.
    source : pathlib.Path
        The entry in the submissions folder.
    staged : pathlib.Path or None
        The folder of copied ``.py`` files the worker imports (None when a
        problem stops grading before any code runs).
    problem : str
        ``""``, ``"bad archive"``, ``"missing files"`` or ``"syntax error"``.
    message : str
        What is wrong, in words the student and instructor can act on.
    notes : list of str
        Things worth knowing that did not stop grading (ignored symlinks...).
    content_hash : str
        Hash of the staged files (or of the problem): unchanged means skip.
    """

    student_id: str
    folder_name: str
    source: Path
    staged: Path = None
    problem: str = ""
    message: str = ""
    notes: list = field(default_factory=list)
    content_hash: str = ""


def printable(name):
    """A file name as readable text: undecodable bytes and control characters replaced."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def folder_name_for(student_id):
    """A safe, recognisable, unique folder name for ``student_id``.

    Letters, digits and ``._@+-`` are kept; anything else becomes ``_``. A
    name that had to change gets ``-<hash of the original>`` appended, so two
    ids differing only in odd characters never share a folder.

    Examples
    --------
    >>> folder_name_for("alice_01")
    'alice_01'
    >>> folder_name_for("../bob smith")[:11]
    'bob_smith-'
    """
    safe = re.sub(r"[^A-Za-z0-9._@+-]+", "_", student_id).strip("._-")[:64] or "student"
    if safe != student_id or safe.lower() in RESERVED_NAMES:
        safe += "-" + hashlib.sha256(student_id.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return safe


def _is_junk(name):
    return name in JUNK or name.startswith("._")


def _member_parts(info):
    """The path parts of a zip member, or raise ArchiveError if it could land outside."""
    name = info.filename.replace("\\", "/")
    if "\0" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ArchiveError(f"unsafe path {info.filename!r} in the zip (absolute); refused")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"unsafe path {info.filename!r} in the zip (it climbs out with '..'); refused")
    return parts


def safe_extract(archive_path, target, *, max_bytes=MAX_ARCHIVE_BYTES, max_members=MAX_ARCHIVE_MEMBERS):
    """Extract a zip into ``target`` so that nothing can land outside it.

    Every member is checked before anything is written: no absolute paths,
    no ``..``, no more than ``max_members``, declared sizes within
    ``max_bytes``. While writing, the bytes actually inflated are counted
    too (declared sizes can lie). Symbolic links are not extracted.

    Parameters
    ----------
    archive_path : pathlib.Path
    target : pathlib.Path
        Created if missing; must be empty.
    max_bytes : int, optional
        Total uncompressed size allowed.
    max_members : int, optional

    Returns
    -------
    notes : list of str
        Members left out (links, junk), for the report.

    Raises
    ------
    ArchiveError
        Not a zip, encrypted, unsafe path, too many members or too big.
    """
    if not zipfile.is_zipfile(archive_path):
        with open(archive_path, "rb") as handle:
            head = handle.read(8)
        raise ArchiveError(f"{archive_path.name} is not a zip archive (it starts with {head!r}); "
                           "hand in the file `make submit` writes (out/submission.zip)")
    notes = []
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = archive.infolist()
            if len(members) > max_members:
                raise ArchiveError(f"{archive_path.name} holds {len(members)} files, more than {max_members}; refused")
            declared = sum(info.file_size for info in members)
            if declared > max_bytes:
                raise ArchiveError(f"{archive_path.name} would extract to {declared / 2**20:.0f} MiB, more than "
                                   f"{max_bytes / 2**20:.0f} MiB (a zip bomb?); refused")
            planned = []
            for info in members:
                parts = _member_parts(info)
                if info.flag_bits & 0x1:
                    raise ArchiveError(f"{archive_path.name} is encrypted ({info.filename}); hand in a plain zip")
                if info.is_dir() or not parts:
                    continue
                if any(_is_junk(p) for p in parts):
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    notes.append(f"{info.filename}: a symbolic link in the zip, not extracted")
                    continue
                destination = root.joinpath(*parts).resolve()
                if not destination.is_relative_to(root):
                    raise ArchiveError(f"unsafe path {info.filename!r} in the zip; refused")
                planned.append((info, destination))
            written = 0
            for info, destination in planned:
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(destination, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > max_bytes:
                            raise ArchiveError(f"{archive_path.name} inflates beyond {max_bytes / 2**20:.0f} MiB "
                                               "(its sizes lie: a zip bomb); refused")
                        sink.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as error:
        if isinstance(error, ArchiveError):
            raise
        raise ArchiveError(f"{archive_path.name} is a damaged zip ({type(error).__name__}: {error})") from None
    return notes


def _graded_here(folder):
    return [name for name in GRADED_FILES if (folder / name).is_file() and not (folder / name).is_symlink()]


def locate_graded_folder(root):
    """Where the graded files are: ``root``, ``root/assignment``, or under one wrapping folder.

    Returns
    -------
    folder : pathlib.Path
        The candidate holding the most graded files (all three when complete).
    found : list of str
        The graded files present there.
    """
    candidates = [root, root / "assignment"]
    subfolders = [p for p in sorted(root.iterdir()) if p.is_dir() and not p.is_symlink() and not _is_junk(p.name)] \
        if root.is_dir() else []
    if len(subfolders) == 1 and subfolders[0].name != "assignment":
        candidates += [subfolders[0], subfolders[0] / "assignment"]
    best, best_found = root, []
    for candidate in candidates:
        if candidate.is_dir():
            found = _graded_here(candidate)
            if len(found) > len(best_found):
                best, best_found = candidate, found
    return best, best_found


def _source_problem(path):
    """Why a .py file cannot be imported, found without running it (or "")."""
    data = path.read_bytes()
    if len(data) > MAX_SOURCE_BYTES:
        return f"{path.name} is {len(data) / 2**20:.1f} MiB, more than {MAX_SOURCE_BYTES // 2**20} MiB of source"
    try:
        # Honours a PEP 263 coding cookie; without one the file must be UTF-8.
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (UnicodeDecodeError, SyntaxError) as error:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            return (f"{path.name} is not UTF-8 text (byte 0x{data[utf8_error.start]:02x} at position "
                    f"{utf8_error.start}); save it as UTF-8 (most editors: 'Save with encoding')")
        return f"{path.name}: {getattr(error, 'msg', error)}"  # a bad coding cookie
    try:
        compile(text, path.name, "exec", dont_inherit=True)
    except SyntaxError as error:
        where = f", line {error.lineno}" if error.lineno else ""
        return f"{path.name}{where}: {type(error).__name__}: {error.msg}"
    except (ValueError, MemoryError, RecursionError) as error:
        return f"{path.name}: cannot be parsed ({type(error).__name__}: {error})"
    return ""


def stage(submission, folder, staging):
    """Copy the graded folder's ``.py`` files into ``staging`` and check them.

    Sets ``submission.staged``, ``problem``, ``message``, ``content_hash``.
    Symbolic links are never followed: a link could point at the reference.
    """
    target = staging / submission.folder_name
    target.mkdir(parents=True)
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.suffix != ".py" or not path.is_file() or path.is_symlink():
            if path.is_symlink():
                submission.notes.append(f"{path.name}: a symbolic link, ignored")
            continue
        if path.stat().st_size > MAX_SOURCE_BYTES:
            submission.notes.append(f"{path.name}: larger than {MAX_SOURCE_BYTES // 2**20} MiB, ignored")
            continue
        shutil.copyfile(path, target / path.name)
        (target / path.name).chmod(0o644)
        digest.update(path.name.encode() + b"\0" + (target / path.name).read_bytes() + b"\0")
    target.chmod(0o755)  # the worker's unprivileged uid reads it through the sandbox
    submission.content_hash = digest.hexdigest()
    submission.staged = target
    problems = [p for p in (_source_problem(path) for path in sorted(target.glob("*.py"))) if p]
    if problems:
        submission.problem, submission.message = "syntax error", "; ".join(problems)


def _mark(submission, problem, message):
    submission.problem, submission.message = problem, message
    submission.content_hash = hashlib.sha256(f"{problem}\0{message}".encode()).hexdigest()
    return submission


def collect(submissions_dir, staging):
    """Every student's submission in ``submissions_dir``, staged under ``staging``.

    Parameters
    ----------
    submissions_dir : pathlib.Path
    staging : pathlib.Path
        An empty private folder (the grader's temporary directory).

    Returns
    -------
    submissions : list of Submission
        Sorted by student id. Submissions with a problem are included (their
        row says what is wrong); they are not run.
    skipped : list of str
        One message per entry that is not a submission.

    Raises
    ------
    CollectError
        If ``submissions_dir`` does not exist or is not a folder.
    """
    submissions_dir = Path(submissions_dir)
    if not submissions_dir.exists():
        raise CollectError(f"submissions folder {submissions_dir} does not exist")
    if not submissions_dir.is_dir():
        raise CollectError(f"{submissions_dir} is not a folder; give the folder that holds one folder or "
                           ".zip per student")
    by_id, skipped = {}, []
    for entry in sorted(submissions_dir.iterdir(), key=lambda p: p.name):
        shown = printable(entry.name)
        if entry.is_dir():
            student_id = shown
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            student_id = printable(entry.name[: -len(".zip")])
        else:
            kind = "a hidden file" if entry.name.startswith(".") else "neither a folder nor a .zip"
            skipped.append(f"{shown}: {kind}; skipped")
            continue
        by_id.setdefault(student_id, []).append(entry)
    submissions = []
    for student_id, entries in sorted(by_id.items()):
        if len(entries) > 1:
            names = " and ".join(printable(e.name) for e in entries)
            skipped.append(f"{names}: both are student {student_id!r}; keep one and grade again")
            continue
        submissions.append(_prepare(student_id, entries[0], staging))
    names = [s.folder_name for s in submissions]
    assert len(set(names)) == len(names), "folder names must be unique"
    return submissions, skipped


def _prepare(student_id, entry, staging):
    submission = Submission(student_id, folder_name_for(student_id), entry)
    root = entry
    if entry.is_file():
        root = staging / ".unzipped" / submission.folder_name
        try:
            submission.notes += safe_extract(entry, root)
        except ArchiveError as error:
            return _mark(submission, "bad archive", str(error))
    folder, found = locate_graded_folder(root)
    missing = [name for name in GRADED_FILES if name not in found]
    if missing:
        where = "" if not found else f" (found {', '.join(found)} in {folder.relative_to(root).as_posix() or 'the top folder'})"
        return _mark(submission, "missing files",
                     f"missing {', '.join(missing)}{where}; a submission holds assignment/ with "
                     f"{', '.join(GRADED_FILES)}")
    stage(submission, folder, staging)
    return submission
