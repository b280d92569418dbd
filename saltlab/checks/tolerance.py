"""How close two float32 results of TensorFlow must be to count as the same.

TensorFlow's CPU kernels choose their instruction path by processor (vector
width, fused multiply-add, the order in which a convolution's products are
summed), so the same model with the same weights gives outputs that differ in
the last bits from one machine to another: an Intel-made fixture recomputed
on an AMD EPYC differed by up to 3.3e-6 on values up to 7.6, that is 3.7 float32
ulps *of the output's largest magnitude* (values near zero carry the absolute
error of the sums that produced them, so their *relative* error is large).
macOS/ARM differ in the same way. A comparison that demands bit-level
agreement fails there although nothing changed.

So array answers of Keras models are compared with an absolute tolerance
scaled by the largest magnitude of the expected array, never to the bit:
:data:`CROSS_MACHINE_ULPS` float32 ulps of that scale (16 times the largest
difference measured across processors), on top of a relative tolerance. A
real change of a computation (another activation, padding, initialisation,
channel order) moves values by 1e-2 of the scale or more, a thousand times
the tolerance, so it is still caught.

Results computed in float64 from integer counts (precision, recall, F1,
IoU of thresholded masks) are exact on every IEEE machine and keep their
tight tolerances (see the checks that compare them).
"""

import numpy as np

FLOAT32_EPS = float(np.finfo(np.float32).eps)
"""2**-23, about 1.19e-7: the spacing of float32 numbers just above 1."""

CROSS_MACHINE_ULPS = 64
"""Allowed difference, in float32 ulps of the expected array's largest magnitude."""


def float32_atol(expected, ulps=CROSS_MACHINE_ULPS):
    """Absolute tolerance for a float32 array computed on another processor.

    Parameters
    ----------
    expected : array_like
        The expected values (any shape).
    ulps : float, optional
        How many float32 ulps of the array's scale to allow.

    Returns
    -------
    atol : float
        ``ulps * eps32 * max(1, max|expected|)``: at least ``ulps`` ulps of 1,
        so small arrays keep a usable tolerance.

    Examples
    --------
    >>> round(float32_atol([0.5, -7.5]) / FLOAT32_EPS)
    480
    >>> round(float32_atol([0.001]) / FLOAT32_EPS)
    64
    """
    expected = np.asarray(expected, dtype=float)
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    if not np.isfinite(scale):
        scale = 0.0
    return ulps * FLOAT32_EPS * max(1.0, scale)
