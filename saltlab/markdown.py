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


def compare(name_a, values_a, name_b, values_b, *, metric="IoU", digits=3):
    """One sentence comparing two groups of seeds, saying when it is noise.

    The difference of means is called *within noise* when it is smaller than
    ``sqrt(std_a**2 + std_b**2)``, the spread of the difference between one
    run of each (with one seed per group no spread is known, and it says so).

    Returns
    -------
    sentence : str
    """
    mean_a, std_a = mean_std(values_a)
    mean_b, std_b = mean_std(values_b)
    diff = mean_a - mean_b
    text = (
        f"{metric}: {name_a} {format_mean_std(values_a, digits=digits)} vs {name_b} "
        f"{format_mean_std(values_b, digits=digits)}, difference {diff:+.{digits}f}"
    )
    if math.isnan(std_a) or math.isnan(std_b):
        return text + " (one seed: the spread is unknown, so this difference may be noise)."
    spread = math.hypot(std_a, std_b)
    if abs(diff) < spread:
        return text + f", **within noise** (spread {spread:.{digits}f})."
    return text + f", larger than the spread ({spread:.{digits}f})."


def figure_link(path, report_path, *, caption):
    """Markdown image line for ``path`` relative to the report's folder."""
    relative = os.path.relpath(Path(path), Path(report_path).parent)
    return f"![{caption}]({Path(relative).as_posix()})\n"
