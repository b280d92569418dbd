"""``summary.md`` and comparison figures from a results folder.

Reads only ``results.csv``, ``postprocess.csv``, ``config.json``,
``runs/*.json`` and ``images/*.csv``, so it can be rerun on any results
folder without TensorFlow.

Every comparison is stated as a paired difference A - B with two 95 %
intervals (:mod:`saltlab.evaluation.paired`): over seeds and, from the
per-image counts, over validation images by bootstrap. A comparison whose
intervals contain 0 is *not settled at this budget*, with the number of
seeds a difference of 0.02 would need.
"""

import json
from pathlib import Path

from ..evaluation import METRIC_LABELS, METRIC_NAMES
from ..evaluation.paired import DETECT, N_RESAMPLES, compare_paired, ratio_counts
from ..markdown import figure_link, format_mean_std, markdown_table, paired_sentence
from ..plots import plot_cost, plot_precision_recall, plot_strategies, plot_variant_comparison
from ..training import LOSS_LABELS
from .results import STRATEGIES, images_path, read_image_counts, read_rows, run_key
from .variants import REFERENCE, VARIANTS


def _values(rows, variant, key):
    return [float(r[key]) for r in rows if r["variant"] == variant]


def _seed_counts(out, group, key, q4):
    """Seed -> (N, 2) counts of ``metric`` from the per-image files of one variant or strategy."""
    found = {}
    for row in group:
        seed = int(row["seed"])
        counts = read_image_counts(images_path(out, row["variant"], seed, q4=q4), strategy=key if q4 else None)
        if counts is not None:
            found[seed] = counts
    return found


def paired_comparison(out, rows_a, rows_b, *, metric="iou", strategies=None):
    """The paired comparison of two groups of runs of a results folder.

    Parameters
    ----------
    out : pathlib.Path
        The results folder (its ``images/`` files give the bootstrap).
    rows_a, rows_b : list of dict
        Rows of ``results.csv`` (one variant each) or of ``postprocess.csv``
        (one strategy each), one per seed.
    metric : {'iou', 'precision', 'recall'}, optional
    strategies : tuple of str, optional
        For ``postprocess.csv`` rows: the strategies of A and B, whose
        per-image counts are in ``images/<key>_q4.csv``.

    Returns
    -------
    comparison : saltlab.evaluation.paired.PairedComparison or None
        ``None`` when the two share no seed.
    note : str
        Why the bootstrap over images is missing, or ``""``.
    """
    scores_a = {int(r["seed"]): float(r[metric]) for r in rows_a}
    scores_b = {int(r["seed"]): float(r[metric]) for r in rows_b}
    if not set(scores_a) & set(scores_b):
        return None, ""
    q4 = strategies is not None
    key_a, key_b = strategies if q4 else (None, None)
    files_a = _seed_counts(out, rows_a, key_a, q4)
    files_b = _seed_counts(out, rows_b, key_b, q4)
    seeds = sorted(set(files_a) & set(files_b) & set(scores_a) & set(scores_b))
    note = "" if seeds else " (no per-image scores in this folder: no bootstrap over images)"
    # Paired image by image: every file must list the same images with the same true masks.
    fingerprints = {(tuple(files[s]["image"]), tuple(files[s]["truth_pixels"]))
                    for files in (files_a, files_b) for s in seeds}
    if len(fingerprints) > 1:
        seeds, note = [], " (the per-image files disagree on the validation images: no bootstrap over images)"

    def as_counts(files):
        return {s: ratio_counts(metric, files[s]["truth_pixels"], files[s]["pred_pixels"], files[s]["intersection"])
                for s in seeds}

    comparison = compare_paired(scores_a, scores_b, counts_a=as_counts(files_a) if seeds else None,
                                counts_b=as_counts(files_b) if seeds else None)
    return comparison, note


def _sentence(out, rows, a, b, *, label_a=None, label_b=None):
    """A bullet comparing variants ``a`` and ``b`` by IoU, or ``None`` when one was not run."""
    mine_a = [r for r in rows if r["variant"] == a]
    mine_b = [r for r in rows if r["variant"] == b]
    if not mine_a or not mine_b:
        return None
    comparison, note = paired_comparison(out, mine_a, mine_b)
    if comparison is None:
        return f"- `{a}` and `{b}` share no seed: they cannot be paired."
    return "- " + paired_sentence(label_a or f"`{a}`", label_b or f"`{b}`", comparison) + note


def compare_variants(out, a, b):
    """The summary's sentence comparing two variants of a results folder (for the notebooks).

    Parameters
    ----------
    out : str or pathlib.Path
        A results folder (``results.csv``, ``images/``).
    a, b : str
        Variant names; the sentence is about A - B in IoU.

    Returns
    -------
    sentence : str
        See :func:`saltlab.markdown.paired_sentence`; says so when either
        variant has no finished run in ``out``.
    """
    out = Path(out)
    line = _sentence(out, read_rows(out / "results.csv"), a, b)
    return line[2:] if line else f"`{a}` vs `{b}`: no finished runs of both in {out}."


def summary_table(rows):
    """Markdown table: one line per variant, metrics as mean ± std over seeds."""
    names = [n for n in VARIANTS if any(r["variant"] == n for r in rows)]
    table = []
    for name in names:
        mine = [r for r in rows if r["variant"] == name]
        table.append(
            [f"`{name}`", mine[0]["questions"], len(mine)]
            + [format_mean_std(_values(rows, name, m)) for m in METRIC_NAMES]
            + [f"{int(mine[0]['params']):,}", format_mean_std(_values(rows, name, "train_seconds"), digits=0),
               format_mean_std(_values(rows, name, "seconds_per_epoch"), digits=1)]
        )
    headers = (["variant", "questions", "seeds"] + [METRIC_LABELS[m] for m in METRIC_NAMES]
               + ["parameters", "training s", "s / epoch"])
    return markdown_table(headers, table)


PLATEAU_RECALL = 0.05
"""Below this recall at threshold 0.5, a run is said to have stayed on the "no salt anywhere" plateau."""


def plateau_runs(rows):
    """The runs that predict salt on almost none of the salt pixels, per variant.

    A network trained briefly without batch normalisation either leaves the
    "no salt anywhere" plateau or stays on it (on the default data, 6 of 15
    seeds of the quick preset's ``maxpool-none``: ``data/README.md``); a
    variant's mean then mixes two outcomes, which the summary must say.

    Parameters
    ----------
    rows : list of dict
        ``results.csv`` rows (``variant``, ``seed``, ``recall``).

    Returns
    -------
    dict
        Variant name -> sorted seeds whose recall at 0.5 is below :data:`PLATEAU_RECALL`;
        variants without such a run are left out.
    """
    stuck = {}
    for row in rows:
        if float(row["recall"]) < PLATEAU_RECALL:
            stuck.setdefault(row["variant"], []).append(int(row["seed"]))
    return {name: sorted(seeds) for name, seeds in stuck.items()}


def plateau_note(rows):
    """A paragraph naming the runs of :func:`plateau_runs`, or ``""`` when there is none."""
    stuck = plateau_runs(rows)
    if not stuck:
        return ""
    runs = "; ".join(f"`{name}` seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))} "
                     f"({len(seeds)} of {sum(r['variant'] == name for r in rows)})"
                     for name, seeds in ((n, stuck[n]) for n in VARIANTS if n in stuck))
    return (f"**Runs that stayed on the 'no salt anywhere' plateau** (recall below {PLATEAU_RECALL:g} at "
            f"threshold 0.5: salt predicted on almost none of the salt pixels): {runs}. A variant's mean then "
            "mixes networks that learned with networks that did not, and its paired differences below count "
            "both; more seeds estimate how often it happens, not what the variant reaches when it learns.\n")


def _synthetic_default(config):
    """How the summary names the synthetic default, with its generator's version when recorded."""
    generator = config.get("synthetic_generator")
    if not generator:  # a folder made before the version was recorded
        return "the synthetic default (make data)"
    return f"the synthetic default (make data: level `{generator['level']}`, version {generator['version']})"


def write_summary(out):
    """Write ``summary.md`` and the PNG figures of a results folder.

    Parameters
    ----------
    out : str or pathlib.Path
        A folder written by :func:`saltlab.experiments.run_experiments`.

    Returns
    -------
    path : pathlib.Path
        ``out/summary.md``.
    """
    out = Path(out)
    rows = read_rows(out / "results.csv")
    post = read_rows(out / "postprocess.csv")
    config = json.loads((out / "config.json").read_text()) if (out / "config.json").is_file() else {}
    report = out / "summary.md"
    lines = [f"# Experiments: preset `{config.get('name', out.name)}`\n",
             "Generated by `python -m saltlab.experiments`; rerun to refresh (finished trainings are skipped).\n"]
    if config:
        loss = config.get("loss", "bce")
        lines.append(
            f"Settings: {config['n_images'] or 'all'} images ({int(round(100 * config['val_fraction']))}% for "
            f"validation, the same split for every run), inputs {config['input_size']}x{config['input_size']}, "
            f"U-Net base filters {config['base_filters']}, depth {config['depth']}, FCN {config['fcn_filters']} "
            f"filters with dilations {tuple(config['fcn_dilations'])}, batch normalisation "
            f"{'on' if config['batchnorm'] else 'off'}, at most {config['epochs']} epochs of batch "
            f"{config['batch_size']}, Adam {config['learning_rate']:g}"
            f"{' decayed to 0 along a half cosine' if config.get('schedule') == 'cosine' else ''}"
            f"{', random left-right flips' if config.get('augment') else ''}, loss {LOSS_LABELS.get(loss, loss)}, "
            f"seeds {tuple(config['seeds'])}; data: {config.get('data') or _synthetic_default(config)}.\n"
        )
    if not rows:
        lines.append("No training finished yet.\n")
        report.write_text("\n".join(lines))
        return report
    lines += [
        "Scores on the validation images at the 101x101 image grid, threshold 0.5, best weights "
        "(lowest validation loss) of each run; mean ± sample standard deviation over seeds.\n",
        summary_table(rows),
    ]
    if plateau_note(rows):
        lines.append(plateau_note(rows))
    plot_variant_comparison(rows, metrics=("iou", "tgs_metric", "precision", "recall"), labels=METRIC_LABELS,
                            path=out / "comparison.png")
    lines.append(figure_link(out / "comparison.png", report, caption="scores per variant"))
    plot_cost(rows, path=out / "cost.png")
    lines.append(figure_link(out / "cost.png", report, caption="parameters and time per epoch"))
    lines.append("## How the comparisons are stated\n")
    lines.append(
        "Every comparison is paired: both variants trained with the same seeds (same initial-weight seed, "
        "same batch order), on the same training images, scored on the same validation images. "
        "A − B is the IoU difference computed seed by seed. Two 95 % confidence intervals: *over seeds*, "
        "Student's t on the per-seed differences (would another training run agree?), and *bootstrap over "
        f"images*, {N_RESAMPLES} resamples of the validation images, the same resample for both variants and "
        "every seed, seeded (would other validation images agree?). A difference is stated as settled only "
        "when both intervals exclude 0; otherwise it is *not settled at this budget*, and the sentence gives "
        f"the seeds needed to detect a difference of {DETECT:g} IoU with power 0.8 at the 5 % level, from the "
        "observed standard deviation of the per-seed differences.\n"
    )

    lines.append("## Question 1: max pooling or stride-2 convolution\n")
    for merge in ("concat", "none", "add", "max", "min"):
        lines.append(_sentence(out, rows, f"maxpool-{merge}", f"stride-{merge}"))
    lines.append("")
    lines.append("## Question 2: skip connections\n")
    for downsample in ("maxpool", "stride"):
        for merge in ("concat", "add", "max", "min"):
            lines.append(_sentence(out, rows, f"{downsample}-{merge}", f"{downsample}-none"))
    lines.append("")
    lines.append("## Question 3: encoder-decoder or full-resolution FCN\n")
    if _values(rows, REFERENCE, "iou") and _values(rows, "fcn", "iou"):
        lines.append(_sentence(out, rows, REFERENCE, "fcn"))
        for name in (REFERENCE, "fcn"):
            mine = [r for r in rows if r["variant"] == name]
            lines.append(f"- `{name}`: {int(mine[0]['params']):,} parameters, "
                         f"{format_mean_std(_values(rows, name, 'seconds_per_epoch'), digits=1)} s per epoch.")
    lines.append("")
    lines.append("## Question 4: the threshold, and beyond it\n")
    if post:
        n_test = post[0].get("n_test")
        if not n_test:
            # Folders written before the calibration/test split: say so rather than mislabel them.
            lines.append(
                "**These rows predate the calibration/test split: their threshold was chosen and scored on the "
                f"same validation images, so they are optimistic.** Delete `postprocess.csv` and the `{REFERENCE}` "
                "rows of `results.csv` and rerun to score them honestly.\n"
            )
        lines.append(
            f"Reference variant `{REFERENCE}`. The validation images are split in two coverage-stratified "
            "halves, the same for every run: the threshold is chosen by the reference `find_best_threshold` "
            "(F1 of salt pixels) on the *calibration* half, and every strategy below is scored on the other, "
            f"the *test* half ({n_test or '?'} images), never on the images the threshold was chosen on.\n"
        )
        table = []
        for strategy in STRATEGIES:
            mine = [r for r in post if r["strategy"] == strategy]
            if mine:
                table.append([strategy, format_mean_std([float(r["threshold"]) for r in mine], digits=2)]
                             + [format_mean_std([float(r[m]) for r in mine]) for m in METRIC_NAMES])
        lines.append(markdown_table(["strategy", "threshold"] + [METRIC_LABELS[m] for m in METRIC_NAMES], table))
        by_strategy = {strategy: [r for r in post if r["strategy"] == strategy] for strategy in STRATEGIES}
        pairs = [("best threshold", "threshold 0.5", ("iou",))] + [
            (strategy, "best threshold", ("iou", "precision", "recall"))
            for strategy in ("+ clean-up", "+ flip TTA", "+ flip TTA + clean-up")]
        for a, b, metrics in pairs:
            if not by_strategy[a] or not by_strategy[b]:
                continue
            for metric in metrics:
                comparison, note = paired_comparison(out, by_strategy[a], by_strategy[b], metric=metric,
                                                     strategies=(a, b))
                if comparison is not None:
                    lines.append("- " + paired_sentence(f"*{a}*", f"*{b}*", comparison,
                                                        metric=METRIC_LABELS[metric]) + note)
        lines.append("")
        plot_strategies(post, path=out / "strategies.png")
        lines.append(figure_link(out / "strategies.png", report, caption="precision and recall per strategy"))
        curve_file = out / "runs" / f"{run_key(REFERENCE, post[0]['seed'])}.json"
        if curve_file.is_file():
            run = json.loads(curve_file.read_text())
            plot_precision_recall(run["curve"], marks={"0.5": 0.5, "best F1": run["best_threshold"]},
                                  title=f"{REFERENCE} seed {post[0]['seed']}: precision-recall (validation)",
                                  path=out / "precision_recall.png")
            lines.append(figure_link(out / "precision_recall.png", report, caption="precision-recall curve"))
    else:
        lines.append(f"The reference variant `{REFERENCE}` has not been trained in this folder.\n")
    lines.append("## Runs\n")
    lines.append(markdown_table(
        ["variant", "seed", "epochs", "best val loss", "IoU", "TGS metric", "threshold (calibration)",
         "IoU at it (test half)", "s"],
        [[r["variant"], r["seed"], r["epochs_run"], r["best_val_loss"], f"{float(r['iou']):.3f}",
          f"{float(r['tgs_metric']):.3f}", r["best_threshold"], f"{float(r['iou_best']):.3f}",
          f"{float(r['train_seconds']):.0f}"] for r in rows],
    ))
    report.write_text("\n".join(line for line in lines if line is not None))
    return report
