"""The instructor grader: every submission in a folder, sandboxed, into a gradebook.

``python -m grader grade <submissions> --out <folder>`` (``make grade``).
One concept per module, in the order a grading run goes through them:

- :mod:`grader.collect`: find each student's submission (folder or zip), unzip
  safely, stage the graded files, catch missing files and syntax errors.
- :mod:`grader.plan`: which checks and cases run (public, and hidden ones from
  :mod:`grader.hidden_cases`), the reference's expected answers, the grader version.
- :mod:`grader.sandbox`: bubblewrap and resource limits around the worker.
- :mod:`grader.protocol` and :mod:`grader.worker`: the process that imports
  one submission and answers probe requests with plain data.
- :mod:`grader.run`: grade one submission through its worker; verdicts here.
- :mod:`grader.report`: results.json, feedback.md, gradebook.csv, summary.md.
- :mod:`grader.batch`: the whole folder, in parallel, resumable.
- :mod:`grader.bench`: ``make bench-grade``.

This file is bound into the worker's sandbox (so ``python -m grader.worker``
resolves): it must stay free of imports, hidden cases and reference code.
"""
