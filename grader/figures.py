"""Training figures drawn in the background while the worker runs the next checks.

A training check's figure (:func:`saltlab.checks.training_feedback.render_figure`)
takes about a second to draw, and a submission has three. Drawn when the
student's files are written, they kept the next student waiting: the
worker trains with one thread per kernel (:func:`saltlab.seeding.pin_grading_threads`)
and leaves the other core idle meanwhile. So a row's figure is handed to
:class:`FigureDrawer` as soon as its verdict is in, drawn by one background
thread during the next checks, and only collected when the files are
written.

One thread draws every figure of a run: matplotlib's font and text caches
are shared by every figure of a process and are not made for two threads at
once. The bytes do not depend on when or where a figure is drawn (the same
record gives the same PNG), so grades stay byte-identical run to run.
"""

from concurrent.futures import ThreadPoolExecutor


class FigureDrawer:
    """Draws rows' figures on one background thread; hands back their PNG bytes.

    Examples
    --------
    >>> drawer = FigureDrawer()
    >>> drawer.start({"check_id": "conv_block.shapes"})  # no figure: nothing to draw
    >>> drawer.close()
    """

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="figures")
        self._started = {}

    def start(self, row):
        """Start drawing ``row``'s figure, if it has one (a judged row of a public training check)."""
        figure = row.get("figure")
        if figure:
            self._started[id(figure)] = (figure, self._pool.submit(_render, figure, row["check_id"]))

    def png(self, row):
        """PNG bytes of ``row``'s figure: the one started for this very figure, else drawn now (same thread).

        Raises
        ------
        Exception
            Whatever drawing raised (a grader bug: the caller reports it as for any writer).
        """
        figure = row["figure"]
        started = self._started.pop(id(figure), None)
        if started is None or started[0] is not figure:
            return self._pool.submit(_render, figure, row["check_id"]).result()
        return started[1].result()

    def close(self):
        """Stop the thread; figures not collected yet are dropped."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._started.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def _render(figure, title):
    from saltlab.checks.training_feedback import render_figure

    return render_figure(figure, title=title)
