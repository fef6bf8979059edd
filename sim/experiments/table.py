"""Tidy tables on disk that survive interruption: CSV or Parquet, plus a journal of finished rows.

While an experiment runs, each finished row is appended to `<table>.partial.jsonl` at once; when
the run ends, normally, by Ctrl-C or by an error, the table is rewritten (temp file +
`os.replace`, so a reader never sees half a file) with every finished row and the journal is
removed. A rerun reads the table and any journal a killed run left behind, and skips every job
whose row is there, matched by run id, replication, root seed and params hash.

A table that holds rows of another experiment (another scenario, seed or grid) is refused rather
than mixed with or overwritten: the user picks another file or deletes it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.errors import OptionError, Problem
from sim.experiments.rows import ID_COLUMNS, Row, metric_columns
from sim.experiments.specs import Cell, Job, Variant

__all__ = ["ResumableTable", "read_table", "write_rows", "write_table"]

_INT = re.compile(r"-?\d+")
PARQUET_SUFFIXES = (".parquet", ".pq")


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def _pyarrow(path: Path) -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise OptionError(
            [
                Problem(
                    "--out", "Parquet needs pyarrow: pip install 'fansim[parquet]'", str(path), True
                )
            ]
        ) from None
    return pa, pq


def _csv_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(float(f"{value:.10g}")) if math.isfinite(value) else ""
    return str(value)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write through a temp file in the same folder, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_rows(path: Path, rows: Sequence[Mapping[str, Cell]], columns: Sequence[str] = ()) -> None:
    """Rows as CSV or Parquet (by suffix), atomically; columns default to the first row's."""
    cols = list(columns) or (list(rows[0]) if rows else [])
    if _is_parquet(path):
        pa, pq = _pyarrow(path)
        table = pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])
        buf = pa.BufferOutputStream()
        pq.write_table(table, buf)
        _atomic_write(path, buf.getvalue().to_pybytes())
        return
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(cols)
    for r in rows:
        writer.writerow([_csv_cell(r.get(c)) for c in cols])
    _atomic_write(path, text.getvalue().encode("utf-8"))


def write_table(path: Path, rows: Sequence[Row], params: Sequence[str] = ()) -> None:
    """Run rows with columns in tidy order: identity, parameters, metrics."""
    write_rows(path, rows, [*ID_COLUMNS, *params, *metric_columns(rows, params)])


def read_table(path: Path) -> list[dict[str, Cell]]:
    """Rows as stored: typed from Parquet, text from CSV (empty cells become None)."""
    if _is_parquet(path):
        _, pq = _pyarrow(path)
        rows: list[dict[str, Cell]] = pq.read_table(path).to_pylist()
        return rows
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(f)]


def _metric(value: Cell) -> Cell:
    """A metric cell read back: text from CSV becomes int or float again."""
    if not isinstance(value, str):
        return value
    return int(value) if _INT.fullmatch(value) else float(value)


def _variant_key(row: dict[str, Cell]) -> tuple[str, str, str]:
    return (str(row.get("run_id")), str(row.get("seed")), str(row.get("params_hash")))


class ResumableTable:
    """Finished rows of one experiment, kept on disk at `path` (or only in memory if None)."""

    def __init__(self, path: Path | None, variants: Sequence[Variant]) -> None:
        self.path = path
        self.params = list(dict.fromkeys(p for v in variants for p, _ in v.params))
        self._variants = {(v.run_id, str(v.seed), v.params_hash): v for v in variants}
        self._rows: dict[tuple[str, int, int, str], Row] = {}
        self.journal = None if path is None else path.with_name(path.name + ".partial.jsonl")
        if path is not None:
            self._resume(path)

    def _resume(self, path: Path) -> None:
        stored = read_table(path) if path.is_file() else []
        if self.journal is not None and self.journal.is_file():
            lines = self.journal.read_text(encoding="utf-8").splitlines()
            stored += [json.loads(line) for line in lines if line.strip()]
        stale = [r for r in stored if _variant_key(r) not in self._variants]
        if stale:
            r = stale[0]
            rule = (
                f"holds {len(stale)} rows of another experiment (e.g. run_id={r.get('run_id')}, "
                f"seed={r.get('seed')}, params_hash={r.get('params_hash')}); "
                "write to another file or delete it"
            )
            raise OptionError([Problem("--out", rule, str(path), True)])
        for raw in stored:
            v = self._variants[_variant_key(raw)]
            job = Job(v, int(str(raw["replication"])))
            self._rows[job.key] = self._typed(raw, job)

    def _typed(self, raw: dict[str, Cell], job: Job) -> Row:
        """A stored row with its identity and parameters from the job, metrics as numbers."""
        skip = set(ID_COLUMNS) | set(self.params)
        row: Row = {k: raw[k] for k in ID_COLUMNS}
        row |= {"replication": job.replication, "seed": job.variant.seed}
        row |= dict(job.variant.params)
        row |= {k: _metric(v) for k, v in raw.items() if k not in skip}
        return row

    def get(self, job: Job) -> Row | None:
        """The job's row if it has finished (in this run or an earlier one)."""
        return self._rows.get(job.key)

    def add(self, job: Job, row: Row) -> None:
        """Record a finished row, appending it to the journal at once."""
        self._rows[job.key] = row
        if self.journal is not None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            with self.journal.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")

    def write(self, jobs: Sequence[Job]) -> None:
        """Write the finished rows among `jobs`, in job order; then drop the journal."""
        if self.path is None:
            return
        rows = [r for r in (self.get(j) for j in jobs) if r is not None]
        write_table(self.path, rows, self.params)
        if self.journal is not None:
            self.journal.unlink(missing_ok=True)
