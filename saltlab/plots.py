"""Figures of the assignment: example grids with mask outlines, coverage.

Every function builds a matplotlib Figure without touching pyplot's global
state (so it works under the Agg backend, in tests and in notebooks alike),
returns it, and saves it when ``path`` is given.
"""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

TRUE_COLOUR = "#39ff14"  # bright green: stands out on grey seismic
PRED_COLOUR = "#ff2fd0"  # magenta: distinct from green, also for most colour-blind readers


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
