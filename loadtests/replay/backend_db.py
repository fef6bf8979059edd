"""The reference back end's database, read for one run's messages (read-only).

A run's messages are found by the back end's de-duplication key: `m:<MsgId>` for text messages,
`e:<FromUserName>:<CreateTime>` for events (`loadtests.backend.protocol`). The keys go into a
temporary table of a read-only connection, so the back end's own tables are never written and
the join stays fast for runs of hundreds of thousands of messages.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from loadtests.replay.records import RunRecords

__all__ = ["dedup_keys", "run_rows"]


def dedup_keys(r: RunRecords, mask: NDArray[np.bool_]) -> list[str]:
    """The back end's de-duplication keys of the messages selected by `mask`."""
    return [
        f"e:{f}:{c}" if k == "subscribe" else f"m:{m}"
        for m, k, f, c in zip(
            r.msg_id[mask], r.kind[mask], r.fan[mask], r.create_time[mask], strict=True
        )
    ]


def run_rows(db: Path, keys: list[str], columns: str, where: str = "1") -> list[tuple[Any, ...]]:
    """`SELECT columns FROM messages m` for the rows whose key is in `keys` (and `where`)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        conn.execute("CREATE TEMP TABLE run_keys (k TEXT PRIMARY KEY)")
        conn.executemany("INSERT OR IGNORE INTO run_keys VALUES (?)", ((k,) for k in keys))
        sql = f"SELECT {columns} FROM messages m JOIN run_keys k ON m.dedup_key = k.k WHERE {where}"
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
