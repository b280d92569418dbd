"""Experiment presets: how much data, how big the networks, how many seeds.

``quick`` runs in a few minutes: on the easy level every variant learns,
but on the calibrated default (as on the real sections) 400 images and two
seeds leave its comparisons unsettled, and without batch normalisation
some runs never leave the "no salt anywhere" plateau (``maxpool-none`` in 5
of 15 seeds; the summary names such runs). ``standard`` is the course's
evidence on a CPU: the demo's recipe for every variant, five seeds, in
35 to 80 minutes on 2 cores, by processor; its results are committed under ``published/``
and the notebooks read them. ``full`` is the course's 128x128 network on
all the data, for a GPU. Sizes are chosen so every variant of a preset sees the same
data, the same epochs and the same optimiser: only the architecture differs.
"""

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    """Sizes and schedule of one experiment run.

    Attributes
    ----------
    name : str
    n_images : int or None
        Images drawn (coverage-stratified) from the dataset; ``None``: all.
    input_size : {128, 64}
        Network input side. 128 is the course's 101 -> 128 padding; 64 halves
        it again (2x2 averaging) to make CI fast; predictions are always scored
        on the 101x101 image grid.
    base_filters, depth : int
        U-Net width and number of downsamplings (depth 3 at 64 and depth 4 at
        128 both end at an 8x8 bottleneck).
    fcn_filters : int
    fcn_dilations : tuple of int
        The FCN's width and dilation rates.
    batchnorm : bool
        Batch normalisation in every ``conv_block`` (all variants alike).
    loss : {'bce', 'bce_dice'}
        Training loss (:data:`saltlab.training.LOSSES`). The course's recipe
        is binary cross-entropy (``'bce'``); ``'bce_dice'`` adds a soft Dice
        term, which pulls a network trained for a few epochs on a CPU off the
        "no salt anywhere" plateau that BCE alone sits on for several epochs.
    epochs, batch_size : int
    learning_rate : float
        Adam's initial rate (the course's recipe otherwise: LR reduction,
        early stopping, best weights kept; see :mod:`saltlab.training`).
    schedule : {'constant', 'cosine'}
        Adam's rate over the run (:func:`saltlab.training.train_model`):
        the course's constant rate or a half-cosine decay to 0.
    augment : bool
        Random left-right flips of the training batches (seeded per run).
    variants : tuple of str or None
        Variant names (:data:`saltlab.experiments.VARIANTS`); ``None``: all 11.
    seeds : tuple of int
        Each variant is trained once per seed (initial weights and batch order).
    val_fraction : float
        Share of the drawn images kept for validation (split seed fixed at 0,
        so every variant and seed is scored on the same images).
    expected_time : str
        Wall time measured or estimated on 2 CPU cores, for the docs.
    """

    name: str
    n_images: int
    input_size: int
    base_filters: int
    depth: int
    fcn_filters: int
    fcn_dilations: tuple
    batchnorm: bool
    epochs: int
    batch_size: int
    learning_rate: float
    variants: tuple
    seeds: tuple
    loss: str = "bce_dice"
    schedule: str = "constant"
    augment: bool = False
    val_fraction: float = 0.2
    expected_time: str = ""

    def config(self):
        """dict: the fields that change results (compared when resuming)."""
        fields = dataclasses.asdict(self)
        fields.pop("expected_time")
        # Folders written before these fields existed trained with their defaults.
        for name, default in (("schedule", "constant"), ("augment", False)):
            if fields[name] == default:
                fields.pop(name)
        fields["fcn_dilations"] = list(self.fcn_dilations)
        fields["seeds"] = list(self.seeds)
        fields["variants"] = None if self.variants is None else list(self.variants)
        return fields


PRESETS = {
    "quick": Preset(
        name="quick",
        n_images=400,
        input_size=64,
        base_filters=8,
        depth=3,
        fcn_filters=16,
        fcn_dilations=(1, 2, 4, 8, 1),
        batchnorm=False,
        epochs=8,
        batch_size=16,
        learning_rate=2e-3,
        # One variant per comparison of the questions: 7 x 2 seeds = 14 trainings.
        variants=("maxpool-concat", "stride-concat", "maxpool-none", "maxpool-add", "maxpool-max",
                  "maxpool-min", "fcn"),
        seeds=(0, 1),
        loss="bce_dice",
        # Measured with other work loading the 2 cores: 493 s in all (load
        # average 1.4 -> 4.6) and 549 s (load 3.2-4.1), identical scores both
        # times: validation IoU 0.72-0.88 for every run. 6 epochs took 293 s
        # (load 1.7-3.7) but left IoU 0.59-0.83.
        expected_time=("6 to 9 minutes on 2 CPU cores (14 trainings of 20 to 60 s; 8-9 min measured "
                       "with the machine shared, load average ~4)"),
    ),
    "standard": Preset(
        name="standard",
        n_images=None,
        input_size=64,
        base_filters=8,
        depth=3,
        fcn_filters=16,
        fcn_dilations=(1, 2, 4, 8, 1),
        batchnorm=True,
        # The demo's recipe (saltlab.demo.DEFAULT): all 3200 training images
        # at 64x64, batch normalisation, Adam 3e-3 decayed along a cosine,
        # flips, BCE + Dice, 6 epochs. On the calibrated default it learns
        # (demo IoU 0.783), where the quick preset's 400 images do not.
        epochs=6,
        batch_size=16,
        learning_rate=3e-3,
        schedule="cosine",
        augment=True,
        variants=("maxpool-concat", "stride-concat", "maxpool-none", "maxpool-add", "maxpool-max",
                  "maxpool-min", "fcn"),
        # Five seeds: a paired difference's interval over seeds is
        # t(0.975, 4) = 2.78 standard errors wide on each side.
        seeds=(0, 1, 2, 3, 4),
        loss="bce_dice",
        # Measured 2026-12-02 on data version 2: 35 min 56 s wall, 61 min CPU,
        # --jobs 2, Intel Xeon, 97-166 s per training. On an AMD EPYC
        # (2026-12-01, version 1): 78 min 20 s, 211-376 s per training.
        expected_time=("35 to 80 minutes on 2 CPU cores, by processor (35 trainings of 2 to 4 min, two at a time; "
                       "36 min measured on an Intel Xeon, 78 min on an AMD EPYC); its results are committed in "
                       "published/standard"),
    ),
    "full": Preset(
        name="full",
        n_images=None,
        input_size=128,
        base_filters=16,
        depth=4,
        fcn_filters=48,
        fcn_dilations=(1, 1, 2, 4, 8, 16, 1),
        batchnorm=True,
        epochs=30,
        batch_size=32,
        learning_rate=1e-3,
        variants=None,
        seeds=(0, 1, 2),
        # As in the quick preset (the course's recipe is BCE alone); not re-timed
        # with this loss: the expected time below was measured with BCE.
        loss="bce_dice",
        # The GPU figure is an estimate, not a measurement (no GPU here): a
        # training step costs about 3 forward passes, and a forward pass
        # 2.0 GFLOP per 128x128 image for the U-Net and 5.5 for the FCN
        # (their convolutions counted layer by layer), so an epoch of 3200
        # images is ~20 and ~52 TFLOP. The CPU epochs measured below are then
        # ~110 and ~80 GFLOP/s; a T4-class GPU sustaining ~3 TFLOP/s fp32 on
        # these small convolutions (40 % of its 8.1 peak) does them in ~7 s
        # and ~17 s: 30 U-Net and 3 FCN trainings of at most 30 epochs.
        expected_time=(
            "about 2 days on 2 CPU cores (33 trainings; a U-Net epoch over 3200 images is "
            "~3 min, an FCN epoch ~11 min, measured; early stopping usually ends before 30 epochs); "
            "about 2 hours on one T4-class GPU with --jobs 1 (estimated from those epochs' FLOP counts)"
        ),
    ),
}
"""The presets of ``make experiments PRESET=...``."""


def get_preset(name, **overrides):
    """A preset by name, with fields overridden (``epochs=1``, ``seeds=(0,)``...).

    Raises
    ------
    ValueError
        If the name or an overridden field is unknown.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; valid presets: {list(PRESETS)}")
    preset = PRESETS[name]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(overrides) - {f.name for f in dataclasses.fields(Preset)}
    if unknown:
        raise ValueError(f"unknown preset field(s) {sorted(unknown)}")
    return dataclasses.replace(preset, **overrides) if overrides else preset
