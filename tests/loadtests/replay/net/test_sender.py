"""The replay's POSTs: keep-alive sockets, transport errors as status 0 with their cause, and
Locust's request event as Locust's own client fires it. Locust patches the standard library when
imported, so the checks run in a process of their own against a loopback target."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap

from tests.loadtests.replay.test_runs import Target, target_stats

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from gevent import monkey; monkey.patch_all()
    from loadtests.replay.net.sender import Poster

    class Event:
        def __init__(self): self.fired = []
        def fire(self, **kw): self.fired.append(kw)

    host, closed = sys.argv[1], sys.argv[2]
    event = Event()
    poster = Poster(host + "/base/", 2.0, event)
    ok = [poster.post("/wechat?n=%d" % i, b"hello", {"Content-Type": "text/plain"})
          for i in range(3)]
    poster.report("/hook #1", ok[0], "/wechat?n=0", None)
    refused = Poster(closed, 2.0, event).post("/hook", b"x", {})
    poster.report("/hook #2", refused, "/hook", "no valid reply (status 0)")
    print(json.dumps({
        "ok": [[s.status, s.body.decode(), s.started <= s.written < s.ended] for s in ok],
        "idle": len(poster.idle),
        "refused": [refused.status, refused.body.decode(), refused.cause],
        "events": [{k: repr(v) if k == "exception" else v for k, v in e.items()
                    if k in ("request_type", "name", "response_length", "url", "exception")}
                   for e in event.fired],
    }))
    """
)


def test_posts_keep_alive_errors_are_status_0_and_events_look_like_locusts(target: Target) -> None:
    host = target("fast")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    run = subprocess.run([sys.executable, "-c", SCRIPT, host, closed], capture_output=True,
                         text=True, check=True, timeout=60)  # fmt: skip
    out = json.loads(run.stdout)
    assert out["ok"] == [[200, "success", True]] * 3
    assert out["idle"] == 1  # one keep-alive connection served the three in turn
    assert out["refused"] == [0, "", "connection_refused"]
    # unsigned, /wechat would be refused (403): the base path of --host was kept (/base/wechat)
    assert target_stats(host)["requests"] == 3 and target_stats(host)["bad_signatures"] == 0
    first, failed = out["events"]
    assert first == {"request_type": "POST", "name": "/hook #1", "response_length": 7,
                     "url": host + "/base/wechat?n=0", "exception": "None"}  # fmt: skip
    assert failed["exception"] == "CatchResponseError('no valid reply (status 0)')"
    assert failed["response_length"] == 0
