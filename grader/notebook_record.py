"""Inside the student's kernel: record what a notebook test calls, as plain data; decide nothing.

The grader (:mod:`grader.notebooks`) replaces each autograded test cell of
the notebook it runs in the sandbox by a cell of its own that calls
:func:`record_test` with the test's source (taken from the *source*
notebook, never the student's copy). Here, in the student's kernel, the test
runs once with the student's names (``salt_coverage``, ``clean_up``,
``build_unet``, ``impl``) wrapped: every top-level call's arguments and
result, or the exception it raised, is written as plain data
(:mod:`saltlab.checks.plaindata`) to ``$SALTLAB_RECORDS/<grade_id>.npz``.
Whether the test's assertions pass here is ignored: the grader replays the
test in its own process on the recorded values (:mod:`grader.notebook_replay`).

Everything here runs beside the student's code and can be tampered with;
that is fine, since a tampered record can only change *the student's own
values*, which the grader then checks as it checks any answer. This module
is bound into the sandbox (``grader.sandbox.WORKER_FILES``): standard
library, NumPy and ``saltlab.checks.plaindata`` only.

Encoding (read back by :func:`grader.notebook_replay.decode`): JSON scalars
as themselves (strings capped), numeric arrays as arrays, and tagged dicts
``{"__tuple__": [...]}``, ``{"__dict__": {...}}``, ``{"__scalar__": 0-d array}``,
``{"__model__": {"input_shape", "output_shape", "layers"}}`` (a Keras model's
shapes) and ``{"__opaque__": "<type>"}`` for anything else.
"""

import importlib
import os

RECORDS_ENV = "SALTLAB_RECORDS"
"""Environment variable naming the folder the records are written to (set by :mod:`grader.notebook_worker`)."""
MAX_CALLS = 64
"""Top-level calls recorded per test (an honest test makes a handful)."""
MAX_ELEMENTS = 2**20
"""Elements of one recorded array; larger ones are recorded as opaque (the tests use toy inputs)."""
MAX_ITEMS = 1000
"""Items of one recorded list, tuple or dict, and layers of one model."""
MAX_DEPTH = 12
MAX_TEXT = 2000


def _opaque(value):
    try:
        return {"__opaque__": str(type(value).__name__)[:100]}
    except Exception:
        return {"__opaque__": "unknown"}


def _is_keras_model(value):
    module = type(value).__module__ or ""
    return module.split(".")[0] in ("keras", "tensorflow", "tf_keras") and hasattr(value, "layers") \
        and hasattr(value, "output_shape")


def _shape(shape):
    return {"__tuple__": [None if d is None else int(d) for d in tuple(shape)][:MAX_ITEMS]}


def encode(value, depth=0):
    """``value`` as tagged plain data; never raises (an unreadable value is opaque)."""
    import numpy as np

    try:
        if depth > MAX_DEPTH:
            return _opaque(value)
        if value is None or type(value) in (bool, int, float):
            return value
        if type(value) is str:
            return value[:MAX_TEXT]
        if type(value) is np.ndarray:
            if value.dtype.kind not in "biuf" or value.size > MAX_ELEMENTS:
                return _opaque(value)
            return np.array(value, copy=True)
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return {"__scalar__": np.asarray(value).copy()}
        if type(value) is tuple:
            return {"__tuple__": [encode(v, depth + 1) for v in value[:MAX_ITEMS]]}
        if type(value) is list:
            return [encode(v, depth + 1) for v in value[:MAX_ITEMS]]
        if type(value) is dict:
            items = list(value.items())[:MAX_ITEMS]
            return {"__dict__": {str(k)[:200]: encode(v, depth + 1) for k, v in items if type(k) is str}}
        if _is_keras_model(value):
            return {"__model__": {"input_shape": _shape(value.input_shape), "output_shape": _shape(value.output_shape),
                                  "layers": {str(layer.name)[:200]: _shape(layer.output.shape)
                                             for layer in list(value.layers)[:MAX_ITEMS]}}}
    except Exception:  # a hostile __len__, __iter__, property...: the value cannot be read
        pass
    return _opaque(value)


class _Recording:
    def __init__(self, grade_id):
        self.grade_id = grade_id
        self.record = {"grade_id": grade_id, "names": {}, "calls": []}
        self.depth = 0

    def save(self):
        from saltlab.checks import plaindata

        folder = os.environ.get(RECORDS_ENV)
        if not folder:
            return
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{self.grade_id}.npz")
        with open(path + ".part", "wb") as handle:
            handle.write(plaindata.dumps(self.record))
        os.replace(path + ".part", path)

    def wrap(self, name, function):
        recording = self

        def recorded(*args, **kwargs):
            if recording.depth or len(recording.record["calls"]) >= MAX_CALLS:
                return function(*args, **kwargs)  # an inner call (recursion) or too many: not recorded
            entry = {"name": name, "args": encode(list(args)), "kwargs": encode(dict(kwargs))}
            recording.depth += 1
            try:
                result = function(*args, **kwargs)
            except Exception as error:
                entry["raised"] = {"type": type(error).__name__[:100], "message": _message(error)}
                raise
            else:
                entry["result"] = encode(result)
            finally:
                recording.depth -= 1
                # what the call left in its arguments: a function that changes its input in place
                # changes the test's next inputs, and the grader's replay must see the same
                entry["args_after"] = encode(list(args))
                entry["kwargs_after"] = encode(dict(kwargs))
                recording.record["calls"].append(entry)
                recording.save()
            return result

        return recorded


def _message(error):
    try:
        return str(error)[:MAX_TEXT]
    except Exception:
        return "(the exception's message cannot be read)"


def _library(spec):
    module, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module), attribute)


def record_test(namespace, grade_id, source, names, library=None):
    """Run a test's source in the kernel's namespace with ``names`` recorded, and write the record.

    Parameters
    ----------
    namespace : dict
        The kernel's globals (the student's names).
    grade_id : str
        The test cell's nbgrader id (the record's file name).
    source : str
        The test cell's source, from the source notebook.
    names : list of str
        The names the test uses that are the student's (or run the student's code).
    library : dict, optional
        ``{name: "module:attribute"}``: names taken from the course's library
        rather than from the student's namespace (``build_unet``).
    """
    library = library or {}
    recording = _Recording(grade_id)
    saved = {}
    try:
        for name in names:
            try:
                value = _library(library[name]) if name in library else namespace[name]
            except Exception:
                recording.record["names"][name] = {"kind": "missing"}
                continue
            if callable(value) and not isinstance(value, type):
                recording.record["names"][name] = {"kind": "callable"}
                saved[name] = namespace.get(name, saved)
                namespace[name] = recording.wrap(name, value)
            else:
                recording.record["names"][name] = {"kind": "value", "value": encode(value)}
        recording.save()
        try:
            exec(compile(source, f"<{grade_id}>", "exec"), namespace)
        except Exception:  # the grader replays the test and decides; nothing here counts
            pass
    finally:
        for name, value in saved.items():
            if value is saved:
                namespace.pop(name, None)
            else:
                namespace[name] = value
        recording.save()
