"""Markdown helpers of the demo's report and the experiments' summary."""

from saltlab.markdown import compare, format_mean_std, markdown_table


def test_markdown_helpers():
    assert format_mean_std([0.5]) == "0.500"
    assert format_mean_std([0.5, 0.7]) == "0.600 ± 0.141"
    assert "within noise" in compare("a", [0.50, 0.60], "b", [0.52, 0.58])
    assert "larger than the spread" in compare("a", [0.90, 0.91], "b", [0.50, 0.51])
    assert "one seed" in compare("a", [0.9], "b", [0.5])
    table = markdown_table(["x", "y"], [["a", 1]])
    assert table.splitlines()[1] == "| --- | ---: |"
