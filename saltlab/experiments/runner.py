"""Train every variant x seed of a preset, resuming where a run stopped.

The results folder's layout and files are described in :mod:`.results`. A
variant x seed counts as done when its row is in ``results.csv`` and its
weights file exists; anything else is (re)trained.

Every comparison is paired, and the runner is what makes it so: all runs
of a preset train on the same images and are scored on the same validation
images (sample and split seeded with 0, checked against ``config.json`` on
resume), and run ``k`` of every variant is seeded with seed ``k``, which
fixes its initial weights and its batch order. The batch order depends on
the seed only, not on the network or on what ran before in the process
(``selftests/test_experiments.py`` checks it), so two variants with the same
seed see the same batches in the same order.

Trainings run side by side in ``jobs`` worker processes, each computing
with one thread per TensorFlow kernel (:func:`saltlab.seeding.pin_grading_threads`).
One thread is what makes a run's numbers the same bytes whatever the number
of jobs or of cores (float32 sums split over threads round differently), so
a folder resumed on another machine, or with another ``--jobs``, stays one
consistent experiment. It also costs nothing: two single-threaded trainings
on 2 cores finish 1.5x sooner than the same two one after the other with
two threads each (measured: 94 s for both against 141 s). Only the parent
writes ``results.csv`` and ``postprocess.csv``, in the plan's order.
"""

import json
import multiprocessing
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import numpy as np

from ..data import default_dataset_generator, ensure_default_dataset, load_data, network_arrays, to_image_grid
from ..evaluation import (
    CURVE_THRESHOLDS,
    METRIC_NAMES,
    clean_masks,
    evaluate_probabilities,
    image_counts,
    precision_recall_curve,
    predict_flip_tta,
    tgs_image_scores,
)
from ..impl import require_implementation
from ..io import write_atomic
from ..paths import REPO_ROOT
from ..seeding import pin_grading_threads, seed_everything
from ..training import predict_probabilities, train_model
from .presets import Preset
from .results import (
    IMAGE_FIELDS,
    POSTPROCESS_FIELDS,
    Q4_IMAGE_FIELDS,
    RESULT_FIELDS,
    STRATEGIES,
    completed_runs,
    image_rows,
    images_path,
    read_rows,
    run_key,
    threshold_split,
    weights_path,
    write_rows,
)
from .summary import write_summary
from .variants import REFERENCE, VARIANTS, select_variants

RESULTS_DIR = REPO_ROOT / "results"
"""Where ``make experiments`` writes (not in git)."""

PUBLISHED_DIR = REPO_ROOT / "published"
"""Committed results (``published/standard``: every file but the weights) the notebooks read by default."""


class ResultsMismatchError(RuntimeError):
    """The output folder holds results of a different configuration."""


def check_config(out, preset, data=None):
    """Write ``config.json``, or check a resumed folder was made with the same preset and data.

    On the synthetic default, ``config.json`` also records which generator
    made the data (``synthetic_generator``: level and version,
    :func:`saltlab.data.default_dataset_generator`), so that the summary can
    say it and a folder begun on an older version of the data is not
    resumed on a newer one.

    Raises
    ------
    ResultsMismatchError
        If ``out/config.json`` differs from the preset, naming the fields.
    """
    path = Path(out) / "config.json"
    config = {**preset.config(), "data": str(Path(data).resolve()) if data is not None else None}
    if data is None:
        config["synthetic_generator"] = default_dataset_generator()
    if path.is_file():
        old = json.loads(path.read_text())
        # Seeds and variants may change between runs (extend or narrow a comparison).
        differ = sorted(
            k for k in set(old) | set(config) if k not in ("seeds", "variants") and old.get(k) != config.get(k)
        )
        if differ:
            raise ResultsMismatchError(
                f"{path}: these results were made with different settings ({', '.join(differ)}: "
                f"{ {k: old.get(k) for k in differ} } now { {k: config.get(k) for k in differ} }); "
                "choose another --out or delete the folder"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(config, indent=2) + "\n")


def default_jobs():
    """int: trainings side by side by default, one per usable core (:func:`saltlab.machine.usable_cores`)."""
    from ..machine import usable_cores

    return usable_cores()


def run_experiments(preset, *, impl, data=None, out=None, variants=None, verbose=0, jobs=None, log=print):
    """Train and score every variant x seed of ``preset`` not already done.

    Parameters
    ----------
    preset : Preset
    impl : saltlab.impl.Implementation
        Whose blocks and metrics (loaded by the caller).
    data : str or pathlib.Path, optional
        Kaggle-layout dataset folder; ``None``: the synthetic default.
    out : str or pathlib.Path, optional
        Results folder; default ``results/<preset.name>``.
    variants : iterable of str, optional
        Names to run (default the preset's).
    verbose : {0, 1, 2}, optional
        Keras's training display (0 in the loop: the [i/n] lines say enough).
    jobs : int, optional
        Worker processes training side by side (default :func:`default_jobs`).
        Pass 1 on a GPU, whose memory each process would claim: it is not
        detected. The results do not depend on it.
    log : callable, optional
        Receives progress lines.

    Returns
    -------
    out : pathlib.Path
        The results folder (``summary.md`` written).
    """
    out = Path(out) if out is not None else RESULTS_DIR / preset.name
    impl = require_implementation(impl, "run_experiments")
    check_config(out, preset, data)
    # Seed by seed: a run stopped early leaves whole seeds, every variant paired.
    plan = [(v, s) for s in preset.seeds for v in select_variants(variants or preset.variants)]
    done = completed_runs(out)
    todo = [(i, v, s) for i, (v, s) in enumerate(plan, start=1) if (v.name, s) not in done]
    jobs = max(1, min(jobs or default_jobs(), len(todo) or 1))
    log(f"Preset {preset.name!r}: {len(plan)} trainings ({len(plan) - len(todo)} already done) into {out}"
        + (f", {jobs} at a time" if todo else ""))
    for index, (variant, seed) in enumerate(plan, start=1):
        if (variant.name, seed) in done:
            log(f"[{index}/{len(plan)}] {variant.name} seed {seed}: done before, skipped")
    if todo:
        _run_plan(todo, len(plan), preset, data, out, impl, verbose, jobs, log)
    write_summary(out)
    log(f"Summary: {out / 'summary.md'}")
    return out


def _run_plan(todo, total, preset, data, out, impl, verbose, jobs, log):
    """Train ``todo`` in ``jobs`` worker processes, at most ``jobs`` in flight; record each as it ends."""
    order = {(v.name, s): i for i, v, s in todo}
    pending = list(todo)
    context = multiprocessing.get_context("spawn")  # a fresh TensorFlow per worker, never a forked one
    if data is None:
        # Generated (or regenerated, if made by an older generator) here, once: every worker loads
        # the default data as it starts, and two generating the same folder at once collide.
        ensure_default_dataset()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                             initargs=(preset, None if data is None else str(data), str(impl.folder))) as pool:
        running = {}
        while pending or running:
            while pending and len(running) < jobs:
                index, variant, seed = pending.pop(0)
                log(f"[{index}/{total}] {variant.name} seed {seed} ...")
                running[pool.submit(_train_in_worker, variant.name, seed, str(out), verbose)] = (index, variant, seed)
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                index, variant, seed = running.pop(future)
                row, postprocess = future.result()  # a worker's exception stops the run, as in one process
                _record(out, row, postprocess, order)
                log(f"[{index}/{total}] {variant.name} seed {seed}: IoU {row['iou']:.3f}, "
                    f"TGS {row['tgs_metric']:.3f}, {row['params']:,} params, {row['train_seconds']:.0f} s "
                    f"({row['n_train']} training and {row['n_val']} validation images at "
                    f"{row['input_size']}x{row['input_size']})")


_WORKER = {}
"""A worker process's preset, arrays and implementation (:func:`_start_worker`)."""


def _start_worker(preset, data, folder):
    from ..impl import load_implementation

    pin_grading_threads()
    _WORKER.update(preset=preset, impl=load_implementation(folder),
                   arrays=prepare_arrays(preset, data, log=lambda line: None))


def _train_in_worker(name, seed, out, verbose):
    return _train_one(VARIANTS[name], seed, _WORKER["preset"], _WORKER["arrays"], Path(out), _WORKER["impl"],
                      verbose)


def _record(out, row, postprocess, order):
    """Add one run's rows to ``results.csv`` and ``postprocess.csv``, sorted in the plan's order."""
    def key(r):
        return order.get((r["variant"], int(r["seed"])), len(order) + 1)

    run = (row["variant"], row["seed"])
    files = (("results.csv", RESULT_FIELDS, [row]), ("postprocess.csv", POSTPROCESS_FIELDS, postprocess))
    for name, fields, new in files:
        if new:  # a rerun's rows replace the run's old ones
            kept = [r for r in read_rows(out / name) if (r["variant"], int(r["seed"])) != run]
            write_rows(out / name, fields, sorted(kept + new, key=key))


def prepare_arrays(preset, data=None, *, log=print):
    """Training and validation arrays of a preset, as every run of it sees them.

    Parameters
    ----------
    preset : Preset
    data : str or pathlib.Path, optional
        Dataset folder; ``None``: the synthetic default.
    log : callable, optional

    Returns
    -------
    arrays : dict of str to numpy.ndarray
        See :func:`saltlab.data.network_arrays` (sample and split seeded with
        0, so every variant and seed sees the same images).
    """
    arrays = network_arrays(load_data(data, log=log), n_images=preset.n_images, val_fraction=preset.val_fraction,
                            input_size=preset.input_size, seed=0)
    size = preset.input_size
    log(f"      {len(arrays['x_train'])} training and {len(arrays['x_val'])} validation images at {size}x{size}")
    return arrays


def load_trained(out, variant, seed, *, impl):
    """Rebuild a finished run's network with its best weights.

    Parameters
    ----------
    out : str or pathlib.Path
        A results folder.
    variant : str
    seed : int
    impl : saltlab.impl.Implementation
        Whose blocks to assemble (the weights fit any correct implementation).

    Returns
    -------
    model : keras.Model
    preset : Preset
        Rebuilt from ``config.json``.
    data : str or None
        The dataset folder the run used (``None``: the synthetic default).

    Raises
    ------
    FileNotFoundError
        If the folder has no ``config.json`` or no weights for that run.
    """
    out = Path(out)
    weights = weights_path(out, variant, seed)
    preset, data = preset_of(out)
    if not weights.is_file():
        raise FileNotFoundError(f"{weights}: not found; run `python -m saltlab.experiments` first "
                                "(published results keep no weights)")
    model = VARIANTS[variant].build(preset, impl=require_implementation(impl, "load_trained"))
    model.load_weights(str(weights))
    return model, preset, data


def preset_of(out):
    """The preset and dataset a results folder was made with (its ``config.json``).

    Parameters
    ----------
    out : str or pathlib.Path
        A results folder, or a published one (``published/standard``).

    Returns
    -------
    preset : Preset
    data : str or None
        The dataset folder (``None``: the synthetic default).

    Raises
    ------
    FileNotFoundError
        If the folder has no ``config.json``.
    """
    config_file = Path(out) / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"{config_file}: not found; run `python -m saltlab.experiments` first")
    config = json.loads(config_file.read_text())
    data = config.pop("data", None)
    config.pop("synthetic_generator", None)  # which version of the default data: the summary says it
    config["fcn_dilations"] = tuple(config["fcn_dilations"])
    config["seeds"] = tuple(config["seeds"])
    config["variants"] = None if config.get("variants") is None else tuple(config["variants"])
    config.setdefault("loss", "bce")  # folders written before the loss was a preset field
    return Preset(**config), data


def calibrated_threshold(truth, probabilities, *, impl):
    """Question 4's threshold: chosen on the calibration half, scored on the test half.

    Parameters
    ----------
    truth : numpy.ndarray of {0, 1}, shape (N, 101, 101)
        Validation masks.
    probabilities : numpy.ndarray of float, shape (N, 101, 101)
        Validation probabilities on the image grid.
    impl : saltlab.impl.Implementation
        Whose ``find_best_threshold`` (by F1) and metrics to use.

    Returns
    -------
    threshold : float
        Best F1 on the calibration images (:func:`.results.threshold_split`).
    scores : dict of str to float
        :func:`saltlab.evaluation.evaluate_probabilities` on the test images
        at that threshold, never on the images it was chosen on.
    test : numpy.ndarray of int
        Positions of the test images in the validation set.
    """
    calibration, test = threshold_split(truth)
    threshold, _ = impl.find_best_threshold(truth[calibration], probabilities[calibration], metric="f1")
    scores = evaluate_probabilities(truth[test], probabilities[test], impl=impl, threshold=threshold)
    return float(threshold), scores, test


def _train_one(variant, seed, preset, arrays, out, impl, verbose):
    key = run_key(variant.name, seed)
    weights = weights_path(out, variant.name, seed)
    seed_everything(seed)
    model = variant.build(preset, impl=impl)
    start = time.perf_counter()
    history = train_model(
        model,
        (arrays["x_train"], arrays["y_train"]),
        (arrays["x_val"], arrays["y_val"]),
        epochs=preset.epochs,
        batch_size=preset.batch_size,
        learning_rate=preset.learning_rate,
        loss=preset.loss,
        schedule=preset.schedule,
        augment=preset.augment,
        checkpoint_path=weights,
        seed=seed,
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    # Score the checkpoint (lowest validation loss), the weights kept in backup/.
    model.load_weights(str(weights))
    truth = arrays["masks_val"]
    probs = to_image_grid(predict_probabilities(model, arrays["x_val"]))
    at_half = evaluate_probabilities(truth, probs, impl=impl, threshold=0.5)
    best_t, at_best, test = calibrated_threshold(truth, probs, impl=impl)
    curve = precision_recall_curve(truth, probs, thresholds=CURVE_THRESHOLDS)
    masks = probs >= 0.5
    write_rows(images_path(out, variant.name, seed), IMAGE_FIELDS,
               image_rows(image_counts(truth, masks), tgs_image_scores(truth, masks), np.arange(len(truth))))
    postprocess = (_postprocess_rows(out, variant.name, seed, model, arrays, probs, best_t, test, impl)
                   if variant.name == REFERENCE else [])
    (out / "runs").mkdir(parents=True, exist_ok=True)
    write_atomic(out / "runs" / f"{key}.json", json.dumps({
        "history": history,
        "best_threshold": float(best_t),
        "curve": {k: np.round(v, 5).tolist() for k, v in curve.items()},
    }))
    epochs_run = len(history["loss"])
    row = {
        "variant": variant.name, "seed": seed, "questions": variant.questions, "kind": variant.kind,
        "downsample": variant.downsample or "", "merge": variant.merge or "", "input_size": preset.input_size,
        "n_train": len(arrays["x_train"]), "n_val": len(arrays["x_val"]), "params": model.count_params(),
        "epochs_run": epochs_run, "train_seconds": round(seconds, 2),
        "seconds_per_epoch": round(seconds / max(epochs_run, 1), 2),
        "best_val_loss": round(min(history["val_loss"]), 5),
        **{m: round(at_half[m], 5) for m in METRIC_NAMES},
        "best_threshold": float(best_t), "n_test": len(test),
        **{f"{m}_best": round(at_best[m], 5) for m in METRIC_NAMES},
        "weights": str(weights.relative_to(out)),
    }
    return row, postprocess


def _postprocess_rows(out, name, seed, model, arrays, probs, threshold, test, impl):
    """Question 4 on the test half: each strategy at the plain model's calibration threshold.

    Writes the per-image counts of every strategy to ``images/<key>_q4.csv``
    and returns one ``postprocess.csv`` row per strategy.
    """
    truth = arrays["masks_val"][test]
    probs = probs[test]
    tta = to_image_grid(predict_flip_tta(model, arrays["x_val"][test]))
    masks = {
        "threshold 0.5": probs >= 0.5,
        "best threshold": probs >= threshold,
        "+ clean-up": clean_masks(probs >= threshold),
        "+ flip TTA": tta >= threshold,
        "+ flip TTA + clean-up": clean_masks(tta >= threshold),
    }
    new, per_image = [], []
    for strategy in STRATEGIES:
        scores = evaluate_probabilities(truth, masks[strategy], impl=impl, threshold=0.5)
        new.append({
            "variant": name, "seed": seed, "strategy": strategy,
            "threshold": 0.5 if strategy == "threshold 0.5" else float(threshold), "n_test": len(test),
            **{m: round(scores[m], 5) for m in METRIC_NAMES},
        })
        rows = image_rows(image_counts(truth, masks[strategy]), tgs_image_scores(truth, masks[strategy]), test)
        per_image += [{"strategy": strategy, **row} for row in rows]
    write_rows(images_path(out, name, seed, q4=True), Q4_IMAGE_FIELDS, per_image)
    return new
