"""Errors that clickpred raises for bad input; the CLI turns them into ``Error: ...``.

Every one is a :class:`ValueError` too, as scikit-learn's and pandas' errors about bad arguments and data are, so a
caller that handles those handles clickpred's (``except ValueError``).

A message is written once, naming the command-line flag at fault (``--folds``); a Python caller reads the
parameter's name instead (``str(error)``: ``folds``), the command line the flag
(:meth:`ClickpredError.for_command_line`) — so neither reader meets the other's spelling."""

from __future__ import annotations

import re

# Every flag of the command line (tests/test_cli.py keeps this exact), and — where it differs from the flag with
# underscores for dashes — the Python parameter it stands for.
FLAGS = frozenset(
    {
        "--calibration", "--categorical", "--chunk-rows", "--classifier", "--classifiers", "--click-rate",
        "--conversion-rate", "--costs", "--decision", "--drift", "--drift-threshold", "--drop", "--engine",
        "--exhaustive", "--fast-path", "--folds", "--format", "--funnel", "--header", "--holdout", "--importance",
        "--integer-codes", "--jobs", "--keep", "--max-reject-rate", "--metric", "--model", "--negative-class",
        "--negative-rate", "--negatives-per-positive", "--no-fast-path", "--no-header", "--no-importance",
        "--numeric", "--output", "--pipeline", "--pipelines", "--quiet", "--rejects", "--repeats", "--report",
        "--rows", "--scheduler", "--seed", "--sep", "--split-by", "--strategies", "--strategy", "--target", "--test",
        "--trust-pickle", "--truth", "--world-seed",
    }
)  # fmt: skip
PARAMETERS = {
    "--exhaustive": "racing=False",
    "--format": "fmt",
    "--holdout": "holdout_fraction",
    "--negatives-per-positive": "per_positive",
    "--no-fast-path": "fast_path=False",
    "--no-header": "header=False",
    "--no-importance": "importance=False",
    "--pipeline": "spec",
    "--trust-pickle": "trust_pickle=True",
}
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*(?![\w-])")


def parameter(flag: str) -> str:
    """The Python parameter a command-line flag stands for (``--split-by`` → ``split_by``)."""
    return PARAMETERS.get(flag, flag[2:].replace("-", "_"))


def _for_python(message: str) -> str:
    return _FLAG.sub(lambda m: parameter(m.group()) if m.group() in FLAGS else m.group(), message)


class ClickpredError(ValueError):
    """A problem the user can fix: the message says what and where."""

    def __init__(self, message: object = "") -> None:
        self.command_line = str(message)
        super().__init__(_for_python(self.command_line))

    def for_command_line(self) -> str:
        """The message as the command line says it: flags, not parameters."""
        return self.command_line

    def __reduce__(self):  # an error raised in a worker process keeps both spellings
        return (type(self), (self.command_line,))


class ConfigError(ClickpredError):
    """A parameter, pipeline spec (TOML) or command-line option is invalid."""


class DataError(ClickpredError):
    """Input data (a file or a DataFrame) cannot be read or does not fit what is expected."""


class ModelFileError(ClickpredError):
    """A model file cannot be written, read or trusted."""


class RowLimitError(ClickpredError):
    """An estimator was asked to fit more rows than it can handle in reasonable time."""
