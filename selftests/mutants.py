"""Realistic wrong implementations of the graded functions, as mutations of the reference.

Each mutant is the reference with one mistake students really make, written as
text replacements inside one function of one module. Building mutants from the
reference at test time (instead of keeping edited copies) keeps them in step
with it: a replacement whose text is no longer in the reference fails loudly.

``MUTANTS[name] = (module, what_is_wrong, [(function, old, new), ...], must_fail)``
where ``must_fail`` is the set of public check ids that must lose points;
``NAMED[name]`` the words of the public tests' message that name the mistake.
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
    # --- added for issue #15: one mistake per clause and arrangement (tests/CLAUSES.md) ---
    # conv_block
    "conv_block_kernel_ignored": ("blocks", "kernel_size is ignored: both convolutions are 3x3", [
        ("conv_block", "            kernel_size,\n", "            3,\n")],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_bn_always": ("blocks", "batch normalisation is added whatever batchnorm says", [
        ("conv_block", "        if batchnorm:\n", "        if True:\n")],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_bias_inverted": ("blocks", "use_bias=batchnorm: the bias is there exactly when it should not be", [
        ("conv_block", "use_bias=not batchnorm,", "use_bias=batchnorm,")],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_name_none_crash": ("blocks", "name + '_conv1' crashes when name is None", [
        ("conv_block", 'name=layer_name(name, f"conv{stage}"),', 'name=name + f"_conv{stage}",')],
        {"conv_block.shapes", "conv_block.structure", "conv_block.numerics"}),
    "conv_block_one_conv": ("blocks", "one convolution stage instead of two", [
        ("conv_block", "    for stage in (1, 2):\n", "    for stage in (1,):\n")],
        {"conv_block.structure", "conv_block.numerics"}),
    "conv_block_names_on_conv_only": ("blocks", "name= is passed to the convolutions only, not to BN and ReLU", [
        ("conv_block", 'layers.ReLU(name=layer_name(name, f"relu{stage}"))', "layers.ReLU()"),
        ("conv_block", 'layers.BatchNormalization(name=layer_name(name, f"bn{stage}"))', "layers.BatchNormalization()")],
        {"conv_block.names"}),
    "conv_block_relu_only_with_bn": ("blocks", "the ReLU is indented into the batchnorm branch", [
        ("conv_block", '        x = layers.ReLU(name=layer_name(name, f"relu{stage}"))(x)\n',
         '            x = layers.ReLU(name=layer_name(name, f"relu{stage}"))(x)\n')],
        {"conv_block.structure", "conv_block.numerics"}),
    # downsample
    "downsample_stride_fixed_filters": ("blocks", "the stride convolution has 64 filters, not the input's C", [
        ("downsample", "layers.Conv2D(channels, 3, strides=2,", "layers.Conv2D(64, 3, strides=2,")],
        {"downsample.shapes", "downsample.structure", "downsample.numerics"}),
    "downsample_stride_no_bias": ("blocks", "use_bias=False copied from the batch-normalised blocks into the stride conv", [
        ("downsample", 'strides=2, padding="same", name=', 'strides=2, padding="same", use_bias=False, name=')],
        {"downsample.structure", "downsample.numerics"}),
    "downsample_avgpool": ("blocks", "'maxpool' averages instead of taking the maximum", [
        ("downsample", "layers.MaxPooling2D(pool_size=2,", "layers.AveragePooling2D(pool_size=2,")],
        {"downsample.structure", "downsample.numerics"}),
    "downsample_stride_kernel_2": ("blocks", "the stride convolution is 2x2, not 3x3", [
        ("downsample", "layers.Conv2D(channels, 3, strides=2,", "layers.Conv2D(channels, 2, strides=2,")],
        {"downsample.structure", "downsample.numerics"}),
    "downsample_pool_stride_1": ("blocks", "MaxPooling2D(pool_size=2, strides=1): the map is not halved", [
        ("downsample", "layers.MaxPooling2D(pool_size=2, padding=", "layers.MaxPooling2D(pool_size=2, strides=1, padding=")],
        {"downsample.shapes", "downsample.structure", "downsample.numerics"}),
    "downsample_mode_case_insensitive": ("blocks", "mode.lower() accepts 'Maxpool'", [
        ("downsample", "    if mode not in table:\n", "    mode = mode.lower()\n    if mode not in table:\n")],
        {"downsample.errors"}),
    "downsample_error_without_value": ("blocks", "the ValueError names the valid modes but not the value received", [
        ("downsample", ', got {mode!r}")', '")')],
        {"downsample.errors"}),
    "downsample_ignores_name": ("blocks", "name= is given to no layer of downsample", [
        ("downsample", ', name=layer_name(name, "pool"))', ")"),
        ("downsample", ', name=layer_name(name, "down_conv"))', ")"),
        ("downsample", 'layers.ReLU(name=layer_name(name, "down_relu"))', "layers.ReLU()")],
        {"downsample.names"}),
    "downsample_stride_relu_unnamed": ("blocks", "the stride mode's ReLU is created without name=", [
        ("downsample", 'layers.ReLU(name=layer_name(name, "down_relu"))', "layers.ReLU()")],
        {"downsample.names"}),
    # merge_skip
    "merge_ignores_name": ("blocks", "the merge layer is created without name=", [
        ("merge_skip", '"concat": lambda: layers.Concatenate(axis=-1, name=name),', '"concat": lambda: layers.Concatenate(axis=-1),'),
        ("merge_skip", '"add": lambda: layers.Add(name=name),', '"add": lambda: layers.Add(),')],
        {"merge_skip.names"}),
    "merge_none_mode_passthrough": ("blocks", "mode 'none' (the model builder's option) returns the decoder", [
        ("merge_skip", "    if mode not in table:\n", '    if mode == "none":\n        return decoder\n    if mode not in table:\n')],
        {"merge_skip.errors"}),
    "merge_mode_case_insensitive": ("blocks", "mode.lower() accepts 'Concat'", [
        ("merge_skip", "    if mode not in table:\n", "    mode = mode.lower()\n    if mode not in table:\n")],
        {"merge_skip.errors"}),
    "merge_channels_only_check": ("blocks", "compares the channel counts only; spatial sizes that broadcast slip through", [
        ("merge_skip", "tuple(decoder.shape) != tuple(encoder.shape):", "decoder.shape[-1] != encoder.shape[-1]:")],
        {"merge_skip.errors"}),
    "merge_concat_axis_1": ("blocks", "concatenates on axis 1 (rows) instead of the channel axis", [
        ("merge_skip", "layers.Concatenate(axis=-1,", "layers.Concatenate(axis=1,")],
        {"merge_skip.values"}),
    "merge_add_is_average": ("blocks", "'add' averages the two tensors", [
        ("merge_skip", '"add": lambda: layers.Add(name=name),', '"add": lambda: layers.Average(name=name),')],
        {"merge_skip.values"}),
    "merge_shape_error_is_type_error": ("blocks", "unequal shapes raise TypeError, not ValueError", [
        ("merge_skip", "        raise ValueError(\n            f\"merge_skip: mode {mode!r} needs",
         "        raise TypeError(\n            f\"merge_skip: mode {mode!r} needs")],
        {"merge_skip.errors"}),
    # precision / recall
    "metrics_bool_arithmetic": ("metrics", "TP counted as (y_true + y_pred) == 2, which is never true for bool masks", [
        ("_confusion_counts", "    tp = int(np.count_nonzero(truth & predicted))\n",
         "    tp = int(np.sum((y_true + y_pred) == 2))\n")],
        {"metrics.conventions"}),
    "metrics_uint8_wraparound": ("metrics", "FP counted as y_pred - y_true > 0, which wraps around for uint8 (0 - 1 = 255)", [
        ("_confusion_counts", "    fp = int(np.count_nonzero(~truth & predicted))\n",
         "    fp = int(np.count_nonzero(y_pred - y_true > 0))\n")],
        {"precision.hand", "precision.random", "metrics.conventions"}),
    "metrics_float32_ratio": ("metrics", "the ratio is computed in float32", [
        ("precision", "    result = tp / (tp + fp)\n", "    result = np.float32(tp) / np.float32(tp + fp)\n")],
        {"precision.hand", "precision.random"}),
    "metrics_float32_result": ("metrics", "returns np.float32(...), which is not a Python float", [
        ("precision", "    result = tp / (tp + fp)\n", "    result = np.float32(tp / (tp + fp))\n"),
        ("precision", "    return float(result)\n", "    return result\n")],
        {"precision.hand", "precision.random"}),
    "metrics_empty_is_zero": ("metrics", "precision returns 0.0 when nothing is predicted, ignoring zero_division", [
        ("precision", "        return float(zero_division)\n", "        return 0.0\n")],
        {"metrics.conventions"}),
    "metrics_zero_division_not_float": ("metrics", "zero_division is returned as given (an int stays an int)", [
        ("recall", "        return float(zero_division)\n", "        return zero_division\n")],
        {"metrics.conventions"}),
    "metrics_relies_on_broadcasting": ("metrics", "no shape check: relies on NumPy's broadcasting error, which shapes that broadcast never raise", [
        ("_confusion_counts", "    if y_true.shape != y_pred.shape:\n", "    if False:\n")],
        {"metrics.errors"}),
    "metrics_validates_y_true_only": ("metrics", "only y_true is checked for values other than 0 and 1", [
        ("_confusion_counts", '    for label, mask in (("y_true", y_true), ("y_pred", y_pred)):\n',
         '    for label, mask in (("y_true", y_true),):\n')],
        {"metrics.errors"}),
    "metrics_range_check": ("metrics", "values checked with min() >= 0 and max() <= 1: 0.5 passes, empty masks crash", [
        ("_confusion_counts", "        if not np.isin(mask, (0, 1)).all():\n", "        if mask.min() < 0 or mask.max() > 1:\n")],
        {"metrics.errors", "metrics.conventions"}),
    "metrics_mutates_input": ("metrics", "FP counted by zeroing the true positives of the caller's y_pred in place", [
        ("_confusion_counts", "    fp = int(np.count_nonzero(~truth & predicted))\n",
         "    y_pred[truth] = 0  # what is left after removing the true positives is false\n"
         "    fp = int(np.count_nonzero(y_pred))\n")],
        {"metrics.conventions"}),
    "metrics_no_asarray": ("metrics", "uses .shape without numpy.asarray: lists (array_like) crash", [
        ("_confusion_counts", "    y_true = np.asarray(y_true)\n    y_pred = np.asarray(y_pred)\n", "")],
        {"metrics.conventions"}),
    # find_best_threshold
    "threshold_first_in_given_order": ("threshold", "keeps the first best in the order given, not the lowest threshold", [
        ("find_best_threshold", "    for t in sorted(float(c) for c in candidates):\n", "    for t in (float(c) for c in candidates):\n")],
        {"find_best_threshold.conventions"}),
    "threshold_grid_misses_095": ("threshold", "default grid np.arange(0.05, 0.95, 0.05): 18 values, 0.95 missing", [
        ("find_best_threshold", "    candidates = DEFAULT_THRESHOLDS if thresholds is None",
         "    candidates = np.arange(0.05, 0.95, 0.05) if thresholds is None")],
        {"find_best_threshold.conventions"}),
    "threshold_grid_misses_005": ("threshold", "default grid [k / 20 for k in range(2, 20)]: 0.05 missing", [
        ("find_best_threshold", "    candidates = DEFAULT_THRESHOLDS if thresholds is None",
         "    candidates = [k / 20 for k in range(2, 20)] if thresholds is None")],
        {"find_best_threshold.conventions"}),
    "threshold_grid_linspace": ("threshold", "default grid np.linspace(0.05, 0.95, 20): 20 values, none but the ends on the contract's grid", [
        ("find_best_threshold", "    candidates = DEFAULT_THRESHOLDS if thresholds is None",
         "    candidates = np.linspace(0.05, 0.95, 20) if thresholds is None")],
        {"find_best_threshold.optimum"}),
    "threshold_iou_empty_is_zero": ("threshold", "IoU of an empty truth and an empty prediction is 0, not 1", [
        ("find_best_threshold", "        return 1.0 if union == 0 else", "        return 0.0 if union == 0 else")],
        {"find_best_threshold.conventions"}),
    "threshold_f1_divides_by_zero": ("threshold", "F1 = 2PR/(P+R) without the P + R = 0 case: ZeroDivisionError", [
        ("find_best_threshold", "            return 0.0 if p + r == 0 else 2 * p * r / (p + r)\n",
         "            return 2 * p * r / (p + r)\n")],
        {"find_best_threshold.conventions"}),
    "threshold_f1_zero_division_0": ("threshold", "precision and recall called with zero_division=0 inside F1", [
        ("find_best_threshold", "            p, r = precision(y_true, predicted), recall(y_true, predicted)\n",
         "            p, r = precision(y_true, predicted, zero_division=0), recall(y_true, predicted, zero_division=0)\n")],
        {"find_best_threshold.conventions"}),
    "threshold_thresholds_truthiness": ("threshold", "`if not thresholds` picks the default grid: [] is not refused, an array is ambiguous", [
        ("find_best_threshold", "    candidates = DEFAULT_THRESHOLDS if thresholds is None else",
         "    candidates = DEFAULT_THRESHOLDS if not thresholds else")],
        {"find_best_threshold.conventions", "find_best_threshold.errors"}),
    "threshold_iou_skips_validation": ("threshold", "metric='iou' counts y_true.astype(bool): a 2 is taken for salt", [
        ("find_best_threshold", "    if not np.isin(y_true, (0, 1)).all():\n", "    if False:\n")],
        {"find_best_threshold.errors"}),
    "threshold_no_asarray": ("threshold", "uses y_true.shape without numpy.asarray: a list of labels crashes", [
        ("find_best_threshold", "    y_true = np.asarray(y_true)\n", "")],
        {"find_best_threshold.conventions"}),
    "threshold_clips_in_place": ("threshold", "np.clip(y_prob, 1e-7, 1 - 1e-7, out=y_prob) changes the caller's array", [
        ("find_best_threshold", "    def score(predicted):\n",
         "    np.clip(y_prob, 1e-7, 1 - 1e-7, out=y_prob)  # keep away from 0 and 1\n    def score(predicted):\n")],
        {"find_best_threshold.conventions"}),
    "threshold_f1_mean_per_image": ("threshold", "F1 computed per image and averaged, not pooled", [
        ("find_best_threshold", "            p, r = precision(y_true, predicted), recall(y_true, predicted)\n"
                                "            return 0.0 if p + r == 0 else 2 * p * r / (p + r)\n",
         "            values = []\n"
         "            for truth_i, predicted_i in zip(np.atleast_2d(y_true), np.atleast_2d(predicted)):\n"
         "                p, r = precision(truth_i, predicted_i), recall(truth_i, predicted_i)\n"
         "                values.append(0.0 if p + r == 0 else 2 * p * r / (p + r))\n"
         "            return float(np.mean(values))\n")],
        {"find_best_threshold.optimum"}),
}


NAMED = {
    # conv_block
    "conv_block_bias_inverted": "no bias in the convolutions although batchnorm=False",
    "conv_block_bias_with_bn": "a bias in the convolutions although batchnorm=True",
    "conv_block_bn_always": "BatchNormalization whatever batchnorm says",
    "conv_block_frozen": "the convolutions created with trainable=False",
    "conv_block_ignores_name": "layers created without name=: ['conv2d_",
    "conv_block_kernel_ignored": "kernel_size ignored",
    "conv_block_names_on_conv_only": "layers created without name=: ['re_lu_",
    "conv_block_no_relu": "no ReLU at all (the block is linear), or the ReLU only when batchnorm=True",
    "conv_block_no_second_relu": "no ReLU after the second convolution",
    "conv_block_one_conv": "one Conv2D stage instead of two",
    "conv_block_relu_before_bn": "the ReLU before BatchNormalization",
    "conv_block_relu_only_with_bn": "no ReLU at all (the block is linear), or the ReLU only when batchnorm=True",
    "conv_block_valid_padding": "padding='valid' in the convolutions",
    # downsample
    "downsample_avgpool": "average pooling instead of max pooling",
    "downsample_error_without_value": "does not mention ['avgpool']",
    "downsample_ignores_name": "layers created without name=: ['max_pooling2d_",
    "downsample_mode_case_insensitive": "modes are case-sensitive: 'Maxpool' is not 'maxpool'",
    "downsample_pool_stride_1": "pooling with strides=1",
    "downsample_stride_fixed_filters": "Conv2D filters=64 where the contract has filters=4",
    "downsample_stride_is_pooling": "max pooling in 'stride' mode instead of a learned convolution",
    "downsample_stride_kernel_2": "a 2x2 stride-2 convolution instead of 3x3",
    "downsample_stride_no_bias": "no bias in the stride-2 convolution",
    "downsample_stride_relu_unnamed": "layers created without name=: ['re_lu_",
    "downsample_stride_without_relu": "no ReLU after the stride-2 convolution",
    "downsample_unknown_mode_is_maxpool": "an unknown mode fell back to a default",
    "downsample_valid_pooling": "padding='valid' (floor(H/2) instead of ceil(H/2))",
    # merge_skip
    "merge_add_is_average": "your output equals the average (decoder + encoder) / 2",
    "merge_add_is_subtract": "your output equals the difference decoder - encoder",
    "merge_channels_only_check": "not the channel counts only",
    "merge_concat_encoder_first": "your output equals the concatenation in the order [encoder, decoder]",
    "merge_ignores_name": "layers created without name=: ['concatenate_",
    "merge_max_min_swapped": "your output equals the element-wise minimum",
    "merge_mode_case_insensitive": "modes are case-sensitive: 'Concat' is not 'concat'",
    "merge_none_mode_passthrough": "'none' is the model builder's option",
    "merge_shape_error_is_type_error": "raised TypeError; expected ValueError",
    "merge_unknown_mode_is_concat": "an unknown mode fell back to a default",
    # find_best_threshold
    "threshold_clips_in_place": "changed the arrays it was given",
    "threshold_f1_mean_per_image": "the score computed per image and averaged",
    "threshold_f1_zero_division_0": "precision and recall computed with zero_division=0 inside F1",
    "threshold_first_in_given_order": "keeping the first best in the order the thresholds are given",
    "threshold_grid_linspace": "the default grid np.linspace(0.05, 0.95, 20)",
    "threshold_grid_misses_005": "a default grid that misses 0.05",
    "threshold_grid_misses_095": "np.arange(0.05, 0.95, 0.05), which misses 0.95",
    "threshold_iou_empty_is_zero": "the IoU of an empty truth and an empty prediction taken as 0",
    "threshold_iou_is_f1": "the F1 score used for metric='iou'",
    "threshold_iou_skips_validation": "metric='iou' counts pixels itself, so it must refuse a y_true",
    "threshold_returns_index": "the position of the best threshold returned instead of its value",
    "threshold_strict_greater": "salt where y_prob > t (the contract: y_prob >= t)",
    "threshold_thresholds_truthiness": "`if not thresholds` takes it for 'use the default grid'",
    "threshold_ties_to_highest": "keeping the last of equal scores in ascending order",
    # precision / recall (saltlab/checks/misconceptions.py)
    "metrics_swapped": "your value equals the recall (the two denominators swapped)",
    "metrics_mean_per_image": "computed per image (each index of the first axis) and averaged",
    "metrics_no_zero_division": "your value is NaN, what 0 / 0 gives",
    "metrics_no_validation": "this is NumPy's broadcasting error, not a check of yours",
    "metrics_bool_arithmetic": "TP counted as (y_true + y_pred) == 2 in the masks' own dtype (bool)",
    "metrics_uint8_wraparound": "y_pred - y_true > 0 computed in uint8, where 0 - 1 wraps around",
    "metrics_float32_ratio": "your value equals the ratio computed in float32",
    "metrics_float32_result": "returned a float32; return a Python float",
    "metrics_empty_is_zero": "your value is 0.0 although the denominator is 0",
    "metrics_zero_division_not_float": "returned a int; return a Python float",
    "metrics_relies_on_broadcasting": "this is NumPy's broadcasting error, not a check of yours",
    "metrics_validates_y_true_only": "only y_pred holds a value other than 0 and 1 here",
    "metrics_range_check": "min() and max() raise on empty masks",
    "metrics_mutates_input": "changed the arrays it was given",
    "metrics_no_asarray": "call np.asarray on each mask before using .shape",
    # exceptions on valid cases (saltlab/checks/error_mistakes.py)
    "conv_block_name_none_crash": "name is None by default",
    "merge_concat_axis_1": "concatenate on the last axis (axis=-1",
    "threshold_f1_divides_by_zero": "F1 = 2PR / (P + R) divides by zero when precision and recall are both 0",
    "threshold_no_asarray": "lists are valid: call np.asarray on each",
    "threshold_no_validation": "with unknown metric returned normally; expected ValueError",
}
"""A phrase the failing messages of each mutant must contain: the feedback names its misconception.

Measured over the 55 mutants of conv_block, downsample, merge_skip and
find_best_threshold: 51 named exactly, 4 named with one other candidate
that gives the same answer on the failing case (``no_relu`` and
``relu_only_with_bn``; ``first_in_given_order`` and ``ties_to_highest``).
The 5 that raise on a valid case are named from the exception and the case
(:mod:`saltlab.checks.error_mistakes`). All 15 precision/recall mutants are
named (:mod:`saltlab.checks.misconceptions`), ``metrics_uint8_wraparound``
together with the IoU, which its wrapped count gives exactly."""


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
