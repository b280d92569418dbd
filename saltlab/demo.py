"""``make demo``: train the reference U-Net briefly and write a report.

From a fresh clone: generate the synthetic data if absent, train the
reference U-Net (``impl="solutions"``, or the student's when the reference is
not shipped) with a short configuration, score it on the validation split,
choose the decision threshold and write ``out/demo/report.md`` with its
figures and ``out/demo/metrics.json``.

Usage::

    python -m saltlab.demo [--data <kaggle folder>] [--out out/demo] [--quick | --course]

The default configuration (:data:`DEFAULT`) is a recipe that learns data as
hard as the real sections in under five minutes on 2 CPU cores: all the
images at 64x64, batch normalisation, cosine decay, flips, BCE + Dice.
``--course`` (:data:`COURSE`) trains the course's 128x128 U-Net on 320 images
instead (the demo before the data were calibrated); ``--quick``
(:data:`QUICK`) is a smoke test of a minute.
"""

import argparse
import dataclasses
import json
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .impl import default_implementation, load_implementation, require_implementation
from .paths import OUT_DIR


@dataclass(frozen=True)
class DemoConfig:
    """Size of the demo's training.

    Attributes
    ----------
    n_images : int or None
        Images drawn (coverage-stratified) from the dataset; 20% of them
        validate. ``None``: all of them.
    input_size : {64, 128}
        Network input side: 128 is the course's (101 padded to 128); 64
        halves it (2x2 averaging), 4x fewer pixels per image, so all the
        images fit in the same time. Scores are always on the 101x101 grid.
    epochs, batch_size : int
    learning_rate : float
    base_filters, depth : int
        The U-Net's width and depth (the course's: 16 and 4).
    batchnorm : bool
        Batch normalisation in every ``conv_block``. Off in the course's
        short run (:data:`COURSE`: with only ~120 training steps its moving
        statistics lag behind the weights and the validation loss jumps from
        epoch to epoch); on in :data:`DEFAULT`, whose 1200 steps let them
        settle.
    loss : {'bce', 'bce_dice'}
        ``'bce_dice'``: binary cross-entropy plus a soft Dice term
        (:func:`saltlab.training.bce_dice_loss`). The course's recipe is plain
        BCE; in a run of a few minutes on a CPU, BCE alone leaves the network
        predicting "no salt" for several epochs, the Dice term pulls it off
        that plateau within 2-3 epochs.
    schedule : {'constant', 'cosine'}
        Adam's learning rate: constant (the course's, with
        ``ReduceLROnPlateau``) or decayed to 0 along a half cosine.
    augment : bool
        Random left-right flips of the training batches.
    seed : int
    name : str
        How the report names the configuration (``"default"``, ``"course"``,
        ``"quick"``; anything else is ``"custom"``).
    """

    n_images: int = 400
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 2e-3
    base_filters: int = 16
    depth: int = 4
    batchnorm: bool = False
    loss: str = "bce_dice"
    seed: int = 0
    input_size: int = 128
    schedule: str = "constant"
    augment: bool = False
    name: str = "custom"


COURSE = DemoConfig(name="course")
"""The course's U-Net (128x128 input, base 16, depth 4) for a demo's budget:
320 training images, 6 epochs, constant rate, no batch normalisation, no
flips (``python -m saltlab.demo --course``). On the easy data it reached IoU
0.82; on the real TGS images 0.374, and on the calibrated default
0.394 ± 0.153 over seeds 0-4 (50-55 s of training each on a 2-core Intel
Xeon): too few images for data this hard, and too few to score the same
twice, which is why :data:`DEFAULT` is another recipe."""

DEFAULT = DemoConfig(n_images=None, input_size=64, base_filters=8, depth=3, batchnorm=True, learning_rate=3e-3,
                     schedule="cosine", augment=True, epochs=6, batch_size=16, loss="bce_dice", name="default")
"""The demo's recipe: every image (3200 to train) at 64x64, batch
normalisation, Adam 3e-3 with cosine decay, random left-right flips, BCE +
soft Dice, 6 epochs. Twice the time of :data:`COURSE` (a 64x64 image costs a
quarter of a 128x128 one, so ten times the images fit in about that), IoU
0.783 on the calibrated default data, seed 0 (0.759 ± 0.018 over seeds 0-4;
0.756 on the real data with the same recipe). Measured on 2 cores otherwise
idle, with the data already generated: 107 s in all (95 s of training) on an
Intel Xeon, 254 s (233 s) on an AMD EPYC.
What each ingredient buys:
the ablation table in ``data/README.md``."""

QUICK = dataclasses.replace(DEFAULT, n_images=160, epochs=1, name="quick")
"""A smoke test: a minute or less."""

CONFIGS = {"default": DEFAULT, "course": COURSE, "quick": QUICK}

WHY = {
    "default": ("The demo's recipe: every image at 64x64 (the 101x101 section halved: ten times the images of the "
                "course's 128x128 run in the same time), batch normalisation, Adam with cosine decay, random "
                "left-right flips, BCE + soft Dice. On data as hard as the real sections, the number of images "
                "matters more than the resolution; see data/README.md for what each ingredient buys."),
    "course": ("The course's U-Net (128x128, base 16, depth 4) trained briefly on 320 images: the course's network "
               "at a demo's budget. Too few images for data as hard as the real sections; the default "
               "configuration (`make demo` without `--course`) is the recipe that learns them."),
    "quick": "A smoke test of the pipeline (one epoch on 160 images): its scores mean nothing.",
    "custom": "A configuration changed from the command line.",
}
"""What the report says of each configuration."""

N_STEPS = 6


def _step(number, text):
    print(f"\n[{number}/{N_STEPS}] {text}", flush=True)


def run_demo(config=DEFAULT, *, impl, data=None, out=None):
    """Train, evaluate, choose the threshold and write the report.

    Parameters
    ----------
    config : DemoConfig, optional
    impl : saltlab.impl.Implementation
        Whose blocks and metrics (:func:`main` loads ``solutions`` when present).
    data : str or pathlib.Path, optional
        Kaggle-layout folder; ``None``: ``data/synthetic`` (generated if absent).
    out : str or pathlib.Path, optional
        Report folder (default ``out/demo``).

    Returns
    -------
    metrics : dict
        What ``metrics.json`` holds: ``config``, ``data``, ``model``,
        ``threshold``, ``at_0.5``, ``at_threshold``, ``timings_seconds``.
    """
    from .data import load_data, network_arrays, to_image_grid
    from .evaluation import evaluate_probabilities, precision_recall_curve
    from .plots import plot_examples, plot_learning_curves, plot_precision_recall, plot_threshold_scores

    out = Path(out) if out is not None else OUT_DIR / "demo"
    out.mkdir(parents=True, exist_ok=True)
    impl = require_implementation(impl, "run_demo")
    timings = {}
    clock = time.perf_counter()
    start = clock

    _step(1, "Data: loading the seismic images and salt masks" + ("" if data else " (generating them if absent)"))
    arrays = network_arrays(load_data(data), n_images=config.n_images, val_fraction=0.2,
                            input_size=config.input_size,
                            seed=config.seed)
    n_train, n_val = len(arrays["x_train"]), len(arrays["x_val"])
    empty = np.mean([mask.max() == 0 for part in ("masks_train", "masks_val") for mask in arrays[part]])
    print(f"      using {n_train + n_val} images: {n_train} to train, {n_val} to validate "
          f"(coverage-stratified); {empty:.0%} have no salt")
    timings["data"] = time.perf_counter() - clock

    _step(2, f"Model: the U-Net assembled from the {impl.label!r} blocks")
    clock = time.perf_counter()
    from .models import build_unet
    from .seeding import seed_everything
    from .training import predict_probabilities, train_model

    seed_everything(config.seed)
    size = config.input_size
    model = build_unet((size, size, 1), base_filters=config.base_filters, depth=config.depth, batchnorm=config.batchnorm, impl=impl)
    bottleneck = model.get_layer("bottleneck_relu2").output.shape
    print(f"      {model.count_params():,} parameters; {size}x{size}x1 -> "
          f"{bottleneck[1]}x{bottleneck[2]}x{bottleneck[3]} at the bottleneck -> {size}x{size}x1")

    _step(3, f"Training: {config.epochs} epochs of {n_train} images, batch {config.batch_size}, "
             f"Adam {config.learning_rate:g}" + (" with cosine decay" if config.schedule == "cosine" else "")
             + (", random left-right flips" if config.augment else "") + " (Keras's progress bar below)")
    weights = out / "unet.weights.h5"
    history = train_model(
        model, (arrays["x_train"], arrays["y_train"]), (arrays["x_val"], arrays["y_val"]), epochs=config.epochs,
        batch_size=config.batch_size, learning_rate=config.learning_rate, checkpoint_path=weights,
        loss=config.loss, schedule=config.schedule, augment=config.augment, seed=config.seed, verbose=1,
    )
    model.load_weights(str(weights))  # the epoch of lowest validation loss
    timings["training"] = time.perf_counter() - clock

    _step(4, "Evaluation on the validation images (101x101 grid, padding cropped away)")
    clock = time.perf_counter()
    truth = arrays["masks_val"]
    probs = to_image_grid(predict_probabilities(model, arrays["x_val"]))
    at_half = evaluate_probabilities(truth, probs, impl=impl, threshold=0.5)
    print("      at threshold 0.5: " + ", ".join(f"{k} {v:.3f}" for k, v in at_half.items()))

    _step(5, "Threshold: find_best_threshold (F1 of salt pixels) on the validation probabilities")
    threshold, best_f1 = impl.find_best_threshold(truth, probs, metric="f1")
    at_best = evaluate_probabilities(truth, probs, impl=impl, threshold=threshold)
    print(f"      chosen threshold {threshold:.2f} (F1 {best_f1:.3f}): "
          + ", ".join(f"{k} {v:.3f}" for k, v in at_best.items()))
    curve = precision_recall_curve(truth, probs)
    timings["evaluation"] = time.perf_counter() - clock

    _step(6, f"Report: figures and tables in {out}")
    clock = time.perf_counter()
    plot_learning_curves(history, title="U-Net training (demo)", path=out / "learning_curves.png")
    shown = _pick_examples(truth, 16, seed=config.seed)
    plot_examples(arrays["images_val"][shown], truth[shown], pred_masks=probs[shown] >= threshold, ncols=8,
                  title=f"validation images: true salt (green) and predicted at t={threshold:.2f} (magenta)",
                  path=out / "predictions.png")
    marks = {"0.5": 0.5, "chosen": threshold}
    plot_precision_recall(curve, marks=marks, path=out / "precision_recall.png")
    plot_threshold_scores(curve, marks=marks, path=out / "threshold_scores.png")
    timings["report"] = time.perf_counter() - clock
    timings["total"] = time.perf_counter() - start
    metrics = {
        "config": dataclasses.asdict(config),
        "data": {"folder": str(data) if data else "data/synthetic", "n_train": n_train, "n_val": n_val},
        "model": {"impl": impl.label, "params": int(model.count_params()),
                  "epochs_run": len(history["loss"]), "best_val_loss": float(min(history["val_loss"]))},
        "threshold": float(threshold),
        "at_0.5": at_half,
        "at_threshold": at_best,
        "history": history,
        "timings_seconds": {k: round(v, 1) for k, v in timings.items()},
        "machine": f"{platform.machine()}, {_cpu_count()} CPU cores, Python {platform.python_version()}",
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    _write_report(out / "report.md", metrics)
    print(f"\nDone in {timings['total']:.0f} s. Report: {out / 'report.md'}")
    return metrics


def _cpu_count():
    from .machine import usable_cores

    return usable_cores()


def _pick_examples(masks, n, *, seed):
    """Indices of ``n`` masks spread over the coverage range (a few empty ones too)."""
    cover = masks.reshape(len(masks), -1).mean(axis=1)
    order = np.argsort(cover, kind="stable")
    n = min(n, len(order))
    picks = order[np.linspace(0, len(order) - 1, n).round().astype(int)]
    return np.sort(np.unique(picks))


def _write_report(path, metrics):
    from .evaluation import METRIC_LABELS, METRIC_NAMES
    from .markdown import figure_link, markdown_table
    from .training import LOSS_LABELS

    c, t = metrics["config"], metrics["timings_seconds"]
    rows = [
        ["0.5"] + [f"{metrics['at_0.5'][m]:.3f}" for m in METRIC_NAMES],
        [f"{metrics['threshold']:.2f} (chosen: best F1)"] + [f"{metrics['at_threshold'][m]:.3f}" for m in METRIC_NAMES],
    ]
    lines = [
        "# Salt segmentation demo\n",
        "Generated by `make demo` (`python -m saltlab.demo`). A U-Net trained for a few minutes on a CPU.\n",
        "## Setup\n",
        f"Configuration `{c['name']}`. {WHY.get(c['name'], WHY['custom'])}\n",
        markdown_table(["", "value"], [
            ["data", f"`{metrics['data']['folder']}`: {metrics['data']['n_train']} training, "
                     f"{metrics['data']['n_val']} validation images (coverage-stratified)"],
            ["network", f"U-Net from `{metrics['model']['impl']}` blocks, input {c['input_size']}x{c['input_size']}, "
                        f"base filters {c['base_filters']}, "
                        f"depth {c['depth']}, batch norm {'on' if c['batchnorm'] else 'off'}, "
                        f"{metrics['model']['params']:,} parameters"],
            ["training", f"{metrics['model']['epochs_run']} epochs, batch {c['batch_size']}, Adam "
                         f"{c['learning_rate']:g}" + (" with cosine decay" if c["schedule"] == "cosine" else "")
                         + (", random left-right flips" if c["augment"] else "")
                         + f", {LOSS_LABELS.get(c['loss'], c['loss'])}, seed {c['seed']}; best weights kept"],
            ["time", f"{t['total']:.0f} s in all (data {t['data']:.0f} s, training {t['training']:.0f} s, "
                     f"evaluation {t['evaluation']:.0f} s, report {t['report']:.0f} s) on {metrics['machine']}"],
        ], align=["l", "l"]),
        "## Validation scores\n",
        "Salt pixels are the positive class. Precision: the share of the pixels called salt that are salt "
        "(a false alarm costs a needless change of drilling plan); recall: the share of the salt found (a miss "
        "means drilling into salt unprepared). IoU, Dice, precision and recall pool all pixels of the "
        "validation images; the TGS metric scores each image over IoU thresholds 0.5 to 0.95 and averages.\n",
        markdown_table(["threshold"] + [METRIC_LABELS[m] for m in METRIC_NAMES],
                       rows),
        "\nThe threshold is chosen on the same validation images it is scored on, so the second row is "
        "optimistic.\n",
        "## Figures\n",
        "Learning curves (the dotted line marks the kept weights):\n",
        figure_link(path.parent / "learning_curves.png", path, caption="learning curves"),
        "Validation images with the true salt outline (green) and the predicted one (magenta, dashed):\n",
        figure_link(path.parent / "predictions.png", path, caption="validation predictions"),
        "Precision-recall curve of salt pixels, with the 0.5 and the chosen thresholds:\n",
        figure_link(path.parent / "precision_recall.png", path, caption="precision-recall curve"),
        figure_link(path.parent / "threshold_scores.png", path, caption="scores by threshold"),
    ]
    Path(path).write_text("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m saltlab.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="Kaggle-layout dataset folder (default: data/synthetic, generated if absent)")
    parser.add_argument("--out", help="report folder (default: out/demo)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--quick", action="store_true", help="tiny smoke-test configuration (1 epoch, 160 images)")
    choice.add_argument("--course", action="store_true",
                        help="the course's 128x128 U-Net on 320 training images (the old demo) instead of the recipe")
    parser.add_argument("--epochs", type=int, help="override the number of epochs")
    parser.add_argument("--n", type=int, help="override the number of images used")
    parser.add_argument("--impl", help="implementation: solutions (default when present), assignment or a folder")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else COURSE if args.course else DEFAULT
    overrides = {k: v for k, v in (("epochs", args.epochs), ("n_images", args.n)) if v}
    if overrides:
        config = dataclasses.replace(config, **overrides, name="custom")
    try:
        run_demo(config, impl=load_implementation(args.impl or default_implementation()), data=args.data,
                 out=args.out)
    except (ValueError, FileNotFoundError, ImportError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
