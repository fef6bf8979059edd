"""The database: connections and the jobs the group-commit writer runs (tables: `schema`).

SQLite in WAL mode, one file. `messages` holds every distinct message once (unique
`dedup_key`); `deliveries` counts how often the platform sent it, so duplicates suppressed can be
read back from the data. Agents' claims, releases and answers are timestamped in `agent_log`;
answers (and replies deferred under overload) wait in `outbox` for the customer-service API.

Every job below runs inside a writer transaction; none commits by itself.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import NamedTuple

from loadtests.backend import schema
from loadtests.backend.routing import Decision, Treatment
from loadtests.wechat.protocol import Inbound

__all__ = [
    "CS_MAX_MESSAGES",
    "CS_WINDOW_SECONDS",
    "WAL_SIZE_LIMIT",
    "Accepted",
    "Claimed",
    "Incoming",
    "accept_many",
    "answer",
    "claim",
    "connect",
    "initialize",
    "release",
]

CS_WINDOW_SECONDS = 48 * 3600  # customer-service messages: within 48 h of the fan's message
CS_MAX_MESSAGES = 5  # and at most 5 of them


WAL_SIZE_LIMIT = 16 * 1024 * 1024


def connect(
    path: str,
    synchronous: str = "full",
    autocheckpoint: bool = True,
    wal_size_limit: int = WAL_SIZE_LIMIT,
) -> sqlite3.Connection:
    """A connection in autocommit mode (the writer issues BEGIN/COMMIT itself).

    The writer's connection is opened without automatic checkpoints: copying the WAL back into
    the database (and syncing it) would stall every request of the batch that triggers it, so
    a separate thread checkpoints instead (`writer.Checkpointer`). SQLite reuses the WAL file
    after a checkpoint rather than shrinking it; `journal_size_limit` makes the connection that
    restarts the log truncate it to `wal_size_limit` bytes, so a burst's high-water mark does
    not stay on the disk.
    """
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
    conn.execute(f"PRAGMA journal_size_limit={int(wal_size_limit)}")
    if not autocheckpoint:
        conn.execute("PRAGMA wal_autocheckpoint=0")
    return conn


def initialize(path: str) -> None:
    """Create the tables if missing and prove a write can start (idempotent, multi-process safe).

    Raises sqlite3.Error for a file that is not SQLite, is read-only or cannot be opened: the
    runner reports it as a bad `--db` before any worker starts.
    """
    conn = connect(path)
    try:
        conn.executescript(schema.SCHEMA)
        conn.execute("BEGIN IMMEDIATE")  # fails on a read-only file or folder
        conn.execute("ROLLBACK")
    finally:
        conn.close()


class Accepted(NamedTuple):
    """What `accept_many` did: stored anew or found a duplicate, and the reply to give."""

    new: bool
    message_id: int
    status: str
    reply: str | None
    reply_time: int | None


Incoming = tuple[Inbound, Decision, float, bool]
"""What `accept_many` takes per callback: the message, its routing, the time, `defer`."""


def accept_many(conn: sqlite3.Connection, items: list[Incoming]) -> list[Accepted]:
    """Store each message once; a redelivery only bumps `deliveries` and gets the first reply.

    With `defer` (overload) an auto-replied message is stored as `deferred` without a reply; a
    background task answers it through the outbox.

    Why this shape: the group commit hands over all the callbacks of a transaction at once, so
    they go in as a few multi-row INSERTs (chunks of 128, 64, ... 1 rows) with ids given here
    (the writer holds the write lock, so max(id) cannot move), without RETURNING: one statement
    step per chunk instead of one per message. Rows the insert skipped were already stored
    (a redelivery, or a repeat within the batch); only those take a second statement each.
    """
    first = conn.execute(schema.NEXT_ID).fetchone()[0]
    rows: list[object] = []
    results: list[Accepted] = []
    auto = Treatment.AUTO
    for k, (msg, decision, now, defer) in enumerate(items):
        reply = decision.reply
        if decision.treatment is auto:
            status = "deferred" if defer else "answered"
            if defer:
                reply = None
        else:
            status = decision.treatment.value
        answered = status == "answered"
        reply_time = int(now) if reply is not None else None
        rows += (
            first + k,
            msg.dedup_key,
            msg.from_user,
            msg.to_user,
            msg.msg_type,
            msg.content or msg.event_key or msg.event,
            msg.create_time,
            decision.class_name,
            decision.priority,
            status,
            now,
            reply,
            reply_time,
            "auto" if answered else None,
            now if answered else None,
        )
        results.append(Accepted(True, first + k, status, reply, reply_time))
    before = conn.total_changes
    at = 0
    width = schema.INSERT_WIDTH
    for size in schema.INSERT_CHUNKS:
        while len(items) - at >= size:
            conn.execute(schema.INSERT_MESSAGES[size], rows[at * width : (at + size) * width])
            at += size
    if conn.total_changes - before != len(items):
        stored = {i for (i,) in conn.execute(schema.NEW_IDS, (first, first + len(items) - 1))}
        for k, (msg, *_) in enumerate(items):
            if first + k not in stored:
                results[k] = _redelivered(conn, msg.dedup_key)
    return results


def _redelivered(conn: sqlite3.Connection, key: str) -> Accepted:
    """Count one more delivery of a stored message; its first reply."""
    old = conn.execute(schema.REDELIVERED, (key,)).fetchone()
    return Accepted(False, old[0], old[1], old[2], old[3])


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message handed to one agent."""

    id: int
    from_user: str
    content: str
    class_name: str
    priority: int
    received_at: float


def claim(conn: sqlite3.Connection, agent: str, now: float) -> Claimed | None:
    """The oldest message of the best priority, now the agent's; None if none waits."""
    row = conn.execute(schema.CLAIM, (agent, now, now)).fetchone()
    if row is None:
        return None
    conn.execute(schema.LOG_ACTION, (row[0], agent, "claim", now))
    return Claimed(*row)


def release(conn: sqlite3.Connection, agent: str, message_id: int, now: float) -> bool:
    """Give a claimed message back to the queue; False if the agent does not hold it."""
    cur = conn.execute(schema.RELEASE, (message_id, agent))
    if cur.rowcount != 1:
        return False
    conn.execute(schema.LOG_ACTION, (message_id, agent, "release", now))
    return True


def answer(
    conn: sqlite3.Connection, agent: str, message_id: int, text: str, now: float
) -> str | None:
    """Resolve a claimed message and queue the answer in the outbox.

    Returns the outbox status (`pending`, or `refused` past the customer-service limits), or
    None if the agent does not hold the message.
    """
    row = conn.execute(schema.ANSWER, (now, message_id, agent)).fetchone()
    if row is None:
        return None
    conn.execute(schema.LOG_ACTION, (message_id, agent, "answer", now))
    return enqueue(conn, message_id, row[0], row[1], text, now)


def enqueue(
    conn: sqlite3.Connection,
    message_id: int,
    to_user: str,
    fan_message_at: float,
    text: str,
    now: float,
) -> str:
    """Queue a customer-service message, or record it `refused` past WeChat's limits.

    The 48 h window is counted from the message being answered, and the 5 messages are those
    sent to the fan since it: a fan's later message would reopen the window, so this errs on
    the side of sending less than allowed, never more.
    """
    sent = conn.execute(schema.FAN_OUTBOX_SINCE, (to_user, fan_message_at)).fetchone()[0]
    ok = now - fan_message_at <= CS_WINDOW_SECONDS and sent < CS_MAX_MESSAGES
    status = "pending" if ok else "refused"
    conn.execute(schema.OUTBOX_INSERT, (message_id, to_user, text, status, now, now))
    return status
