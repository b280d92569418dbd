"""The experiments behind the course's four questions: variants, presets, runner, summary.

``python -m saltlab.experiments --preset quick|full [--data <folder>] [--out <folder>]``
trains every variant (max pooling or stride x five skip merges, and a
full-resolution FCN) with several seeds and writes ``results/<preset>/``:
``results.csv``, ``summary.md``, figures, per-image pixel counts in
``images/`` and the best weights in ``backup/``. A rerun resumes: finished
trainings are skipped. The summary states every comparison as a paired
difference with 95 % intervals over seeds and over images
(:mod:`saltlab.evaluation.paired`).

Modules: :mod:`~.variants` (what is compared), :mod:`~.presets` (how big),
:mod:`~.runner` (the resumable loop), :mod:`~.results` (the results
folder's files), :mod:`~.summary` (the report). Data, models, training and
scores come from :mod:`saltlab.data`, :mod:`saltlab.models`,
:mod:`saltlab.training` and :mod:`saltlab.evaluation`.
"""

from .presets import PRESETS, Preset, get_preset
from .results import STRATEGIES, completed_runs, read_rows, weights_path
from .runner import PUBLISHED_DIR, RESULTS_DIR, load_trained, prepare_arrays, preset_of, run_experiments
from .summary import compare_variants, summary_table, write_summary
from .variants import REFERENCE, VARIANTS, Variant, select_variants

__all__ = [
    "PRESETS", "PUBLISHED_DIR", "Preset", "REFERENCE", "RESULTS_DIR", "STRATEGIES", "VARIANTS", "Variant", "compare_variants",
    "completed_runs",
    "get_preset", "load_trained", "prepare_arrays", "preset_of", "read_rows", "run_experiments", "select_variants",
    "summary_table", "weights_path", "write_summary",
]
