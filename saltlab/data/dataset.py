"""The in-memory dataset container and the error every loader raises."""

from dataclasses import dataclass, field

import numpy as np


class DatasetError(ValueError):
    """A dataset folder or file is missing, unreadable or inconsistent.

    The message always names the offending file or folder, the value found
    and what was expected.
    """


@dataclass
class SaltSet:
    """Seismic images, their salt masks and depths, in one order.

    Attributes
    ----------
    ids : list of str
        N image ids (file stems), sorted.
    images : numpy.ndarray, uint8, shape (N, 101, 101)
        Grey seismic sections.
    masks : numpy.ndarray, uint8, shape (N, 101, 101)
        Salt masks with values in {0, 1}.
    depths : numpy.ndarray, int64, shape (N,) or (0,)
        Depth in feet of each section; shape (0,) when the source had no
        ``depths.csv``.
    skipped : list of (str, str)
        ``(file, reason)`` for each pair a loader skipped (``skip_bad=True``);
        empty for synthetic sets.
    """

    ids: list
    images: np.ndarray
    masks: np.ndarray
    depths: np.ndarray
    skipped: list = field(default_factory=list)

    def __len__(self):
        return len(self.ids)

    @property
    def coverage(self):
        """numpy.ndarray, float64, shape (N,): salt fraction of each mask."""
        return coverage(self.masks)

    def subset(self, index):
        """The pairs at ``index`` (int array or slice), as a new SaltSet."""
        index = np.arange(len(self.ids))[index]
        return SaltSet(
            ids=[self.ids[i] for i in index],
            images=self.images[index],
            masks=self.masks[index],
            depths=self.depths[index] if self.depths.size else self.depths,
            skipped=list(self.skipped),
        )


def coverage(masks):
    """Salt fraction of each mask.

    Parameters
    ----------
    masks : array_like, shape (N, H, W)
        Binary masks (non-zero is salt).

    Returns
    -------
    numpy.ndarray, float64, shape (N,)
    """
    masks = np.asarray(masks)
    return (masks != 0).reshape(masks.shape[0], -1).mean(axis=1)
