"""Traffic sampled once, served many times: other rosters and servers on the same messages.

A staffing or sizing search compares configurations on the same messages (common random
numbers) and should not pay for sampling them again. `sample_traffic` runs the model once and
keeps every message that could reach an agent: the routed messages outside campaign windows and,
inside them, every message the keyword rules do not answer, with its server service time.
`serve` replays them through another `StaffSchedule` and/or `ServerSpec`.

Exactness: serving with the original roster and server reproduces the run exactly. With another
configuration the traffic is held fixed; that is the model's own answer when fans do not depend
on service (a fixed fan base, or `quality_sensitivity` and `unanswered_unfollow` both 0), and an
approximation otherwise: the follower feedback of the new configuration is not re-simulated.
`Traffic.exact` says which.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sim.model.engine import ModelResult, RunSpec, run_one
from sim.model.human_queue import HumanQueue, QueueRecords
from sim.model.roster import StaffSchedule
from sim.model.surge import WindowSample, serve_window
from sim.model.tally import ServiceTally
from sim.model.traffic import HumanBatch
from sim.scenario.schema import Scenario, ServerSpec
from sim.scenario.timeline import resolve_timeline
from sim.units import DAY

__all__ = ["Traffic", "sample_traffic", "serve"]

I64 = NDArray[np.int64]


def _feedback(scenario: Scenario) -> bool:
    """Whether fans (and so later traffic) depend on how the agents serve them."""
    for sc in resolve_timeline(scenario).days:
        if sc.followers.unanswered_unfollow > 0:
            return True
        if any(ch.quality_sensitivity > 0 for ch in sc.channels.values()):
            return True
    return False


@dataclass(frozen=True)
class Traffic:
    """One replication's messages, sampled once, and the run they were sampled in."""

    result: ModelResult
    exact: bool  # serving another configuration is exact (fans do not depend on service)

    @property
    def records(self) -> QueueRecords:
        """The routed messages of the run (`sample_traffic` keeps them)."""
        if self.result.queue is None:
            raise ValueError("this traffic was sampled without its messages: use sample_traffic")
        return self.result.queue


def _window_server(
    run: Scenario, variant: Scenario | None, w: WindowSample, server: ServerSpec | None
) -> ServerSpec | None:
    """The server that serves window `w`; raises `ValueError` if it needs other traffic.

    A day without a back end has no server. Service times and the window's margins are drawn
    with the traffic, so a server that changes them cannot be served from it.
    """
    day = int(w.window.start // DAY)
    if server is None or not resolve_timeline(variant or run).on(day).service.back_end:
        return None
    old = resolve_timeline(run).on(day)
    same = old.service.back_end and old.server is not None
    if same and old.server is not None:
        fields = ("service_time_seconds", "margin_before_minutes", "margin_after_minutes")
        same = all(getattr(old.server, f) == getattr(server, f) for f in fields)
    if not same:
        raise ValueError(
            "the server changes the sampled traffic (its service times or window margins "
            "differ from the run's, or the run had no server that day): run it afresh"
        )
    return server


def sample_traffic(spec: RunSpec) -> Traffic:
    """Run `spec` once and keep its messages for `serve`."""
    return Traffic(run_one(spec, records=True), not _feedback(spec.scenario))


def serve(
    traffic: Traffic,
    schedule: StaffSchedule | None = None,
    server: ServerSpec | None = None,
    keep_server: bool = True,
    scenario: Scenario | None = None,
) -> ModelResult:
    """Serve the same messages with `schedule` (default: the run's) and `server`.

    With `keep_server` (the default) campaign windows keep the run's server outcomes; pass
    `keep_server=False` to re-run every window through `server` (None: no server at all).
    `scenario` (the variant served) goes into the result's provenance; default: the run's.
    """
    r = traffic.result
    q = traffic.records
    windows = r.windows
    if not keep_server:
        windows = tuple(
            serve_window(w, _window_server(r.spec.scenario, scenario, w, server)) for w in r.windows
        )
    outside = np.ones(q.arrival.size, bool)
    for w in r.windows:
        outside &= (q.arrival < w.window.start) | (q.arrival >= w.window.end)
    kept = HumanBatch(q.arrival, q.tag, q.priority, q.handle, q.deadline).take(outside)
    routed = HumanBatch.merge([kept, *(w.human for w in windows)])
    roster = schedule if schedule is not None else r.schedule
    queue = HumanQueue(roster)
    queue.offer(routed.arrival, routed.priority, routed.handle, routed.deadline, routed.cls)
    queue.advance(q.horizon)
    auto, human, failed = r.auto_replied.copy(), r.to_humans.copy(), r.server_failed.copy()
    n, k = auto.shape
    for old, new in zip(r.windows, windows, strict=True):
        before = old.interval_counts(0.0, r.interval_minutes, n, k)
        after = new.interval_counts(0.0, r.interval_minutes, n, k)
        auto += after.auto_replied - before.auto_replied
        human += after.to_humans - before.to_humans
        failed += after.failed_at_server - before.failed_at_server
    spec = r.spec if scenario is None else replace(r.spec, scenario=scenario)
    tally = ServiceTally(spec.timeline, q.horizon)
    tally.finish(queue.rest(), *queue.present())
    return replace(
        r,
        spec=spec,
        auto_replied=auto,
        to_humans=human,
        server_failed=failed,
        tally=tally,
        queue=queue.records(),
        schedule=roster,
        windows=windows,
    )
