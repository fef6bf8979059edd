"""Where one callback's time goes: each step timed alone, in microseconds per message.

`python -m loadtests.bench.steps FOLDER` prints JSON; the benchmark runs it with
`PROMETHEUS_MULTIPROC_DIR` set, so the metrics cost is the one the served app pays. What the
steps do not cover (uvicorn, httptools and the ASGI calls) is the hello-world's cost per request.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
import timeit
from collections.abc import Callable

from loadtests.backend import store
from loadtests.backend.metrics import Metrics
from loadtests.backend.routing import Router, load_classes
from loadtests.wechat.callbacks import sign, text_xml
from loadtests.wechat.protocol import check_signature, parse_message, text_reply
from loadtests.wechat.safe_xml import expat_children, flat_children

__all__ = ["step_costs"]


def _per_call(fn: Callable[[], object], n: int = 20_000) -> float:
    return round(timeit.timeit(fn, number=n) / n * 1e6, 1)


def step_costs(folder: str) -> dict[str, float]:
    """Microseconds per message of each step of a signed text callback."""
    token = "bench"
    body = text_xml("fan1", "小米3什么时候发布", 1, 1365480000)
    msg = parse_message(body)
    router = Router(load_classes(None))
    decision = router.decide(msg)
    metrics = Metrics(f"{folder}/steps.db")
    signature = sign(token, "1365480000", "bench")
    db = f"{folder}/steps.db"
    store.initialize(db)
    conn = store.connect(db, "full", autocheckpoint=False)
    ids = itertools.count()

    def insert() -> None:
        fresh = msg._replace(msg_id=str(next(ids)))
        store.accept_many(conn, [(fresh, decision, time.time(), False)])

    def insert_batch() -> None:  # 64 messages of one group commit, as the writer passes them
        now = time.time()
        fresh = [msg._replace(msg_id=str(next(ids))) for _ in range(64)]
        store.accept_many(conn, [(m, decision, now, False) for m in fresh])

    def count() -> None:  # 64 requests, flushed once as in one event-loop iteration
        for _ in range(64):
            metrics.observe("reply", "/wechat", 0.001)
        metrics.flush()

    metrics.batch_with(lambda flush: None)

    def commit_one() -> None:
        conn.execute("BEGIN IMMEDIATE")
        insert()
        conn.execute("COMMIT")

    costs = {
        "signature_check_us": _per_call(
            lambda: check_signature(token, "1365480000", "bench", signature)
        ),
        "safe_xml_parse_us": _per_call(lambda: parse_message(body)),  # the text layout's path
        "flat_fields_us": _per_call(lambda: flat_children(body)),  # other flat callbacks
        "expat_fields_us": _per_call(lambda: expat_children(body)),  # anything else
        "routing_us": _per_call(lambda: router.decide(msg)),
        "reply_xml_us": _per_call(lambda: text_reply(msg, "auto-reply (keyword)", 1)),
        "metrics_per_request_us": round(_per_call(count, 1000) / 64, 2),
        "metrics_per_commit_us": _per_call(lambda: metrics.count_committed(32, 1, 30)),
    }
    conn.execute("BEGIN IMMEDIATE")
    costs["sqlite_insert_alone_us"] = _per_call(insert)
    costs["sqlite_insert_in_batch_of_64_us"] = round(_per_call(insert_batch, 500) / 64, 1)
    conn.execute("COMMIT")
    costs["one_commit_with_fsync_us"] = _per_call(commit_one, 200)
    conn.close()
    return costs


if __name__ == "__main__":
    print(json.dumps(step_costs(sys.argv[1])))
