"""messages.csv: one row per message routed to agents, written only with `fansim run --records`.

The tables of a run come from aggregates the model gathers as it goes (`sim.model.tally`); a
user who wants the messages themselves (to check a percentile, or to study waits) asks for them,
and pays memory in proportion to them. Columns: provenance, then `arrival_minutes`, `class`,
`priority`, `handle_minutes`, `deadline_minutes` (empty: patience without end),
`start_minutes` (empty: not picked up), `outcome` (answered, abandoned, queued at the horizon)
and, with agent groups, `group` (empty: not picked up). Times are minutes since the start.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.model.engine import ModelResult
from sim.results.provenance import PROVENANCE_COLUMNS, provenance

__all__ = ["messages_csv"]


def _text(x: NDArray[np.float64]) -> NDArray[np.str_]:
    """10 significant digits (as every output); NaN and infinity as an empty cell."""
    out = np.char.mod("%.10g", x).astype(object)
    out[~np.isfinite(x)] = ""
    return np.asarray(out, np.str_)


def messages_csv(result: ModelResult) -> str:
    """The text of messages.csv; raises `ValueError` if the run kept no records."""
    q = result.queue
    if q is None:
        raise ValueError("the run kept no per-message records (run it with records=True)")
    answered = ~np.isnan(q.start)
    abandoned = ~answered & (q.deadline <= q.horizon)
    outcome = np.where(answered, "answered", np.where(abandoned, "abandoned", "queued"))
    names = np.asarray(result.class_names, np.str_)
    columns: list[tuple[str, NDArray[np.str_]]] = [
        ("arrival_minutes", _text(q.arrival)),
        ("class", names[q.tag]),
        ("priority", q.priority.astype(np.str_)),
        ("handle_minutes", _text(q.handle)),
        ("deadline_minutes", _text(q.deadline)),
        ("start_minutes", _text(q.start)),
        ("outcome", outcome.astype(np.str_)),
    ]
    if result.groups is not None:
        group = result.groups.group.astype(np.str_).astype(object)
        group[result.groups.group < 0] = ""
        columns.append(("group", np.asarray(group, np.str_)))
    meta = ",".join(str(v) for v in provenance(result.spec).values())
    header = ",".join([*PROVENANCE_COLUMNS, *(name for name, _ in columns)])
    rows = np.full(q.arrival.size, meta, dtype=object)
    for _, col in columns:
        rows = rows + "," + col.astype(object)
    return header + "\n" + "".join(r + "\n" for r in rows.tolist())
