"""The training check: a small U-Net built from the implementation's blocks learns.

The probe builds ``build_unet`` from the implementation's blocks (a small
configuration at 64x64), trains it briefly on synthetic seismic images, and
returns its probabilities on validation images. It never sees the
validation masks: the verdict, in the grader's process, computes the IoU.
"""

import numpy as np

from ..evaluation.scores import iou
from .core import Case, Check, Verdict, register

SIZE = 64
"""Images are resized 101 -> 64 for the check: 4x less compute than 128, same lesson."""

CONFIG = dict(base_filters=8, depth=3, epochs=8, batch_size=16, learning_rate=2e-3, n_train=320, n_val=160)
"""The small configuration; 21 s per training on 2 idle CPU cores (``make bench``).

Without batch normalisation a small U-Net trained with plain binary
cross-entropy often sits on "everything is background" for several epochs
(measured: IoU 0.0 after 8 epochs for 3 seeds of 3). Standardising each image
and adding a soft Dice term to the loss makes it leave that plateau within 2-3
epochs for every seed tried, so the check measures the blocks, not luck."""

IOU_FLOOR = 0.40
"""Validation IoU a correct implementation must reach (threshold 0.5 on the probabilities).

Measured by ``make bench`` (``out/bench/public_suite.json``) on the reference
over seeds 0-4: the lowest IoU per configuration was 0.80 (maxpool-concat),
0.71 (stride-concat) and 0.77 (maxpool-add), so the floor leaves a margin of
at least 0.30 for a correct implementation whose layers happen to draw other
initial weights; seed 0 repeated five times gave the same IoU to the last
digit. What it catches: blocks that build but cannot learn (a network stuck
on "no salt anywhere" scores 0). Subtle mistakes are the unit checks' job: a
U-Net with no ReLU at all reached about 0.75 on this (measured before
inputs were standardised), because max pooling and the sigmoid are non-linear enough."""

CONFIGURATIONS = (("maxpool", "concat"), ("stride", "concat"), ("maxpool", "add"))


def training_case(downsample, merge, *, seed=0, config=CONFIG):
    """Synthetic training and validation data for one configuration.

    The validation masks go to ``secret``: the probe never receives them.
    """
    from ..data import resize_for_check, synthesize

    n_train, n_val = config["n_train"], config["n_val"]
    data = synthesize(n_train + n_val, seed=seed)
    images, masks = resize_for_check(data.images, data.masks, SIZE)
    params = {"downsample": downsample, "merge": merge, "data_seed": seed, **config}
    arrays = {"x_train": images[:n_train], "y_train": masks[:n_train, ..., None].astype(np.float32),
              "x_val": images[n_train:]}
    return Case(f"{downsample}-{merge}", params, arrays, secret={"y_val": masks[n_train:]})


def probe_training(impl, case):
    import keras

    from ..models import build_unet
    from ..seeding import seed_everything
    from ..training import bce_dice_loss

    p = case.params
    seed_everything(p["data_seed"])
    model = build_unet((SIZE, SIZE, 1), base_filters=p["base_filters"], depth=p["depth"],
                       downsample=p["downsample"], merge=p["merge"], impl=impl)
    model.compile(optimizer=keras.optimizers.Adam(p["learning_rate"]), loss=bce_dice_loss)
    model.fit(case.arrays["x_train"], case.arrays["y_train"], batch_size=p["batch_size"], epochs=p["epochs"],
              shuffle=True, verbose=0)
    probabilities = model.predict(case.arrays["x_val"], batch_size=64, verbose=0)
    return {"probabilities": np.asarray(probabilities, dtype=np.float32).reshape(case.arrays["x_val"].shape[:3])}


def validation_iou(case, got):
    probabilities = np.asarray(got["probabilities"], dtype=float)
    truth = case.secret["y_val"]
    if probabilities.shape != truth.shape:
        raise ValueError(f"probabilities of shape {probabilities.shape}, expected {truth.shape}")
    return iou(truth, np.nan_to_num(probabilities) >= 0.5)


def verdict_training(case, got, expected):
    score = validation_iou(case, got)
    config = f"build_unet(downsample={case.params['downsample']!r}, merge={case.params['merge']!r}) from your blocks"
    if score >= IOU_FLOOR:
        return Verdict(True, f"{config}: validation IoU {score:.3f} (floor {IOU_FLOOR})", measure=float(score))
    return Verdict(False, f"{config} trained to a validation IoU of {score:.3f}, below the floor {IOU_FLOOR} "
                          "that a correct implementation reaches; the blocks build, but something in them "
                          "(an activation, the padding, the merge) keeps the network from learning",
                   measure=float(score))


for _down, _merge in CONFIGURATIONS:
    # Registered under the model builder, not one block: a crash in any block is
    # reported as "build_unet failed ... (blocks.py:<line> in merge_skip)".
    register(Check(f"training.{_down}_{_merge}", "build_unet",
                   f"a small U-Net ({_down}, {_merge}) from your blocks learns to find salt",
                   (lambda d=_down, m=_merge: [training_case(d, m, seed=0)]), probe_training, verdict_training,
                   needs_reference=False, hint="the training check runs after every block passes its own checks"))
