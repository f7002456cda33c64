"""Where outputs go: files and folders that appear only when complete, never over an input.

Every output is written under a temporary name in the destination folder and
renamed into place by :meth:`Outputs.commit` once the whole run succeeded; an
interrupted run (Ctrl-C, SIGTERM, disk full, an error) leaves nothing that looks
finished. One input gives one output file; several inputs (or an existing
folder as ``--output``) give a folder with one part per input, plus
``_rejects.csv`` and ``_summary.json``.

:func:`plan_outputs` is the one place train, compare and evaluate plan their outputs (score's
:meth:`Outputs.plan` adds its parts and rejects file): writable (:func:`check_writable`), and, by
:func:`check_targets`, never over an input: an output that is an input (same real path or same inode), lies
inside an input folder, would replace a folder holding an input, or is not a
regular file (a device, a FIFO) is refused before any work starts. A folder
output (a score folder, a report) is swapped in whole by :class:`StagedFolder`,
and an existing folder is replaced only when every file in it is one clickpred
listed in that folder's manifest.

Example
-------
>>> outs = Outputs.plan("scores.parquet", ["day1.csv"], "parquet")  # doctest: +SKIP
>>> outs.part_path(0)  # doctest: +SKIP
PosixPath('scores.parquet')
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import ClickpredError, ConfigError, DataError
from ..text import for_spreadsheet

FORMATS = ("parquet", "csv")
SUMMARY = "_summary.json"
REJECTS = "_rejects.csv"
MANIFEST = ".clickpred-manifest.json"  # the files clickpred wrote into a folder it owns


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _same(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        try:
            return os.path.samefile(a, b)  # hard links too
        except OSError:
            pass
    return _real(a) == _real(b)


def _inside(path: Path, folder: Path) -> bool:
    real, top = _real(path), _real(folder)
    return real != top and top in real.parents


def check_targets(targets: list[tuple[str, Path, bool]], inputs: list[Path]) -> None:
    """Refuse outputs that would replace or sit inside what the run reads.

    ``targets``: (option, path, is_folder) of every output; ``inputs``: every file
    and folder the run reads (data, test file, model, spec, costs). Raises
    :class:`ClickpredError` naming the option and the input.
    """
    inputs = [Path(i) for i in inputs if i is not None]
    for option, path, folder in targets:
        path = Path(path)
        if path.exists() and not path.is_dir() and not path.is_file():
            raise ClickpredError(f"{option} {path}: not a regular file (a device or a pipe): write to a file")
        for src in inputs:
            if _same(path, src):
                raise ClickpredError(f"{option} {path}: is an input of this run ({src}): choose another path")
            if src.is_dir() and _inside(path, src):
                raise ClickpredError(f"{option} {path}: inside the input folder {src}: choose a path outside it")
            if folder and _inside(src, path):
                raise ClickpredError(f"{option} {path}: holds an input of this run ({src}): choose another folder")


def owned_files(folder: Path) -> set[str] | None:
    """Names clickpred listed in ``folder``'s manifest (None when there is none)."""
    for name, key in ((MANIFEST, "files"), (SUMMARY, "manifest")):
        try:
            listed = json.loads((folder / name).read_text()).get(key)
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(listed, list) and all(isinstance(x, str) for x in listed):
            return set(listed) | {name}
    return None


def check_replaceable(folder: Path, option: str, legacy: frozenset[str] = frozenset()) -> None:
    """An existing folder may be replaced only if it is empty or holds only files clickpred listed in it
    (or, for folders written before manifests, only ``legacy`` names)."""
    if not folder.is_dir():
        if folder.exists():
            raise ClickpredError(f"{option} {folder}: is a file, not a folder")
        return
    present = {p.name for p in folder.iterdir()}
    allowed = owned_files(folder)
    if allowed is None:
        allowed = set(legacy)
    foreign = sorted(present - allowed)
    if foreign:
        shown = ", ".join(foreign[:3]) + ("…" if len(foreign) > 3 else "")
        raise ClickpredError(
            f"{option} {folder}: folder exists and holds files clickpred did not write there ({shown}): choose another folder"
        )


SWAP_ATTEMPTS = 5


def swap_in(stage: Path, final: Path) -> None:
    """Replace ``final`` (a folder, if any) by ``stage`` whole, removing the old one only afterwards. Two runs
    committing the same folder at once race between moving the old one aside and moving theirs in (the second
    rename then meets a folder that is not empty): the loser moves the winner's aside and tries again, so the
    last to commit wins, whole, instead of failing with ENOTEMPTY."""
    import errno

    olds = []
    for attempt in range(SWAP_ATTEMPTS):
        if final.exists():
            old = final.with_name(f".{final.name}.old-{os.getpid()}-{attempt}")
            try:
                os.replace(final, old)
                olds.append(old)
            except FileNotFoundError:  # another run moved it first
                pass
        try:
            os.replace(stage, final)
            break
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or attempt == SWAP_ATTEMPTS - 1:
                raise
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)


class StagedFolder:
    """A folder written under a temporary name beside its destination, swapped in whole by :meth:`commit`.

    Example
    -------
    >>> with StagedFolder(Path("reports/demo"), "--report") as stage:  # doctest: +SKIP
    ...     (stage.path / "metrics.json").write_text("{}")
    ...     stage.commit()
    """

    def __init__(self, final: Path, option: str, legacy: frozenset[str] = frozenset()):
        self.final = Path(final)
        self.option = option
        check_replaceable(self.final, option, legacy)
        parent = self.final.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.tmp-", dir=parent))
            os.chmod(self.path, 0o777 & ~_umask())
        except OSError as exc:
            raise ClickpredError(f"{option} {self.final}: cannot write there ({exc.strerror})") from None

    def commit(self) -> None:
        check_replaceable(self.final, self.option)  # nothing foreign arrived while the run worked
        names = sorted(p.name for p in self.path.iterdir())
        (self.path / MANIFEST).write_text(json.dumps({"files": names}) + "\n")
        swap_in(self.path, self.final)

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> "StagedFolder":
        return self

    def __exit__(self, *exc) -> None:
        if self.path.exists():
            self.abort()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """Permissions of a new ordinary file under the current umask (mkstemp makes 0600 files)."""
    return 0o666 & ~_umask()


def format_for(output: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in FORMATS:
            raise ClickpredError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return fmt
    name = output.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    return "parquet"


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".tsv.gz", ".txt.gz", ".parquet", ".csv", ".tsv", ".txt", ".pq", ".gz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def plan_outputs(
    targets: list[tuple[str, Path, bool]],
    inputs: list[Path],
    legacy: dict[str, frozenset[str]] | None = None,
    shown: dict[str, Path] | None = None,
) -> None:
    """The one check, before any work, that a run's outputs (``(option, path, is_folder)``) can be written: a file
    is not a folder and its folder is writable, a folder is writable (:func:`check_writable`); none replaces or
    sits inside an input (:func:`check_targets`); a folder that exists holds only what clickpred wrote there
    (:func:`check_replaceable`, with ``legacy`` file names per option). ``shown``: the path a message names."""
    for option, path, is_folder in targets:
        if not is_folder and path.is_dir():
            raise ConfigError(f"{option} {path}: cannot write there (a folder)")
        check_writable(path if is_folder else path.parent, option, shown=(shown or {}).get(option, path))
    check_targets(targets, inputs)
    for option, path, is_folder in targets:
        if is_folder:
            check_replaceable(path, option, legacy=(legacy or {}).get(option, frozenset()))


def make_folder(directory: Path, option: str) -> Path:
    """Create ``directory`` (and its parents) or say, in one line naming ``option``, why it cannot be."""
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ClickpredError(f"{option} {directory}: cannot write there ({exc.strerror})") from None
    check_writable(directory, option)
    return directory


def check_writable(folder: Path, option: str, shown: Path | None = None) -> None:
    """Fail before the work, not after it, when ``folder`` (existing or to be created) can't be written;
    the message names ``shown`` (default: the folder)."""
    probe = Path(folder)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise ClickpredError(f"{option} {shown or folder}: cannot write there")


def _finite(value):
    """JSON-safe: NaN and infinities (a mean over no scored rows) as null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Outputs:
    """The files one scoring run writes, staged until :meth:`commit`."""

    def __init__(self, output: Path, fmt: str, parts: list[Path], folder: bool, rejects: Path):
        self.output = output
        self.fmt = fmt
        self.parts = parts
        self.folder = folder
        self.rejects = rejects
        # the run's summary (counts, drift): inside a folder output, beside a file output
        self.summary = output / SUMMARY if folder else output.with_name(output.name + ".summary.json")
        self._staged: dict[Path, Path] = {}
        self._stage_dir: Path | None = None
        self._writers: list = []  # closed (quietly) by abort()

    @classmethod
    def plan(
        cls,
        output: str | Path,
        inputs: list[Path],
        fmt: str | None = None,
        rejects: str | Path | None = None,
        folder: bool | None = None,
    ) -> "Outputs":
        trailing_slash = str(output).endswith(("/", os.sep))
        output = Path(output)
        fmt = format_for(output, fmt)
        if folder is None:
            folder = len(inputs) > 1 or output.is_dir() or trailing_slash
        if folder:
            if output.exists() and not output.is_dir():
                raise ClickpredError(f"--output {output}: is a file, but {len(inputs)} inputs need a folder")
            check_replaceable(output, "--output")
            stems = [_stem(p) for p in inputs]
            ext = ".parquet" if fmt == "parquet" else ".csv"
            unique = len(set(stems)) == len(stems)
            parts = [output / (f"{s}{ext}" if unique else f"part-{i:05d}-{s}{ext}") for i, s in enumerate(stems)]
            default_rejects = output / REJECTS
            check_writable(output, "--output")
        else:
            if output.is_dir():
                raise ClickpredError(f"--output {output}: is a folder")
            parts = [output]
            default_rejects = output.with_name(_stem(output) + ".rejects.csv")
            check_writable(output.parent, "--output")
        rejects = Path(rejects) if rejects else default_rejects
        check_writable(rejects.parent, "--rejects")
        if rejects.resolve() in {p.resolve() for p in parts}:
            raise ClickpredError(f"--rejects {rejects}: is also an output file")
        planned = cls(output, fmt, parts, folder, rejects)
        if planned.summary.resolve() == rejects.resolve():
            raise ClickpredError(f"--rejects {rejects}: is where the run's summary goes: name another file")
        return planned

    # ---------------------------------------------------------------- staging

    def _tmp(self, final: Path) -> Path:
        if self.folder and final.parent == self.output:
            if self._stage_dir is None:
                parent = self.output.parent
                parent.mkdir(parents=True, exist_ok=True)
                self._stage_dir = Path(tempfile.mkdtemp(prefix=f".{self.output.name}.tmp-", dir=parent))
                os.chmod(self._stage_dir, 0o777 & ~_umask())  # mkdtemp makes 0700 folders
            return self._stage_dir / final.name
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.tmp-", dir=final.parent)
        os.close(fd)
        os.chmod(name, file_mode())
        self._staged[final] = Path(name)
        return Path(name)

    def stage_folder(self) -> Path:
        """The staging folder of a folder output (created), for writers that name their own parts."""
        if not self.folder:
            raise ValueError("not a folder output")
        self._tmp(self.output / SUMMARY)
        assert self._stage_dir is not None  # made by _tmp for a folder output
        return self._stage_dir

    def part_writer(self, i: int, schema: pa.Schema) -> "PartWriter":
        w = PartWriter(self._tmp(self.parts[i]), self.fmt, schema, final_name=self.parts[i].name)
        self._writers.append(w)
        return w

    def rejects_writer(self) -> "RejectsWriter":
        w = RejectsWriter(self._tmp(self.rejects), final=self.rejects)
        self._writers.append(w)
        return w

    def write_summary(self, summary: dict) -> None:
        """The run's summary as JSON: a folder output's ``_summary.json`` (with the folder's manifest), a file
        output's ``<output>.summary.json``; staged like the outputs (nothing appears before the run succeeds)."""
        tmp = self._tmp(self.summary)
        if self.folder:
            assert self._stage_dir is not None
            manifest = sorted({p.name for p in self._stage_dir.iterdir()} | {SUMMARY})
            summary = {**summary, "manifest": manifest}
        tmp.write_text(json.dumps(_finite(summary), indent=2, allow_nan=False) + "\n")

    def commit(self) -> None:
        """Move every staged file into place (folder outputs: swap the whole folder)."""
        for final, tmp in self._staged.items():
            os.replace(tmp, final)
        self._staged.clear()
        if self._stage_dir is not None:
            check_replaceable(self.output, "--output")  # nothing foreign arrived while the run worked
            swap_in(self._stage_dir, self.output)
            self._stage_dir = None

    def abort(self) -> None:
        """Close every writer and remove everything staged, whatever fails on the way (a full disk
        fails the close too: the first error is the one the caller reports)."""
        for w in self._writers:
            try:
                w.close()
            except Exception:  # noqa: BLE001 - cleaning up after an error already being raised
                pass
        self._writers.clear()
        for tmp in self._staged.values():
            try:
                tmp.unlink()
            except OSError:
                pass
        self._staged.clear()
        if self._stage_dir is not None:
            shutil.rmtree(self._stage_dir, ignore_errors=True)
            self._stage_dir = None


class PartWriter:
    """Appends score tables to one Parquet or CSV file."""

    def __init__(self, path: Path, fmt: str, schema: pa.Schema, final_name: str = ""):
        self.path = path
        self.rows = 0
        self._sink = None
        self._closed = False
        try:
            if fmt == "parquet":
                # Dictionary-encode only the prediction: scores are distinct doubles and kept columns
                # are mostly IDs; trying a dictionary on them costs 4x the rest of the write.
                self._writer = pq.ParquetWriter(
                    path,
                    schema,
                    compression="snappy",
                    use_dictionary=[f.name for f in schema if f.name == "prediction"],
                )
            elif final_name.lower().endswith(".gz"):
                self._sink = pa.CompressedOutputStream(str(path), "gzip")
                self._writer = pacsv.CSVWriter(self._sink, schema)
            else:
                self._writer = pacsv.CSVWriter(str(path), schema)
        except OSError as exc:
            raise DataError(write_error(path, exc)) from None

    def write(self, table: pa.Table) -> None:
        try:
            self._writer.write_table(table)
        except OSError as exc:
            raise DataError(write_error(self.path, exc)) from None
        self.rows += table.num_rows

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._writer.close()
            if self._sink is not None:
                self._sink.close()
        except OSError as exc:
            raise DataError(write_error(self.path, exc)) from None


class RejectsWriter:
    """Appends rejected rows (source, line, reason, raw) to a CSV file."""

    HEADER = ("source", "line", "reason", "raw")

    def __init__(self, path: Path, final: Path | None = None):
        self.path = path
        self.final = final or path
        self.rows = 0
        self._fh = open(path, "w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(self.HEADER)

    def write(self, rejects) -> None:
        try:
            for r in rejects:  # cells a spreadsheet would run as formulas get a leading '
                self._csv.writerow(
                    (for_spreadsheet(r.source), r.line, for_spreadsheet(r.reason), for_spreadsheet(r.raw))
                )
        except OSError as exc:
            raise DataError(write_error(self.final, exc)) from None
        self.rows += len(rejects)

    def close(self) -> None:
        if self._fh.closed:
            return
        try:
            self._fh.close()
        except OSError as exc:
            raise DataError(write_error(self.final, exc)) from None


def write_text_atomic(path: Path, text: str, option: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ClickpredError(f"{option} " + write_error(path, exc)) from None
    return path


def write_error(path: Path, exc: OSError) -> str:
    """One line for a failed write; a full disk says so."""
    import errno

    if getattr(exc, "errno", None) == errno.ENOSPC or "No space left" in str(exc):
        return f"{path}: no space left on device (nothing written)"
    return f"{path}: cannot write ({getattr(exc, 'strerror', None) or exc})"
