"""Two worker processes: exclusive claims, counters summed across processes, crash safety."""

import signal
import threading
from pathlib import Path

from tests.loadtests.server import (
    AGENTS_TOKEN,
    Backend,
    post_many,
    start_backend,
    stream_in_background,
)


def test_16_agents_claim_1000_messages_each_exactly_once(tmp_path: Path) -> None:
    server = start_backend(tmp_path, "--agents-token", AGENTS_TOKEN, workers=2)
    try:
        assert len(post_many(server, list(range(1, 1001)), content="订单")) == 1000
        claimed: list[int] = []
        lock = threading.Lock()

        def agent(name: str) -> None:
            while True:
                status, got = server.agent("claim", agent=name)
                if status == 204:
                    return
                with lock:
                    claimed.append(got["id"])
                assert server.agent("answer", agent=name, id=got["id"], text="ok")[0] == 200

        agents = [threading.Thread(target=agent, args=(f"agent{i}",)) for i in range(16)]
        for t in agents:
            t.start()
        for t in agents:
            t.join(timeout=60)
        assert len(claimed) == 1000 and len(set(claimed)) == 1000
        assert server.query("SELECT count(*) FROM agent_log WHERE action = 'claim'") == [(1000,)]
        assert server.query(
            "SELECT count(*), count(DISTINCT agent) FROM messages WHERE answered_by = 'agent'"
        ) == [(1000, 16)]
        check_metrics_equal_database(server)
    finally:
        assert server.stop() == 0
    assert "; agent API on with a team token (--agents-token)\n" in server.output


def check_metrics_equal_database(server: Backend) -> None:
    post_many(server, list(range(1, 301)), content="hello")  # 300 redeliveries, all answered
    post_many(server, list(range(2001, 2301)), content="hello")  # 300 auto-replied
    post_many(server, list(range(3001, 3051)), content="刷机")  # 50 waiting
    [(stored, deliveries, auto, agent, waiting)] = server.query(
        "SELECT count(*), sum(deliveries), sum(answered_by = 'auto'), sum(answered_by = 'agent'),"
        " sum(status = 'waiting') FROM messages"
    )
    assert (stored, deliveries, auto, agent, waiting) == (1350, 1650, 300, 1000, 50)
    pids = {p.name.split("_")[-1] for p in server.tmp.glob("fansim-metrics-*/counter_*.db")}
    assert len(pids) == 2, "both workers served and wrote counters"
    for _ in range(4):  # scrapes land on either worker; each must see the sum over both
        m = server.metrics()
        assert m["fansim_messages_stored_total"] == stored
        assert m["fansim_messages_acknowledged_total"] == deliveries
        assert m["fansim_duplicates_suppressed_total"] == deliveries - stored
        assert m['fansim_messages_answered_total{by="auto"}'] == auto
        assert m['fansim_messages_answered_total{by="agent"}'] == agent
        assert m['fansim_queue_depth{state="waiting"}'] == waiting
        assert m['fansim_requests_total{outcome="duplicate"}'] == deliveries - stored


def test_kill_9_loses_no_acknowledged_message(tmp_path: Path) -> None:
    server = start_backend(tmp_path, workers=2)
    stream, acked = stream_in_background(server, 20_000, until_acked=1500)
    server.signal_group(signal.SIGKILL)  # parent and both workers, mid-stream
    stream.join(timeout=30)
    server.stop()
    assert 1500 <= len(acked) < 20_000, "the kill landed in the middle of the stream"
    left = [p.name for p in tmp_path.glob("fansim-metrics-*")]
    assert left and all(name.startswith(f"fansim-metrics-{server.proc.pid}-") for name in left)
    restarted = start_backend(tmp_path, workers=2, db=server.db)
    try:
        folders = [p.name for p in tmp_path.glob("fansim-metrics-*")]  # the dead one's is gone
        assert len(folders) == 1 and folders[0].startswith(f"fansim-metrics-{restarted.proc.pid}-")
        stored = {int(key[2:]) for (key,) in restarted.query("SELECT dedup_key FROM messages")}
        assert acked <= stored
        assert restarted.query("PRAGMA integrity_check") == [("ok",)]
        assert restarted.send_text("fan-after", "hello", 99_999)[0] == 200
    finally:
        assert restarted.stop() == 0
