"""Import TensorFlow without its start-up notices on the terminal.

TensorFlow 2.21 writes two lines to the process's standard error at import,
twice (once per shared library), whatever ``TF_CPP_MIN_LOG_LEVEL`` says::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 00:00:... port.cc:153] oneDNN custom operations are on. You may see slightly
    different numerical results due to floating-point round-off errors ...

They come from C++ (absl logging, before anything initialises it), so
neither the environment variable (set in :mod:`saltlab`) nor Python's
``logging`` reaches them. A student saw them above every ``make test``; the
second reads like a warning about their own results. :func:`import_tensorflow`
points file descriptor 2 at a temporary file while TensorFlow imports, then
writes back every line but these (anything else TensorFlow or a library
says at import still reaches the terminal, in order).

With ``TF_CPP_MIN_LOG_LEVEL=0`` (the user asked for TensorFlow's
information lines) nothing is filtered.
"""

import os
import re
import sys
import tempfile

STARTUP_NOTICES = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR\s*$"),
    re.compile(r"^I\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on\..*$"),
)
"""Whole lines dropped from what TensorFlow's import writes to standard error."""


def is_startup_notice(line):
    """Whether a line of standard error is one of TensorFlow's start-up notices.

    Parameters
    ----------
    line : str
        One line, with or without its newline.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_startup_notice("I0000 00:00:1796219564.498576   10019 port.cc:153] oneDNN custom operations are on. "
    ...                   "You may see slightly different numerical results.\\n")
    True
    >>> is_startup_notice("E0000 00:00:1.0 1 cuda_dnn.cc:8] Unable to register cuDNN factory\\n")
    False
    """
    text = line.rstrip("\n")
    return any(pattern.match(text) for pattern in STARTUP_NOTICES)


def import_tensorflow():
    """Import TensorFlow (once per process) with its start-up notices filtered out of standard error.

    Returns
    -------
    module
        ``tensorflow``.

    Notes
    -----
    Call it before anything else imports TensorFlow (``keras`` does); once
    TensorFlow is imported it returns the module and changes nothing. The
    redirection is of the file descriptor, so it also catches what the C++
    libraries write; Python's ``sys.stderr`` is flushed first so that
    nothing written before is reordered.
    """
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        import tensorflow

        return tensorflow
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import tensorflow
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            lines = capture.read().decode("utf-8", errors="replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not is_startup_notice(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
    return tensorflow
