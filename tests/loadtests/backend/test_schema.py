"""`schema`: the tables, and the read-only queries the load report runs against them."""

from pathlib import Path

from loadtests.backend import store
from loadtests.backend.routing import Router, load_classes
from loadtests.backend.schema import human_routed, stored_deliveries
from loadtests.wechat.callbacks import event_xml, text_xml
from loadtests.wechat.protocol import parse_message


def test_the_reports_reads_find_a_runs_messages_by_key(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    store.initialize(str(db))
    conn = store.connect(str(db))
    router = Router(load_classes(None))
    bodies = [
        text_xml("a", "我的订单", 1, 1),
        text_xml("b", "hi", 2, 1),
        event_xml("c", "subscribe", 7),
    ]
    bodies.append(bodies[0])  # a redelivery
    msgs = [parse_message(b) for b in bodies]
    store.accept_many(conn, [(m, router.decide(m), 1000.0, False) for m in msgs])
    conn.close()
    keys = ["m:1", "m:2", "e:c:7", "m:99"]
    assert stored_deliveries(db, keys) == {"m:1": 2, "m:2": 1, "e:c:7": 1}
    (row,) = human_routed(db, keys)  # 订单 goes to agents; the rest is answered at once
    assert (row.dedup_key, row.class_name, row.received_at) == ("m:1", "order", 1000.0)
    assert (row.first_claimed_at, row.answered_at, row.claimed_at) == (None, None, None)
