"""Realistic wrong implementations of the graded functions, as mutations of the reference.

Each mutant is the reference with one mistake students really make, written as
text replacements inside one function of one module. Building mutants from the
reference at test time (instead of keeping edited copies) keeps them in step
with it: a replacement whose text is no longer in the reference fails loudly.

``MUTANTS[name] = (module, what_is_wrong, [(function, old, new), ...], must_fail)``
where ``must_fail`` is the set of public check ids that must lose points.
"""

import re
import shutil
from pathlib import Path

from saltlab.paths import SOLUTIONS_DIR

_MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION.*\n", re.MULTILINE)

MUTANTS = {
    # conv_block
    "conv_block_no_second_relu": ("blocks", "the second convolution has no ReLU after it", [
        ("conv_block", '        x = layers.ReLU(name=layer_name(name, f"relu{stage}"))(x)\n',
         '        if stage == 1:\n            x = layers.ReLU(name=layer_name(name, f"relu{stage}"))(x)\n')],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_no_relu": ("blocks", "no ReLU at all: the block is linear", [
        ("conv_block", '        x = layers.ReLU(name=layer_name(name, f"relu{stage}"))(x)\n', "")],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_frozen": ("blocks", "convolutions created with trainable=False (left from an experiment)", [
        ("conv_block", "            use_bias=not batchnorm,\n", "            use_bias=not batchnorm,\n            trainable=False,\n")],
        {"conv_block.structure"}),
    "conv_block_valid_padding": ("blocks", "'valid' padding shrinks the map by kernel_size - 1 per convolution", [
        ("conv_block", 'padding="same"', 'padding="valid"')],
        {"conv_block.shapes", "conv_block.structure", "conv_block.numerics"}),
    "conv_block_bias_with_bn": ("blocks", "keeps the convolution bias even with batch normalisation", [
        ("conv_block", "use_bias=not batchnorm,", "use_bias=True,")],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_relu_before_bn": ("blocks", "ReLU before BatchNormalization", [
        ("conv_block",
         '        if batchnorm:\n            x = layers.BatchNormalization(name=layer_name(name, f"bn{stage}"))(x)\n'
         '        x = layers.ReLU(name=layer_name(name, f"relu{stage}"))(x)\n',
         '        x = layers.ReLU(name=layer_name(name, f"relu{stage}"))(x)\n'
         '        if batchnorm:\n            x = layers.BatchNormalization(name=layer_name(name, f"bn{stage}"))(x)\n')],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_ignores_name": ("blocks", "forgets to pass name= to its layers", [
        ("conv_block", 'name=layer_name(name, f"conv{stage}"),', "")],
        {"conv_block.names"}),
    # downsample
    "downsample_stride_without_relu": ("blocks", "the stride-2 convolution has no ReLU", [
        ("downsample", '        return layers.ReLU(name=layer_name(name, "down_relu"))(x)\n', "        return x\n")],
        {"downsample.structure", "downsample.numerics"}),
    "downsample_stride_is_pooling": ("blocks", "'stride' mode pools with strides=2 instead of learning", [
        ("downsample",
         '        x = layers.Conv2D(channels, 3, strides=2, padding="same", name=layer_name(name, "down_conv"))(x)\n'
         '        return layers.ReLU(name=layer_name(name, "down_relu"))(x)\n',
         '        return layers.MaxPooling2D(pool_size=2, strides=2, padding="same")(x)\n')],
        {"downsample.structure", "downsample.numerics"}),
    "downsample_valid_pooling": ("blocks", "'valid' pooling gives floor(H/2): 101 -> 50", [
        ("downsample", 'layers.MaxPooling2D(pool_size=2, padding="same",', 'layers.MaxPooling2D(pool_size=2, padding="valid",')],
        {"downsample.shapes", "downsample.structure", "downsample.numerics"}),
    "downsample_unknown_mode_is_maxpool": ("blocks", "an unknown mode silently falls back to max pooling", [
        ("downsample",
         '    if mode not in table:\n        raise ValueError(f"downsample: mode must be one of {sorted(table)}, got {mode!r}")\n'
         "    x = table[mode](x)\n",
         "    x = table.get(mode, maxpool)(x)\n")],
        {"downsample.errors"}),
    # merge_skip
    "merge_concat_encoder_first": ("blocks", "concatenates [encoder, decoder]", [
        ("merge_skip", "    x = table[mode]()([decoder, encoder])\n",
         '    x = table[mode]()([encoder, decoder] if mode == "concat" else [decoder, encoder])\n')],
        {"merge_skip.values"}),
    "merge_max_min_swapped": ("blocks", "'max' takes the minimum and 'min' the maximum", [
        ("merge_skip", '"max": lambda: layers.Maximum(name=name),', '"max": lambda: layers.Minimum(name=name),'),
        ("merge_skip", '"min": lambda: layers.Minimum(name=name),', '"min": lambda: layers.Maximum(name=name),')],
        {"merge_skip.values"}),
    "merge_add_is_subtract": ("blocks", "'add' subtracts the encoder from the decoder", [
        ("merge_skip", '"add": lambda: layers.Add(name=name),', '"add": lambda: layers.Subtract(name=name),')],
        {"merge_skip.values"}),
    "merge_unknown_mode_is_concat": ("blocks", "an unknown mode falls back to concatenation", [
        ("merge_skip", "    if mode not in table:\n", "    if mode not in table:\n        mode = 'concat'\n    if False:\n")],
        {"merge_skip.errors"}),
    # precision / recall
    "metrics_swapped": ("metrics", "precision and recall swapped", [
        ("precision", "tp, fp, _ = _confusion_counts(y_true, y_pred)\n    if tp + fp == 0:",
         "tp, fp, fn = _confusion_counts(y_true, y_pred)\n    if tp + fn == 0:"),
        ("precision", "result = tp / (tp + fp)", "result = tp / (tp + fn)"),
        ("recall", "tp, _, fn = _confusion_counts(y_true, y_pred)\n    if tp + fn == 0:",
         "tp, fp, fn = _confusion_counts(y_true, y_pred)\n    if tp + fp == 0:"),
        ("recall", "result = tp / (tp + fn)", "result = tp / (tp + fp)")],
        {"precision.hand", "recall.hand", "precision.random", "recall.random", "metrics.conventions"}),
    "metrics_mean_per_image": ("metrics", "the mean of per-image precision instead of pooled counts", [
        ("precision", "    tp, fp, _ = _confusion_counts(y_true, y_pred)\n    if tp + fp == 0:\n"
                      "        return float(zero_division)\n    result = tp / (tp + fp)\n",
         "    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)\n    _confusion_counts(y_true, y_pred)\n"
         "    values = []\n    for t, p in zip(np.atleast_2d(y_true), np.atleast_2d(y_pred)):\n"
         "        tp, fp, _ = _confusion_counts(t, p)\n"
         "        values.append(float(zero_division) if tp + fp == 0 else tp / (tp + fp))\n"
         "    result = np.mean(values)\n")],
        {"precision.hand", "precision.random"}),
    "metrics_no_zero_division": ("metrics", "returns nan instead of zero_division", [
        ("recall", "    if tp + fn == 0:\n        return float(zero_division)\n    result = tp / (tp + fn)\n",
         '    result = tp / (tp + fn) if tp + fn else float("nan")\n')],
        {"metrics.conventions"}),
    "metrics_no_validation": ("metrics", "accepts non-binary values and unequal shapes", [
        ("_confusion_counts", "    if y_true.shape != y_pred.shape:\n", "    if False:\n"),
        ("_confusion_counts", "        if not np.isin(mask, (0, 1)).all():\n", "        if False:\n")],
        {"metrics.errors"}),
    # find_best_threshold
    "threshold_strict_greater": ("threshold", "salt where y_prob > t instead of >= t", [
        ("find_best_threshold", "s = score((y_prob >= t).astype(np.uint8))", "s = score((y_prob > t).astype(np.uint8))")],
        {"find_best_threshold.conventions"}),
    "threshold_ties_to_highest": ("threshold", "ties go to the highest threshold", [
        ("find_best_threshold", "        if s > best_score:", "        if s >= best_score:")],
        {"find_best_threshold.conventions"}),
    "threshold_iou_is_f1": ("threshold", "metric='iou' computes F1 as well", [
        ("find_best_threshold", '        if metric == "f1":', "        if True:")],
        {"find_best_threshold.optimum", "find_best_threshold.conventions"}),
    "threshold_no_validation": ("threshold", "no check of metric, thresholds or shapes", [
        ("find_best_threshold", "    if metric not in METRICS:", "    if False:"),
        ("find_best_threshold", "    if y_true.shape != y_prob.shape:", "    if False:"),
        ("find_best_threshold", "    if len(candidates) == 0:", "    if False:")],
        {"find_best_threshold.errors"}),
    "threshold_returns_index": ("threshold", "returns the index of the best threshold, not its value", [
        ("find_best_threshold", "    for t in sorted(float(c) for c in candidates):\n        s = score",
         "    for i, t in enumerate(sorted(float(c) for c in candidates)):\n        s = score"),
        ("find_best_threshold", "            best_threshold, best_score = t, s", "            best_threshold, best_score = i, s")],
        {"find_best_threshold.optimum", "find_best_threshold.conventions"}),
}


def _function_span(source, function):
    start = source.index(f"\ndef {function}(")
    end = source.find("\ndef ", start + 1)
    return start, (len(source) if end == -1 else end)


def mutate(source, replacements, *, label):
    """Apply ``(function, old, new)`` replacements, each inside its function's text."""
    for function, old, new in replacements:
        start, end = _function_span(source, function)
        body = source[start:end]
        if old not in body:
            raise AssertionError(f"mutant {label}: {old!r} is no longer in the reference's {function}()")
        source = source[:start] + body.replace(old, new) + source[end:]
    return source


def build_mutant(name, folder):
    """Write the reference (markers removed) with mutant ``name``'s mistake into ``folder``."""
    module, _, replacements, _ = MUTANTS[name]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in SOLUTIONS_DIR.glob("*.py"):
        source = _MARKER.sub("", path.read_text())
        if path.stem == module:
            source = mutate(source, replacements, label=name)
        (folder / path.name).write_text(source)
    return folder


def copy_reference(folder):
    """The reference's graded files, markers removed, into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in SOLUTIONS_DIR.glob("*.py"):
        (folder / path.name).write_text(_MARKER.sub("", path.read_text()))
    return folder


def overlay(folder, files):
    """The reference plus the given replacement files (``{"blocks.py": Path}``) in ``folder``."""
    copy_reference(folder)
    for name, source in files.items():
        shutil.copy(source, Path(folder) / name)
    return Path(folder)
