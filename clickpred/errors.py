"""Errors that clickpred raises for bad input; the CLI turns them into ``Error: ...``."""


class ClickpredError(Exception):
    """A problem the user can fix: the message says what and where."""


class ConfigError(ClickpredError):
    """A pipeline spec (TOML) or command-line option is invalid."""


class DataError(ClickpredError):
    """An input data file cannot be read or does not fit what is expected."""


class ModelFileError(ClickpredError):
    """A model file cannot be written, read or trusted."""


class RowLimitError(ClickpredError, ValueError):
    """An estimator was asked to fit more rows than it can handle in reasonable time."""
