"""The training check: a small U-Net built from the implementation's blocks learns.

The probe builds ``build_unet`` from the implementation's blocks (a small
configuration at 32x32), trains it briefly on synthetic seismic images, and
returns its probabilities on validation images. It never sees the
validation masks: the verdict, in the grader's process, computes the IoU.
"""

import hashlib
import json
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from ..evaluation.scores import iou
from .core import PROBE_LOCK, Case, Check, Verdict, register
from .training_feedback import band_of, curve_pattern, figure_data, predicted_coverage

SIZE = 32
"""Images are resized 101 -> 32 for the check: the lesson (the blocks learn) holds at this size.

The training runs in one traced function
(:func:`saltlab.compact_training.train_compact`): ``model.fit`` spent most
of a short run tracing Keras's optimizer. Measured with the reference on 2
cores, seeds 0-5 of each configuration (18 trainings each way), machine
load 2-5: 32x32 took 3.5-5 s per training and 48x48 5-7 s; the lowest
validation IoU was 0.63 at 32x32 and 0.69 at 48x48, both with a
cosine-decayed learning rate. Before, at 64x64 with ``model.fit``, a training
took 11-12 s on an idle machine (lowest IoU 0.71 over seeds 0-4)."""

CONFIG = dict(base_filters=8, depth=3, epochs=8, batch_size=16, learning_rate=2e-3, schedule="cosine",
              n_train=320, n_val=160)
"""The small configuration: 20 steps of 16 images per epoch, 8 epochs, Adam with cosine decay.

Without batch normalisation a small U-Net trained with plain binary
cross-entropy often sits on "everything is background" for several epochs
(measured: IoU 0.0 after 8 epochs for 3 seeds of 3). Standardising each image
and adding a soft Dice term to the loss makes it leave that plateau within 2-3
epochs for every seed tried, so the check measures the blocks, not luck.
The cosine decay makes the last epochs settle: with a constant rate the
lowest IoU over the same 18 runs was 0.57 (the IoU of the last epoch
depended on where the oscillation stopped). Doubling the batch (and the
rate) halves the steps but lowered the worst IoU to 0.61 with a constant rate."""

IOU_FLOOR = 0.30
"""Validation IoU a correct implementation must reach (threshold 0.5 on the probabilities).

Measured on the reference, seeds 0-5 of each configuration at 32x32 (``make
bench`` writes the current figures to ``out/bench/public_suite.json``): the
lowest IoU was 0.63, so the floor leaves a margin of 0.33 for a correct
implementation whose layers happen to draw other initial weights (at 64x64
with a floor of 0.40 the margin was 0.31); the same seed gives the same IoU
to the last digit. Over seeds 0-17 of each configuration (54 trainings) the
lowest was 0.611 (stride-concat, seed 9): a margin of 0.31. Cheaper
configurations measured the same way did not keep it: depth 2 fell to 0.0
and 0.40 for two of seeds 6-17, 6 epochs to 0.50, 24x24 images to 0.05. What it catches: blocks that build but cannot learn. A
U-Net whose convolutions cannot train (``trainable=False``) scores 0.000 for
seeds 0-2, its loss stuck at 1.27 of 1.36: the floor sits 0.30 above it.
Subtle mistakes are the unit checks' job: a U-Net with no ReLU at all reached
about 0.75 at 64x64 (measured before inputs were standardised), because max
pooling and the sigmoid are non-linear enough."""

CONFIGURATIONS = (("maxpool", "concat"), ("stride", "concat"), ("maxpool", "add"))


_DATA_KEPT = 2
"""How many ``(n_images, seed)`` data sets :func:`check_data` keeps (the grader makes one per hidden seed)."""
_data = {}
_data_lock = threading.Lock()


def check_data(n_images, seed):
    """Synthetic images and masks at the check's size, made once per process for every configuration.

    The three configurations train on the same data (same seed): generating
    480 images and resizing them took 0.8-1.1 s idle (2.4-3.3 s on a loaded
    machine), paid three times per ``make test`` before this cache. Safe to
    call from several threads: one makes the data, the others wait for it
    (:func:`prefetch_check_data` makes it in the background).

    Returns
    -------
    images : numpy.ndarray, shape (n_images, SIZE, SIZE, 1), float32, read-only
    masks : numpy.ndarray, shape (n_images, SIZE, SIZE), read-only
        Read-only so that no caller can change the data the next configuration trains on.
    """
    key = (n_images, seed)
    future, maker = _claim(key, Future)
    if maker:
        try:
            future.set_result(_read_only(_make_check_data(n_images, seed)))
        except BaseException as error:  # noqa: BLE001  (every caller gets it from .result(); none waits forever)
            future.set_exception(error)
    try:
        return future.result()
    except _PrefetchFailed:  # the background process could not make it: make it here
        with _data_lock:
            if _data.get(key) is future:
                del _data[key]
        return check_data(n_images, seed)


class _PrefetchFailed(Exception):
    """The process of :func:`prefetch_check_data` did not deliver (its cause is chained)."""


def prefetch_check_data(n_images, seed, executor):
    """Start making ``check_data(n_images, seed)`` on ``executor``; return at once.

    ``make test`` calls it with its helper process (:mod:`.helper_process`)
    just before importing TensorFlow, which keeps one core busy for about
    7 s: the data (2 s of NumPy and SciPy on one core) is made on the other
    meanwhile. If the executor fails for any reason, :func:`check_data`
    makes the data in this process instead.

    Parameters
    ----------
    executor : concurrent.futures.Executor
    """
    future, maker = _claim((n_images, seed), Future)
    if not maker:
        return
    try:
        made = executor.submit(_make_check_data, n_images, seed)
    except Exception as error:  # noqa: BLE001  (a broken or shut-down pool: made here, when asked)
        _deliver(future, None, error)
        return
    made.add_done_callback(lambda made: _deliver(future, made, None))


def _deliver(future, made, error):
    try:
        if error is None:
            future.set_result(_read_only(made.result()))
            return
    except Exception as raised:  # noqa: BLE001
        error = raised
    failed = _PrefetchFailed(f"making the training data in another process failed: {error!r}")
    failed.__cause__ = error
    future.set_exception(failed)


def _claim(key, make_future):
    """``(future, True)`` for the caller that is to make ``key``'s data, ``(future, False)`` for the others."""
    with _data_lock:
        future = _data.get(key)
        if future is not None:
            return future, False
        future = _data[key] = make_future()
        while len(_data) > _DATA_KEPT:
            del _data[next(iter(_data))]  # the oldest (dicts keep insertion order)
        return future, True


def _make_check_data(n_images, seed):
    """The check's images and masks, resized to :data:`SIZE` (runs in the prefetch process too)."""
    from ..data import resize_for_check, synthesize

    data = synthesize(n_images, seed=seed, level="easy")
    return resize_for_check(data.images, data.masks, SIZE)


def _read_only(arrays):
    for array in arrays:
        array.setflags(write=False)
    return arrays


def training_case(downsample, merge, *, seed=0, config=CONFIG):
    """Synthetic training and validation data for one configuration.

    The validation masks go to ``secret``: the probe never receives them.
    ``x_show`` holds the public images of the figure (:func:`.training_feedback.showcase`).
    """
    from .training_feedback import showcase

    n_train, n_val = config["n_train"], config["n_val"]
    images, masks = check_data(n_train + n_val, seed)
    params = {"downsample": downsample, "merge": merge, "data_seed": seed, **config}
    arrays = {"x_train": images[:n_train], "y_train": masks[:n_train, ..., None].astype(np.float32),
              "x_val": images[n_train:], "x_show": showcase(SIZE)[0]}
    return Case(f"{downsample}-{merge}", params, arrays, secret={"y_val": masks[n_train:]})


PUBLIC_SEED = 0
"""Data seed of the public training cases (the hidden one draws its own)."""


def _fingerprint(case):
    """What makes two training cases the same training: parameters and the bytes of every array."""
    digest = hashlib.sha256(json.dumps(case.params, sort_keys=True, default=str).encode())
    for name in sorted(case.arrays):
        array = np.ascontiguousarray(case.arrays[name])
        digest.update(f"{name}{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


class TrainingsAhead:
    """The other public configurations, trained in the background while the first one trains.

    The three public training checks train on the same images; one training
    keeps one core busy (``saltlab.seeding.pin_grading_threads``). So when
    the first public training has built its network, the other two
    configurations start in background threads on the same data, and their
    checks, asked next, find their answers done or under way. ``make test``
    starts all three as soon as its tests are collected (:meth:`start`), so
    that they also overlap the unit checks. Measured on 2 cores: see README
    ("How long a class takes").

    Why a training computes the same bytes ahead as in its own turn: each
    network is seeded, built and traced in one hold of
    :data:`~saltlab.checks.core.PROBE_LOCK` (every other probe runs holding
    it), so no other thread reseeds between its seed and its last random
    draw; the traced graph is then only executed, and with one thread per
    kernel an operation's result does not depend on what runs beside it.
    ``selftests/test_trainings_ahead.py`` compares the bytes both ways.

    Why a training ahead cannot change a grade: its answer is used only for
    a request equal to it in every parameter and every array byte
    (:func:`_fingerprint`); a training ahead that raised is discarded and the
    check runs as usual in its own turn, so an error is reported where and as
    it would have been. Off unless enabled: the worker enables it, and
    ``make test`` when it runs every public training check.
    """

    def __init__(self):
        self.enabled = False
        self._lock = threading.Lock()
        self._futures = {}
        self._pool = None

    def start_others(self, impl, case):
        """Start the other public configurations on ``case``'s data, if ``case`` is the first public one.

        Only the first: a worker restarted after a failure (its first request
        is then a later check) starts nothing ahead, so a configuration whose
        blocks hang or crash the process is retried by nobody but its own check.
        """
        first = {"downsample": CONFIGURATIONS[0][0], "merge": CONFIGURATIONS[0][1], "data_seed": PUBLIC_SEED}
        if not self.enabled or any(case.params.get(name) != value for name, value in first.items()):
            return
        with self._lock:
            self._futures.setdefault(_fingerprint(case), None)  # this one trains in its own turn
            for downsample, merge in CONFIGURATIONS:
                other = Case(f"{downsample}-{merge}", {**case.params, "downsample": downsample, "merge": merge},
                             case.arrays)
                key = _fingerprint(other)
                if key not in self._futures:
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(max_workers=len(CONFIGURATIONS) - 1,
                                                        thread_name_prefix="training-ahead")
                    self._futures[key] = self._pool.submit(_train, impl, other)

    def start(self, impl, cases):
        """Start training ``cases`` now, in the background, before any check asks for them.

        ``make test`` calls it as soon as it knows every public training test
        will run, so the trainings overlap the unit checks too. The same rules
        hold as for :meth:`start_others`: an answer serves only an equal
        request, an error is discarded and raised again in the check's turn.
        """
        if not self.enabled:
            return
        with self._lock:
            for case in cases:
                key = _fingerprint(case)
                if key not in self._futures:
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(max_workers=len(CONFIGURATIONS),
                                                        thread_name_prefix="training-ahead")
                    self._futures[key] = self._pool.submit(_train, impl, case)

    def take(self, case):
        """The answer of a training ahead equal to ``case`` (waiting for it), or None."""
        if not self.enabled:
            return None
        with self._lock:
            future = self._futures.get(_fingerprint(case))
        if future is None:
            return None
        try:
            return future.result()
        except Exception:  # noqa: BLE001  (run again in its own turn: the error is reported from there)
            return None


TRAININGS_AHEAD = TrainingsAhead()
"""This process's trainings ahead (enabled by the worker and by ``make test``)."""


def probe_training(impl, case):
    done = TRAININGS_AHEAD.take(case)
    if done is not None:
        return done
    return _train(impl, case, on_built=TRAININGS_AHEAD.start_others)


def _train(impl, case, on_built=None):
    """Seed, build and trace under PROBE_LOCK; train and predict outside it.

    Predicting (inference: no random numbers) holds no lock, so a training
    that finished never waits for a network still being built ahead: blocks
    that hang while building one configuration cannot stall another's check.
    """
    import keras

    from ..compact_training import compile_training
    from ..models import build_unet
    from ..seeding import seed_everything
    from ..training import bce_dice_loss

    p = case.params
    with PROBE_LOCK:
        seed_everything(p["data_seed"])
        model = build_unet((SIZE, SIZE, 1), base_filters=p["base_filters"], depth=p["depth"],
                           downsample=p["downsample"], merge=p["merge"], impl=impl)
        run = compile_training(model, case.arrays["x_train"], case.arrays["y_train"], loss=bce_dice_loss,
                               epochs=p["epochs"], batch_size=p["batch_size"], learning_rate=p["learning_rate"],
                               seed=p["data_seed"], cosine=p.get("schedule") == "cosine")
    if on_built is not None:  # after this network built: blocks that cannot build start nothing ahead
        on_built(impl, case)
    losses = run()
    # One call on every validation image: a few MB at this size, and no predict() loop to set up.
    probabilities = keras.ops.convert_to_numpy(model(case.arrays["x_val"], training=False))
    shown = keras.ops.convert_to_numpy(model(case.arrays["x_show"], training=False))
    steps = len(losses) // p["epochs"]
    return {"probabilities": np.asarray(probabilities, dtype=np.float32).reshape(case.arrays["x_val"].shape[:3]),
            "showcase": np.asarray(shown, dtype=np.float32).reshape(case.arrays["x_show"].shape[:3]),
            "epoch_loss": [float(np.mean(losses[e * steps:(e + 1) * steps])) for e in range(p["epochs"])]}


def validation_iou(case, got):
    probabilities = np.asarray(got["probabilities"], dtype=float)
    truth = case.secret["y_val"]
    if probabilities.shape != truth.shape:
        raise ValueError(f"probabilities of shape {probabilities.shape}, expected {truth.shape}")
    return iou(truth, np.nan_to_num(probabilities) >= 0.5)


def learning_curve(case, got):
    """The per-epoch training loss the probe reported, or None when it is not usable.

    It comes from the student's process, so it is only described, never
    trusted: a list of ``epochs`` finite numbers, or nothing.
    """
    curve = got.get("epoch_loss")
    if not isinstance(curve, list) or len(curve) != case.params["epochs"]:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in curve):
        return None
    return [float(v) for v in curve]


def showcase_probabilities(case, got):
    """The probe's predictions on the public showcase images, checked for shape (zeros when unusable)."""
    shown = got.get("showcase")
    want = case.arrays["x_show"].shape[:3]
    if not isinstance(shown, np.ndarray) or shown.shape != want or shown.dtype.kind != "f":
        return np.zeros(want)
    return shown


def verdict_training(case, got, expected):
    score = validation_iou(case, got)
    config = f"build_unet(downsample={case.params['downsample']!r}, merge={case.params['merge']!r}) from your blocks"
    curve, band = learning_curve(case, got), band_of(case)
    _, story = curve_pattern(curve, band, predicted_coverage(got["probabilities"]))
    figure = figure_data(curve, band, showcase_probabilities(case, got))
    if score >= IOU_FLOOR:
        return Verdict(True, f"{config}: validation IoU {score:.3f} (floor {IOU_FLOOR}); {story}",
                       measure=float(score), figure=figure)
    return Verdict(False, f"{config} trained to a validation IoU of {score:.3f}, below the floor {IOU_FLOOR} "
                          f"that a correct implementation reaches; {story}. The blocks build, but something in them "
                          "(an activation, the padding, the merge, a layer that cannot train) keeps the network "
                          "from learning", measure=float(score), figure=figure)


for _down, _merge in CONFIGURATIONS:
    # Registered under the model builder, not one block: a crash in any block is
    # reported as "build_unet failed ... (blocks.py:<line> in merge_skip)".
    register(Check(f"training.{_down}_{_merge}", "build_unet",
                   f"a small U-Net ({_down}, {_merge}) from your blocks learns to find salt",
                   (lambda d=_down, m=_merge: [training_case(d, m, seed=0)]), probe_training, verdict_training,
                   needs_reference=False, hint="the training check runs after every block passes its own checks",
                   concurrent=True))
