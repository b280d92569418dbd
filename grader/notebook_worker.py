"""Inside the sandbox: execute one prepared notebook with nbgrader's ``Execute`` and send its outputs back.

Run by the grader (:mod:`grader.notebooks`) as
``python -m grader.notebook_worker /submission/<prepared notebook>``, in the
same cage as :mod:`grader.worker` (bubblewrap, resource limits, control
group). The notebook it is given was prepared in the grader's process
(nbgrader's sanitizing preprocessors put the source's test cells back); this
side only runs it: a kernel starts here, so every line of the student's code
runs under the sandbox's limits, never in the grader.

It speaks :mod:`grader.protocol` like the ``.py`` worker: a ready frame, then
one request (cell timeout) and one reply: the outputs of every cell by
position, and the records the test cells left (:mod:`grader.notebook_record`:
the student's functions' results on each test's inputs, plain data). Nothing
in the reply is trusted: the grader cleans the outputs, keeps only outputs
(never sources or metadata), replays each test on its record in its own
process (:mod:`grader.notebook_replay`) and scores with nbgrader's own code
there.
"""

import os
import sys

GRADING_DATA = "/tmp/grading-data"
"""Where a small synthetic dataset is written for the notebooks (``DATA`` of the injected parameters)."""
GRADING_IMAGES = 32
"""Images of that dataset: enough for the notebooks' plots; nothing trains at grading time."""
KEPT_MIME = ("text/plain",)
"""Rich outputs kept besides streams and errors: plain text only (no HTML, scripts or images)."""
MAX_RECORD_BYTES = 8 * 2**20
"""A test's record file larger than this is not read (an honest one holds toy arrays: a few kB)."""
MAX_RECORD_ARRAYS = 48
"""Arrays per record (the reply frame carries at most ``protocol.MAX_MEMBERS`` in all)."""


def _private_channels():
    """Move the protocol off fds 0 and 1 (the kernel inherits neither); fd 1 becomes the log."""
    requests, responses = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return requests, responses


def _plain_outputs(cell):
    """A code cell's outputs reduced to text: streams, errors, and the text/plain part of results."""
    kept = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            kept.append({"output_type": "stream", "name": output.get("name"), "text": output.get("text", "")})
        elif kind == "error":
            kept.append({"output_type": "error", "ename": output.get("ename", ""), "evalue": output.get("evalue", ""),
                         "traceback": list(output.get("traceback", []))[-30:]})
        elif kind in ("execute_result", "display_data"):
            data = {k: v for k, v in output.get("data", {}).items() if k in KEPT_MIME}
            kept.append({"output_type": kind, "data": data})
    return kept


def _records(folder):
    """The test records the kernel left (:mod:`grader.notebook_record`), ``{grade_id: plain data or {"unreadable"}}``.

    The kernel may have written anything there; only files within the size cap
    are read, and only as plain data. The grader checks them again.
    """
    from saltlab.checks import plaindata

    records = {}
    for name in sorted(os.listdir(folder))[:16]:
        if not name.endswith(".npz"):
            continue
        path = os.path.join(folder, name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as handle:
                blob = handle.read(MAX_RECORD_BYTES + 1)
            if len(blob) > MAX_RECORD_BYTES:
                raise ValueError("too large")
            record = plaindata.loads(blob)
            if _count_arrays(record) > MAX_RECORD_ARRAYS:
                raise ValueError("too many arrays")
        except Exception as error:
            record = {"unreadable": f"{type(error).__name__}: {str(error)[:200]}"}
        records[name[:-len(".npz")][:100]] = record
    return records


def _count_arrays(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return 1
    if isinstance(value, dict):
        return sum(_count_arrays(v) for v in value.values())
    if isinstance(value, list):
        return sum(_count_arrays(v) for v in value)
    return 0


def run(path, cell_timeout):
    """Execute the notebook at ``path``; return the per-cell outputs (None for markdown cells) and the test records."""
    import tempfile

    import nbformat
    from nbgrader.preprocessors import Execute

    from grader.notebook_record import RECORDS_ENV
    from saltlab.data.writer import generate_dataset

    generate_dataset(GRADING_DATA, n=GRADING_IMAGES, seed=0, level="easy", force=True)
    # The kernel runs in a writable folder, not here: it finds saltlab where this process did.
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))
    os.environ[RECORDS_ENV] = records = tempfile.mkdtemp(prefix="notebook-records-")
    nb = nbformat.read(path, as_version=4)
    os.makedirs("/tmp/notebook", exist_ok=True)
    executor = Execute(timeout=int(cell_timeout), execute_retries=0)
    nb, _ = executor.preprocess(nb, {"metadata": {"path": "/tmp/notebook"}, "nbgrader": {}})
    cells = [{"outputs": _plain_outputs(cell)} if cell.cell_type == "code" else None for cell in nb.cells]
    return cells, _records(records)


def main(argv=None):
    """Ready frame, one request ``{"seq", "cell_timeout"}``, one reply ``{"seq", "cells", "records"}`` or ``{"seq", "error"}``."""
    argv = sys.argv[1:] if argv is None else argv
    requests, responses = _private_channels()
    from grader import protocol

    protocol.write_frame(responses, {"seq": 0, "ready": True, "kind": "", "error": ""})
    request = protocol.read_frame(requests, max_bytes=protocol.MAX_REQUEST_BYTES)
    try:
        cells, records = run(argv[0], float(request.get("cell_timeout", 60)))
        reply = {"seq": request.get("seq"), "cells": cells, "records": records}
    except BaseException as error:  # the kernel died, the notebook would not start: the grader says so
        reply = {"seq": request.get("seq"), "error": f"{type(error).__name__}: {str(error)[:1000]}"}
    protocol.write_frame(responses, reply)
    return 0


if __name__ == "__main__":
    sys.exit(main())
