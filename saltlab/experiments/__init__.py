"""The experiments behind the course's four questions.

``python -m saltlab.experiments --preset quick|full [--data <folder>] [--out <folder>]``
trains every variant (max pooling or stride x five skip merges, and a
full-resolution FCN) with several seeds and writes ``results/<preset>/``:
``results.csv``, ``summary.md``, figures and the best weights in ``backup/``.
A rerun resumes: finished trainings are skipped.

Modules: :mod:`~.variants` (what is compared), :mod:`~.presets` (how big),
:mod:`~.inputs` (data at the preset's resolution), :mod:`~.evaluation`
(scores and thresholds), :mod:`~.postprocess` (question 4's strategies),
:mod:`~.runner` (the resumable loop), :mod:`~.summary` (the report).
"""

from .evaluation import (
    METRIC_NAMES,
    best_tgs_threshold,
    evaluate_masks,
    evaluate_probabilities,
    precision_recall_curve,
    threshold_analysis,
)
from .inputs import draw_subset, load_data, to_image_grid, to_network
from .postprocess import clean_masks, predict_flip_tta
from .presets import PRESETS, Preset, get_preset
from .runner import (
    RESULTS_DIR,
    STRATEGIES,
    completed_runs,
    default_impl,
    load_trained,
    prepare_arrays,
    read_rows,
    run_experiments,
)
from .summary import write_summary
from .variants import REFERENCE, VARIANTS, Variant, select_variants

__all__ = [
    "METRIC_NAMES", "PRESETS", "Preset", "REFERENCE", "RESULTS_DIR", "STRATEGIES", "VARIANTS", "Variant",
    "best_tgs_threshold", "clean_masks", "completed_runs", "default_impl", "draw_subset", "evaluate_masks",
    "evaluate_probabilities", "get_preset", "load_data", "load_trained", "prepare_arrays", "precision_recall_curve", "predict_flip_tta",
    "read_rows", "run_experiments", "select_variants", "threshold_analysis", "to_image_grid", "to_network",
    "write_summary",
]
