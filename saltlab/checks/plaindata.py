"""Plain data: the only thing that crosses between a probe and a verdict.

An *answer* is a dict whose values are JSON values (None, bool, int, float,
str, lists and dicts of those) or NumPy arrays of numbers. It is stored as one
``.npz`` file: arrays as themselves, everything else as one JSON string.
Reading never unpickles (``allow_pickle=False``), so data from untrusted code
cannot run code in the reader.
"""

import io
import json
import math

import numpy as np

_JSON_KEY = "__json__"
_ALLOWED_KINDS = "biuf"  # bool, signed, unsigned, float


class PlainDataError(ValueError):
    """Data that is not plain (an object array, a custom class, ...)."""


def _split(value, arrays, path):
    """Replace every array in ``value`` by a reference and collect it in ``arrays``."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _ALLOWED_KINDS:
            raise PlainDataError(f"{path}: array of dtype {value.dtype} is not plain numeric data")
        key = f"a{len(arrays)}"
        arrays[key] = value
        return {"__array__": key}
    if isinstance(value, np.generic):
        return _split(value.item(), arrays, path)
    if isinstance(value, dict):
        return {str(k): _split(v, arrays, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_split(v, arrays, f"{path}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        # JSON has no NaN/inf; keep them as tagged strings.
        return value if math.isfinite(value) else {"__float__": repr(value)}
    raise PlainDataError(f"{path}: {type(value).__name__} is not plain data")


def _join(value, arrays):
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        if set(value) == {"__float__"}:
            return float(value["__float__"])
        return {k: _join(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_join(v, arrays) for v in value]
    return value


def dumps(data):
    """Serialise plain data to bytes (an ``.npz`` archive)."""
    arrays = {}
    skeleton = _split(data, arrays, "answer")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_JSON_KEY: np.array(json.dumps(skeleton, sort_keys=True))})
    return buffer.getvalue()


def loads(blob):
    """Read bytes written by :func:`dumps`, never unpickling anything."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files if k != _JSON_KEY}
        for key, array in arrays.items():
            if array.dtype.kind not in _ALLOWED_KINDS:
                raise PlainDataError(f"array {key} has dtype {array.dtype}, not plain numeric data")
        skeleton = json.loads(str(archive[_JSON_KEY]))
    return _join(skeleton, arrays)


def to_plain(value):
    """Round-trip ``value`` through the format; raises PlainDataError if it is not plain."""
    return loads(dumps(value))
