"""Data of the salt-segmentation assignment: sources, loading and pipeline.

Sources: a synthetic seismic generator (the offline default, see
:mod:`saltlab.data.synthetic`) and the real Kaggle TGS Salt train set, both
in the same folder layout and loaded by the same :func:`load_dataset`.
:func:`load_data` loads a folder or the synthetic default.
Pipeline: 101 -> 128 (or 64) and back (:mod:`saltlab.data.preprocess`),
coverage-stratified samples and split (:mod:`saltlab.data.split`), both
composed into a run's arrays (:mod:`saltlab.data.pipeline`), flips
(:mod:`saltlab.data.augment`) and ``tf.data`` batches
(:mod:`saltlab.data.batches`).

Importing this package does not import TensorFlow.
Command line: ``python -m saltlab.data {generate,inspect} ...``.
"""

from saltlab.data.augment import flip_pairs
from saltlab.data.batches import make_batches
from saltlab.data.dataset import DatasetError, SaltSet, coverage
from saltlab.data.inspection import inspect_dataset
from saltlab.data.loader import load_data, load_dataset
from saltlab.data.pipeline import network_arrays
from saltlab.data.preprocess import (
    NETWORK_SIZE,
    PAD_AFTER,
    PAD_BEFORE,
    SUPPORTED_SIZES,
    from_network_output,
    masks_to_network,
    resize_for_check,
    standardize_images,
    to_image_grid,
    to_network,
    to_network_input,
)
from saltlab.data.rle import rle_decode, rle_encode
from saltlab.data.split import coverage_classes, draw_subset, stratified_split
from saltlab.data.synthetic import DEFAULT_DIFFICULTY, DEFAULT_LEVEL, LEVELS, synthesize
from saltlab.data.writer import (
    MARKER,
    default_dataset_generator,
    default_dataset_path,
    ensure_default_dataset,
    generate_dataset,
    write_dataset,
)

__all__ = [
    "DEFAULT_DIFFICULTY",
    "DEFAULT_LEVEL",
    "LEVELS",
    "DatasetError",
    "MARKER",
    "NETWORK_SIZE",
    "PAD_AFTER",
    "PAD_BEFORE",
    "SUPPORTED_SIZES",
    "SaltSet",
    "coverage",
    "coverage_classes",
    "default_dataset_generator",
    "default_dataset_path",
    "draw_subset",
    "ensure_default_dataset",
    "flip_pairs",
    "from_network_output",
    "generate_dataset",
    "inspect_dataset",
    "load_data",
    "load_dataset",
    "make_batches",
    "masks_to_network",
    "network_arrays",
    "resize_for_check",
    "rle_decode",
    "rle_encode",
    "stratified_split",
    "synthesize",
    "standardize_images",
    "to_image_grid",
    "to_network",
    "to_network_input",
    "write_dataset",
]
