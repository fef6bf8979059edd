"""The back end's tables, and the read-only queries other packages run against them.

The tables (`SCHEMA`) are created by `store.initialize`; the back end's own jobs (`store`,
`outbox`, `metrics`) write and read them. Outside the back end, this module is the only one that
names a table or a column: `loadtests.report` reads a run's messages through it. Standard
library only, so the report imports it without the back end's dependencies.

A run's messages are found by the back end's de-duplication key (`loadtests.wechat.protocol.
dedup_key`). The keys go into a temporary table of a read-only connection, so the back end's own
tables are never written and the join stays fast for runs of hundreds of thousands of messages.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["SCHEMA", "HumanRouted", "human_routed", "stored_deliveries"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    from_user TEXT NOT NULL,
    to_user TEXT NOT NULL,
    msg_type TEXT NOT NULL,
    content TEXT NOT NULL,
    create_time INTEGER NOT NULL,
    class TEXT NOT NULL,
    priority INTEGER NOT NULL,
    status TEXT NOT NULL,          -- answered | waiting | claimed | deferred | noted
    received_at REAL NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    reply TEXT,                    -- passive reply, the same for every redelivery (agents'
                                   -- answers go to the outbox, not here)
    reply_time INTEGER,            -- CreateTime of that reply
    answered_by TEXT,              -- auto | agent
    agent TEXT,
    claimed_at REAL,
    first_claimed_at REAL,
    answered_at REAL
);
CREATE INDEX IF NOT EXISTS waiting ON messages (priority, id) WHERE status = 'waiting';
CREATE INDEX IF NOT EXISTS claimed ON messages (id) WHERE status = 'claimed';
CREATE INDEX IF NOT EXISTS deferred ON messages (id) WHERE status = 'deferred';
CREATE TABLE IF NOT EXISTS agent_log (
    message_id INTEGER NOT NULL,
    agent TEXT NOT NULL,
    action TEXT NOT NULL,          -- claim | release | answer
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL,
    to_user TEXT NOT NULL,
    content TEXT NOT NULL,
    status TEXT NOT NULL,          -- pending | sending | sent | refused
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    sent_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_at) WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS outbox_fan ON outbox (to_user, created_at);
"""

_HUMAN = "m.status IN ('waiting', 'claimed') OR m.answered_by = 'agent'"


class HumanRouted(NamedTuple):
    """A message the back end queued for agents; times are Unix seconds, None = not yet."""

    dedup_key: str
    class_name: str
    priority: int
    received_at: float
    first_claimed_at: float | None
    answered_at: float | None
    claimed_at: float | None  # the last claim


def _run_rows(db: Path, keys: list[str], columns: str, where: str = "1") -> list[tuple[Any, ...]]:
    """`SELECT columns FROM messages m` for the rows whose key is in `keys` (and `where`)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        conn.execute("CREATE TEMP TABLE run_keys (k TEXT PRIMARY KEY)")
        conn.executemany("INSERT OR IGNORE INTO run_keys VALUES (?)", ((k,) for k in keys))
        sql = f"SELECT {columns} FROM messages m JOIN run_keys k ON m.dedup_key = k.k WHERE {where}"
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def stored_deliveries(db: Path, keys: list[str]) -> dict[str, int]:
    """Deliveries received of each of these messages the back end stored (absent: not stored)."""
    return {str(k): int(d) for k, d in _run_rows(db, keys, "m.dedup_key, m.deliveries")}


def human_routed(db: Path, keys: list[str]) -> list[HumanRouted]:
    """Those of these messages the back end queued for agents (waiting, claimed or answered)."""
    columns = (
        "m.dedup_key, m.class, m.priority, m.received_at, m.first_claimed_at, m.answered_at,"
        " m.claimed_at"
    )
    return [HumanRouted(*row) for row in _run_rows(db, keys, columns, _HUMAN)]
