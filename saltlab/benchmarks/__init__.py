"""Benchmarks, written as JSON under ``out/bench/`` by ``make bench`` (instructors only, never shipped).

- :mod:`.input_pipeline`: the input pipeline's rate against the training step's;
- :mod:`.public_suite`: the public suite's wall time, the training checks' time
  and the reference's IoU over seeds with its margin over the floor.

Both run the reference (``solutions/``). No test asserts a time.
"""
