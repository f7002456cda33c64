"""How skops is imported: as it is, or — for the command line — without its default list of trusted types.

Kept apart from :mod:`clickpred.model.modelfile` so that the command line can ask for the lean import before
anything heavy loads (this module imports nothing).
"""

from __future__ import annotations

from typing import Any

_LEAN_SKOPS = [False]  # set by the command line (lean_skops): skops imported without its default trust list


def lean_skops() -> None:
    """From now on, import skops without building its default list of trusted types (for the command line).

    Importing ``skops.io`` builds that list from ``sklearn.utils.all_estimators()``, which imports every module of
    scikit-learn: ~0.5 s of ``clickpred score``'s start-up on an idle machine, for a list clickpred never uses — the
    exact allowlist (:mod:`clickpred.model.allowlist`) decides, and the loader passes skops every type the file
    holds. Lean, skops' default trust then holds no scikit-learn estimator, so the process trusts *less*. A notebook
    keeps skops as it is: only the command line, whose process is clickpred's alone, calls this."""
    _LEAN_SKOPS[0] = True


def skops_io() -> Any:
    """``skops.io``, imported lean where :func:`lean_skops` asked for it (and skops is not imported yet)."""
    import sys

    if not _LEAN_SKOPS[0] or "skops.io" in sys.modules:
        import skops.io

        return skops.io
    import sklearn.utils

    every_estimator = sklearn.utils.all_estimators
    sklearn.utils.all_estimators = lambda *args, **kwargs: []  # read once, by skops.io._trusted_types
    try:
        import skops.io
    finally:
        sklearn.utils.all_estimators = every_estimator
    return skops.io
