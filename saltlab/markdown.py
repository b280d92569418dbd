"""Markdown report writing: tables, mean ± std cells, figure links.

Kept free of numerical work: callers pass numbers, this module only
formats them, so the demo's report and the experiments' summary read alike.
"""

import math
import os
from pathlib import Path

import numpy as np


def markdown_table(headers, rows, *, align=None):
    """A GitHub-flavoured markdown table.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequence
        Cells are converted with ``str`` (format numbers before).
    align : sequence of {'l', 'r'}, optional
        Per column; default: left for the first column, right for the rest.

    Returns
    -------
    table : str
        Lines joined with newlines, ending with a newline.

    Examples
    --------
    >>> print(markdown_table(["variant", "IoU"], [["maxpool-concat", "0.821"]]), end="")
    | variant | IoU |
    | --- | ---: |
    | maxpool-concat | 0.821 |
    """
    align = align or ["l"] + ["r"] * (len(headers) - 1)
    rule = ["---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(map(str, headers)) + " |", "| " + " | ".join(rule) + " |"]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"markdown_table: a row has {len(row)} cells for {len(headers)} headers: {row!r}")
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
    return "\n".join(lines) + "\n"


def mean_std(values):
    """Mean and sample standard deviation (ddof=1) of a sequence.

    Returns
    -------
    mean, std : float, float
        ``std`` is NaN for fewer than two values (no spread is known).
    """
    values = np.asarray(list(values), dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    std = float(values.std(ddof=1)) if values.size > 1 else math.nan
    return float(values.mean()), std


def format_mean_std(values, *, digits=3):
    """``"0.712 ± 0.014"`` for several values, ``"0.712"`` for one.

    Parameters
    ----------
    values : sequence of float
    digits : int, optional

    Examples
    --------
    >>> format_mean_std([0.5, 0.7]), format_mean_std([0.712])
    ('0.600 ± 0.141', '0.712')
    """
    mean, std = mean_std(values)
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f}" if math.isnan(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def _number(value, digits, *, sign=False):
    # Round first so a tiny negative number prints as 0.000, not -0.000.
    value = round(value, digits) + 0.0
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def _interval(low, high, digits):
    return f"[{_number(low, digits)}, {_number(high, digits)}]"


def _digits_to_show(value, digits, *, most=6):
    """At least ``digits``, more if ``value`` would print as zero (at most ``most``)."""
    while digits < most and value != 0 and round(abs(value), digits) == 0:
        digits += 1
    return digits


def paired_sentence(name_a, name_b, comparison, *, metric="IoU", digits=3, detect=0.02):
    """One sentence stating a paired difference, its 95 % intervals and whether it is settled.

    Parameters
    ----------
    name_a, name_b : str
        The two variants (or strategies), A compared with B.
    comparison : saltlab.evaluation.paired.PairedComparison
        A - B, with ``over_seeds`` (t interval), ``over_images`` (bootstrap
        or ``None``), ``seeds_needed`` and ``settled``.
    metric : str, optional
        How the score is named in the sentence.
    digits : int, optional
    detect : float, optional
        The difference ``seeds_needed`` was computed for (stated in the sentence).

    Returns
    -------
    sentence : str
        Settled (every interval excludes 0, on the same side): "A is better
        than B by 0.031 IoU, 95 % CI [0.012, 0.050] over 3 seeds; bootstrap
        over 80 images [0.020, 0.043]", the better one named first and the
        intervals turned to match (with more digits when the difference
        would print as 0.000). Otherwise the signed difference A - B and
        its intervals, "not settled at this budget", and the seeds a
        difference of ``detect`` would need (and, when every interval lies
        within ±``detect``, that a difference that large is ruled out: said
        of a settled difference too, which is then real but small).

    Examples
    --------
    >>> from saltlab.evaluation.paired import compare_paired
    >>> c = compare_paired({0: 0.80, 1: 0.82, 2: 0.81}, {0: 0.77, 1: 0.79, 2: 0.79})
    >>> paired_sentence("`a`", "`b`", c)
    '`a` is better than `b` by 0.027 IoU, 95 % CI [0.012, 0.041] over 3 seeds; 3 seeds would detect a difference of 0.02 IoU.'
    """
    seeds, images = comparison.over_seeds, comparison.over_images
    n_seeds = f"{seeds.n} seeds" if seeds.n != 1 else "one seed"
    needed = comparison.seeds_needed
    if needed is None:
        budget = "with one seed the spread over seeds is unknown: run at least 2"
    else:
        budget = f"{needed} seeds would detect a difference of {detect:g} {metric}"
    intervals = [i for i in (seeds, images) if i is not None and i.known]
    if intervals and all(-detect < i.low and i.high < detect for i in intervals):
        # Worth saying when the question is "does it matter?": the size is bounded, whatever the sign.
        budget += f"; both intervals rule out a difference of {detect:g} {metric} either way"
    if comparison.settled:
        # Name the better one first so the sentence reads as a positive difference.
        sign = 1 if seeds.estimate > 0 else -1
        better, worse = (name_a, name_b) if sign > 0 else (name_b, name_a)
        # A settled difference of 0.0002 must not read "better by 0.000".
        # Every bound excludes 0, so the smallest of them must not print as 0 either.
        bounds = [abs(b) for i in (seeds, images) if i is not None for b in (i.low, i.high)]
        shown = _digits_to_show(min([abs(seeds.estimate), *bounds]), digits)
        low, high = sorted((sign * seeds.low, sign * seeds.high))
        text = (f"{better} is better than {worse} by {_number(sign * seeds.estimate, shown)} {metric}, "
                f"95 % CI {_interval(low, high, shown)} over {n_seeds}")
        if images is not None:
            low, high = sorted((sign * images.low, sign * images.high))
            text += f"; bootstrap over {images.n} images {_interval(low, high, shown)}"
        return text + f"; {budget}."
    text = f"{name_a} − {name_b}: {_number(seeds.estimate, digits, sign=True)} {metric}"
    if seeds.known:
        text += f", 95 % CI {_interval(seeds.low, seeds.high, digits)} over {n_seeds}"
    else:
        text += f" ({n_seeds}, no interval over seeds)"
    if images is not None:
        text += f"; bootstrap over {images.n} images {_interval(images.low, images.high, digits)}"
    reason = ""
    if seeds.excludes_zero and images is not None and not images.excludes_zero:
        reason = " (the interval over images contains 0: more validation images needed)"
    elif seeds.excludes_zero:
        reason = " (the two intervals disagree in sign)"
    return text + f": **not settled at this budget**{reason}; {budget}."


def figure_link(path, report_path, *, caption):
    """Markdown image line for ``path`` relative to the report's folder."""
    relative = os.path.relpath(Path(path), Path(report_path).parent)
    return f"![{caption}]({Path(relative).as_posix()})\n"
