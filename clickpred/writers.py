"""Where scores and rejects go: files that appear only when complete.

Every output is written under a temporary name in the destination folder and
renamed into place by :meth:`Outputs.commit` once the whole run succeeded; an
interrupted run (Ctrl-C, kill, disk full, an error) leaves nothing that looks
finished. One input gives one output file; several inputs (or an existing
folder as ``--output``) give a folder with one part per input, plus
``_rejects.csv`` and ``_summary.json``.

Example
-------
>>> outs = Outputs.plan("scores.parquet", ["day1.csv"], "parquet")  # doctest: +SKIP
>>> outs.part_path(0)  # doctest: +SKIP
PosixPath('scores.parquet')
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .errors import ClickpredError, DataError

FORMATS = ("parquet", "csv")
SUMMARY = "_summary.json"
REJECTS = "_rejects.csv"


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


def _check_dir_writable(folder: Path, option: str) -> None:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise ClickpredError(f"{option} {folder}: cannot write there")


class Outputs:
    """The files one scoring run writes, staged until :meth:`commit`."""

    def __init__(self, output: Path, fmt: str, parts: list[Path], folder: bool, rejects: Path):
        self.output = output
        self.fmt = fmt
        self.parts = parts
        self.folder = folder
        self.rejects = rejects
        self._staged: dict[Path, Path] = {}
        self._stage_dir: Path | None = None

    @classmethod
    def plan(cls, output: str | Path, inputs: list[Path], fmt: str | None = None, rejects: str | Path | None = None,
             folder: bool | None = None) -> "Outputs":
        trailing_slash = str(output).endswith(("/", os.sep))
        output = Path(output)
        fmt = format_for(output, fmt)
        if folder is None:
            folder = len(inputs) > 1 or output.is_dir() or trailing_slash
        if folder:
            if output.exists() and not output.is_dir():
                raise ClickpredError(f"--output {output}: is a file, but {len(inputs)} inputs need a folder")
            if output.is_dir() and any(output.iterdir()) and not (output / SUMMARY).exists():
                raise ClickpredError(
                    f"--output {output}: folder exists and holds files clickpred did not write; choose another"
                )
            stems = [_stem(p) for p in inputs]
            ext = ".parquet" if fmt == "parquet" else ".csv"
            unique = len(set(stems)) == len(stems)
            parts = [output / (f"{s}{ext}" if unique else f"part-{i:05d}-{s}{ext}") for i, s in enumerate(stems)]
            default_rejects = output / REJECTS
            _check_dir_writable(output, "--output")
        else:
            if output.is_dir():
                raise ClickpredError(f"--output {output}: is a folder")
            parts = [output]
            default_rejects = output.with_name(_stem(output) + ".rejects.csv")
            _check_dir_writable(output.parent, "--output")
        rejects = Path(rejects) if rejects else default_rejects
        _check_dir_writable(rejects.parent, "--rejects")
        if rejects.resolve() in {p.resolve() for p in parts}:
            raise ClickpredError(f"--rejects {rejects}: is also an output file")
        return cls(output, fmt, parts, folder, rejects)

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
        return self._stage_dir

    def part_writer(self, i: int, schema: pa.Schema) -> "PartWriter":
        return PartWriter(self._tmp(self.parts[i]), self.fmt, schema, final_name=self.parts[i].name)

    def rejects_writer(self) -> "RejectsWriter":
        return RejectsWriter(self._tmp(self.rejects))

    def write_summary(self, summary: dict) -> None:
        if self.folder:
            tmp = self._tmp(self.output / SUMMARY)
            tmp.write_text(json.dumps(summary, indent=2) + "\n")

    def commit(self) -> None:
        """Move every staged file into place (folder outputs: swap the whole folder)."""
        for final, tmp in self._staged.items():
            os.replace(tmp, final)
        self._staged.clear()
        if self._stage_dir is not None:
            old = None
            if self.output.exists():
                old = self.output.with_name(f".{self.output.name}.old-{os.getpid()}")
                os.replace(self.output, old)
            os.replace(self._stage_dir, self.output)
            self._stage_dir = None
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        """Remove everything staged."""
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
        try:
            if fmt == "parquet":
                # Dictionary-encode only the prediction: scores are distinct doubles and kept columns
                # are mostly IDs; trying a dictionary on them costs 4x the rest of the write.
                self._writer = pq.ParquetWriter(path, schema, compression="snappy",
                                                use_dictionary=[f.name for f in schema if f.name == "prediction"])
            elif final_name.lower().endswith(".gz"):
                self._sink = pa.CompressedOutputStream(str(path), "gzip")
                self._writer = pacsv.CSVWriter(self._sink, schema)
            else:
                self._writer = pacsv.CSVWriter(str(path), schema)
        except OSError as exc:
            raise DataError(f"{path}: cannot write ({exc})") from None

    def write(self, table: pa.Table) -> None:
        try:
            self._writer.write_table(table)
        except OSError as exc:
            raise DataError(f"{self.path}: cannot write ({exc})") from None
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        if self._sink is not None:
            self._sink.close()


class RejectsWriter:
    """Appends rejected rows (source, line, reason, raw) to a CSV file."""

    HEADER = ("source", "line", "reason", "raw")

    def __init__(self, path: Path):
        self.path = path
        self.rows = 0
        self._fh = open(path, "w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._fh)
        self._csv.writerow(self.HEADER)

    def write(self, rejects) -> None:
        for r in rejects:
            self._csv.writerow((r.source, r.line, r.reason, r.raw))
        self.rows += len(rejects)

    def close(self) -> None:
        self._fh.close()
