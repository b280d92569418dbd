"""The grader's trust boundary: a corpus of attacks, graded in one batch beside a clean control.

Every attack a determined student could make against the grader, one entry
each (``selftests/submissions/README.md`` describes the worker-side ones;
links, odd names and archives are built here because git cannot hold them
portably). The batch must complete with a row for every entry; the control
must keep full marks; each attack gets its status; no student-visible file
(``feedback.md``, ``results.json``, ``gradebook.csv``, ``summary.md``) holds
a hidden input, another student's data, the instructor's keys or raw
control text; nothing outside the output folder changes; and every
submission's cost stays within its budget.
"""

import csv
import ctypes
import json
import os
import platform
import secrets
import shutil
import stat
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader import cgroup  # noqa: E402
from grader.collect import MAX_ARCHIVE_MEMBERS, folder_name_for  # noqa: E402
from grader.report import fmt  # noqa: E402
from grader.sandbox import bwrap_status  # noqa: E402
from saltlab.checks.rubric import load_rubric  # noqa: E402
from saltlab.paths import REPO_ROOT, SOLUTIONS_DIR  # noqa: E402
from saltlab.submit import make_submission  # noqa: E402

from test_grader_batch import FAST, grade, make_submission_folder  # noqa: E402

BUDGET = 75
OVERLAYS = ("hostile_text", "huge_type_name", "forged_frame", "junk_frame", "state_carry", "session_key",
            "fork_memory", "sleeper", "orphan")
SECRET = f"INSTRUCTOR-SECRET-{secrets.token_hex(8)}"
LEAK_MARKERS = ("CARRY-", "CARRIED", "INSTRUCTOR-SECRET", "PWNED", "\x1b", "\u202e", "\x00", "\ufffd\ufffd")
"""Text that must appear nowhere a student reads."""
HTML_MARKER = "<img"
"""Student HTML may appear only inside fenced code blocks, where Markdown shows it as text."""
STUDENT_FILES = ("feedback.md", "results.json")

pytestmark = [
    pytest.mark.skipif(bwrap_status()[0] is None, reason=f"the sandbox is needed: {bwrap_status()[1]}"),
    pytest.mark.skipif(platform.machine() != "x86_64", reason="the keyring fixtures use x86_64 syscall numbers"),
]

FULL = sum(e.points for e in load_rubric().entries() if e.question != "training")

_libc = ctypes.CDLL(None, use_errno=True)
ADD_KEY, KEYCTL, KEYCTL_INVALIDATE, SESSION_KEYRING = 248, 250, 21, -3


def _reference_only(folder, files=("blocks.py",)):
    """A submission that is cheap to grade: some files missing, so no worker starts."""
    folder.mkdir(parents=True)
    for name in files:
        shutil.copyfile(SOLUTIONS_DIR / name, folder / name)
    return folder


def build_corpus(subs):
    """Lay out every attack; return ``{entry name: expected status}`` for those with a fixed status."""
    expected = {"control": "ok"}
    make_submission_folder("reference", subs / "control")
    for name in OVERLAYS:
        make_submission_folder(name, subs / name)
    # Links, at every level, absolute and relative: never followed, always refused.
    (subs / "link_assignment").mkdir()
    (subs / "link_assignment" / "assignment").symlink_to(SOLUTIONS_DIR)
    (subs / "link_entry").symlink_to("control")
    make_submission_folder("reference", subs / "link_file")
    (subs / "link_file" / "blocks.py").unlink()
    (subs / "link_file" / "blocks.py").symlink_to("../control/blocks.py")
    make_submission_folder("reference", subs / "link_wrapper" / "real")
    shutil.rmtree(subs / "link_wrapper" / "real")
    (subs / "link_wrapper" / "real").symlink_to(SOLUTIONS_DIR)
    with zipfile.ZipFile(subs / "link_zip.zip", "w") as archive:
        for name in ("metrics.py", "threshold.py"):
            archive.write(SOLUTIONS_DIR / name, f"assignment/{name}")
        link = zipfile.ZipInfo("assignment/blocks.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, str(SOLUTIONS_DIR / "blocks.py"))
    expected.update(dict.fromkeys(["link_assignment", "link_entry", "link_file", "link_wrapper", "link_zip"], "link"))
    # An 11 KB zip holding one member 1,500 folders deep.
    with zipfile.ZipFile(subs / "deep_zip.zip", "w") as archive:
        archive.writestr("/".join(["d"] * 1500) + "/blocks.py", "x = 1\n")
    expected["deep_zip"] = "bad archive"
    # Names that are not UTF-8, a FIFO where a graded file should be, too many entries, too large a file.
    odd = Path(os.fsdecode(bytes(subs) + b"/odd\xffname"))
    make_submission_folder("reference", odd)
    (Path(os.fsdecode(bytes(odd) + b"/\xfe.py"))).write_text("x = 1\n")
    (Path(os.fsdecode(bytes(odd) + b"/helper\xfe.txt"))).write_text("notes\n")
    make_submission_folder("reference", subs / "fifo")
    (subs / "fifo" / "blocks.py").unlink()
    os.mkfifo(subs / "fifo" / "blocks.py")
    expected["fifo"] = "missing files"
    make_submission_folder("reference", subs / "many_files")
    for index in range(MAX_ARCHIVE_MEMBERS + 10):
        (subs / "many_files" / f"n{index}.txt").touch()
    expected["many_files"] = "bad folder"
    make_submission_folder("reference", subs / "big_source")
    with open(subs / "big_source" / "blocks.py", "a") as handle:
        handle.write("# padding\n" * 30_000)
    expected["big_source"] = "syntax error"
    # Ids that collide once made safe, differ only in case or normal form, or attack the outputs.
    for student_id in ("José", folder_name_for("José"), "Alice", "alice", unicodedata.normalize("NFC", "Zoë"),
                       unicodedata.normalize("NFD", "Zoë"), '=HYPERLINK("evil")', "<img src=x onerror=alert(1)>",
                       "-2+3", "@SUM(A1)"):
        _reference_only(subs / student_id)
        expected[student_id] = "missing files"
    # A folder and a zip with the same student id: each gets a row.
    _reference_only(subs / "bob")
    make_submission(SOLUTIONS_DIR, subs / "bob.zip")
    expected.update({"bob": "missing files", "bob.zip": "ok"})
    return expected


def _tree_state(root):
    """Every path below ``root`` with its type, size and modification time (links not followed)."""
    state = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            state[os.fsencode(path)] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns)
    return state


def _sleepers():
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if b"313.3131" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.append(int(pid))
            except OSError:
                pass
    return found


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("trust")
    subs = root / "submissions"
    subs.mkdir()
    expected = build_corpus(subs)
    key = _libc.syscall(ADD_KEY, b"user", b"saltlab-instructor", SECRET.encode(), len(SECRET),
                        ctypes.c_int(SESSION_KEYRING))
    before = _tree_state(subs)
    staging_before = set(Path("/tmp").glob("saltlab-grading-*"))
    git_before = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True).stdout
    out = root / "out"
    try:
        result = grade(subs, out, *FAST, "--budget", str(BUDGET), "--total-memory-gb", "3")
    finally:
        if key > 0:
            _libc.syscall(KEYCTL, KEYCTL_INVALIDATE, ctypes.c_int(key))
    yield {"subs": subs, "out": out, "result": result, "expected": expected, "before": before,
           "git_before": git_before, "staging_before": staging_before}
    for pid in _sleepers():
        os.kill(pid, 9)


def _rows(out):
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _records(out):
    return {json.loads(p.read_text())["student_id"]: json.loads(p.read_text()) for p in out.glob("*/grade.json")}


def test_the_batch_completes_with_a_row_for_every_entry(corpus):
    result, out, subs = corpus["result"], corpus["out"], corpus["subs"]
    assert result.returncode == 0, result.stderr[-4000:]
    entries = [p for p in subs.iterdir()]
    assert len(_rows(out)) == len(entries) == len(_records(out))


def test_the_control_keeps_full_marks(corpus):
    record = _records(corpus["out"])["control"]
    assert record["total"] == FULL and record["status"] == "ok", record["message"]


def test_each_attack_gets_its_status(corpus):
    records = _records(corpus["out"])
    for student_id, status in corpus["expected"].items():
        if student_id.startswith("Zo"):
            continue  # the same id in two Unicode forms: each gets a hash of its raw name (below)
        assert records[student_id]["status"] == status, (student_id, records[student_id]["message"])
    twins = [i for i in records if unicodedata.normalize("NFC", i).startswith("Zoë#")]
    assert len(twins) == 2 and all(records[i]["status"] == "missing files" for i in twins)
    assert records["forged_frame"]["status"] == "import error"
    assert "junk_frame" in records and "crash" in records["junk_frame"]["status"]
    assert "budget" in records["sleeper"]["status"]
    assert records["orphan"]["total"] == FULL and records["odd\ufffdname"]["total"] == FULL
    for name in ("hostile_text", "huge_type_name", "session_key", "state_carry", "junk_frame"):
        assert records[name]["total"] < FULL, name
    group, reason = cgroup.create(f"saltlab-probe-{os.getpid()}", memory_bytes=2**30, processes=64)
    if group is None:
        pytest.skip(f"no control group here ({reason}): the per-process limits hold, the sum is not bounded")
    group.remove()
    assert "memory" in records["fork_memory"]["status"], records["fork_memory"]["message"]


def test_ids_are_kept_apart_and_inert(corpus):
    out = corpus["out"]
    ids = [row["student_id"] for row in _rows(out)]
    assert len(set(ids)) == len(ids)
    assert "'=HYPERLINK(\"evil\")" in ids and "'-2+3" in ids and "'@SUM(A1)" in ids
    assert not any(i.startswith(("=", "+", "-", "@")) for i in ids)
    folders = [p.name for p in out.iterdir() if p.is_dir()]
    assert len({f.casefold() for f in folders}) == len(folders)
    html = next(r for r in _records(out).values() if r["student_id"].startswith("<img"))
    assert "<img" not in (out / html["folder"] / "feedback.md").read_text()
    assert "<img" not in (out / "summary.md").read_text()


def test_no_student_visible_file_leaks(corpus):
    out = corpus["out"]
    for path in [out / "gradebook.csv", out / "summary.md", *[p for n in STUDENT_FILES for p in out.glob(f"*/{n}")]]:
        text = path.read_bytes().decode("utf-8")  # valid UTF-8, or this raises
        for marker in LEAK_MARKERS:
            assert marker not in text, (path, marker)
        if path.suffix != ".csv":  # a CSV cell is text, never HTML; spreadsheets are tested by the formula ids
            rendered = _outside_code_fences(json.loads(text) if path.suffix == ".json" else text)
            assert HTML_MARKER not in rendered, path
        assert path.stat().st_size < 256 * 2**10, path  # the forged 14 M characters are cut to a few kB
        assert text.count("FORGED-IMPORT") < 1000, path
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in text if ch not in "\n\t"), path


def _outside_code_fences(document):
    """The Markdown text of a feedback file or of every output of a results.json, code blocks removed."""
    if isinstance(document, dict):
        document = "\n".join([document["output"], *(t["output"] for t in document["tests"])])
    kept, fence = [], None
    for line in document.splitlines():
        stripped = line.strip()
        if fence is None and stripped.startswith("```"):
            fence = stripped[: len(stripped) - len(stripped.lstrip("`"))]
        elif fence is not None and stripped == fence:
            fence = None
        elif fence is None:
            kept.append(line)
    return "\n".join(kept)


def test_instructor_files_are_private(corpus):
    out = corpus["out"]
    for path in [*out.glob("*/grade.json"), *out.glob("*/worker.log")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_nothing_outside_out_changed(corpus):
    assert _tree_state(corpus["subs"]) == corpus["before"]
    git_after = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True).stdout
    assert git_after == corpus["git_before"]
    assert not Path("/tmp/saltlab-carry").exists() and not Path("/dev/shm/saltlab-carry").exists()
    assert _sleepers() == [], "a process of a worker outlived it"
    assert set(Path("/tmp").glob("saltlab-grading-*")) <= corpus["staging_before"], "staging folders are removed"


def test_every_submission_cost_is_bounded(corpus):
    for student_id, record in _records(corpus["out"]).items():
        assert record["timing"]["total_seconds"] <= BUDGET + 30, student_id


def test_keyring_filter_blocks_what_works_without_it(tmp_path):
    """The same keyring read, in a child process: it works before the filter and fails with EPERM after."""
    script = f"""
import ctypes, sys
sys.path.insert(0, {str(REPO_ROOT / 'grader')!r})
import syscall_filter
libc = ctypes.CDLL(None, use_errno=True)
def add():
    return libc.syscall(248, b"user", b"saltlab-filter-test", b"v", 1, ctypes.c_int(-4))
first = add()
syscall_filter.install()
second = add()
print(first > 0, second, ctypes.get_errno())
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["True", "-1", "1"], result.stderr


def test_results_follow_gradescope_schema_and_hide_hidden_outcomes(corpus):
    """Every results.json validates against Gradescope's documented format; visible text tells nothing hidden."""
    import jsonschema

    schema = json.loads((REPO_ROOT / "grader" / "schemas" / "gradescope_results.schema.json").read_text())
    records = _records(corpus["out"])
    for record in records.values():
        results = json.loads((corpus["out"] / record["folder"] / "results.json").read_text())
        jsonschema.validate(results, schema)
        hidden_rows = [row for row in record["checks"] if row["hidden"]]
        visible = results["output"] + "".join(t["output"] + t["name"] for t in results["tests"]
                                              if t["visibility"] == "visible")
        if hidden_rows:  # the total with hidden points in it is not shown before publication
            assert f"/ {fmt(record['max_total'])}" not in results["output"], record["student_id"]
        hidden_only = {row["outcome"] for row in hidden_rows} - {row["outcome"] for row in record["checks"]
                                                                   if not row["hidden"]}
        for outcome in hidden_only - {"passed", "failed", "not run"}:
            if outcome not in ("grader error", "bad archive", "bad folder", "link", "missing files", "syntax error",
                               "import error"):
                assert f"**{outcome}**" not in visible, (record["student_id"], outcome)
        assert results["extra_data"]["seed_fingerprint"] and results["extra_data"]["submission_hash"] is not None
