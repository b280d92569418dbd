"""In the grader: run a notebook's test cell on the values the student's kernel recorded.

The verdict half of a notebook test (the probe half is
:mod:`grader.notebook_record`, in the sandbox). The test cell's source, from
the *source* notebook, is executed here, in the grader's process, in a fresh
namespace: NumPy is the grader's own (:data:`TRUSTED_NAMES`), and every name
that belongs to the student (``salt_coverage``, ``clean_up``,
``build_unet(impl=impl)``) is a stand-in that answers each call with the
student's recorded result for the *same* arguments, or raises what the
student's function raised. The assertions are the grader's, on the grader's
NumPy; nothing the kernel printed, raised, patched or displayed takes part.

Threat model. The kernel is the student's: it can patch ``numpy.testing``,
``AssertionError``, IPython's traceback display, ``sys.excepthook``, print
fake outputs, and write anything into its record file. None of that reaches
the verdict: only the record does, and it is

- decoded here as tagged plain data (:func:`decode`): numeric arrays of
  bounded size, JSON scalars, strings capped, tuples/lists/dicts of bounded
  size and depth, a Keras model reduced to its shapes; anything else is an
  error of the record, which fails the test (never the grader);
- matched by argument: a recorded call counts only for the exact inputs
  (dtype, shape, bytes) the grader's own run of the test passes, so a kernel
  that altered the test's inputs gains nothing.

Writing a test cell: it may use NumPy as ``np``, the student's functions and
values (anything it does not define; each call's arguments and result must
be plain data: numbers, strings, NumPy arrays, tuples, lists, dicts, or a
Keras model, of which the shapes are kept), and the names of
:data:`LIBRARY_NAMES`. Another module must be added to
:data:`TRUSTED_NAMES`; ``test_notebook_grading.py`` checks that the
reference passes every test cell.

What remains possible is what any autograder allows: the kernel sees the
test's inputs (hidden ones included) when it runs, so a student may
hard-code right answers for them, or fake the values of the library function
a test calls (``build_unet``). That is answering, not forging a verdict; the
``.py`` checks grade the blocks behind ``build_unet`` independently.
"""

import ast
import builtins
import traceback

import numpy as np

from .notebook_record import MAX_CALLS, MAX_DEPTH, MAX_ELEMENTS, MAX_ITEMS, MAX_TEXT

TRUSTED_NAMES = {"np": np}
"""Names a test uses that are bound here to the grader's own objects, never recorded."""
LIBRARY_NAMES = {"build_unet": "saltlab.models:build_unet"}
"""Names that run the student's code but come from the course's library: the kernel records the
library's function (with the student's ``impl``), not whatever the student bound to the name."""


class RecordError(ValueError):
    """The record the kernel left is not what :mod:`grader.notebook_record` writes."""


class Opaque:
    """A value the kernel could not record as plain data (a module, a custom object): only its type name."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name} object>"


class RecordedLayer:
    def __init__(self, name, shape):
        self.name = name
        self.output = type("RecordedTensor", (), {"shape": shape})()


class RecordedModel:
    """A Keras model's shapes as recorded: ``input_shape``, ``output_shape``, ``get_layer(name).output.shape``."""

    def __init__(self, input_shape, output_shape, layers):
        self.input_shape, self.output_shape, self._layers = input_shape, output_shape, layers

    @property
    def layers(self):
        return [RecordedLayer(name, shape) for name, shape in self._layers.items()]

    def get_layer(self, name):
        if name not in self._layers:
            raise ValueError(f"No such layer: {name}. The model's layers: {', '.join(list(self._layers)[:40])}")
        return RecordedLayer(name, self._layers[name])


class StudentError(Exception):
    """What a student's function raised in the kernel, by type name and message (never the object)."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name


class NotRecorded(AssertionError):
    """The test calls a function with inputs the kernel never passed it."""


def _text(value, what):
    if not isinstance(value, str):
        raise RecordError(f"{what} is not a string")
    return value[:MAX_TEXT]


def _shape(value):
    if not isinstance(value, tuple) or not all(d is None or (isinstance(d, int) and 0 <= d < 2**31) for d in value):
        raise RecordError("a recorded shape is not a tuple of sizes")
    return value


def decode(value, depth=0):
    """Tagged plain data (as :func:`grader.notebook_record.encode` writes it) back to values.

    Raises
    ------
    RecordError
        For anything else: wrong types, unknown tags, too deep, too large.
    """
    if depth > MAX_DEPTH + 2:
        raise RecordError("the record is nested too deeply")
    if value is None or isinstance(value, (bool, int)):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**63:
            raise RecordError("a recorded integer is too large")
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.size > MAX_ELEMENTS or value.ndim > 32:
            raise RecordError(f"a recorded array ({value.dtype}, {value.size} elements) is not small numeric data")
        return value
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            raise RecordError("a recorded list is too long")
        return [decode(v, depth + 1) for v in value]
    if not isinstance(value, dict) or len(value) != 1:
        raise RecordError(f"the record holds a {type(value).__name__} that is not tagged plain data")
    (tag, inner), = value.items()
    if tag == "__tuple__" and isinstance(inner, list) and len(inner) <= MAX_ITEMS:
        return tuple(decode(v, depth + 1) for v in inner)
    if tag == "__dict__" and isinstance(inner, dict) and len(inner) <= MAX_ITEMS:
        return {str(k): decode(v, depth + 1) for k, v in inner.items()}
    if tag == "__scalar__" and isinstance(inner, np.ndarray) and inner.ndim == 0 and inner.dtype.kind in "biuf":
        return inner[()]
    if tag == "__opaque__":
        return Opaque(_text(inner, "an opaque value's type"))
    if tag == "__model__" and isinstance(inner, dict) and set(inner) == {"input_shape", "output_shape", "layers"}:
        layers = inner["layers"]
        if not isinstance(layers, dict) or len(layers) > MAX_ITEMS:
            raise RecordError("a recorded model's layers are not a table of shapes")
        return RecordedModel(_shape(decode(inner["input_shape"], depth + 1)),
                             _shape(decode(inner["output_shape"], depth + 1)),
                             {str(k)[:200]: _shape(decode(v, depth + 1)) for k, v in layers.items()})
    raise RecordError(f"the record holds an unknown tag {str(tag)[:40]!r}")


def _key(value):
    """A comparable identity of a value: arrays by dtype, shape and bytes (NaN equal to itself)."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, np.ascontiguousarray(value).tobytes())
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.tobytes())
    if isinstance(value, float):
        return ("float", repr(value))
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, _key(v)) for k, v in value.items())))
    if isinstance(value, Opaque):
        return ("opaque", value.type_name)
    if value is None or isinstance(value, (bool, int, str)):
        return (type(value).__name__, value)
    return ("object", type(value).__name__, id(value))  # never equal to anything recorded


def _changed_in_place(args, kwargs, after):
    """Write into the grader's argument arrays what the student's function left in the kernel's (same shape, dtype)."""
    after_args, after_kwargs = after
    pairs = list(zip(args, after_args)) + [(kwargs[k], after_kwargs[k]) for k in kwargs if k in after_kwargs]
    for mine, theirs in pairs:
        if isinstance(mine, np.ndarray) and isinstance(theirs, np.ndarray) and mine.flags.writeable \
                and mine.shape == theirs.shape and mine.dtype == theirs.dtype:
            np.copyto(mine, theirs)


class _Replayer:
    """Stands in for a student's function: each call answered from the record, by argument."""

    def __init__(self, name, calls):
        self.name, self.calls, self.used = name, calls, set()

    def __call__(self, *args, **kwargs):
        key = _key((list(args), dict(kwargs)))
        for index, call in enumerate(self.calls):
            if index not in self.used and call["key"] == key:
                self.used.add(index)
                _changed_in_place(args, kwargs, call["after"])
                if "raised" in call:
                    raise StudentError(*call["raised"])
                return call["result"]
        raise NotRecorded(f"{self.name} was not called with the test's inputs when your notebook ran "
                          "(a cell before the test stopped, or the inputs were changed there)")

    def __repr__(self):
        return f"<your {self.name}>"


def _calls(record):
    calls = record.get("calls")
    if not isinstance(calls, list) or len(calls) > MAX_CALLS:
        raise RecordError("the record's calls are not a list of at most %d calls" % MAX_CALLS)
    by_name = {}
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise RecordError("a recorded call is not a table with a name")
        args, kwargs = decode(call.get("args")), decode(call.get("kwargs"))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise RecordError("a recorded call's arguments are not a list and a table")
        after = decode(call.get("args_after", [])), decode(call.get("kwargs_after", {"__dict__": {}}))
        if not isinstance(after[0], list) or not isinstance(after[1], dict):
            raise RecordError("a recorded call's arguments after the call are not a list and a table")
        entry = {"key": _key((args, kwargs)), "after": after}
        raised = call.get("raised")
        if raised is not None:
            if not isinstance(raised, dict):
                raise RecordError("a recorded exception is not a table")
            entry["raised"] = (_text(raised.get("type"), "an exception's type")[:100],
                               _text(raised.get("message"), "an exception's message"))
        elif "result" in call:
            entry["result"] = decode(call["result"])
        else:
            raise RecordError("a recorded call has neither a result nor an exception")
        by_name.setdefault(call["name"], []).append(entry)
    return by_name


def student_names(source):
    """The names a test's source uses without defining them: the student's, the library's and :data:`TRUSTED_NAMES`.

    Returns
    -------
    names : list of str
        Sorted; builtins excluded.
    """
    tree = ast.parse(source)
    loaded, stored = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else stored).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            stored.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return sorted(loaded - stored - set(dir(builtins)))


def recording_source(grade_id, source):
    """The cell the kernel runs in place of the test: it records, the grader decides."""
    names = [n for n in student_names(source) if n not in TRUSTED_NAMES]
    library = {n: LIBRARY_NAMES[n] for n in names if n in LIBRARY_NAMES}
    return ("# Injected by the grader: your functions' results on this test's inputs are recorded here;\n"
            "# the test itself runs in the grader, on those results.\n"
            "from grader.notebook_record import record_test as _grader_record_test\n"
            f"_grader_record_test(globals(), {grade_id!r}, {source!r}, {names!r}, {library!r})\n"
            "del _grader_record_test\n")


def _error_output(error, source, grade_id):
    """An nbformat error output (as IPython would show it) of an exception raised while replaying."""
    import nbformat

    if isinstance(error, StudentError):
        ename, evalue = error.type_name, str(error)
    else:
        ename, evalue = type(error).__name__, str(error)
    lines = source.splitlines()
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == f"<{grade_id}>"]
    trace = [f"{ename}: {evalue}"]
    for frame in frames[-1:]:
        if 0 < frame.lineno <= len(lines):
            trace.insert(0, f"----> {frame.lineno} {lines[frame.lineno - 1]}")
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=trace)


def replay(grade_id, source, record):
    """Run a test cell's source here on a kernel's record; the outputs nbgrader scores.

    Parameters
    ----------
    grade_id : str
    source : str
        The test cell's source from the source notebook (hidden tests included).
    record : dict or None
        The plain data :mod:`grader.notebook_record` left for this test, as
        the worker's reply carried it (untrusted); None when there is none.

    Returns
    -------
    outputs : list
        Empty when the test passes, else one error output (the failed
        assertion, or what the student's function raised).
    """
    import nbformat

    if not isinstance(record, dict):
        return [nbformat.v4.new_output("error", ename="NotRecorded", evalue=(
            "the test did not run in your notebook (an earlier cell stopped the kernel, or it ran out of time)"),
            traceback=[])]
    namespace = {"__builtins__": builtins, "__name__": f"grader_test_{grade_id}", **TRUSTED_NAMES}
    try:
        if "unreadable" in record:
            raise RecordError(f"the record file could not be read: {str(record['unreadable'])[:200]}")
        names = record.get("names")
        if not isinstance(names, dict) or len(names) > MAX_ITEMS:
            raise RecordError("the record's names are not a table")
        calls = _calls(record)
        for name in student_names(source):
            if name in TRUSTED_NAMES:
                continue
            info = names.get(name)
            kind = info.get("kind") if isinstance(info, dict) else None
            if kind == "callable":
                namespace[name] = _Replayer(name, calls.get(name, []))
            elif kind == "value":
                namespace[name] = decode(info.get("value"))
            elif kind != "missing":
                raise RecordError(f"the record does not say what {name} was")
    except (RecordError, RecursionError) as error:
        return [nbformat.v4.new_output("error", ename="RecordError", evalue=(
            f"what your notebook's kernel recorded for this test cannot be read ({error}); "
            "was the grader's recording tampered with?"), traceback=[])]
    try:
        exec(compile(source, f"<{grade_id}>", "exec"), namespace)
    except Exception as error:
        return [_error_output(error, source, grade_id)]
    return []

