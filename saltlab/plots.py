"""Every figure of the package: images and masks, training, evaluation, comparisons.

Images: example grids with mask outlines, the coverage histogram. Trained
networks: learning curves, precision-recall, scores by threshold, variant
comparisons, cost, question 4's strategies.

Every function builds a matplotlib Figure without touching pyplot's global
state (so it works under the Agg backend, in tests and in notebooks alike),
returns it, and saves it as PNG when ``path`` is given.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

TRUE_COLOUR = "#39ff14"  # bright green: stands out on grey seismic
PRED_COLOUR = "#ff2fd0"  # magenta: distinct from green, also for most colour-blind readers

MARK_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e")


def plot_examples(images, masks, *, pred_masks=None, ncols=8, title=None,
                  path=None):
    """A grid of images with the true (and predicted) salt outlines.

    Parameters
    ----------
    images : array_like, shape (N, H, W) or (N, H, W, 1)
        uint8 grey levels or floats in [0, 1].
    masks : array_like, shape (N, H, W) or (N, H, W, 1)
        True masks, non-zero is salt; outlined in green.
    pred_masks : array_like, shape (N, H, W) or (N, H, W, 1), optional
        Predicted masks (binary, or probabilities outlined at 0.5); outlined
        in magenta, dashed.
    ncols : int, optional
        Images per row.
    title : str, optional
    path : str or pathlib.Path, optional
        Save the figure there (PNG, 100 dpi); parent folders are created.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from skimage.measure import find_contours

    images = _squeeze(images, "images")
    masks = _squeeze(masks, "masks")
    preds = None if pred_masks is None else _squeeze(pred_masks, "pred_masks")
    n = images.shape[0]
    if masks.shape[0] != n or (preds is not None and preds.shape[0] != n):
        raise ValueError(
            f"plot_examples: {n} images but {masks.shape[0]} masks"
            + ("" if preds is None else f" and {preds.shape[0]} predictions")
        )
    for other, name in ((masks, "masks"), (preds, "pred_masks")):
        if other is not None and other.shape[1:] != images.shape[1:]:
            raise ValueError(
                f"plot_examples: images are {images.shape[1:]} but {name} are "
                f"{other.shape[1:]}; crop network outputs with "
                "saltlab.data.from_network_output first"
            )
    ncols = max(1, min(int(ncols), n))
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(1.6 * ncols, 1.95 * nrows + (0.4 if title else 0.1)))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    scale = 255.0 if images.dtype == np.uint8 or images.max(initial=0) > 1 else 1.0
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= n:
            continue
        ax.imshow(images[k], cmap="gray", vmin=0, vmax=scale,
                  interpolation="nearest")
        outlines = [(masks[k] != 0, TRUE_COLOUR, "-")]
        if preds is not None:
            outlines.append((preds[k] >= 0.5, PRED_COLOUR, "--"))
        for mask, colour, style in outlines:
            # Pad so bodies touching the border get closed outlines there.
            padded = np.pad(mask.astype(float), 1)
            for contour in find_contours(padded, 0.5):
                ax.plot(contour[:, 1] - 1, contour[:, 0] - 1, color=colour,
                        linestyle=style, linewidth=1.2)
        ax.set_xlim(-0.5, images.shape[2] - 0.5)
        ax.set_ylim(images.shape[1] - 0.5, -0.5)
        label = f"salt {np.mean(masks[k] != 0):.0%}"
        if preds is not None:
            label += f" / pred {np.mean(preds[k] >= 0.5):.0%}"
        ax.set_title(label, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    legend = "green: true salt" + ("  magenta dashed: predicted" if preds is not None else "")
    fig.text(0.5, 0.005, legend, ha="center", va="bottom", fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 0.95 if title else 1))
    save_figure(fig, path)
    return fig


def plot_coverage_histogram(masks, *, path=None):
    """Histogram of salt coverage, with the share of empty masks.

    Parameters
    ----------
    masks : array_like, shape (N, H, W) or (N, H, W, 1)
        Non-zero is salt.
    path : str or pathlib.Path, optional
        Save the figure there.

    Returns
    -------
    matplotlib.figure.Figure
    """
    masks = _squeeze(masks, "masks")
    cover = (masks != 0).reshape(masks.shape[0], -1).mean(axis=1)
    nonempty = cover[cover > 0]
    fig = Figure(figsize=(6.0, 3.6))
    ax = fig.subplots()
    ax.hist(nonempty, bins=np.linspace(0, 1, 21), color="#4c72b0",
            edgecolor="white")
    ax.set_xlabel("salt coverage of the image (non-empty masks)")
    ax.set_ylabel("images")
    empty = np.mean(cover == 0) if cover.size else float("nan")
    median = np.median(nonempty) if nonempty.size else float("nan")
    ax.set_title(
        f"{cover.size} masks: {empty:.0%} empty; non-empty median "
        f"{median:.2f}, mean over all {cover.mean() if cover.size else float('nan'):.2f}",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, path)
    return fig


def _squeeze(array, name):
    array = np.asarray(array)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(
            f"{name}: got shape {array.shape}, expected (N, H, W) or (N, H, W, 1)"
        )
    return array


def save_figure(fig, path, *, dpi=100):
    """Save ``fig`` to ``path`` (parent folders created); do nothing when ``path`` is None."""
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=dpi)


def plot_learning_curves(history, *, title=None, path=None):
    """Training and validation loss and accuracy per epoch.

    Parameters
    ----------
    history : dict of str to list of float
        From :func:`saltlab.training.train_model`: ``loss``, ``val_loss`` and,
        when present, ``accuracy``, ``val_accuracy``.
    title : str, optional
    path : str or pathlib.Path, optional

    Returns
    -------
    matplotlib.figure.Figure
        The epoch of lowest validation loss (the kept weights) is marked.
    """
    if "loss" not in history or "val_loss" not in history:
        raise ValueError(f"plot_learning_curves: history needs 'loss' and 'val_loss', got {sorted(history)}")
    panels = [("loss", "training loss (as compiled)")]
    if "accuracy" in history and "val_accuracy" in history:
        panels.append(("accuracy", "pixel accuracy"))
    fig = Figure(figsize=(4.2 * len(panels), 3.4))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    epochs = np.arange(1, len(history["loss"]) + 1)
    best = int(np.argmin(history["val_loss"])) + 1
    for ax, (key, label) in zip(axes, panels):
        ax.plot(epochs, history[key], "o-", color="#1f77b4", label="training")
        ax.plot(epochs, history[f"val_{key}"], "s-", color="#ff7f0e", label="validation")
        ax.axvline(best, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.set_xticks(epochs if len(epochs) <= 12 else np.linspace(1, len(epochs), 8).round().astype(int))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_title(f"best validation loss at epoch {best}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return fig


def plot_precision_recall(curve, *, marks=None, title=None, path=None):
    """The precision-recall curve of salt pixels, with thresholds marked.

    Parameters
    ----------
    curve : dict of str to array_like
        ``threshold``, ``precision``, ``recall`` (as from
        :func:`saltlab.evaluation.precision_recall_curve`).
    marks : dict of str to float, optional
        Label -> threshold to mark on the curve (e.g. ``{"0.5": 0.5,
        "chosen": 0.35}``); each mark is placed at the curve's nearest threshold.
    title : str, optional
    path : str or pathlib.Path, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    thresholds = np.asarray(curve["threshold"], dtype=float)
    precision = np.asarray(curve["precision"], dtype=float)
    recall = np.asarray(curve["recall"], dtype=float)
    fig = Figure(figsize=(5.2, 4.4))
    ax = fig.subplots()
    # F1 iso-lines: where the chosen point sits relative to equal-F1 trade-offs.
    r = np.linspace(0.01, 1, 200)
    for f1 in (0.2, 0.4, 0.6, 0.8):
        p = f1 * r / (2 * r - f1)
        keep = (p > 0) & (p <= 1.05)
        ax.plot(r[keep], p[keep], color="lightgrey", linewidth=0.8, zorder=0)
        ax.annotate(f"F1={f1}", (r[keep][-1], min(p[keep][-1], 1.0)), fontsize=7, color="grey",
                    xytext=(-28, 2), textcoords="offset points")
    ax.plot(recall, precision, "-", color="#1f77b4", linewidth=1.8, label="thresholds 0.01 to 0.99")
    for (label, value), colour in zip((marks or {}).items(), MARK_COLOURS):
        k = int(np.argmin(np.abs(thresholds - value)))
        ax.plot(recall[k], precision[k], "o", color=colour, markersize=8,
                label=f"{label}: t={value:.2f}, P={precision[k]:.2f}, R={recall[k]:.2f}")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall (share of true salt pixels found)")
    ax.set_ylabel("precision (share of predicted salt that is salt)")
    ax.set_title(title or "precision-recall of salt pixels (validation)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return fig


def plot_threshold_scores(curve, *, marks=None, title=None, path=None):
    """Precision, recall, F1 and IoU of salt pixels against the threshold.

    Parameters
    ----------
    curve : dict of str to array_like
        ``threshold``, ``precision``, ``recall``, ``f1``, ``iou``.
    marks : dict of str to float, optional
        Label -> threshold, drawn as vertical lines.
    title : str, optional
    path : str or pathlib.Path, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = np.asarray(curve["threshold"], dtype=float)
    fig = Figure(figsize=(5.6, 3.8))
    ax = fig.subplots()
    for key, style in (("precision", "-"), ("recall", "-"), ("f1", "--"), ("iou", ":")):
        ax.plot(t, np.asarray(curve[key], dtype=float), style, linewidth=1.8, label=key if key != "f1" else "F1")
    for (label, value), colour in zip((marks or {}).items(), MARK_COLOURS):
        ax.axvline(value, color=colour, linewidth=1, alpha=0.8, label=f"{label} ({value:.2f})")
    ax.set_xlabel("threshold (salt when probability >= threshold)")
    ax.set_ylabel("score")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(title or "scores of salt pixels by threshold (validation)", fontsize=10)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return fig


def plot_variant_comparison(rows, *, metrics=("iou", "tgs_metric"), labels=None, title=None, path=None):
    """Each variant's score per seed (dots) and mean ± std (bar), per metric.

    Parameters
    ----------
    rows : sequence of dict
        One per variant x seed, with ``variant`` and the metric keys (numbers
        or numeric strings, as read from ``results.csv``).
    metrics : sequence of str, optional
        One panel each.
    labels : dict of str to str, optional
        Axis label per metric.
    title : str, optional
    path : str or pathlib.Path, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    names = list(dict.fromkeys(r["variant"] for r in rows))
    if not names:
        raise ValueError("plot_variant_comparison: no rows")
    labels = labels or {}
    fig = Figure(figsize=(3.6 * len(metrics) + 1.2, 0.42 * len(names) + 1.4))
    axes = fig.subplots(1, len(metrics), sharey=True, squeeze=False)[0]
    ypos = np.arange(len(names))[::-1]
    for ax, metric in zip(axes, metrics):
        for y, name in zip(ypos, names):
            values = np.array([float(r[metric]) for r in rows if r["variant"] == name])
            colour = "#d62728" if name == "fcn" else "#1f77b4" if name.startswith("maxpool") else "#2ca02c"
            std = values.std(ddof=1) if values.size > 1 else 0.0
            ax.errorbar(values.mean(), y, xerr=std, fmt="D", color=colour, capsize=3, markersize=5)
            ax.plot(values, np.full(values.size, y) + 0.18, ".", color="grey", markersize=5)
        ax.set_xlabel(labels.get(metric, metric))
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(ypos)
    axes[0].set_yticklabels(names, fontsize=8)
    fig.suptitle(title or "validation scores: mean ± std over seeds (grey dots: single seeds)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return fig


def plot_cost(rows, *, path=None):
    """Parameters against training seconds per epoch, one point per variant.

    Parameters
    ----------
    rows : sequence of dict
        With ``variant``, ``params``, ``seconds_per_epoch`` and ``iou``.
    path : str or pathlib.Path, optional

    Returns
    -------
    matplotlib.figure.Figure
        Variants are told apart by marker in the legend (labels next to the
        points collide: several variants share a parameter count).
    """
    from matplotlib.ticker import NullFormatter

    names = list(dict.fromkeys(r["variant"] for r in rows))
    fig = Figure(figsize=(7.2, 4.2))
    ax = fig.subplots()
    markers = "os^vD<>pP*Xh"
    for k, name in enumerate(names):
        mine = [r for r in rows if r["variant"] == name]
        params = float(mine[0]["params"])
        seconds = np.mean([float(r["seconds_per_epoch"]) for r in mine])
        score = np.mean([float(r["iou"]) for r in mine])
        colour = "#d62728" if name == "fcn" else "#1f77b4" if name.startswith("maxpool") else "#2ca02c"
        ax.plot(params, seconds, markers[k % len(markers)], color=colour, markersize=8, alpha=0.85,
                label=f"{name}: {int(params):,} params, IoU {score:.2f}")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels of a log axis collide
    ax.margins(x=0.2, y=0.15)
    ax.set_xlabel("trainable parameters (log scale)")
    ax.set_ylabel("training seconds per epoch")
    ax.set_title("cost of each variant (blue: max pooling, green: stride, red: FCN)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return fig


def plot_strategies(rows, *, path=None):
    """Precision against recall of question 4's strategies (mean ± std over seeds).

    Parameters
    ----------
    rows : sequence of dict
        With ``strategy``, ``precision`` and ``recall``.
    path : str or pathlib.Path, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    strategies = list(dict.fromkeys(r["strategy"] for r in rows))
    fig = Figure(figsize=(5.8, 4.4))
    ax = fig.subplots()
    markers = "osD^v<>"
    for k, strategy in enumerate(strategies):
        mine = [r for r in rows if r["strategy"] == strategy]
        p = np.array([float(r["precision"]) for r in mine])
        r_ = np.array([float(r["recall"]) for r in mine])
        ax.errorbar(r_.mean(), p.mean(), xerr=r_.std(ddof=1) if r_.size > 1 else 0,
                    yerr=p.std(ddof=1) if p.size > 1 else 0, fmt=markers[k % len(markers)],
                    capsize=3, markersize=7, label=strategy)
    ax.set_xlabel("recall of salt pixels")
    ax.set_ylabel("precision of salt pixels")
    ax.set_title("question 4: up and to the right is better on both", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.margins(0.15)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
    return fig


def figure_png(fig, *, dpi=100):
    """The figure as PNG bytes that depend on its content only (no software name, no date in the metadata)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def plot_training_feedback(curve, band, images, masks, probabilities, *, title="", path=None):
    """The training check's figure: the loss against the reference's band; predicted against true outlines.

    Parameters
    ----------
    curve : list of float or None
        Training loss per epoch (None entries are not a number).
    band : (list of float, list of float) or None
        Lowest and highest reference loss per epoch.
    images : array_like, shape (K, H, W) or (K, H, W, 1)
        Public images only (the training check's showcase).
    masks : array_like, shape (K, H, W)
        Their true masks (green).
    probabilities : array_like, shape (K, H, W)
        Predicted salt probabilities (magenta dashed outline at 0.5).
    title : str, optional
    path : str or pathlib.Path, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    from skimage.measure import find_contours

    images, masks, probabilities = _squeeze(images, "images"), _squeeze(masks, "masks"), _squeeze(probabilities, "probabilities")
    count = images.shape[0]
    fig = Figure(figsize=(3.2 + 1.7 * count, 2.6))
    # Fixed margins, not tight_layout: it draws the figure once more (half the time of a render).
    grid = fig.add_gridspec(1, 2 + count, width_ratios=[2.2, 0.15] + [1.0] * count,
                            left=0.07, right=0.99, bottom=0.17, top=0.84, wspace=0.12)
    ax = fig.add_subplot(grid[0, 0])
    if band is not None:
        epochs = np.arange(1, len(band[0]) + 1)
        ax.fill_between(epochs, band[0], band[1], color="#bbbbbb", label="reference, 6 seeds")
    if curve is not None:
        values = np.array([np.nan if v is None else v for v in curve], dtype=float)
        ax.plot(np.arange(1, len(values) + 1), values, color="#1f77b4", marker="o", markersize=3, label="yours")
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel("training loss", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    for k in range(count):
        ax = fig.add_subplot(grid[0, 2 + k])
        ax.set_axis_off()
        ax.imshow(images[k], cmap="gray", interpolation="nearest")
        for mask, colour, style in ((masks[k] != 0, TRUE_COLOUR, "-"), (probabilities[k] >= 0.5, PRED_COLOUR, "--")):
            for contour in find_contours(np.pad(mask.astype(float), 1), 0.5):
                ax.plot(contour[:, 1] - 1, contour[:, 0] - 1, color=colour, linestyle=style, linewidth=1.2)
        ax.set_xlim(-0.5, images.shape[2] - 0.5)
        ax.set_ylim(images.shape[1] - 0.5, -0.5)
        ax.set_title(f"salt {np.mean(masks[k] != 0):.0%} / pred {np.mean(probabilities[k] >= 0.5):.0%}", fontsize=7)
    fig.suptitle(title, fontsize=9)
    fig.text(0.99, 0.01, "public images; green: true salt, magenta dashed: predicted", ha="right", fontsize=6)
    save_figure(fig, path)
    return fig
