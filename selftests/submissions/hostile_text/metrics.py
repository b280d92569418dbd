"""Hostile fixture: ``recall`` raises with text built to break the grader's writers and readers.

A lone surrogate (UTF-8 writers raise on it), terminal escapes (clear the
screen, retitle the window), a bidi override (reverses what follows), HTML
a Markdown renderer would keep, and a spreadsheet formula.
"""

from ._reference_metrics import *  # noqa: F401,F403  (the correct parts)

NASTY = ("\udcff \x1b[2J\x1b]0;PWNED-TITLE\x07 \u202eTXET-DESREVER <img src=x onerror=alert('XSS-MARK')> "
         "=HYPERLINK(\"http://x\") \r\n\x00")


def recall(y_true, y_pred, *, zero_division=1.0):
    raise ValueError(NASTY)
