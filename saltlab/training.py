"""Training with the course's recipe.

Adam, binary cross-entropy, batch size 32, ``ReduceLROnPlateau`` on the
validation loss (patience 5), ``EarlyStopping`` (patience 10, best weights
restored) and a checkpoint of the best weights.
"""

from pathlib import Path

from .seeding import seed_everything

BATCH_SIZE = 32
LR_PATIENCE = 5
STOP_PATIENCE = 10


def bce_dice_loss(y_true, y_prob):
    """Binary cross-entropy plus soft Dice loss, both over the whole batch.

    Parameters
    ----------
    y_true, y_prob : tensor, shape (N, H, W, 1)

    Returns
    -------
    loss : scalar tensor
        ``mean BCE + 1 - (2 sum(y p) + 1) / (sum(y) + sum(p) + 1)``.

    Notes
    -----
    The course's recipe is plain binary cross-entropy. With a few epochs on a
    CPU, a U-Net trained on it often predicts "no salt anywhere" for several
    epochs (39% of the images are empty and most pixels are sediment); the
    Dice term rewards overlap directly and pulls it off that plateau.
    """
    import keras
    from keras import ops

    bce = ops.mean(keras.losses.binary_crossentropy(y_true, y_prob))
    overlap = ops.sum(y_true * y_prob)
    return bce + 1.0 - (2.0 * overlap + 1.0) / (ops.sum(y_true) + ops.sum(y_prob) + 1.0)


LOSSES = {"bce": "binary_crossentropy", "bce_dice": bce_dice_loss}
"""Losses by name: ``"bce"`` is the course's, ``"bce_dice"`` trains faster in short runs."""

LOSS_LABELS = {
    "bce": "binary cross-entropy (the course's loss)",
    "bce_dice": ("binary cross-entropy + soft Dice (the course's recipe is BCE alone; in runs of a few epochs "
                 "on a CPU the Dice term gets the network off the 'no salt anywhere' plateau)"),
}
"""How reports describe each of :data:`LOSSES`."""


def course_callbacks(checkpoint_path=None, *, lr_patience=LR_PATIENCE, stop_patience=STOP_PATIENCE):
    """The course's callbacks: LR reduction, early stopping, best-weights checkpoint.

    Parameters
    ----------
    checkpoint_path : str or pathlib.Path, optional
        Where to keep the best weights (must end in ``.weights.h5``); ``None``
        keeps no checkpoint.

    Returns
    -------
    callbacks : list of keras.callbacks.Callback
    """
    import keras

    callbacks = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=lr_patience, min_lr=1e-6),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=stop_patience, restore_best_weights=True),
    ]
    if checkpoint_path is not None:
        checkpoint_path = Path(checkpoint_path)
        if not checkpoint_path.name.endswith(".weights.h5"):
            raise ValueError(f"checkpoint_path must end in '.weights.h5', got {checkpoint_path}")
        checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
        callbacks.append(
            keras.callbacks.ModelCheckpoint(
                str(checkpoint_path), monitor="val_loss", save_best_only=True, save_weights_only=True
            )
        )
    return callbacks


def cosine_schedule(learning_rate, total_steps):
    """A callback decaying Adam's rate along a half cosine, step by step.

    Parameters
    ----------
    learning_rate : float
        The rate at the first step.
    total_steps : int
        Steps of the whole run; the rate reaches 0 after the last one.

    Returns
    -------
    keras.callbacks.Callback
        Sets ``learning_rate * (1 + cos(pi * step / total_steps)) / 2`` before
        each step (as ``keras.optimizers.schedules.CosineDecay``). A callback
        rather than a schedule object so that the course's
        ``ReduceLROnPlateau`` can still read (and, rarely, set) the rate.
    """
    import math

    import keras

    class CosineSchedule(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step = 0

        def on_train_batch_begin(self, batch, logs=None):
            rate = learning_rate * 0.5 * (1.0 + math.cos(math.pi * min(self.step, total_steps) / total_steps))
            self.model.optimizer.learning_rate = rate
            self.step += 1

    return CosineSchedule()


def train_model(
    model,
    train,
    validation,
    *,
    epochs=50,
    batch_size=BATCH_SIZE,
    learning_rate=1e-3,
    checkpoint_path=None,
    augment=False,
    loss="bce",
    schedule="constant",
    seed=0,
    verbose=1,
    callbacks=(),
):
    """Compile and fit ``model`` with the course's recipe; return the history.

    Parameters
    ----------
    model : keras.Model
        (N, H, W, 1) -> (N, H, W, 1) probabilities, e.g. from ``build_unet``.
    train, validation : tuple of (x, y)
        Float32 arrays of shape (N, H, W, 1): images scaled to [0, 1] and
        masks of 0/1 (see ``saltlab.data.to_network_input``).
    epochs : int, optional
        Upper bound; early stopping usually ends sooner (default 50).
    batch_size : int, optional
        Default 32, the course's.
    learning_rate : float, optional
        Adam's initial rate (default 1e-3).
    checkpoint_path : str or pathlib.Path, optional
        Best weights are saved there (``.weights.h5``).
    augment : bool, optional
        Random horizontal flips of the training batches.
    loss : {'bce', 'bce_dice'}, optional
        ``'bce'`` (default): the course's binary cross-entropy; ``'bce_dice'``:
        plus a soft Dice term (:func:`bce_dice_loss`).
    schedule : {'constant', 'cosine'}, optional
        ``'constant'`` (default, the course's: only ``ReduceLROnPlateau``
        lowers it); ``'cosine'``: decay to 0 over the run
        (:func:`cosine_schedule`), which lets a short run settle.
    seed : int, optional
        Seeds batching, augmentation and anything random in training.
    verbose : {0, 1, 2}, optional
        Keras's progress display (1: the progress bar).
    callbacks : sequence of keras.callbacks.Callback, optional
        Extra callbacks after the course's.

    Returns
    -------
    history : dict of str to list of float
        Per-epoch ``loss``, ``val_loss``, ``accuracy``, ``val_accuracy`` and ``learning_rate``.
    """
    import keras

    if loss not in LOSSES:
        raise ValueError(f"train_model: loss must be one of {sorted(LOSSES)}, got {loss!r}")
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"train_model: schedule must be 'constant' or 'cosine', got {schedule!r}")
    seed_everything(seed)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=LOSSES[loss],
        metrics=["accuracy"],
    )
    x_train, y_train = train
    if augment:
        from .data.batches import make_batches

        fit_data = dict(x=make_batches(x_train, y_train, batch_size=batch_size, shuffle=True, augment=True, seed=seed))
    else:
        fit_data = dict(x=x_train, y=y_train, batch_size=batch_size, shuffle=True)
    extra = list(callbacks)
    if schedule == "cosine":
        steps = -(-len(x_train) // batch_size) * epochs
        extra.insert(0, cosine_schedule(learning_rate, steps))
    history = model.fit(
        **fit_data,
        validation_data=validation,
        epochs=epochs,
        callbacks=course_callbacks(checkpoint_path) + extra,
        verbose=verbose,
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def predict_probabilities(model, x, *, batch_size=BATCH_SIZE):
    """Salt probabilities for network-sized inputs.

    Parameters
    ----------
    model : keras.Model
    x : np.ndarray, float32, shape (N, H, W, 1)

    Returns
    -------
    probabilities : np.ndarray, float32, shape (N, H, W)
    """
    return model.predict(x, batch_size=batch_size, verbose=0)[..., 0]
