"""TensorFlow's start-up notices are kept off the terminal, and nothing else is."""

import os
import subprocess
import sys
import textwrap

from saltlab.paths import REPO_ROOT

NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796219564.498576   10019 port.cc:153] oneDNN custom operations are on. You may see "
    "slightly different numerical results due to floating-point round-off errors from different "
    "computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
)


def _import_in_child(path, *, level="3"):
    """Run import_tensorflow() in a fresh interpreter whose ``tensorflow`` is found first on ``path``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(REPO_ROOT)]), "TF_CPP_MIN_LOG_LEVEL": level}
    code = ("import sys; sys.stderr.write('before\\n'); "
            "from saltlab.tensorflow_import import import_tensorflow; tf = import_tensorflow(); "
            "sys.stderr.write('after ' + tf.__name__ + '\\n')")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                          check=True)


def test_only_the_notices_are_dropped_and_the_rest_is_kept_in_order(tmp_path):
    """A stand-in `tensorflow` writes the notices and other lines to file descriptor 2, as the C++ libraries do."""
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text(textwrap.dedent(f"""
        import os
        os.write(2, {NOTICES!r}.encode())
        os.write(2, b"E0000 something TensorFlow really wants you to know\\n")
        os.write(2, {NOTICES!r}.encode())
        os.write(2, b"a last line without a newline")
    """))
    shown = _import_in_child(tmp_path).stderr
    assert shown == ("before\nE0000 something TensorFlow really wants you to know\n"
                     "a last line without a newlineafter tensorflow\n")
    # Asked for TensorFlow's information lines: everything is shown.
    assert _import_in_child(tmp_path, level="0").stderr.count("oneDNN custom operations are on") == 2


def test_an_import_that_fails_still_restores_the_terminal(tmp_path):
    fake = tmp_path / "tensorflow"
    fake.mkdir()
    (fake / "__init__.py").write_text("import os\nos.write(2, b'why it failed\\n')\nraise ImportError('no libcudart')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO_ROOT)])}
    code = ("import sys\nfrom saltlab.tensorflow_import import import_tensorflow\n"
            "try:\n    import_tensorflow()\nexcept ImportError as error:\n    sys.stderr.write(f'caught {error}\\n')\n")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == "why it failed\ncaught no libcudart\n"


def test_the_real_tensorflow_says_nothing_at_import():
    shown = _import_in_child(REPO_ROOT / "no-such-folder").stderr
    assert "oneDNN custom operations" not in shown and "absl::InitializeLog" not in shown
    assert shown.startswith("before\n") and shown.endswith("after tensorflow\n")
