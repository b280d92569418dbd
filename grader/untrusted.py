"""The one cleaner for every string a student controls.

Everything a submission can put into text crosses into the grader here
before it is stored or shown: exception messages and type names, reprs,
answers of probes, import errors, file names, student ids. A string from a
student can be 16 million characters long, hold lone surrogates (which make
UTF-8 writers raise), terminal escape sequences (which rewrite an
instructor's terminal), bidirectional controls (which make text read
backwards), HTML (which Markdown renderers keep) or start with ``=`` (which
spreadsheets run as a formula). So:

- :func:`clean_text` caps the length, replaces invalid Unicode, and removes
  escape sequences and control and format characters, for any storage.
- :func:`clean_data` applies it to every string (and key) of a plain-data
  value, bounding how many items and how deep it goes.
- :func:`markdown_inline` and :func:`markdown_block` make cleaned text inert
  in Markdown (no HTML, no links, no formatting); :func:`csv_cell` makes it
  inert in a spreadsheet.
"""

import re
import unicodedata

MAX_TEXT = 2000
"""Characters kept of one string (an honest message is a few hundred)."""

MAX_ITEMS = 10_000
"""Items (list elements, dict entries) kept per container by :func:`clean_data`."""

MAX_DEPTH = 32
"""Nesting kept by :func:`clean_data`; deeper values become a note."""

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, screen clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape
)
_KEEP_CONTROLS = {"\n", "\t"}


def _is_unsafe(character):
    if character in _KEEP_CONTROLS:
        return False
    # Cc: C0/C1 controls (ESC, CR, BEL, backspace...); Cf: format characters,
    # among them the bidirectional overrides and isolates (U+202A..U+202E,
    # U+2066..U+2069) and zero-width characters; Cs: lone surrogates;
    # Zl/Zp: line and paragraph separators that break a line invisibly.
    return unicodedata.category(character) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def clean_text(value, limit=MAX_TEXT):
    """A string from a student made safe to store and show anywhere.

    Parameters
    ----------
    value : object
        Usually a ``str``; anything else is described by its type name only
        (its ``str()`` is never called: it could run a student's code).
    limit : int, optional
        Characters kept; the rest is replaced by a note of how much was cut.

    Returns
    -------
    text : str
        Valid Unicode with no escape sequences, no control or format
        characters other than newline and tab, at most about ``limit``
        characters.

    Examples
    --------
    >>> clean_text("red \\x1b[31mALERT\\x1b[0m \\u202egnp.exe")
    'red ALERT gnp.exe'
    >>> clean_text("lone \\udcff surrogate")
    'lone \\ufffd surrogate'
    >>> clean_text("x" * 50, limit=10)
    'xxxxxxxxxx [... 40 more characters cut]'
    """
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    # Cap before any work, with room for the characters cleaning removes.
    text = value[: 4 * limit + 64]
    text = _ESCAPE_SEQUENCE.sub("", text)
    text = "".join("\ufffd" if unicodedata.category(ch) == "Cs" else ("" if _is_unsafe(ch) else ch) for ch in text)
    text = unicodedata.normalize("NFC", text)
    if len(text) > limit or len(value) > 4 * limit + 64:
        cut = max(len(value) - limit, len(text) - limit)
        text = f"{text[:limit]} [... {cut} more characters cut]"
    return text


def clean_data(value, *, limit=MAX_TEXT, _depth=0):
    """Every string in a plain-data value cleaned; containers bounded.

    Parameters
    ----------
    value : object
        JSON values, NumPy arrays and numbers (the output of
        :func:`saltlab.checks.plaindata.loads`).

    Returns
    -------
    cleaned : object
        The same structure with strings (and dict keys) through
        :func:`clean_text`, at most :data:`MAX_ITEMS` items per container
        and :data:`MAX_DEPTH` levels.

    Examples
    --------
    >>> clean_data({"raised": "Value\\x07Error", "value": [1, "\\udcff"]}) == {
    ...     "raised": "ValueError", "value": [1, "\\ufffd"]}
    True
    """
    if isinstance(value, str):
        return clean_text(value, limit)
    if _depth >= MAX_DEPTH and isinstance(value, (dict, list, tuple)):
        return "<nested too deeply>"
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        return {clean_text(str(k) if isinstance(k, (int, float)) else k, 200): clean_data(v, limit=limit, _depth=_depth + 1)
                for k, v in items}
    if isinstance(value, (list, tuple)):
        return [clean_data(v, limit=limit, _depth=_depth + 1) for v in value[:MAX_ITEMS]]
    return value


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def markdown_inline(text):
    """Cleaned text that Markdown shows literally on one line: no HTML, links or emphasis.

    Examples
    --------
    >>> markdown_inline('<img src=x onerror=alert(1)> *bold* [a](b)')
    '&lt;img src=x onerror=alert\\\\(1\\\\)&gt; \\\\*bold\\\\* \\\\[a\\\\]\\\\(b\\\\)'
    """
    text = clean_text(text).replace("\n", " ").replace("\t", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_block(text, indent=""):
    """Cleaned text as a fenced code block: shown verbatim, never rendered as HTML or Markdown.

    The fence is longer than any run of backticks in the text, so the text
    cannot close it.

    Examples
    --------
    >>> print(markdown_block("a ``` b"))
    ````text
    a ``` b
    ````
    """
    text = clean_text(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    lines = [f"{fence}text", *text.splitlines(), fence]
    return "\n".join(indent + line for line in lines)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_cell(text):
    """Cleaned text that a spreadsheet shows as text, never runs as a formula.

    OWASP's rule for CSV injection: a cell that starts with ``= + - @``, a
    tab or a carriage return gets a leading apostrophe.

    Examples
    --------
    >>> csv_cell("=HYPERLINK(\\"http://x\\")"), csv_cell("alice")
    ('\\'=HYPERLINK("http://x")', 'alice')
    """
    text = clean_text(text, 200).replace("\n", " ")
    return "'" + text if text.startswith(_FORMULA_START) else text
