"""Small loopback HTTP targets for the replay tests: fast, stalling, and slower than the deadline.

Run as `python -m tests.loadtests.replay.targets MODE [--token T]`; prints `PORT <n>` once it
listens on 127.0.0.1. A plain asyncio HTTP/1.1 server with keep-alive, so the target costs far
less CPU than the generator it measures. It checks WeChat's signature (403 if wrong), answers
`success`, and serves `GET /stats` (JSON: requests, deliveries per MsgId, bad signatures).

Modes: `fast` answers at once; `stall` freezes its whole event loop for 0.5 s every 5 s (like a
stop-the-world pause); `slow` answers each request after `--service` seconds (default 6 s, past
WeChat's 5 s deadline); `slots` serves at most `--slots` requests at once, each for `--service`
seconds, the others wait their turn: a server whose capacity is known, slots / service per second;
`delay` answers each request after `--service` seconds and keeps its own latency (request read
-> response written) for `/stats` (`own_p50`, `own_p99`, seconds); `idle-close` closes every
keep-alive connection idle for `--idle` seconds, as many servers and proxies do; `async-third`
answers `success` at once and every third message `--service` seconds later through the
customer-service API at `--stub` (as a third-party SDK's server would), logging each such
answer's delay from the request's arrival (`/stats`: `async_seconds`).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sys
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

MSGID = re.compile(rb"<MsgId>(\d+)</MsgId>")
FAN = re.compile(rb"<FromUserName><!\[CDATA\[(.*?)\]\]></FromUserName>")


class Target:
    """One server's counters and behaviour."""

    def __init__(self, mode: str, token: str, slots: int = 1, service: float = 0.0) -> None:
        self.mode = mode
        self.slots = asyncio.Semaphore(slots)
        self.service = service
        self.token = token
        self.requests = 0
        self.bad = 0
        self.by_msgid: Counter[str] = Counter()
        self.own: list[float] = []  # `delay`: request read -> response written (s)
        self.idle = 0.0  # `idle-close`: close a connection idle this long
        self.stub = ""  # `async-third`: the customer-service API's URL
        self.async_seconds: list[float] = []
        self.tasks: set[asyncio.Task[None]] = set()

    def signed(self, target: str) -> bool:
        q = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        parts = sorted((self.token, q.get("timestamp", ""), q.get("nonce", "")))
        return hashlib.sha1("".join(parts).encode()).hexdigest() == q.get("signature")

    async def respond(self, method: str, target: str, body: bytes) -> tuple[int, bytes]:
        if method == "GET" and target.startswith("/stats"):
            own = sorted(self.own)
            stats = {
                "requests": self.requests,
                "bad_signatures": self.bad,
                "by_msgid": self.by_msgid,
                "own_p50": own[len(own) // 2] if own else None,
                "own_p99": own[min(len(own) - 1, int(0.99 * len(own)))] if own else None,
                "async_seconds": self.async_seconds,
            }
            return 200, json.dumps(stats).encode()
        self.requests += 1
        if target.startswith("/wechat") and not self.signed(target):
            self.bad += 1
            return 403, b"bad signature"
        m = MSGID.search(body)
        if m:
            self.by_msgid[m.group(1).decode()] += 1
        if self.mode == "slow":
            await asyncio.sleep(self.service or 6.0)
        elif self.mode == "slots":
            async with self.slots:
                await asyncio.sleep(self.service)
        elif self.mode == "delay":
            await asyncio.sleep(self.service)
        elif self.mode == "async-third" and m and int(m.group(1)) % 3 == 0:
            fan = FAN.search(body)
            if fan:
                task = asyncio.create_task(self.answer_later(fan.group(1).decode()))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        return 200, b"success"

    async def answer_later(self, fan: str) -> None:
        """POST a customer-service message to `fan` after `service` seconds; log the delay."""
        received = time.perf_counter()
        await asyncio.sleep(self.service)
        url = urlsplit(self.stub)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        body = json.dumps({"touser": fan, "msgtype": "text", "text": {"content": "hi"}}).encode()
        head = (
            f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: "
            f"application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        self.async_seconds.append(time.perf_counter() - received)
        writer.write(head.encode() + body)
        await writer.drain()
        await reader.read()
        writer.close()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = False
        try:
            while True:
                if self.mode == "idle-close" and served:
                    try:  # the first request of a connection is awaited as long as it takes
                        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle)
                    except TimeoutError:
                        break
                else:
                    head = await reader.readuntil(b"\r\n\r\n")
                read = time.perf_counter()
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = await reader.readexactly(length) if length else b""
                status, out = await self.respond(method, target, body)
                writer.write(
                    f"HTTP/1.1 {status} OK\r\nContent-Length: {len(out)}\r\n"
                    "Content-Type: text/plain\r\n\r\n".encode()
                    + out
                )
                await writer.drain()
                served = True
                if self.mode == "delay" and status == 200 and method == "POST":
                    self.own.append(time.perf_counter() - read)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def _stall_every(loop: asyncio.AbstractEventLoop, period: float, pause: float) -> None:
    time.sleep(pause)  # blocks the whole loop on purpose: every connection waits
    loop.call_later(period - pause, _stall_every, loop, period, pause)


async def main(mode: str, token: str, slots: int, service: float, idle: float, stub: str) -> None:
    target = Target(mode, token, slots, service)
    target.idle, target.stub = idle, stub
    server = await asyncio.start_server(target.serve, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    if mode == "stall":
        loop = asyncio.get_running_loop()
        loop.call_later(5.0 - 0.5, _stall_every, loop, 5.0, 0.5)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument(
        "mode", choices=("fast", "stall", "slow", "slots", "delay", "idle-close", "async-third")
    )
    p.add_argument("--token", default="fansim")
    p.add_argument("--slots", type=int, default=1)
    p.add_argument("--service", type=float, default=0.0)
    p.add_argument("--idle", type=float, default=0.05)
    p.add_argument("--stub", default="")
    a = p.parse_args()
    try:
        asyncio.run(main(a.mode, a.token, a.slots, a.service, a.idle, a.stub))
    except KeyboardInterrupt:
        sys.exit(0)
