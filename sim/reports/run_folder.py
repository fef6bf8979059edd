"""Reading a run folder: the files `fansim` commands wrote, as typed columns.

A report is drawn only from these files (never from a live model), so a report can be made again
from an archived folder, and editing a CSV changes the figure. CSV cells are numbers where every
non-empty cell of the column parses as one (empty cells become NaN), text otherwise.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.errors import Problem, ScenarioError

__all__ = ["RunFolder", "Table"]

F64 = NDArray[np.float64]


def _column(cells: list[str]) -> NDArray[Any]:
    """Numbers when every non-empty cell parses as one (empty -> NaN), otherwise text."""
    try:
        return np.asarray([float(c) if c != "" else np.nan for c in cells], np.float64)
    except ValueError:
        return np.asarray(cells, dtype=str)


@dataclass(frozen=True)
class Table:
    """A CSV file as named columns of equal length, in file order."""

    name: str
    columns: Mapping[str, NDArray[Any]]
    rows: int

    @classmethod
    def parse(cls, name: str, text: str) -> Table:
        """Parse CSV text (header first); a header-only or empty file gives zero rows."""
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        body = [r for r in reader if r]
        for i, r in enumerate(body, start=2):
            if len(r) != len(header):
                raise ScenarioError(
                    [
                        Problem(
                            f"{name}:{i}", f"must have {len(header)} cells like the header", r, True
                        )
                    ]
                )
        cols = {h: _column([r[j] for r in body]) for j, h in enumerate(header)}
        return cls(name, cols, len(body))

    def has(self, *names: str) -> bool:
        """True when every named column exists."""
        return all(n in self.columns for n in names)

    def num(self, name: str) -> F64:
        """A numeric column; a clear error naming the file and column otherwise."""
        col = self.columns.get(name)
        if col is None:
            raise ScenarioError([Problem(f"{self.name}.{name}", "column is missing")])
        if col.dtype != np.float64:
            bad = next(str(c) for c in col if not _is_number(c))
            raise ScenarioError([Problem(f"{self.name}.{name}", "must hold numbers", bad, True)])
        return np.asarray(col, np.float64)

    def text(self, name: str) -> NDArray[np.str_]:
        """A column as text (numbers as written in the file are not needed by any figure)."""
        col = self.columns.get(name)
        if col is None:
            raise ScenarioError([Problem(f"{self.name}.{name}", "column is missing")])
        return np.asarray(col, dtype=str)

    def groups(
        self, labels: Sequence[str] | NDArray[np.str_], rows: NDArray[np.bool_] | None = None
    ) -> list[tuple[str, NDArray[np.intp]]]:
        """Row indices (in file order) per distinct label, labels in order of appearance.

        `rows` restricts the rows considered.
        """
        keys = np.asarray(labels, dtype=str)
        keep = np.ones(self.rows, bool) if rows is None else rows
        return [(k, np.flatnonzero(keep & (keys == k))) for k in dict.fromkeys(keys[keep].tolist())]

    def times(self, name: str) -> NDArray[np.datetime64]:
        """An ISO date or date-time column as datetime64 (for time axes)."""
        cells = self.text(name)
        try:
            return np.asarray(cells, dtype="datetime64[s]")
        except ValueError:
            raise ScenarioError(
                [Problem(f"{self.name}.{name}", "must hold ISO dates", cells[:1].tolist(), True)]
            ) from None

    def prefixed(self, prefix: str) -> dict[str, F64]:
        """Numeric columns whose name starts with `prefix`, keyed by the rest of the name."""
        return {k[len(prefix) :]: self.num(k) for k in self.columns if k.startswith(prefix)}


def _is_number(cell: object) -> bool:
    try:
        float(str(cell))
    except ValueError:
        return False
    return True


class RunFolder:
    """The files of one output folder, loaded on first use and kept for the report's sections.

    Args:
        path: the folder `fansim run --out` (or a later command) wrote.
        files: the file to read for a name, where the command let the user choose it.

    Raises:
        ScenarioError: the folder does not exist.
    """

    def __init__(self, path: Path, files: Mapping[str, str] | None = None) -> None:
        if not path.is_dir():
            raise ScenarioError([Problem("DIR", "must be an existing run folder", str(path), True)])
        self.path = path
        self._files = dict(files or {})
        self._json: dict[str, dict[str, Any]] = {}
        self._tables: dict[str, Table] = {}

    def has(self, name: str) -> bool:
        """True when the folder holds the file `name`."""
        return (self.path / self._files.get(name, name)).is_file()

    def glob(self, pattern: str) -> list[str]:
        """Names of the folder's files matching `pattern` (e.g. `messages-*.csv`), sorted."""
        return sorted(p.name for p in self.path.glob(pattern) if p.is_file())

    def concat(self, names: list[str]) -> Table:
        """CSV files with the same header as one table (rows in the given file order)."""
        tables = [self.table(n) for n in names]
        header = list(tables[0].columns)
        for t in tables[1:]:
            if list(t.columns) != header:
                raise ScenarioError([Problem(t.name, f"must have the header of {names[0]}")])

        def joined(h: str) -> NDArray[Any]:
            parts = [t.columns[h] for t in tables]
            if len({p.dtype.kind for p in parts}) > 1:  # numbers in one file, text in another
                parts = [p.astype(str) for p in parts]
            return np.concatenate(parts)

        cols = {h: joined(h) for h in header}
        return Table(" + ".join(names), cols, sum(t.rows for t in tables))

    def missing(self, names: tuple[str, ...]) -> list[str]:
        """The files among `names` the folder lacks, in the given order."""
        return [n for n in names if not self.has(n)]

    def _read(self, name: str) -> str:
        try:
            return (self.path / self._files.get(name, name)).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(
                [Problem(name, "file is missing from the run folder", str(self.path), True)]
            ) from None

    def json(self, name: str) -> dict[str, Any]:
        """A JSON object file (summary.json, scenario.json, ...)."""
        if name not in self._json:
            try:
                data = json.loads(self._read(name))
            except json.JSONDecodeError as exc:
                raise ScenarioError([Problem(name, f"must be valid JSON ({exc.msg})")]) from None
            if not isinstance(data, dict):
                raise ScenarioError([Problem(name, "must hold a JSON object")])
            self._json[name] = data
        return self._json[name]

    def table(self, name: str) -> Table:
        """A CSV file as a `Table`."""
        if name not in self._tables:
            self._tables[name] = Table.parse(name, self._read(name))
        return self._tables[name]

    def field(self, name: str, dotted: str, default: Any = None) -> Any:
        """A nested value of a JSON file by dotted path (`server.deadline_seconds`)."""
        value: Any = self.json(name)
        for part in dotted.split("."):
            if not isinstance(value, dict) or part not in value:
                return default
            value = value[part]
        return value

    def phases(self) -> list[tuple[np.datetime64, str]]:
        """The scenario's phase dates and notes (from scenario.json; none when it is absent)."""
        if not self.has("scenario.json"):
            return []
        raw = self.json("scenario.json").get("phases") or []
        return [(np.datetime64(p["date"], "s"), str(p.get("note", ""))) for p in raw]
