"""Benchmarks, written as JSON under ``out/bench/`` by ``make bench`` (instructors only, never shipped).

- :mod:`.input_pipeline`: the input pipeline's rate against the training step's;
- :mod:`.public_suite`: the public suite's wall time, the training checks' time
  and the reference's IoU over seeds with its margin over the floor;
- :mod:`.recipe_ablation` (not in ``make bench``: 12-30 minutes): what each
  ingredient of the demo's recipe buys, and the calibration runs over seeds
  of ``data/README.md``.

All run the reference (``solutions/``). No test asserts a time.
"""
