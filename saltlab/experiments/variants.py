"""The network variants compared by the course's questions.

A variant is a name, the question it answers and how to build it; the
preset (:mod:`saltlab.experiments.presets`) supplies the sizes.

- Question 1, max pooling vs stride-2 convolution: ``maxpool-*`` vs ``stride-*``.
- Question 2, skip connections: ``*-none``, ``*-concat``, ``*-add``, ``*-max``, ``*-min``.
- Question 3, encoder-decoder vs full resolution: ``maxpool-concat`` vs ``fcn``.
- Question 4, the threshold: the reference variant ``maxpool-concat``.
"""

from dataclasses import dataclass

from ..models import build_fcn, build_unet

DOWNSAMPLES = ("maxpool", "stride")
MERGES = ("none", "concat", "add", "max", "min")
REFERENCE = "maxpool-concat"
"""The course's U-Net, the baseline of every comparison and question 4's network."""


@dataclass(frozen=True)
class Variant:
    """One network of the comparison.

    Attributes
    ----------
    name : str
        ``"<downsample>-<merge>"`` for a U-Net, ``"fcn"`` for the FCN.
    kind : {'unet', 'fcn'}
    downsample : str or None
        ``'maxpool'`` or ``'stride'`` (U-Net only).
    merge : str or None
        ``'none'``, ``'concat'``, ``'add'``, ``'max'`` or ``'min'`` (U-Net only).
    """

    name: str
    kind: str
    downsample: str = None
    merge: str = None

    @property
    def questions(self):
        """str: the questions this variant gives evidence for, e.g. ``"Q1 Q2 Q3 Q4"``."""
        found = []
        if self.kind == "unet" and self.merge == "concat":
            found.append("Q1")
        if self.kind == "unet":
            found.append("Q2")
        if self.kind == "fcn" or self.name == REFERENCE:
            found.append("Q3")
        if self.name == REFERENCE:
            found.append("Q4")
        return " ".join(found)

    def build(self, preset, *, impl):
        """Build the Keras model of this variant at the preset's sizes.

        Parameters
        ----------
        preset : Preset
            Supplies ``input_size``, ``base_filters``, ``depth``,
            ``batchnorm``, ``fcn_filters`` and ``fcn_dilations``.
        impl : saltlab.impl.Implementation
            Whose graded blocks to assemble.

        Returns
        -------
        model : keras.Model
            (N, S, S, 1) -> (N, S, S, 1) with S = ``preset.input_size``.
        """
        shape = (preset.input_size, preset.input_size, 1)
        if self.kind == "fcn":
            return build_fcn(
                shape,
                filters=preset.fcn_filters,
                dilation_rates=preset.fcn_dilations,
                batchnorm=preset.batchnorm,
                impl=impl,
            )
        return build_unet(
            shape,
            base_filters=preset.base_filters,
            depth=preset.depth,
            downsample=self.downsample,
            merge=self.merge,
            batchnorm=preset.batchnorm,
            impl=impl,
        )


VARIANTS = {
    v.name: v
    for v in [Variant(f"{d}-{m}", "unet", d, m) for d in DOWNSAMPLES for m in MERGES] + [Variant("fcn", "fcn")]
}
"""Every variant by name: the 10 U-Nets (downsample x merge) and the FCN."""


def select_variants(names=None):
    """Variants by name, in the canonical order.

    Parameters
    ----------
    names : iterable of str, optional
        Names from :data:`VARIANTS`; ``None`` selects all.

    Returns
    -------
    variants : list of Variant

    Raises
    ------
    ValueError
        If a name is unknown, naming it and the valid names.
    """
    if names is None:
        return list(VARIANTS.values())
    names = list(names)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant(s) {unknown}; valid names: {list(VARIANTS)}")
    return [v for n, v in VARIANTS.items() if n in names]
