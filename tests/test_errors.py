"""One message, two readers: a Python caller reads parameters, the command line reads flags."""

import pickle

import pytest
import typer.main

from clickpred.cli import app
from clickpred.errors import FLAGS, ClickpredError, ConfigError, DataError


def test_a_message_names_parameters_in_python_and_flags_on_the_command_line():
    e = ConfigError("--folds must be at least 2, got 1: raise --folds, see --split-by and --negatives-per-positive")
    assert str(e) == "folds must be at least 2, got 1: raise folds, see split_by and per_positive"
    assert e.for_command_line() == (
        "--folds must be at least 2, got 1: raise --folds, see --split-by and --negatives-per-positive"
    )
    assert isinstance(e, ValueError)
    with pytest.raises(ValueError, match="^folds must be"):
        raise e


def test_only_flags_the_command_line_has_are_renamed():
    """User text that looks like a flag (a file named --weird.csv, a column --x) is left as it is."""
    e = DataError("--weird.csv: column '--x' holds text; pass --no-header or --trust-pickle")
    assert str(e) == "--weird.csv: column '--x' holds text; pass header=False or trust_pickle=True"


def test_an_error_from_a_worker_process_keeps_both_spellings():
    e = pickle.loads(pickle.dumps(DataError("--keep nope: no such column")))
    assert type(e) is DataError and str(e) == "keep nope: no such column"
    assert e.for_command_line() == "--keep nope: no such column"


def test_the_flag_list_is_the_command_line_s():
    command = typer.main.get_command(app)
    flags = {
        o
        for sub in command.commands.values()
        for p in sub.params
        for o in [*getattr(p, "opts", []), *getattr(p, "secondary_opts", [])]
        if o.startswith("--") and o not in ("--help", "--version")
    }
    assert flags == FLAGS


def test_errors_are_value_errors():
    assert issubclass(ClickpredError, ValueError)
