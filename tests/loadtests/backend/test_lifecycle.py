"""Stopping cleanly, overload, and bad flags."""

import signal
from pathlib import Path

import pytest

from loadtests.wechat.platform_stub import PlatformStub
from sim.cli.main import main
from tests.loadtests.server import start_backend, stream_in_background, wait_for


def test_sigterm_mid_stream_stops_cleanly_and_keeps_every_ack(tmp_path: Path) -> None:
    server = start_backend(tmp_path, workers=2)
    stream, acked = stream_in_background(server, 20_000, until_acked=300)
    server.proc.send_signal(signal.SIGTERM)  # the parent only, as a process manager would
    assert server.stop(timeout=20) == 0
    stream.join(timeout=30)
    assert len(acked) < 20_000, "the signal landed in the middle of the stream"
    assert server.output.splitlines()[1:] == ["fansim backend: stopped"]
    stored = {int(k[2:]) for (k,) in server.query("SELECT dedup_key FROM messages")}
    assert acked <= stored
    assert not list(tmp_path.glob("fansim-metrics-*")), "the runner removes its metrics folder"


def test_ctrl_c_stops_one_worker_with_one_line(tmp_path: Path) -> None:
    server = start_backend(tmp_path)
    assert server.send_text("fan", "hello", 1)[0] == 200
    assert server.stop(signal.SIGINT) == 0  # the whole group, as a terminal sends it
    assert server.output.splitlines()[1:] == ["fansim backend: stopped (SIGINT)"]


def test_overload_answers_success_and_replies_through_the_outbox(tmp_path: Path) -> None:
    with PlatformStub() as platform:
        platform.fail_next = 1  # the first delivery fails and is retried
        server = start_backend(tmp_path, "--max-pending", "0", "--platform-url", platform.url)
        try:
            assert server.send_text("fan-busy", "小米3", 1) == (200, b"success")
            assert server.send_text("fan-busy", "小米3", 1) == (200, b"success")
            expected = {"touser": "fan-busy", "msgtype": "text"}
            expected["text"] = {"content": "auto-reply (keyword)"}  # type: ignore[assignment]
            wait_for(lambda: platform.received == [expected])
            sent = "SELECT count(*) FROM outbox WHERE status = 'sent'"
            wait_for(lambda: server.query(sent) == [(1,)])  # recorded after the stub answered
            assert server.query(
                "SELECT m.status, m.answered_by, o.status, o.attempts"
                " FROM messages m JOIN outbox o ON o.message_id = m.id"
            ) == [("answered", "auto", "sent", 2)]
            m = server.metrics()
            assert m['fansim_requests_total{outcome="deferred"}'] == 1
            assert m['fansim_messages_answered_total{by="auto"}'] == 1
        finally:
            assert server.stop() == 0


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--aes-key", "short", "--app-id", "wx1"], "--aes-key: must be WeChat's 43-character"),
        (["--aes-key", "a" * 43], "--app-id: is required with --aes-key"),
        (["--platform-url", "ftp://x"], "--platform-url: must be an http(s) URL"),
        (["--db", "/no/such/folder/db.sqlite3"], "--db: folder does not exist"),
        (["scenarios/no_such.toml"], "no_such.toml"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = ["--db", str(tmp_path / "db.sqlite3")] if "--db" not in flags else []
    assert main(["backend", "--token", "tok", *db, *flags]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err + captured.out
