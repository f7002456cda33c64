"""Errors that clickpred raises for bad input; the CLI turns them into ``Error: ...``.

Every one is a :class:`ValueError` too, as scikit-learn's and pandas' errors about bad arguments and data are, so a
caller that handles those handles clickpred's (``except ValueError``)."""


class ClickpredError(ValueError):
    """A problem the user can fix: the message says what and where."""


class ConfigError(ClickpredError):
    """A parameter, pipeline spec (TOML) or command-line option is invalid."""


class DataError(ClickpredError):
    """Input data (a file or a DataFrame) cannot be read or does not fit what is expected."""


class ModelFileError(ClickpredError):
    """A model file cannot be written, read or trusted."""


class RowLimitError(ClickpredError):
    """An estimator was asked to fit more rows than it can handle in reasonable time."""
