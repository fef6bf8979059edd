"""Agents at work during a replay: claim human-routed messages, hold them, answer them.

Each agent is a greenlet of the replay's Locust user that loops: if on duty (`DutyPlan`), POST
`/agent/claim`; with a message, sleep its handle time (the scenario's class distribution, divided
by the speed-up) and POST `/agent/answer`; with none (204), poll again after `poll` seconds.
Agent k is on duty while k < the plan's count, so a roster change takes effect at the agent's
next claim: one whose shift ended finishes the message in hand first, like the model's agents.
After the plan's end nobody claims; a message still in hand at `end + overtime` is released
instead of answered, so the run stays bounded. The calls go through the user's Locust client, so
Locust's statistics show them (`/agent/claim`, `/agent/answer`, `/agent/release`).

The back end timestamps claims and answers; the load report measures first-response and
resolution times from its database (`loadtests.report.agent_times`), not from here. Polling
adds up to `poll` wall seconds (`poll` x speed-up of scenario time) to each first response.

Why greenlets in the replay's user and not a Locust user class per agent: the replay runs one
user per worker process, and Locust sets how many users of each class run, not when; the roster
needs the count to follow the scenario's clock, which this loop reads directly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gevent
import numpy as np
from gevent.pool import Group

from loadtests.replay.duty import DutyPlan, draw_wall_seconds
from sim.dists import Distribution
from sim.model.rng import key_part

__all__ = ["AgentDesk"]


class AgentDesk:
    """The agents of one replay, as greenlets sharing the replay user's HTTP client."""

    def __init__(
        self,
        post: Callable[..., Any],
        token: str,
        plan: DutyPlan,
        dists: dict[str, Distribution],
        seed: int,
        poll: float,
        overtime: float,
    ) -> None:
        self._post = post
        self._headers = {"Authorization": f"Bearer {token}"}
        self.plan = plan
        self._dists = dists
        self._seed = seed
        self._poll = poll
        self._overtime = overtime
        self._group = Group()
        self.counts = {"claimed": 0, "answered": 0, "released": 0, "errors": 0}

    def start(self, t0: float) -> None:
        """Start one greenlet per agent the plan ever has on duty; `t0`: perf_counter origin."""
        for k in range(self.plan.most):
            seq = np.random.SeedSequence(self._seed, spawn_key=(key_part("agents"), k))
            rng = np.random.default_rng(seq)
            self._group.spawn(self._agent, k, rng, t0)

    def join(self) -> None:
        """Wait for every agent to leave."""
        self._group.join()

    def _call(self, action: str, payload: dict[str, Any]) -> tuple[int, Any]:
        with self._post(
            f"/agent/{action}",
            json=payload,
            headers=self._headers,
            name=f"/agent/{action}",
            catch_response=True,
        ) as resp:
            status = int(resp.status_code or 0)
            if status in (200, 204):
                resp.success()
                return status, resp.json() if status == 200 else None
            resp.failure(f"status {status}")
            self.counts["errors"] += 1
            return status, None

    def _agent(self, k: int, rng: np.random.Generator, t0: float) -> None:
        name, plan = f"agent{k:03d}", self.plan
        clock = time.perf_counter
        while (now := clock() - t0) < plan.end:
            if k >= plan.on_duty(now):
                gevent.sleep(min(self._poll, plan.end - now))
                continue
            status, got = self._call("claim", {"agent": name})
            if status != 200:
                gevent.sleep(self._poll)
                continue
            self.counts["claimed"] += 1
            hold = draw_wall_seconds(self._dists, str(got["class_name"]), plan.speedup, rng)
            done = min(clock() - t0 + hold, plan.end + self._overtime)
            gevent.sleep(max(0.0, done - (clock() - t0)))
            if done < plan.end + self._overtime:
                self._call("answer", {"agent": name, "id": got["id"], "text": "已处理，谢谢"})
                self.counts["answered"] += 1
            else:
                self._call("release", {"agent": name, "id": got["id"]})
                self.counts["released"] += 1
