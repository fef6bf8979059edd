"""Differences between two output folders of `fansim run`, value by value.

`python -m tests.output_diff BEFORE AFTER` prints, per file and column (CSV) or key path (JSON),
how many values differ and the largest absolute and relative difference; the tests use
`differences` to hold a run's outputs to those of another way of computing them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Difference", "differences"]


@dataclass
class Difference:
    """The values of one column or key path that differ between the two folders."""

    file: str
    key: str
    count: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    other: str = ""  # a difference that is not numeric (text, a missing value, a shape)

    def add(self, a: Any, b: Any) -> None:
        self.count += 1
        try:
            x, y = float(a), float(b)
        except (TypeError, ValueError):
            self.other = self.other or f"{a!r} != {b!r}"
            return
        if math.isnan(x) or math.isnan(y):
            self.other = self.other or f"{a!r} != {b!r}"
            return
        d = abs(x - y)
        self.max_abs = max(self.max_abs, d)
        self.max_rel = max(self.max_rel, d / max(abs(x), abs(y)))


def _flat(value: Any, path: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flat(v, f"{path}.{k}" if path else str(k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flat(v, f"{path}[{i}]", out)
    else:
        out[path] = value


def _general(key: str) -> str:
    """A key path with list positions dropped: one line per kind of value."""
    out, skip = [], False
    for ch in key:
        if ch == "[":
            skip = True
        elif ch == "]":
            skip = False
        elif not skip:
            out.append(ch)
    return "".join(out)


def _json_diffs(name: str, a: Path, b: Path, found: dict[tuple[str, str], Difference]) -> None:
    fa: dict[str, Any] = {}
    fb: dict[str, Any] = {}
    _flat(json.loads(a.read_text()), "", fa)
    _flat(json.loads(b.read_text()), "", fb)
    for key in sorted(set(fa) | set(fb)):
        if fa.get(key, "<missing>") != fb.get(key, "<missing>"):
            d = found.setdefault((name, _general(key)), Difference(name, _general(key)))
            d.add(fa.get(key, "<missing>"), fb.get(key, "<missing>"))


def _csv_diffs(name: str, a: Path, b: Path, found: dict[tuple[str, str], Difference]) -> None:
    ra = list(csv.DictReader(io.StringIO(a.read_text())))
    rb = list(csv.DictReader(io.StringIO(b.read_text())))
    if len(ra) != len(rb) or (ra and list(ra[0]) != list(rb[0])):
        found[(name, "")] = Difference(name, "", 1, other="rows or columns differ")
        return
    for x, y in zip(ra, rb, strict=True):
        for col, v in x.items():
            if v != y[col]:
                found.setdefault((name, col), Difference(name, col)).add(
                    v or "nan", y[col] or "nan"
                )


def differences(before: Path, after: Path) -> list[Difference]:
    """Every column or key whose values differ, and files found in one folder only."""
    found: dict[tuple[str, str], Difference] = {}
    names = {p.name for p in before.iterdir()} | {p.name for p in after.iterdir()}
    for name in sorted(names - {"manifest.json"}):
        a, b = before / name, after / name
        if not (a.exists() and b.exists()):
            found[(name, "")] = Difference(name, "", 1, other="in one folder only")
        elif a.read_bytes() == b.read_bytes():
            continue
        elif name.endswith(".json"):
            _json_diffs(name, a, b, found)
        elif name.endswith(".csv"):
            _csv_diffs(name, a, b, found)
        else:
            found[(name, "")] = Difference(name, "", 1, other="bytes differ")
    return list(found.values())


def main(argv: list[str]) -> int:
    """Print the differences of each pair of folders under BEFORE and AFTER (or of the two)."""
    before, after = Path(argv[0]), Path(argv[1])
    pairs = [(before, after)]
    if not (before / "summary.json").exists():
        pairs = [(p, after / p.name) for p in sorted(before.iterdir()) if p.is_dir()]
    for a, b in pairs:
        diffs = differences(a, b)
        print(f"{a.name}: {'identical' if not diffs else f'{len(diffs)} columns differ'}")
        for d in diffs:
            print(
                f"  {d.file} {d.key}: {d.count} values, max abs {d.max_abs:.3g}, "
                f"max rel {d.max_rel:.3g} {d.other}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
