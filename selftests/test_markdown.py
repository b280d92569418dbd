"""Markdown helpers of the demo's report and the experiments' summary."""

from saltlab.evaluation.paired import compare_paired
from saltlab.markdown import format_mean_std, markdown_table, paired_sentence


def test_markdown_helpers():
    assert format_mean_std([0.5]) == "0.500"
    assert format_mean_std([0.5, 0.7]) == "0.600 ± 0.141"
    table = markdown_table(["x", "y"], [["a", 1]])
    assert table.splitlines()[1] == "| --- | ---: |"


def test_paired_sentence_states_the_difference_its_intervals_and_the_verdict():
    better = compare_paired({0: 0.80, 1: 0.82, 2: 0.81}, {0: 0.77, 1: 0.79, 2: 0.79})
    assert paired_sentence("A", "B", better) == (
        "A is better than B by 0.027 IoU, 95 % CI [0.012, 0.041] over 3 seeds; "
        "3 seeds would detect a difference of 0.02 IoU.")
    # B ahead: the better one is named first and the interval is turned to read as a gain.
    worse = compare_paired({0: 0.77, 1: 0.79, 2: 0.79}, {0: 0.80, 1: 0.82, 2: 0.81})
    assert paired_sentence("A", "B", worse).startswith("B is better than A by 0.027 IoU, 95 % CI [0.012, 0.041]")
    unsure = compare_paired({0: 0.80, 1: 0.78, 2: 0.81}, {0: 0.79, 1: 0.79, 2: 0.79})
    text = paired_sentence("A", "B", unsure)
    assert text.startswith("A − B: +0.007 IoU, 95 % CI [-0.031, 0.045] over 3 seeds")
    assert "**not settled at this budget**; 7 seeds would detect a difference of 0.02 IoU." in text
    single = paired_sentence("A", "B", compare_paired({0: 0.9}, {0: 0.5}))
    assert "one seed, no interval over seeds" in single and "not settled" in single and "run at least 2" in single


def test_paired_sentence_says_when_a_difference_of_0_02_is_ruled_out():
    tiny = compare_paired({0: 0.8001, 1: 0.7999, 2: 0.8000}, {0: 0.8000, 1: 0.8001, 2: 0.8002})
    text = paired_sentence("A", "B", tiny)
    assert text.startswith("A − B: -0.000 IoU") is False and text.startswith("A − B: +0.000 IoU, 95 % CI [")
    assert "not settled at this budget" in text and "rule out a difference of 0.02 IoU either way" in text
    wide = compare_paired({0: 0.80, 1: 0.78, 2: 0.81}, {0: 0.79, 1: 0.79, 2: 0.79})
    assert "rule out" not in paired_sentence("A", "B", wide)


def test_a_settled_difference_too_small_to_print_gets_more_digits_and_its_size_bounded():
    """Settled but tiny (every seed a little ahead): never "better by 0.000", and said to be small."""
    tiny = compare_paired({0: 0.80030, 1: 0.80025, 2: 0.80035}, {0: 0.8, 1: 0.8, 2: 0.8})
    text = paired_sentence("A", "B", tiny)
    assert text.startswith("A is better than B by 0.0003 IoU, 95 % CI [0.0002, 0.0004] over 3 seeds")
    assert "both intervals rule out a difference of 0.02 IoU either way" in text
    # Settled and large: no such clause, three digits as always.
    large = paired_sentence("A", "B", compare_paired({0: 0.85, 1: 0.86, 2: 0.84}, {0: 0.80, 1: 0.80, 2: 0.80}))
    assert "rule out" not in large and "by 0.050 IoU, 95 % CI [" in large
