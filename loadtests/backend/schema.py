"""The back end's tables, every SQL statement that names their columns, and the report's reads.

The one module that names a table or a column: the tables (`SCHEMA`, created by
`store.initialize`), the statements the back end's jobs run (`store`, `outbox`, `metrics` take
them from here, as prepared text built once at import, so the hot path builds no SQL), and the
read-only queries `loadtests.report` runs against a run's database. Standard library only, so
the report imports it without the back end's dependencies.

A run's messages are found by the back end's de-duplication key (`loadtests.wechat.protocol.
dedup_key`). The keys go into a temporary table of a read-only connection, so the back end's own
tables are never written and the join stays fast for runs of hundreds of thousands of messages.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

__all__ = [
    "ANSWER",
    "ANSWER_DEFERRED",
    "CLAIM",
    "COUNT_BY_STATUS",
    "FAN_OUTBOX_SINCE",
    "INSERT_CHUNKS",
    "INSERT_MESSAGES",
    "INSERT_WIDTH",
    "LOG_ACTION",
    "MARK_RETRY",
    "MARK_SENT",
    "NEW_IDS",
    "NEXT_ID",
    "OUTBOX_BY_STATUS",
    "OUTBOX_INSERT",
    "REDELIVERED",
    "RELEASE",
    "SCHEMA",
    "TAKE_DUE",
    "HumanRouted",
    "human_routed",
    "stored_deliveries",
]

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

# The statements the back end runs. `?` parameters, in the order each docstring gives.

_INSERT_COLUMNS = (
    "id, dedup_key, from_user, to_user, msg_type, content, create_time, class, priority, status,"
    " received_at, reply, reply_time, answered_by, answered_at"
)
INSERT_WIDTH = 15
"""Parameters per row of `INSERT_MESSAGES`, in `_INSERT_COLUMNS` order."""
INSERT_CHUNKS = (128, 64, 32, 16, 8, 4, 2, 1)
INSERT_MESSAGES = MappingProxyType(
    {
        n: f"INSERT INTO messages ({_INSERT_COLUMNS}) VALUES "
        + ",".join(["(" + ",".join("?" * INSERT_WIDTH) + ")"] * n)
        + " ON CONFLICT (dedup_key) DO NOTHING"
        for n in INSERT_CHUNKS
    }
)
"""One statement text per chunk size, so the connection's statement cache keeps all eight."""
NEXT_ID = "SELECT coalesce(max(id), 0) + 1 FROM messages"
NEW_IDS = "SELECT id FROM messages WHERE id BETWEEN ? AND ?"
REDELIVERED = (
    "UPDATE messages SET deliveries = deliveries + 1 WHERE dedup_key = ?"
    " RETURNING id, status, reply, reply_time"
)
CLAIM = (
    "UPDATE messages SET status = 'claimed', agent = ?, claimed_at = ?,"
    " first_claimed_at = coalesce(first_claimed_at, ?)"
    " WHERE id = (SELECT id FROM messages WHERE status = 'waiting'"
    " ORDER BY priority, id LIMIT 1)"
    " RETURNING id, from_user, content, class, priority, received_at"
)
RELEASE = (
    "UPDATE messages SET status = 'waiting', agent = NULL, claimed_at = NULL"
    " WHERE id = ? AND status = 'claimed' AND agent = ?"
)
ANSWER = (
    "UPDATE messages SET status = 'answered', answered_by = 'agent', answered_at = ?"
    " WHERE id = ? AND status = 'claimed' AND agent = ?"
    " RETURNING from_user, received_at"
)
LOG_ACTION = "INSERT INTO agent_log (message_id, agent, action, at) VALUES (?, ?, ?, ?)"
FAN_OUTBOX_SINCE = (
    "SELECT count(*) FROM outbox WHERE to_user = ? AND created_at >= ? AND status != 'refused'"
)
OUTBOX_INSERT = (
    "INSERT INTO outbox (message_id, to_user, content, status, created_at, next_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
ANSWER_DEFERRED = (
    "UPDATE messages SET status = 'answered', answered_by = 'auto', answered_at = ?"
    " WHERE id IN (SELECT id FROM messages WHERE status = 'deferred' ORDER BY id LIMIT ?)"
    " RETURNING id, from_user, received_at, class"
)
TAKE_DUE = (
    "UPDATE outbox SET status = 'sending', next_at = ?, attempts = attempts + 1"
    " WHERE id IN (SELECT id FROM outbox WHERE status IN ('pending', 'sending')"
    " AND next_at <= ? ORDER BY next_at LIMIT ?)"
    " RETURNING id, to_user, content, attempts"
)
MARK_SENT = "UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?"
MARK_RETRY = "UPDATE outbox SET status = 'pending', next_at = ? WHERE id = ?"
COUNT_BY_STATUS = "SELECT count(*) FROM messages WHERE status = ?"
OUTBOX_BY_STATUS = "SELECT status, count(*) FROM outbox GROUP BY status"

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
