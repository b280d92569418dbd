"""The grader's input side and its channel, without workers: collect, unzip, ids, frames, submit."""

import io
import os
import zipfile

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # grader/ is instructor-only, not installed
from grader import protocol  # noqa: E402
from grader.collect import NOTEBOOK_FILES, ArchiveError, CollectError, collect, folder_name_for, safe_extract
from grader.report import fmt, gradebook_csv
from saltlab.paths import ASSIGNMENT_DIR, SOLUTIONS_DIR
from saltlab.submit import make_submission

GRADED = ("__init__.py", "blocks.py", "metrics.py", "threshold.py")


def copy_reference(folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in GRADED:
        (folder / name).write_bytes((SOLUTIONS_DIR / name).read_bytes())
    return folder


def test_zip_slip_is_refused(tmp_path):
    archive = tmp_path / "eve.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("assignment/blocks.py", "x = 1\n")
        z.writestr("../../escaped.py", "pwned = True\n")
    with pytest.raises(ArchiveError, match="unsafe path"):
        safe_extract(archive, tmp_path / "target")
    assert not (tmp_path / "escaped.py").exists()
    assert not any((tmp_path / "target").rglob("*.py")), "nothing is written before every member is checked"


@pytest.mark.parametrize("name", ["/etc/evil.py", "C:/evil.py", "a/../../evil.py", "..\\..\\evil.py"])
def test_absolute_and_climbing_paths_are_refused(tmp_path, name):
    archive = tmp_path / "eve.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(name, "x")
    with pytest.raises(ArchiveError, match="unsafe path"):
        safe_extract(archive, tmp_path / "target")


def test_zip_bomb_is_refused_by_declared_size(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("assignment/blocks.py", b"\0" * (80 * 2**20))  # 80 MiB of zeros, ~80 KiB zipped
    assert archive.stat().st_size < 2**20
    with pytest.raises(ArchiveError, match="zip bomb"):
        safe_extract(archive, tmp_path / "target")


def test_zip_bomb_with_lying_sizes_is_refused(tmp_path):
    """A member whose directory entry claims 10 bytes never inflates to its real 3 MiB.

    zipfile stops at the declared size and the CRC then fails; the byte count
    kept while writing is a second guard should a reader trust the stream.
    """
    archive = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("assignment/blocks.py", b"\0" * (3 * 2**20))
    with pytest.raises(ArchiveError, match="zip bomb|damaged"):
        _extract_with_lie(archive, tmp_path / "target")


def _extract_with_lie(archive, target):
    """Rewrite the central directory's sizes to 10 bytes, then extract with a 1 MiB limit."""
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.infolist()[0]
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")  # uncompressed size
    archive.write_bytes(bytes(data))
    assert zipfile.ZipFile(archive).infolist()[0].file_size == 10 != info.file_size
    return safe_extract(archive, target, max_bytes=2**20)


def test_not_a_zip_gives_a_clear_message(tmp_path):
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "carol.zip").write_text("this is a text file, not a zip")
    submissions, skipped = collect(tmp_path / "subs", tmp_path / "staging")
    (carol,) = submissions
    assert carol.student_id == "carol" and carol.problem == "bad archive"
    assert "carol.zip is not a zip archive" in carol.message and "make submit" in carol.message


def test_empty_and_missing_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    assert collect(tmp_path / "empty", tmp_path / "staging") == ([], [])
    with pytest.raises(CollectError, match="does not exist"):
        collect(tmp_path / "nope", tmp_path / "staging2")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CollectError, match="is not a folder"):
        collect(tmp_path / "file", tmp_path / "staging3")


def test_layouts_ids_and_skipped_entries(tmp_path):
    subs = tmp_path / "subs"
    copy_reference(subs / "alice" / "assignment")  # make-submit layout in a folder
    copy_reference(subs / "bob")  # files at the top
    copy_reference(subs / "José O'Brien; rm -rf ~" / "wrapper" / "assignment")  # odd id, one wrapping folder
    (subs / "dave").mkdir()
    (subs / "dave" / "blocks.py").write_text("x = 1\n")
    (subs / "notes.txt").write_text("not a submission")
    zip_path, _, _ = make_submission(SOLUTIONS_DIR, subs / "erin.zip")
    submissions, skipped = collect(subs, tmp_path / "staging")
    by_id = {s.student_id: s for s in submissions}
    assert sorted(by_id) == ["José O'Brien; rm -rf ~", "alice", "bob", "dave", "erin"]
    assert skipped == ["notes.txt: neither a folder nor a .zip; skipped"]
    for student in ("alice", "bob", "erin", "José O'Brien; rm -rf ~"):
        assert by_id[student].problem == "", by_id[student].message
        assert sorted(p.name for p in by_id[student].staged.iterdir() if p.suffix == ".py") == sorted(GRADED)
    # make submit's zip holds the notebooks: they are staged beside the .py files, for grader/notebooks.py
    assert {p.name for p in by_id["erin"].staged.glob("*.ipynb")} == set(NOTEBOOK_FILES)
    assert by_id["erin"].notebooks == {name: "" for name in NOTEBOOK_FILES}
    assert by_id["alice"].notebooks["2_questions.ipynb"].startswith("missing")
    assert by_id["alice"].content_hash == by_id["bob"].content_hash != by_id["erin"].content_hash  # erin's notebooks count
    assert by_id["dave"].problem == "missing files" and "metrics.py, threshold.py" in by_id["dave"].message
    odd = by_id["José O'Brien; rm -rf ~"].folder_name
    assert odd.startswith("Jos_O_Brien_rm_-rf") and "/" not in odd and len(odd) < 80


def test_folder_names_are_safe_and_unique():
    ids = ["alice", "a b", "a_b", "a/b", "..", ".hidden", "summary.md", "ümlaut", "x" * 300]
    names = [folder_name_for(i) for i in ids]
    assert len(set(names)) == len(names)
    assert folder_name_for("alice") == "alice"
    for name in names:
        assert name and "/" not in name and not name.startswith(".") and len(name) <= 73
    assert folder_name_for("summary.md") != "summary.md"


def test_symlinks_in_a_student_folder_are_not_followed(tmp_path):
    folder = copy_reference(tmp_path / "subs" / "mallory")
    (folder / "blocks.py").unlink()
    (folder / "blocks.py").symlink_to(SOLUTIONS_DIR / "blocks.py")
    (mallory,), _ = collect(tmp_path / "subs", tmp_path / "staging")
    assert mallory.problem == "link" and "blocks.py" in mallory.message and mallory.staged is None


def test_non_utf8_found_without_running_and_syntax_left_to_the_sandbox(tmp_path):
    """The grader decodes but never compiles student code: compile() is quadratic on crafted input."""
    bad = copy_reference(tmp_path / "subs" / "syntax")
    (bad / "blocks.py").write_text("def conv_block(:\n")
    latin = copy_reference(tmp_path / "subs" / "latin")
    (latin / "metrics.py").write_bytes('"""caf\xe9"""\n'.encode("latin-1"))
    (latin_sub, syntax_sub), _ = collect(tmp_path / "subs", tmp_path / "staging")
    assert syntax_sub.problem == "" and (syntax_sub.staged / "blocks.py").read_text() == "def conv_block(:\n"
    assert latin_sub.problem == "syntax error"
    assert "metrics.py is not UTF-8 text (byte 0xe9" in latin_sub.message


def test_frames_round_trip_and_refuse_bombs_and_pickles():
    message = {"seq": 3, "outcome": {"status": "ok", "answer": {"y": np.arange(6.0).reshape(2, 3)}, "detail": ""}}
    read, write = os.pipe()
    protocol.write_frame(write, message)
    got = protocol.read_frame(read)
    np.testing.assert_array_equal(got["outcome"]["answer"]["y"], message["outcome"]["answer"]["y"])
    # A deflated npz member that inflates past the cap is refused before NumPy reads it.
    buffer = io.BytesIO()
    np.savez_compressed(buffer, a0=np.zeros(2**22), __json__=np.array('{"answer": {"__array__": "a0"}}'))
    with pytest.raises(protocol.ProtocolError, match="size limit"):
        protocol.decode(buffer.getvalue(), max_bytes=2**20)
    # Object arrays (pickles) are refused.
    buffer = io.BytesIO()
    np.savez(buffer, a0=np.array([object()], dtype=object), __json__=np.array("{}"))
    with pytest.raises(protocol.ProtocolError, match="not plain data"):
        protocol.decode(buffer.getvalue())
    # A frame announcing more than the cap is refused unread.
    os.write(write, protocol.HEADER.pack(2**40))
    with pytest.raises(protocol.ProtocolError, match="exceeds"):
        protocol.read_frame(read)
    os.close(read)
    os.close(write)


def test_submit_zips_assignment_with_top_level_folder(tmp_path):
    (tmp_path / "assignment").mkdir()
    for name in GRADED:
        (tmp_path / "assignment" / name).write_bytes((ASSIGNMENT_DIR / name).read_bytes())
    (tmp_path / "assignment" / "work.ipynb").write_text("{}")
    (tmp_path / "assignment" / "__pycache__").mkdir()
    (tmp_path / "assignment" / "__pycache__" / "x.pyc").write_bytes(b"\0")
    path, names, warnings = make_submission(tmp_path / "assignment", tmp_path / "out" / "submission.zip")
    assert names == ["assignment/__init__.py", "assignment/blocks.py", "assignment/metrics.py",
                     "assignment/threshold.py", "assignment/work.ipynb"]
    assert zipfile.ZipFile(path).namelist() == names
    assert any("conv_block in blocks.py still raises NotImplementedError" in w for w in warnings)
    first = path.read_bytes()
    make_submission(tmp_path / "assignment", path)
    assert path.read_bytes() == first, "same files, same zip"


def test_gradebook_format_is_deterministic():
    assert [fmt(v) for v in (0, 9.0, 2.5, 1 / 3, -0.0, 46.004)] == ["0", "9", "2.5", "0.33", "0", "46"]
    records = [{"student_id": "b", "questions": {"metrics": 1 / 3}, "total": 1 / 3, "max_total": 11, "status": "ok"},
               {"student_id": "a,\"x\"", "questions": {"metrics": 11.0}, "total": 11.0, "max_total": 11,
                "status": "timeout, crash"}]
    assert gradebook_csv(records) == ('student_id,metrics,total,max_total,status\n'
                                      '"a,""x""",11,11,11,"timeout, crash"\n'
                                      'b,0.33,0.33,11,ok\n')


def test_hidden_feedback_carries_no_student_text():
    """A student's exception name or message could spell out a hidden input; feedback shows neither."""
    from grader.plan import build_plan
    from grader.grading import _hidden_message
    from saltlab.checks.core import Outcome

    hidden = next(p for p in build_plan(1, only="precision.random").checks if p.entry.hidden)
    smuggled = _hidden_message(hidden, outcome=Outcome("error", detail="H_3x57x88: boom (metrics.py:3 in f)"))
    assert "H_3x57x88" not in smuggled and "boom" not in smuggled and "raised an exception" in smuggled
    builtin = _hidden_message(hidden, outcome=Outcome("error", detail="ValueError: shapes (3, 57, 88) differ"))
    assert "raised ValueError" in builtin and "57" not in builtin
    stub = _hidden_message(hidden, outcome=Outcome("not_implemented", detail="x=[1, 0, 1]"))
    assert "not implemented yet: precision" in stub and "[1, 0, 1]" not in stub
