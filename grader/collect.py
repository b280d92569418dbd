"""Find each student's submission, unzip it safely, stage its graded files.

The input folder holds one entry per student: a directory, or a ``.zip`` as
``make submit`` makes it, named by the student id. Inside, the graded files
(``blocks.py``, ``metrics.py``, ``threshold.py``) may sit in an
``assignment/`` folder, at the top, or under one wrapping folder. Anything
else in the input folder is reported and skipped.

Each submission's ``.py`` files are copied to a private staging folder (the
read-only copy the worker sees). Problems that need no student code to run
are found here: an archive that is not a zip, unsafe or too big; a
symbolic link where graded files are looked for; missing files; a file that
is not UTF-8. Nothing a student wrote is compiled or parsed in the grader's
process (CPython's compiler is quadratic on crafted input): syntax errors are
found by the sandboxed worker when it imports the files, under its time limit.

This is the trust boundary for files. Every path is examined with ``lstat``
and opened with ``O_NOFOLLOW``: a symbolic link is never followed, at any
level (the entry, ``assignment/``, a wrapping folder, a file). A link where
graded files are looked for refuses the submission (status ``link``), so a
link to the reference can never be graded. File names that are not valid
UTF-8, deep or huge archives, and ids that collide once made safe give that
student a status and a message; they never stop the batch.
"""

import hashlib
import io
import os
import re
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
"""Members of a zip, and entries of a folder where graded files are looked for."""
MAX_DEPTH = 24
"""Folders a zip member may be nested in (``make submit`` writes 2)."""
MAX_SOURCE_BYTES = 256 * 2**10
"""A ``.py`` file larger than this is refused: an honest one is about 10 KB,
and compiling crafted source takes time quadratic in its size."""
MAX_MODULES = 16
"""``.py`` files staged from the graded folder (the three graded ones and helpers)."""
NOTEBOOK_FILES = ("1_data_and_unet.ipynb", "2_questions.ipynb")
"""The graded notebooks, staged beside the ``.py`` files when present (graded by :mod:`grader.notebooks`)."""
MAX_NOTEBOOK_BYTES = 16 * 2**20
"""A notebook larger than this is not graded (an honest one with its plots is 1 to 3 MB)."""
MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\.py")
"""Names Python can import; others are never staged."""
MAX_ID_CHARACTERS = 120
RESERVED_NAMES = {"gradebook.csv", "summary.md", "totals.png", "students"}
JUNK = {"__MACOSX", "__pycache__", ".ipynb_checkpoints", ".DS_Store"}


class CollectError(ValueError):
    """The submissions folder itself cannot be used (missing, not a folder)."""


class ArchiveError(ValueError):
    """A student's zip is not a zip, is unsafe (paths outside), or too big."""


class RefusedError(ValueError):
    """A submission is refused before grading: a link where graded files are, or over a limit.

    Attributes
    ----------
    problem : str
        The row status: ``"link"`` or ``"bad folder"`` (over a limit, not a regular file).
    """

    def __init__(self, problem, message):
        super().__init__(message)
        self.problem = problem


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
        ``""``, ``"bad archive"``, ``"bad folder"``, ``"link"``,
        ``"missing files"``, ``"syntax error"`` (not UTF-8) or
        ``"grader error"`` (the grader failed on this entry; a bug to report).
    message : str
        What is wrong, in words the student and instructor can act on.
    notes : list of str
        Things worth knowing that did not stop grading (ignored symlinks...).
    content_hash : str
        Hash of the staged files (or of the problem): unchanged means skip.
    notebooks : dict of str to str
        Per graded notebook name, ``""`` when staged, else why not (missing, too large).
    """

    student_id: str
    folder_name: str
    source: Path
    staged: Path = None
    problem: str = ""
    message: str = ""
    notes: list = field(default_factory=list)
    content_hash: str = ""
    notebooks: dict = field(default_factory=dict)


def printable(name, limit=MAX_ID_CHARACTERS):
    """A file name as readable text: undecodable bytes and control characters replaced, length capped.

    Examples
    --------
    >>> printable("caf\\udce9\\x1b[31m") == "caf\\ufffd?[31m"
    True
    """
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = "".join("?" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp") else ch
                   for ch in text)
    return text if len(text) <= limit else text[:limit] + "..."


def folder_name_for(student_id):
    """A safe, recognisable, unique folder name for ``student_id``.

    Letters, digits and ``._@+-`` are kept; anything else becomes ``_``. A
    name that had to change gets ``-<hash of the original>`` appended, so two
    ids differing only in odd characters never share a folder.

    Examples
    --------
    >>> folder_name_for("alice_01")
    'alice_01'
    >>> folder_name_for("../bob smith")[:10]
    'bob_smith-'
    """
    safe = re.sub(r"[^A-Za-z0-9._@+-]+", "_", student_id).strip("._-")[:64] or "student"
    if safe != student_id or safe.lower() in RESERVED_NAMES:
        safe += "-" + _short_hash(student_id)
    return safe


def _short_hash(text):
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def unique_folder_names(student_ids):
    """``{student_id: folder name}``, unique even on a case-insensitive file system.

    :func:`folder_name_for` can give two ids one name (``"José"`` becomes
    ``"Jos_-<hash>"``, which is also a valid id of its own; ``"Alice"`` and
    ``"alice"`` are one folder on macOS). Every id of a colliding group gets
    a hash of itself appended (again, until no name collides), so the result
    does not depend on the order of listing.
    """
    names = {student_id: folder_name_for(student_id) for student_id in student_ids}
    for _ in range(8):
        groups = {}
        for student_id, name in names.items():
            groups.setdefault(name.casefold(), []).append(student_id)
        clashes = [group for group in groups.values() if len(group) > 1]
        if not clashes:
            return names
        for group in clashes:
            for student_id in group:
                salt = names[student_id] + "\0" + student_id
                names[student_id] = f"{names[student_id]}-{_short_hash(salt)}"
    raise AssertionError("folder names still collide after 8 rounds of hashing")


def _is_junk(name):
    return name in JUNK or name.startswith("._")


def _member_parts(info):
    """The path parts of a zip member, or raise ArchiveError if it could land outside or nests too deep."""
    name = info.filename.replace("\\", "/")
    shown = printable(info.filename)
    if "\0" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ArchiveError(f"unsafe path {shown!r} in the zip (absolute); refused")
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"unsafe path {shown!r} in the zip (it climbs out with '..'); refused")
    if len(parts) > MAX_DEPTH:
        raise ArchiveError(f"{shown[:80]!r}... in the zip is {len(parts)} folders deep, more than {MAX_DEPTH}; "
                           "refused")
    return parts


def safe_extract(archive_path, target, *, max_bytes=MAX_ARCHIVE_BYTES, max_members=MAX_ARCHIVE_MEMBERS, links=None):
    """Extract a zip into ``target`` so that nothing can land outside it.

    Every member is checked before anything is written: no absolute paths,
    no ``..``, no more than ``max_members`` nor nested deeper than
    :data:`MAX_DEPTH`, declared sizes within ``max_bytes``. While writing,
    the bytes actually inflated are counted too (declared sizes can lie).
    Symbolic links are not extracted.

    Parameters
    ----------
    archive_path : pathlib.Path
    target : pathlib.Path
        Created if missing; must be empty.
    max_bytes : int, optional
        Total uncompressed size allowed.
    max_members : int, optional
    links : list, optional
        Receives the relative paths (``PurePosixPath``) of the symbolic-link
        members, which the caller judges (see :func:`links_where_graded`).

    Returns
    -------
    notes : list of str
        Members left out (links, junk), for the report.

    Raises
    ------
    ArchiveError
        Not a zip, encrypted, unsafe path, too deep, too many members or too big.
    """
    if not zipfile.is_zipfile(archive_path):
        with open(archive_path, "rb") as handle:
            head = handle.read(8)
        raise ArchiveError(f"{printable(archive_path.name)} is not a zip archive (it starts with {head!r}); "
                           "hand in the file `make submit` writes (out/submission.zip)")
    notes = []
    shown = printable(archive_path.name)
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = archive.infolist()
            if len(members) > max_members:
                raise ArchiveError(f"{shown} holds {len(members)} files, more than {max_members}; refused")
            declared = sum(info.file_size for info in members)
            if declared > max_bytes:
                raise ArchiveError(f"{shown} would extract to {declared / 2**20:.0f} MiB, more than "
                                   f"{max_bytes / 2**20:.0f} MiB (a zip bomb?); refused")
            planned = []
            for info in members:
                parts = _member_parts(info)
                if info.flag_bits & 0x1:
                    raise ArchiveError(f"{shown} is encrypted ({printable(info.filename)}); hand in a plain zip")
                if info.is_dir() or not parts:
                    continue
                if any(_is_junk(p) for p in parts):
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    notes.append(f"{printable(info.filename)}: a symbolic link in the zip, not extracted")
                    if links is not None:
                        links.append(PurePosixPath(*parts))
                    continue
                destination = root.joinpath(*parts).resolve()
                if not destination.is_relative_to(root):
                    raise ArchiveError(f"unsafe path {printable(info.filename)!r} in the zip; refused")
                planned.append((info, destination))
            written = 0
            for info, destination in planned:
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as source, open(destination, "wb") as sink:
                    while chunk := source.read(1 << 20):
                        written += len(chunk)
                        if written > max_bytes:
                            raise ArchiveError(f"{shown} inflates beyond {max_bytes / 2**20:.0f} MiB "
                                               "(its sizes lie: a zip bomb); refused")
                        sink.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError,
            RecursionError, UnicodeError) as error:
        if isinstance(error, ArchiveError):
            raise
        raise ArchiveError(f"{shown} is a damaged zip ({type(error).__name__}: "
                           f"{printable(str(error), 200)})") from None
    return notes


@dataclass
class Listing:
    """What one folder holds, read with ``lstat`` (links are never followed).

    Attributes
    ----------
    folders, files, links : dict of str to os.DirEntry
        Real subfolders, regular files, and symbolic links, by name.
    """

    folders: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)


def list_folder(folder, shown):
    """The entries of ``folder`` without following any link.

    Raises
    ------
    RefusedError
        If it holds more than :data:`MAX_ARCHIVE_MEMBERS` entries.
    """
    listing = Listing()
    with os.scandir(folder) as entries:
        for count, entry in enumerate(entries):
            if count >= MAX_ARCHIVE_MEMBERS:
                raise RefusedError("bad folder", f"{shown} holds more than {MAX_ARCHIVE_MEMBERS} entries; refused")
            if _is_junk(entry.name):
                continue
            if entry.is_symlink():
                listing.links[entry.name] = entry
            elif entry.is_dir(follow_symlinks=False):
                listing.folders[entry.name] = entry
            elif entry.is_file(follow_symlinks=False):
                listing.files[entry.name] = entry
    return listing


def candidate_folders(root):
    """Where graded files are looked for, as ``{relative path: Listing}``.

    The top folder, its ``assignment/``, and, when the top holds exactly one
    real folder other than ``assignment``, that wrapping folder and its
    ``assignment/``. Only real folders count: a link is listed, never entered.
    """
    top = list_folder(root, "the submission")
    found = {PurePosixPath(): top}
    if "assignment" in top.folders:
        found[PurePosixPath("assignment")] = list_folder(root / "assignment", "assignment/")
    if len(top.folders) == 1 and "assignment" not in top.folders:
        (wrapper,) = top.folders
        inner = list_folder(root / wrapper, f"{printable(wrapper)}/")
        found[PurePosixPath(wrapper)] = inner
        if "assignment" in inner.folders:
            found[PurePosixPath(wrapper, "assignment")] = list_folder(root / wrapper / "assignment",
                                                                      f"{printable(wrapper)}/assignment/")
    return found


def links_where_graded(candidates, zip_links=()):
    """Symbolic links inside a folder where graded files are looked for (each refuses the submission).

    Parameters
    ----------
    candidates : dict
        From :func:`candidate_folders`.
    zip_links : iterable of PurePosixPath
        Link members of a zip (not extracted, so not in the listings).
    """
    found = [folder / name for folder, listing in candidates.items() for name in listing.links]
    found += [link for link in zip_links if link.parent in candidates or link in candidates]
    return sorted({printable(str(link)) for link in found})


def locate_graded_folder(candidates):
    """The candidate folder holding the most graded files (all three when complete).

    Returns
    -------
    folder : PurePosixPath
        Relative to the submission's root.
    found : list of str
        The graded files present there, as regular files.
    """
    best, best_found = PurePosixPath(), []
    for folder, listing in candidates.items():
        found = [name for name in GRADED_FILES if name in listing.files]
        if len(found) > len(best_found):
            best, best_found = folder, found
    return best, best_found


def _read_regular(path, limit):
    """The bytes of a regular file, opened without following links; None if it is larger than ``limit``."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise RefusedError("bad folder", f"{printable(os.path.basename(path))} is not a regular file")
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


def _source_problem(name, data):
    """Why a .py file cannot be imported, found without compiling it (or "")."""
    try:
        # Honours a PEP 263 coding cookie; without one the file must be UTF-8.
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except (UnicodeDecodeError, SyntaxError, LookupError) as error:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as utf8_error:
            return (f"{name} is not UTF-8 text (byte 0x{data[utf8_error.start]:02x} at position "
                    f"{utf8_error.start}); save it as UTF-8 (most editors: 'Save with encoding')")
        return f"{name}: {printable(str(getattr(error, 'msg', error)), 200)}"  # a bad coding cookie
    return ""


def stage(submission, root, folder, listing, staging):
    """Copy the graded folder's ``.py`` files into ``staging`` and check their encoding.

    Sets ``submission.staged``, ``problem``, ``message``, ``content_hash``.
    Only regular files with importable names are copied, the graded ones
    first, at most :data:`MAX_MODULES`, each at most :data:`MAX_SOURCE_BYTES`.
    The copy is private to the grader (0700) until a worker is given it.
    """
    target = staging / submission.folder_name
    target.mkdir(mode=0o700)
    digest = hashlib.sha256()
    names = sorted((n for n in listing.files if n.endswith(".py")), key=lambda n: (n not in GRADED_FILES, n))
    problems = []
    for name in names:
        if not MODULE_NAME.fullmatch(name):
            submission.notes.append(f"{printable(name)}: not an importable module name, ignored")
            continue
        if len(list(target.iterdir())) >= MAX_MODULES:
            submission.notes.append(f"{name}: more than {MAX_MODULES} .py files, ignored")
            continue
        data = _read_regular(root / folder / name, MAX_SOURCE_BYTES)
        if data is None:
            message = f"{name} is larger than {MAX_SOURCE_BYTES // 2**10} KiB of source"
            if name in GRADED_FILES:
                problems.append(message)
            else:
                submission.notes.append(f"{message}, ignored")
            continue
        (target / name).write_bytes(data)
        (target / name).chmod(0o600)
        digest.update(name.encode() + b"\0" + data + b"\0")
        if name in GRADED_FILES and (problem := _source_problem(name, data)):
            problems.append(problem)
    submission.content_hash = digest.hexdigest()
    submission.staged = target
    if problems:
        submission.problem, submission.message = "syntax error", "; ".join(problems)


def stage_notebooks(submission, root, folder, candidates):
    """Copy the graded notebooks next to the staged ``.py`` files; note in ``submission.notebooks`` what is missing.

    A notebook is looked for in the graded folder first, then in the other
    candidate folders (a student may keep them at the top of the zip). Only
    regular files of at most :data:`MAX_NOTEBOOK_BYTES` are copied; their
    bytes join the content hash, so a changed notebook is graded again.
    Nothing here parses them: :mod:`grader.notebooks` does, with limits.
    """
    digest = hashlib.sha256(submission.content_hash.encode())
    for name in NOTEBOOK_FILES:
        where = [folder] + [f for f in candidates if f != folder]
        found = next((f for f in where if name in candidates[f].files), None)
        if found is None:
            submission.notebooks[name] = f"missing: no {name} in the submission"
            continue
        data = _read_regular(root / found / name, MAX_NOTEBOOK_BYTES)
        if data is None:
            submission.notebooks[name] = f"{name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB; not graded"
            continue
        (submission.staged / name).write_bytes(data)
        (submission.staged / name).chmod(0o600)
        digest.update(name.encode() + b"\0" + data + b"\0")
        submission.notebooks[name] = ""
    submission.content_hash = digest.hexdigest()


def _mark(submission, problem, message):
    submission.problem, submission.message = problem, message
    submission.content_hash = hashlib.sha256(f"{problem}\0{message}".encode("utf-8", "replace")).hexdigest()
    return submission


def _student_ids(entries):
    """A unique, printable student id per entry, the same whatever the order of listing.

    The id is the entry's name without ``.zip``. Entries whose ids would be
    equal (``bob`` and ``bob.zip``; names that differ only in bytes that are
    not printable) each keep their full printable name, then a ``#<hash>``
    of their raw name, so every entry gets its own row.
    """
    def raw(entry):
        return os.fsencode(entry.name)

    def shown(student_id):  # how the id reads once cleaned for display (NFC: "Zoë" composed or not)
        return unicodedata.normalize("NFC", student_id)

    def clashing(ids):
        counts = {}
        for student_id in ids.values():
            counts[shown(student_id)] = counts.get(shown(student_id), 0) + 1
        return {key for key, student_id in ids.items() if counts[shown(student_id)] > 1}

    ids = {}
    for entry in entries:
        name = entry.name
        ids[raw(entry)] = printable(name[: -len(".zip")] if name.lower().endswith(".zip") else name)
    for entry in entries:
        if raw(entry) in clashing(ids):
            ids[raw(entry)] = printable(entry.name)
    for key in clashing(ids):
        ids[key] = f"{ids[key]}#{hashlib.sha256(key).hexdigest()[:8]}"
    return {entry: ids[raw(entry)] for entry in entries}


def collect(submissions_dir, staging, *, select=None):
    """Every student's submission in ``submissions_dir``, staged under ``staging``.

    Parameters
    ----------
    submissions_dir : pathlib.Path
    staging : pathlib.Path
        An empty private folder (the grader's temporary directory).
    select : callable (student_id) -> bool, optional
        Only these students are prepared (a shard); ids are made unique over
        every entry first, so a shard names students as a whole run does.

    Returns
    -------
    submissions : list of Submission
        Sorted by student id, one per entry. Submissions with a problem are
        included (their row says what is wrong); they are not run.
    skipped : list of str
        One message per entry that is not a submission (a stray file).

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
    staging = Path(staging)
    staging.mkdir(parents=True, exist_ok=True)
    entries, skipped = [], []
    for entry in sorted(submissions_dir.iterdir(), key=lambda p: os.fsencode(p.name)):
        try:
            mode = entry.lstat().st_mode
        except OSError as error:
            skipped.append(f"{printable(entry.name)}: cannot be read ({error.strerror}); skipped")
            continue
        if stat.S_ISDIR(mode) or stat.S_ISLNK(mode) or (stat.S_ISREG(mode) and entry.name.lower().endswith(".zip")):
            entries.append(entry)
        else:
            kind = "a hidden file" if entry.name.startswith(".") else "neither a folder nor a .zip"
            skipped.append(f"{printable(entry.name)}: {kind}; skipped")
    ids = _student_ids(entries)
    folders = unique_folder_names(ids.values())
    submissions = []
    for entry in entries:
        student_id = ids[entry]
        if select is not None and not select(student_id):
            continue
        submission = Submission(student_id, folders[student_id], entry)
        try:
            _prepare(submission, entry, staging)
        except Exception as error:  # a grader bug on one entry must not stop the others
            import traceback

            traceback.print_exc()
            _mark(submission, "grader error", f"the grader could not read this submission "
                                              f"({type(error).__name__}); the instructor has the details")
        submissions.append(submission)
    return sorted(submissions, key=lambda s: s.student_id), skipped


def collect_upload(upload, staging, *, student_id="submission"):
    """One student's upload (Gradescope's ``/autograder/submission``), staged like an entry of :func:`collect`.

    The upload may be the graded files themselves, the zip ``make submit``
    writes (alone in the upload), or a folder nesting them: the same
    layouts, limits and refusals as a batch entry.

    Returns
    -------
    submission : Submission
    """
    upload, staging = Path(upload), Path(staging)
    staging.mkdir(parents=True, exist_ok=True)
    entry = upload
    try:
        listing = list_folder(upload, "the upload")
        zips = [name for name, item in listing.files.items() if name.lower().endswith(".zip")]
        if len(zips) == 1 and not listing.folders and not any(n.endswith(".py") for n in listing.files):
            entry = upload / zips[0]
    except (OSError, RefusedError):
        pass  # _prepare reports it
    submission = Submission(student_id, folder_name_for(student_id), entry)
    try:
        _prepare(submission, entry, staging)
    except Exception as error:  # a grader bug must still give the student a result
        import traceback

        traceback.print_exc()
        _mark(submission, "grader error", f"the grader could not read this submission ({type(error).__name__})")
    return submission


def _prepare(submission, entry, staging):
    if entry.is_symlink():
        return _mark(submission, "link", f"{printable(entry.name)} is a symbolic link; hand in the folder "
                                         "or zip itself (links are never followed)")
    root, zip_links = entry, []
    if entry.name.lower().endswith(".zip") and not entry.is_dir():
        root = staging / ".unzipped" / submission.folder_name
        (staging / ".unzipped").mkdir(mode=0o700, exist_ok=True)
        try:
            submission.notes += safe_extract(entry, root, links=zip_links)
        except ArchiveError as error:
            return _mark(submission, "bad archive", str(error))
    try:
        candidates = candidate_folders(root)
        links = links_where_graded(candidates, zip_links)
        if links:
            return _mark(submission, "link", f"symbolic link{'s' if len(links) > 1 else ''} "
                                             f"{', '.join(links[:5])} where graded files are looked for; "
                                             "hand in the files themselves (links are never followed)")
        folder, found = locate_graded_folder(candidates)
        missing = [name for name in GRADED_FILES if name not in found]
        if missing:
            where = "" if not found else f" (found {', '.join(found)} in {printable(folder.as_posix()) if folder.parts else 'the top folder'})"
            return _mark(submission, "missing files",
                         f"missing {', '.join(missing)}{where}; a submission holds assignment/ with "
                         f"{', '.join(GRADED_FILES)}")
        stage(submission, root, folder, candidates[folder], staging)
        stage_notebooks(submission, root, folder, candidates)
    except RefusedError as error:
        return _mark(submission, error.problem, str(error))
    return submission
