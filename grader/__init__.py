"""The instructor grader: every submission in a folder, sandboxed, into a gradebook.

``python -m grader grade <submissions> --out <folder>`` (``make grade``).
One concept per module, in the order a grading run goes through them:

- :mod:`grader.collect`: find each student's submission (folder or zip), unzip
  safely, refuse links, stage the graded files, catch missing files and
  files that are not UTF-8 (the trust boundary for files).
- :mod:`grader.plan`: which checks and cases run (public, and hidden ones from
  :mod:`grader.hidden_cases`), the reference's expected answers, the grader version.
- :mod:`grader.sandbox`: bubblewrap and resource limits around the worker;
  :mod:`grader.syscall_filter` (seccomp: no kernel keyring) and
  :mod:`grader.cgroup` (one memory budget for all its processes).
- :mod:`grader.protocol` and :mod:`grader.worker`: the process that imports
  one submission and answers probe requests with plain data.
- :mod:`grader.worker_process`: start, ask, time out and kill one worker;
  :mod:`grader.warm_start`: the next student's worker spawned while this one is graded.
- :mod:`grader.untrusted`: the one cleaner of every string a student controls.
- :mod:`grader.grading`: grade one submission through its worker; verdicts here.
- :mod:`grader.notebooks`: the notebooks' nbgrader cells, prepared and scored here with
  nbgrader's preprocessors, executed in the sandbox by :mod:`grader.notebook_worker`;
  the nbgrader course folder formgrader opens. A test cell is a probe and a verdict:
  :mod:`grader.notebook_record` records the student's results in the kernel,
  :mod:`grader.notebook_replay` runs the test's assertions on them here.
- :mod:`grader.manual`: ``merge-manual``, formgrader's grades of the written answers back
  into the records and the gradebook.
- :mod:`grader.report`: results.json, feedback.md, gradebook.csv, summary.md.
- :mod:`grader.batch`: the whole folder, in parallel, resumable.
- :mod:`grader.explain`: ``explain``, one student regraded case by case for a regrade request.
- :mod:`grader.bench`: ``make bench-grade``.

This file is bound into the worker's sandbox (so ``python -m grader.worker``
resolves): it must stay free of imports, hidden cases and reference code.
"""
