"""Per-message and per-delivery records of a replay worker, and reading them back.

Locust's statistics round response times into buckets and only keep counts per name; the load
report needs more: every message's outcome, every delivery's send time and response (for the
capacity estimate and the service-time sample), and exact percentiles. Each worker process
keeps these rows in memory and writes them at the end of its schedule into the run folder:

- `worker-<i>.json`: the plan, the worker's index, its clock origin (Unix time), counts, the
  CPU seconds its process used while dispatching;
- `messages-<i>.csv`: msg_id, class, kind (text | subscribe), fan, CreateTime, intended, lateness
  (the generator's delay: intended -> the first delivery's start, or -> the drop), outcome,
  deliveries, answered_at, dropped (why: generator_behind | pool_full);
- `deliveries-<i>.csv`: msg_id, delivery, started (the sender began), sent (the request was
  written), response (written -> the response's last byte or the error), status, answered,
  cause (why it did not answer), stale (idle keep-alive connections found closed and replaced),
  replied (the answer carried a message to the fan);
- `answers-<i>.csv` (with the customer-service stub): at, fan, msgtype, errcode: every call a
  back end made to the platform's customer-service API (errcode 0: the fan got it).

Times are seconds from the worker's start (intended send time 0), with microsecond resolution.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from loadtests.replay.platforms import Message
from loadtests.wechat.customer_service import Sent
from loadtests.wechat.delivery import DROPPED, OUTCOMES, Delivered
from loadtests.wechat.protocol import dedup_key

__all__ = ["Recorder", "RunRecords", "read_run"]

_MESSAGE_COLUMNS = (
    "msg_id", "cls", "kind", "fan", "create_time", "intended", "lateness", "outcome",
    "deliveries", "answered_at", "dropped",
)  # fmt: skip
_DELIVERY_COLUMNS = (
    "msg_id", "delivery", "started", "sent", "response", "status", "answered", "cause", "stale",
    "replied",
)  # fmt: skip
_ANSWER_COLUMNS = ("at", "fan", "msgtype", "errcode")


def _us(x: float) -> str:
    return f"{x:.6f}"


def _message_row(
    msg_id: int,
    cls: str,
    subscribe: bool,
    fan: str,
    create_time: int,
    intended: float,
    lateness: float,
    outcome: str,
    n: int,
    answered: float,
    why: str,
) -> tuple[object, ...]:
    kind = "subscribe" if subscribe else "text"
    done = "" if answered != answered else _us(answered)  # NaN: not answered
    row = (msg_id, cls, kind, fan, create_time, _us(intended), _us(lateness), outcome, n, done)
    return (*row, why)


_Row = tuple[int, str, bool, str, int, float, float, str, int, float, str]
_DeliveryRow = tuple[int, int, float, float, float, int, bool, str, int, bool]


@dataclass
class Recorder:
    """Rows of one worker, appended as messages finish; written once at the end.

    The dispatcher's greenlets add a row per message, thousands per second, and a long replay
    holds millions: rows are plain tuples of numbers and strings (which Python's garbage
    collector stops tracking, so its full collections do not grow with the run and stall the
    dispatcher), formatted only when written.
    """

    worker: int
    messages: list[_Row] = field(default_factory=list)
    deliveries: list[_DeliveryRow] = field(default_factory=list)

    def dropped(
        self, message: Message, cls: str, intended: float, lateness: float, why: str
    ) -> None:
        """An arrival that could not start in time (`why`: generator behind, pool full)."""
        m = message
        row = (m.msg_id, cls, m.subscribe, m.fan, m.create_time, intended, lateness, DROPPED)
        self.messages.append((*row, 0, math.nan, why))

    def delivered(
        self,
        message: Message,
        cls: str,
        intended: float,
        result: Delivered,
        origin: float = 0.0,
    ) -> None:
        """A message that went through the platform's rules; `origin` is the clock's time 0."""
        m, attempts = message, result.attempts
        last = attempts[-1]
        answered = last.sent + last.response - origin if last.answered else math.nan
        first = attempts[0]
        lateness = (first.sent if first.started is None else first.started) - origin - intended
        head = (m.msg_id, cls, m.subscribe, m.fan, m.create_time, intended, lateness)
        self.messages.append((*head, result.outcome, len(attempts), answered, ""))
        self.deliveries.extend(
            (m.msg_id, a.delivery, (a.sent if a.started is None else a.started) - origin,
             a.sent - origin, a.response, a.status, a.answered, a.cause, a.stale, a.replied)
            for a in attempts
        )  # fmt: skip

    def write_answers(self, folder: Path, log: list[Sent]) -> None:
        """The customer-service calls the stub saw (times from the worker's start)."""
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"answers-{self.worker}.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(_ANSWER_COLUMNS)
            w.writerows((_us(a.at), a.fan, a.msgtype, a.errcode) for a in log)

    def write(self, folder: Path, meta: dict[str, Any]) -> None:
        """Write this worker's three files into the run folder."""
        folder.mkdir(parents=True, exist_ok=True)
        i = self.worker
        messages = [_message_row(*r) for r in sorted(self.messages)]
        deliveries = [
            (m, d, _us(started), _us(sent), _us(response), status, int(answered), cause, stale,
             int(replied))
            for m, d, started, sent, response, status, answered, cause, stale, replied in sorted(
                self.deliveries
            )
        ]  # fmt: skip
        for name, columns, rows in (
            (f"messages-{i}.csv", _MESSAGE_COLUMNS, messages),
            (f"deliveries-{i}.csv", _DELIVERY_COLUMNS, deliveries),
        ):
            with (folder / name).open("w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh, lineterminator="\n")
                w.writerow(columns)
                w.writerows(rows)
        counts = {o: 0 for o in OUTCOMES}
        for row in self.messages:
            counts[row[7]] += 1
        text = json.dumps({**meta, "worker": i, "counts": counts}, indent=2, sort_keys=True)
        (folder / f"worker-{i}.json").write_text(text + "\n", encoding="utf-8")


@dataclass(frozen=True)
class RunRecords:
    """All workers' rows of one run, as arrays (times in each worker's own clock)."""

    workers: tuple[dict[str, Any], ...]
    msg_id: NDArray[np.int64]
    cls: NDArray[np.str_]
    kind: NDArray[np.str_]
    fan: NDArray[np.str_]
    create_time: NDArray[np.int64]
    intended: NDArray[np.float64]
    lateness: NDArray[np.float64]
    outcome: NDArray[np.str_]
    deliveries: NDArray[np.int64]
    answered_at: NDArray[np.float64]  # NaN when not answered
    dropped_why: NDArray[np.str_]  # "" unless dropped
    d_msg_id: NDArray[np.int64]
    d_delivery: NDArray[np.int64]
    d_started: NDArray[np.float64]
    d_sent: NDArray[np.float64]  # written
    d_response: NDArray[np.float64]  # written -> response end: the server's latency
    d_status: NDArray[np.int64]
    d_answered: NDArray[np.bool_]
    d_cause: NDArray[np.str_]
    d_stale: NDArray[np.int64]
    d_replied: NDArray[np.bool_]
    a_at: NDArray[np.float64]  # customer-service calls (empty without the stub)
    a_fan: NDArray[np.str_]
    a_errcode: NDArray[np.int64]

    def dedup_keys(self, mask: NDArray[np.bool_]) -> list[str]:
        """The back end's de-duplication keys of the messages selected by `mask`."""
        return [
            dedup_key("" if k == "subscribe" else m, f, int(c))
            for m, k, f, c in zip(
                self.msg_id[mask],
                self.kind[mask],
                self.fan[mask],
                self.create_time[mask],
                strict=True,
            )
        ]


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))[1:]


def read_run(folder: Path) -> RunRecords:
    """Read every worker's files in `folder`; raises FileNotFoundError if there are none."""
    metas = sorted(folder.glob("worker-*.json"))
    if not metas:
        raise FileNotFoundError(f"{folder}: no worker-<i>.json (did the replay finish?)")
    workers = tuple(json.loads(p.read_text(encoding="utf-8")) for p in metas)
    m: list[list[str]] = []
    d: list[list[str]] = []
    a: list[list[str]] = []
    for w in workers:
        m += _rows(folder / f"messages-{w['worker']}.csv")
        d += _rows(folder / f"deliveries-{w['worker']}.csv")
        answers = folder / f"answers-{w['worker']}.csv"
        a += _rows(answers) if answers.is_file() else []
    mc = list(zip(*m, strict=True)) if m else [()] * len(_MESSAGE_COLUMNS)
    dc = list(zip(*d, strict=True)) if d else [()] * len(_DELIVERY_COLUMNS)
    ac = list(zip(*a, strict=True)) if a else [()] * len(_ANSWER_COLUMNS)

    def f64(col: tuple[str, ...]) -> NDArray[np.float64]:
        return np.array([float(x) if x else np.nan for x in col], np.float64)

    def i64(col: tuple[str, ...]) -> NDArray[np.int64]:
        return np.array([int(x) for x in col], np.int64)

    return RunRecords(
        workers=workers,
        msg_id=i64(mc[0]),
        cls=np.array(mc[1], str),
        kind=np.array(mc[2], str),
        fan=np.array(mc[3], str),
        create_time=i64(mc[4]),
        intended=f64(mc[5]),
        lateness=f64(mc[6]),
        outcome=np.array(mc[7], str),
        deliveries=i64(mc[8]),
        answered_at=f64(mc[9]),
        dropped_why=np.array(mc[10], str),
        d_msg_id=i64(dc[0]),
        d_delivery=i64(dc[1]),
        d_started=f64(dc[2]),
        d_sent=f64(dc[3]),
        d_response=f64(dc[4]),
        d_status=i64(dc[5]),
        d_answered=np.array([x == "1" for x in dc[6]], bool),
        d_cause=np.array(dc[7], str),
        d_stale=i64(dc[8]),
        d_replied=np.array([x == "1" for x in dc[9]], bool),
        a_at=f64(ac[0]),
        a_fan=np.array(ac[1], str),
        a_errcode=i64(ac[3]),
    )
