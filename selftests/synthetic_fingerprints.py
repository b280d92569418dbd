"""Fingerprints of the synthetic generator's output, pinned in ``fixtures/synthetic_fingerprints.json``.

A fingerprint holds, for ``synthesize(n, seed=seed, level=level)``, the
sha256 of the ids, of the masks and of the depths, and per image the first
16 hex digits of the sha256 of its pixels and the sum of its pixels.
``selftests/test_data_synthetic.py`` compares the generator's output with
them: ids, masks and depths exactly, images exactly but for a few (see
:func:`compare`), because the generator's float32 matrix products go
through the BLAS library, whose kernels differ by processor (measured: with
OpenBLAS's AVX-512 kernels instead of its AVX2 ones, 4 pixels of
``synthesize(480, seed=0, level="easy")`` move by one grey level, in 4 of
480 images; 21 pixels in 19 of 4000 images at the ``tgs`` level; masks
identical).

Pin a new version (after raising ``LEVEL_VERSIONS``)::

    OPENBLAS_CORETYPE=Haswell python selftests/synthetic_fingerprints.py tgs 40 3 --version 3

(``OPENBLAS_CORETYPE=Haswell`` so that the pins are those of the AVX2
kernels, as the first ones were; any kernel would do.)
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

PINS = Path(__file__).parent / "fixtures" / "synthetic_fingerprints.json"

MAX_MOVED_SHARE = 0.02
"""At most this share of the images (and at least one) may differ from their pins."""

MAX_SUM_CHANGE = 4
"""A differing image's pixel sum may move by at most this much (a few pixels by one grey level)."""


def _sha(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def fingerprint(data):
    """dict: the fingerprint of a SaltSet (see the module's docstring)."""
    return {
        "ids": hashlib.sha256("".join(data.ids).encode()).hexdigest(),
        "masks": _sha(data.masks),
        "depths": _sha(data.depths),
        "image_sha": [_sha(image)[:16] for image in data.images],
        "image_sum": [int(image.sum(dtype=np.int64)) for image in data.images],
    }


def compare(data, pinned):
    """Problems of ``data`` against a pinned fingerprint: an empty list when it matches.

    Ids, masks and depths must match exactly; every image too, except at most
    :data:`MAX_MOVED_SHARE` of them (at least one), each of whose pixel sum
    is within :data:`MAX_SUM_CHANGE` of its pin: what another processor's
    rounding does, where a change of the generator moves nearly every image.
    """
    found = fingerprint(data)
    problems = [f"{key} differ" for key in ("ids", "masks", "depths") if found[key] != pinned[key]]
    if len(found["image_sha"]) != len(pinned["image_sha"]):
        return problems + [f"{len(found['image_sha'])} images, {len(pinned['image_sha'])} pinned"]
    moved = [i for i, (a, b) in enumerate(zip(found["image_sha"], pinned["image_sha"])) if a != b]
    allowed = max(1, int(MAX_MOVED_SHARE * len(pinned["image_sha"])))
    if len(moved) > allowed:
        problems.append(f"{len(moved)} of {len(pinned['image_sha'])} images differ (at most {allowed} may)")
    far = [i for i in moved if abs(found["image_sum"][i] - pinned["image_sum"][i]) > MAX_SUM_CHANGE]
    if far:
        problems.append(f"images {far[:10]} differ by more than {MAX_SUM_CHANGE} in their pixel sums")
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description="pin the fingerprint of synthesize(n, seed, level)")
    parser.add_argument("level")
    parser.add_argument("n", type=int)
    parser.add_argument("seed", type=int)
    parser.add_argument("--version", type=int, help="the level's generator version (LEVEL_VERSIONS)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from saltlab.data import synthesize

    pins = json.loads(PINS.read_text()) if PINS.is_file() else {}
    key = f"{args.level} v{args.version} n{args.n} seed{args.seed}" if args.version else \
        f"{args.level} n{args.n} seed{args.seed}"
    if key in pins:
        print(f"{key}: already pinned; a pin is never rewritten (raise the version instead)", file=sys.stderr)
        return 1
    pins[key] = fingerprint(synthesize(args.n, seed=args.seed, level=args.level))
    PINS.write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n")
    print(f"pinned {key} in {PINS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
