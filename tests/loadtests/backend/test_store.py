"""`store.accept_many`: one group commit's callbacks, repeats inside and across batches."""

import sqlite3
from pathlib import Path

from loadtests.backend import store
from loadtests.backend.routing import Router, load_classes
from loadtests.wechat.callbacks import event_xml, text_xml
from loadtests.wechat.protocol import parse_message


def items(*bodies: bytes, now: float = 1000.0, defer: bool = False) -> list[store.Incoming]:
    router = Router(load_classes(None))
    msgs = [parse_message(b) for b in bodies]
    return [(m, router.decide(m), now, defer) for m in msgs]


def open_db(tmp: Path) -> sqlite3.Connection:
    db = str(tmp / "s.db")
    store.initialize(db)
    return store.connect(db)


def test_repeats_within_and_across_batches_are_stored_once_with_the_first_reply(
    tmp_path: Path,
) -> None:
    conn = open_db(tmp_path)
    sizes = [1, 3, 130, 200]  # 130 and 200 take several chunk sizes
    first: dict[int, store.Accepted] = {}
    msg_id = 0
    for size in sizes:
        ids = list(range(msg_id, msg_id + size))
        msg_id += size
        batch = [text_xml(f"fan{i}", "小米3", i, 1) for i in ids]
        batch.append(batch[0])  # a redelivery inside the same transaction
        out = store.accept_many(conn, items(*batch, now=1000.0 + size))
        assert [a.new for a in out] == [True] * size + [False]
        assert out[-1].message_id == out[0].message_id and out[-1].reply == out[0].reply
        first.update(zip(ids, out, strict=False))
    again = store.accept_many(conn, items(text_xml("fan5", "x", 5, 1), now=9999.0))[0]
    assert not again.new
    assert (again.message_id, again.reply, again.reply_time) == (
        first[5].message_id,
        first[5].reply,
        first[5].reply_time,
    )
    rows = conn.execute("SELECT count(*), sum(deliveries), count(DISTINCT id) FROM messages")
    assert rows.fetchone() == (msg_id, msg_id + len(sizes) + 1, msg_id)
    stored = dict(conn.execute("SELECT dedup_key, id FROM messages"))
    assert all(stored[f"m:{i}"] == a.message_id for i, a in first.items())


def test_routing_deferral_and_events_are_stored_as_decided(tmp_path: Path) -> None:
    conn = open_db(tmp_path)
    out = store.accept_many(
        conn,
        items(
            text_xml("a", "我的订单", 1, 1),
            text_xml("b", "hello", 2, 1),
            event_xml("c", "subscribe", 7),
            event_xml("c", "unsubscribe", 8),
            event_xml("c", "subscribe", 7),  # an event's identity: sender + CreateTime
        ),
    )
    assert [(a.new, a.status, a.reply) for a in out] == [
        (True, "waiting", None),
        (True, "answered", "auto-reply (keyword)"),
        (True, "answered", "welcome"),
        (True, "noted", None),
        (False, "answered", "welcome"),
    ]
    deferred = store.accept_many(conn, items(text_xml("d", "hi", 3, 1), defer=True))[0]
    assert (deferred.status, deferred.reply, deferred.reply_time) == ("deferred", None, None)
    row = conn.execute(
        "SELECT status, answered_by, answered_at, reply FROM messages WHERE dedup_key = 'm:2'"
    ).fetchone()
    assert row == ("answered", "auto", 1000.0, "auto-reply (keyword)")
