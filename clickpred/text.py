"""User text (labels, column and spec names, file contents) made safe where clickpred shows it.

- :func:`plain`: control characters removed (an ANSI escape in a class label must not reach the terminal);
- :func:`for_terminal`: plain, and rich markup escaped (a label ``[/]`` is text, not a closing tag);
- :func:`for_spreadsheet`: a CSV cell that a spreadsheet would run as a formula (starting with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading ``'``, as OWASP recommends.

Figures: :func:`clickpred.reporting.train_report.save_figure` escapes ``$`` in every user text of a figure, so ``$x$``
in a label is drawn as written (the axes' own 10^k tick labels keep their mathtext).

Example
-------
>>> plain("click\\x1b[2J")
'click[2J'
>>> for_terminal("[/]")
'\\\\[/]'
>>> for_spreadsheet("=HYPERLINK(1)"), for_spreadsheet("-0.5")
("'=HYPERLINK(1)", "'-0.5")
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls but tab and newline
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(text) -> str:
    return _CONTROL.sub("", str(text))


def for_terminal(text) -> str:
    from rich.markup import escape

    return escape(plain(text))


def for_spreadsheet(value):
    """A cell as a spreadsheet should read it (non-text values unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
