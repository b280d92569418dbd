"""Start the next student's worker while the current one is graded.

A worker spends its first seconds loading Python and TensorFlow (3.6 s of a
20 s submission on 2 idle cores), and that start-up uses one core where the
checks that follow leave some idle. A job slot of :func:`grader.batch.grade_folder`
therefore spawns the worker of the student it will grade next as soon as the
current student's worker has imported its files, so the two overlap.

What keeps this inside the trust boundary:

- the worker spawned ahead runs trusted code only (Python, TensorFlow, the
  checks) until the grader sends its load request, which happens after the
  current student is finished: no two students' code ever runs in one slot
  at the same time, so a student cannot slow down the student before them;
- it is a fresh process in its own sandbox, with only its own student's files
  mounted, exactly as a worker started the usual way;
- it runs under the slot's *other* uid (:func:`cage`): ``RLIMIT_NPROC`` counts
  the processes of a uid, so the two overlapping workers must not share one,
  or TensorFlow's threads in one would eat the other's budget.
"""

from .worker_process import CappedLog, Worker


def cage(slot, jobs, turn):
    """The sandbox identity (:func:`grader.sandbox.worker_uid`) of a slot's ``turn``-th student.

    Consecutive students of one slot alternate between ``slot`` and
    ``slot + jobs``, so a worker spawned ahead never shares a uid with the
    worker still running, nor with any other slot's.

    Examples
    --------
    >>> [cage(1, 2, turn) for turn in range(4)]
    [1, 3, 1, 3]
    """
    return slot + jobs * (turn % 2)


class WarmStart:
    """A worker spawned for one submission before its turn, with the log it writes to.

    Parameters
    ----------
    submission : grader.collect.Submission
        A submission without a problem (it has staged files to import).
    settings : grader.worker_process.Settings
    slot : int
        Its cage (:func:`cage`), used again for any restart.
    log_path : pathlib.Path
        Its ``worker.log`` (capped like any worker's).
    """

    def __init__(self, submission, settings, slot, log_path):
        self.submission, self.slot = submission, slot
        self.log = CappedLog(log_path, settings.log_bytes)
        self.worker = Worker(submission.staged, settings, slot, self.log)
        try:
            self.worker.spawn()
        except BaseException:
            self.discard()
            raise

    def discard(self):
        """Stop the worker and close the log when the submission will not be graded (the run was cancelled)."""
        self.worker.stop()
        self.log.close()
