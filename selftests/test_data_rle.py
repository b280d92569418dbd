"""Competition run-length encoding: hand-worked examples and round trips."""

import numpy as np
import pytest

from saltlab.data import rle_decode, rle_encode, synthesize


def test_hand_worked_3x3():
    # Column-major, 1-based pixel numbers of a 3x3 image:
    #   1 4 7
    #   2 5 8
    #   3 6 9
    mask = np.array([[0, 1, 0],
                     [1, 1, 0],
                     [0, 0, 1]])
    # Salt at 2, 4, 5, 9 -> runs (2,1) (4,2) (9,1).
    assert rle_encode(mask) == "2 1 4 2 9 1"
    assert np.array_equal(rle_decode("2 1 4 2 9 1", (3, 3)), mask)


def test_runs_continue_down_then_across():
    mask = np.zeros((3, 3), dtype=np.uint8)
    mask[2, 0] = mask[0, 1] = 1  # pixels 3 and 4 are consecutive
    assert rle_encode(mask) == "3 2"
    full = np.ones((3, 3))
    assert rle_encode(full) == "1 9"


def test_empty_mask_is_empty_string():
    assert rle_encode(np.zeros((101, 101))) == ""
    for empty in ("", None, float("nan"), "  "):
        assert not rle_decode(empty).any()
    assert rle_decode("").shape == (101, 101)


def test_round_trip_on_synthetic_masks():
    data = synthesize(60, seed=1)
    for mask in data.masks:
        text = rle_encode(mask)
        back = rle_decode(text)
        assert back.dtype == np.uint8
        assert np.array_equal(back, mask)


def test_known_101x101_encoding():
    mask = np.zeros((101, 101), dtype=np.uint8)
    mask[100, 0] = 1  # last pixel of the first column: pixel 101
    mask[0:2, 1] = 1  # first two of the second column: 102, 103
    mask[5, 100] = 1  # column 101, row 6: 100 * 101 + 6 = 10106
    assert rle_encode(mask) == "101 3 10106 1"


@pytest.mark.parametrize("text, expected", [
    ("1 a", "not integers"),
    ("1 2 3", "odd count"),
    ("0 2", "start < 1"),
    ("10200 5", "runs past pixel 10201"),
    ("5 5 7 2", "overlapping"),
])
def test_malformed_strings(text, expected):
    with pytest.raises(ValueError, match=expected):
        rle_decode(text)
