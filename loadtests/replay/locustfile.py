"""Locust replay of a modelled surge: an open workload under WeChat's delivery rules.

Run it through `fansim loadtest` (which sets the options below) or directly:

    locust -f loadtests/replay/locustfile.py --headless -u 1 -r 1 --host http://127.0.0.1:8080 \
        --replay-profile profile.csv --replay-out out/run --replay-token TOKEN

One `ReplayUser` per worker process (so `-u` equals the number of workers) plays that worker's
share of the arrival schedule (`loadtests.replay.schedule`). Locust's users are closed loops
(the next request waits for the last response), which under-offers exactly when a back end slows
down; here one dispatcher greenlet sleeps until each arrival's intended time and hands the
message to its own greenlet from a bounded pool, never waiting for responses. An arrival that
cannot start within `--replay-tolerance` of its time (generator behind, pool full) is dropped and
recorded, never sent late unrecorded.

Locust's statistics hold the deliveries only (request type POST, name `<path> #d`, response time
from the request written to the response's last byte), so its totals, RPS and failure ratio
are the real traffic. The harness's own figures (outcomes, drops, failure causes, stale
connections, the generator's delay) are in `loadtests.replay.tally` (`replay_stats-<i>.csv`,
and `/replay/stats` in the web UI); exact per-message and per-delivery rows go to the run folder
(`loadtests.replay.records`) for `fansim loadreport`. The web UI runs one replay per process: a
second start is refused (its MsgIds and records would collide with the first's);
`--replay-exit-when-done` ends the process when the replay ends.
"""

from __future__ import annotations

import gc
import logging
import math
import os
import time
from pathlib import Path
from typing import Any

import gevent
from locust import FastHttpUser, constant, events, stats, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment
from locust.runners import LocalRunner, MasterRunner, Runner, WorkerRunner

from loadtests.replay.content import class_texts
from loadtests.replay.duty import duty_plan, handle_times
from loadtests.replay.fine_stats import Percentiles, fine_bucket
from loadtests.replay.net.agents import AgentDesk
from loadtests.replay.net.flight import Flight
from loadtests.replay.net.sender import Poster, Sent
from loadtests.replay.net.stub import Stub
from loadtests.replay.platforms import JsonWebhook, Message, Platform, WeChat
from loadtests.replay.profile import Profile, read_profile
from loadtests.replay.ramp import RampGuard, parse_ramp
from loadtests.replay.records import Recorder
from loadtests.replay.schedule import Arrivals, ReplayPlan, arrival_schedule
from loadtests.replay.tally import Tally
from loadtests.wechat.customer_service import CustomerService
from loadtests.wechat.delivery import Reply, deliver
from loadtests.wechat.safe_mode import SafeMode
from sim.scenario.schema import Scenario, ServerSpec

__all__ = ["ReplayUser"]

DONE = "replay_done"  # worker -> master: this worker's schedule is over and its files written
# Locust writes its CSV statistics once a second and not again at exit: quit a little later,
# so the last messages are in them
QUIT_AFTER = 1.5


_SERVER = ServerSpec.model_fields  # WeChat's deadline and deliveries: the scenario's defaults
_OPTIONS: tuple[tuple[str, type, object, str], ...] = (
    ("profile", str, "", "profile CSV (`fansim profile`)"),
    ("scenario", str, "", "scenario TOML: class keywords"),
    ("out", str, "out/loadtest", "run folder for the records"),
    ("scale", float, 1.0, "multiplies the rates"),
    ("speedup", float, 1.0, "compresses time"),
    ("start", int, 0, "first profile second"),
    ("duration", float, 0.0, "wall seconds (0: to the profile's end)"),
    ("seed", int, 0, "arrival schedule seed"),
    ("workers", int, 1, "worker processes in the run (each runs one ReplayUser)"),
    ("fans", int, 100_000, "simulated fan pool (FromUserName)"),
    ("subscribe-share", float, 0.0, "share of arrivals that are subscribe events"),
    ("msg-base", int, -1, "first MsgId (-1: from the clock)"),
    ("platform", str, "wechat", "wechat | json"),
    ("path", str, "", "URL path (default /wechat or /webhook)"),
    ("token", str, "fansim", "WeChat callback token"),
    ("aes-key", str, "", "EncodingAESKey: WeChat safe mode"),
    ("app-id", str, "", "AppId for safe mode"),
    ("deadline", float, _SERVER["deadline_seconds"].default, "the platform's reply deadline (s)"),
    ("max-deliveries", int, _SERVER["max_deliveries"].default, "deliveries per message in all"),
    ("pool", int, 2000, "deliveries in flight at most (greenlets and connections)"),
    ("tolerance", float, 0.05, "drop an arrival that cannot start this late (s)"),
    ("agents", int, 0, "1: agents claim and answer human-routed messages (needs the scenario)"),
    ("agents-token", str, "", "the back end's agents' token (Bearer), not the callback token"),
    ("agent-scale", float, 0.0, "agents on duty = roster x this (0: the load's scale)"),
    ("agent-poll", float, 0.05, "an idle agent claims again after this (s)"),
    ("ramp", str, "", "START,FACTOR,STEP: rising rate steps with the profile's mix, to capacity"),
    ("exit-when-done", int, 0, "1: end the process when the replay ends (web UI too)"),
    ("stub-port", int, 0, "customer-service API stub on 127.0.0.1:PORT (0: none; 1 worker)"),
    ("stub-wait", float, 5.0, "keep the stub open this long after the last delivery (s)"),
)
BEHIND, POOL_FULL = "generator_behind", "pool_full"  # why an arrival was dropped
START_BACKLOG = 32  # spawned arrivals not started yet before the dispatcher yields to them


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _options(parser: LocustArgumentParser) -> None:
    g = parser.add_argument_group("replay", "open-workload replay of a fansim profile")
    for name, kind, default, text in _OPTIONS:
        g.add_argument(f"--replay-{name}", type=kind, default=default, help=text)


def replay_options(environment: Environment) -> Any:
    """The parsed command line, an argparse namespace with the `--replay-*` options.

    Locust leaves it None only outside a run.
    """
    options = environment.parsed_options
    if options is None:
        raise RuntimeError("the replay needs Locust's parsed options: run it with `locust -f`")
    return options


def _on_done(environment: Environment, msg: Any, **_: Any) -> None:
    """Master: quit once every worker has finished its schedule."""
    finished: set[int] = environment.replay_finished  # type: ignore[attr-defined]
    finished.add(int(msg.data["worker"]))
    runner = environment.runner  # the master's, which received `msg`
    if runner is not None and len(finished) >= replay_options(environment).replay_workers:
        gevent.spawn_later(QUIT_AFTER, runner.quit)


@events.init.add_listener  # type: ignore[untyped-decorator]
def _init(environment: Environment, **_: Any) -> None:
    stats.bucket_response_time = fine_bucket  # type: ignore[assignment]
    stats.calculate_response_time_percentile = Percentiles()  # type: ignore[assignment]
    environment.replay_tally = Tally()  # type: ignore[attr-defined]
    environment.replay_runs = 0  # type: ignore[attr-defined]
    app = None if environment.web_ui is None else environment.web_ui.app
    if app is not None:  # the harness's figures beside Locust's, in the web UI
        tally: Tally = environment.replay_tally  # type: ignore[attr-defined]
        app.route("/replay/stats")(lambda: {"rows": [list(r) for r in tally.rows()]})
    if isinstance(environment.runner, MasterRunner):
        environment.replay_finished = set()  # type: ignore[attr-defined]
        environment.runner.register_message(DONE, lambda msg, **kw: _on_done(environment, msg))


def _plan(o: Any) -> ReplayPlan:
    base = o.replay_msg_base if o.replay_msg_base >= 0 else int(time.time()) * 1_000_000
    return ReplayPlan(
        scale=o.replay_scale,
        speedup=o.replay_speedup,
        start=o.replay_start,
        duration=o.replay_duration or None,
        seed=o.replay_seed,
        workers=o.replay_workers,
        fans=o.replay_fans,
        subscribe_share=o.replay_subscribe_share,
        msg_base=base,
    )


def _platform(o: Any) -> Platform:
    if o.replay_platform not in ("wechat", "json"):
        raise ValueError(f"--replay-platform: must be wechat or json (got {o.replay_platform!r})")
    if o.replay_platform == "json":
        return JsonWebhook(o.replay_path or "/webhook")
    safe = SafeMode(o.replay_token, o.replay_aes_key, o.replay_app_id) if o.replay_aes_key else None
    return WeChat(o.replay_token, o.replay_path or "/wechat", safe)


class ReplayUser(FastHttpUser):
    """Plays one worker's share of the schedule, then reports and idles."""

    wait_time = constant(3600)  # the one task runs the whole schedule

    def __init__(self, environment: Environment) -> None:
        o = replay_options(environment)
        self.concurrency = o.replay_pool  # Locust's client (the agents' calls) as the poster's
        self.network_timeout = o.replay_deadline  # the platform gives up at the deadline
        self.connection_timeout = o.replay_deadline
        super().__init__(environment)
        self.options = o
        self.platform = _platform(o)
        # statistic names per delivery (0: the from-intended statistic of the first)
        label, deliveries = self.platform.path, range(1, o.replay_max_deliveries + 1)
        self.names = [f"{label} #1", *(f"{label} #{d}" for d in deliveries)]
        self.poster = Poster(self.host or "", o.replay_deadline, environment.events.request)
        self.tally: Tally = environment.replay_tally  # type: ignore[attr-defined]
        self.service: CustomerService | None = None  # with the stub: the fans' windows

    @task
    def replay(self) -> None:
        """Dispatch every arrival at its time, wait for the in-flight ones, write records."""
        o = self.options
        runner = self.environment.runner
        self.environment.replay_runs += 1
        if self.environment.replay_runs > 1:
            logging.error(
                "replay: a second start in one process is refused (its MsgIds and records would "
                "repeat the first run's): start `fansim loadtest` again for a new run"
            )
            self._finish(runner)
            return
        worker = runner.worker_index if isinstance(runner, WorkerRunner) else 0
        plan = _plan(o)
        profile = read_profile(Path(o.replay_profile))
        ramp = parse_ramp(o.replay_ramp) if o.replay_ramp else None
        if ramp is not None:  # the profile only gives the class mix; the run is bounded by time
            profile = ramp.profile(profile, math.ceil(o.replay_duration or 60.0))
        scenario = None
        if o.replay_scenario:
            from sim.scenario.load import load_scenario

            scenario = load_scenario(Path(o.replay_scenario))
        texts = class_texts(profile.classes, scenario)
        arrivals = arrival_schedule(profile, plan, worker)
        recorder = Recorder(worker)
        desk = self._desk(profile, plan, scenario) if worker == 0 else None
        # A full garbage collection walks every object Locust, gevent, numpy and the model
        # imported (~100k, 20-40 ms here): often enough to make arrivals late at thousands per
        # second. Frozen, they are never walked again; the replay's own rows are not tracked.
        gc.collect()
        gc.freeze()
        unix0 = time.time()
        t0 = time.perf_counter() + 0.2  # a moment to set up: the first arrival is not late
        stub = self._stub(plan, t0)
        if desk is not None:
            desk.start(t0)
        guard = None
        if ramp is not None:
            seconds = math.ceil(o.replay_duration or 60.0)
            guard = RampGuard(ramp.step, ramp.climb_seconds(seconds), ramp.climbs)
        cpu0 = time.process_time()
        self._dispatch(arrivals, texts.text, recorder, t0, unix0, guard)
        cpu = time.process_time() - cpu0
        if desk is not None:
            desk.join()
        if stub is not None:
            gevent.sleep(o.replay_stub_wait)  # answers still on their way
            stub.stop()
            recorder.write_answers(Path(o.replay_out), stub.service.log)
        meta = {
            "plan": {k: getattr(plan, k) for k in plan.__dataclass_fields__},
            "profile": {
                "path": o.replay_profile,
                "scenario": profile.scenario,
                "seed": profile.seed,
                "params_hash": profile.params_hash,
                "first_second": profile.first_second,
            },
            "host": self.host,
            "platform": o.replay_platform,
            "deadline_seconds": o.replay_deadline,
            "max_deliveries": o.replay_max_deliveries,
            "pool": o.replay_pool,
            "tolerance_seconds": o.replay_tolerance,
            "unix_start": unix0 + 0.2,
            "scheduled": arrivals.size,
            "expected": arrivals.expected,
            "wall_seconds": plan.wall_seconds(profile),
            "cpu_seconds": round(cpu, 3),  # the whole process's, while it dispatched
            "scenario_path": o.replay_scenario,
        }
        if stub is not None:
            meta["stub"] = {"port": o.replay_stub_port, "wait_seconds": o.replay_stub_wait}
        if ramp is not None:
            stops = guard.stops if guard else []
            meta["ramp"] = {
                **ramp.as_dict(),
                "stopped_at": guard.stopped_at if guard else None,
                "stops": stops,
                "climb_seconds": guard.climb if guard else None,
            }
            meta["load_average"] = list(os.getloadavg())  # the machine's, as the climbs ended
        if desk is not None:
            meta["agents"] = {
                **desk.plan.as_dict(),
                **desk.counts,
                "scenario": o.replay_scenario,
                "poll_seconds": o.replay_agent_poll,
            }
        recorder.write(Path(o.replay_out), meta)
        self.tally.write(Path(o.replay_out) / f"replay_stats-{worker}.csv")
        self.poster.close()
        if isinstance(runner, WorkerRunner):
            runner.send_message(DONE, {"worker": worker})
        self._finish(runner)

    def _finish(self, runner: Runner | None) -> None:
        """Headless (or asked to): quit once Locust's CSV has the last messages; else stop."""
        web = self.environment.web_ui
        if not isinstance(runner, LocalRunner):
            return  # a worker: the master quits
        if web is None or self.options.replay_exit_when_done:
            gevent.spawn_later(QUIT_AFTER, runner.quit)
            if web is not None:
                gevent.spawn_later(QUIT_AFTER + 0.5, web.stop)
        else:
            gevent.spawn(runner.stop)

    def _stub(self, plan: ReplayPlan, t0: float) -> Stub | None:
        """The customer-service API stub, listening, or None without `--replay-stub-port`."""
        o = self.options
        if not o.replay_stub_port:
            return None
        if plan.workers != 1:
            raise ValueError("--replay-stub-port needs one worker process (the fans' windows)")
        self.service = CustomerService(plan.speedup)
        stub = Stub(o.replay_stub_port, self.service, t0)
        stub.start()
        return stub

    def _desk(
        self, profile: Profile, plan: ReplayPlan, scenario: Scenario | None
    ) -> AgentDesk | None:
        """The agents of this run (worker 0 plays them all), or None without `--replay-agents`."""
        o = self.options
        if not o.replay_agents:
            return None
        if scenario is None:
            raise ValueError("--replay-agents needs --replay-scenario (roster and handle times)")
        if not o.replay_agents_token:
            raise ValueError("--replay-agents needs --replay-agents-token (the agent API's token)")
        duty = duty_plan(scenario, profile, plan, o.replay_agent_scale or None)
        overtime = o.replay_max_deliveries * o.replay_deadline  # what the replay drains
        return AgentDesk(
            self.client.post,
            o.replay_agents_token,
            duty,
            handle_times(scenario, duty.day),
            plan.seed,
            o.replay_agent_poll,
            overtime,
        )

    def _dispatch(
        self,
        arrivals: Arrivals,
        text: Any,
        recorder: Recorder,
        t0: float,
        unix0: float,
        guard: RampGuard | None = None,
    ) -> None:
        """Start each arrival at its time in its own greenlet, or drop it; never wait for replies.

        The hot loop of the replay: plain Python values (`Arrivals.rows`), one clock read per
        arrival, and a sleep only when the next arrival is still ahead (gevent wakes at
        millisecond granularity, so arrivals closer together than that start in one batch).
        """
        o = self.options
        flight = Flight(o.replay_pool)
        clock, sleep, tolerance = time.perf_counter, gevent.sleep, o.replay_tolerance
        created = unix0 + 0.2
        for at, cls, msg_id, fan, subscribe in arrivals.rows():
            target = t0 + at
            now = clock()
            if target > now:
                sleep(target - now)
                now = clock()
            elif now - target > tolerance or flight.waiting > START_BACKLOG:
                # behind: let the spawned greenlets start and read their responses, so a
                # saturated generator drops arrivals here (cheap) instead of starting them
                # late, and does not stretch the server latency it measures
                sleep(0)
                now = clock()
            if guard is not None:
                if guard.behind(now - t0):
                    break  # the back end fell behind: the steps sent show it, stop here
                if guard.skip(at):
                    continue  # this climb fell behind: wait for the next one
                guard.sent(at)
            message = Message(msg_id, f"fan{fan:07d}", text(cls, msg_id), subscribe,
                              int(created + at))  # fmt: skip
            late = now - target
            if late > tolerance or flight.full():
                why = BEHIND if late > tolerance else POOL_FULL
                recorder.dropped(message, cls, at, late, why)
                self.tally.dropped(why)
                continue
            flight.spawn(self._one, message, cls, at, target, recorder, guard)
        flight.join()
        if guard is not None:
            guard.settle()

    def _send(self, message: Message, delivery: int) -> Reply:
        out = self.platform.render(message, delivery, int(time.time()))
        sent = self.poster.post(out.path, out.body, out.headers)
        ok = sent.status > 0 and self.platform.answered(message, sent.status, sent.body)
        cause = "" if ok else _cause(sent)
        failure = None
        if not ok:
            failure = f"{cause} (status {sent.status})"
        elif sent.seconds > self.options.replay_deadline:
            failure = "after the deadline"
        self.poster.report(self.names[delivery], sent, out.path, failure)
        replied = ok and sent.body.strip() not in (b"", b"success") and _is_wechat(self.platform)
        return Reply(sent.status, ok, sent.written, cause, sent.stale, replied)

    def _one(
        self,
        message: Message,
        cls: str,
        at: float,
        target: float,
        rec: Recorder,
        guard: RampGuard | None,
    ) -> None:
        o = self.options
        delay = time.perf_counter() - target
        if delay > o.replay_tolerance:  # the greenlet itself started too late: not sent
            rec.dropped(message, cls, at, delay, BEHIND)
            self.tally.dropped(BEHIND)
            return
        if self.service is not None:  # the fan's service window opens as the platform delivers
            self.service.saw(message.fan, time.perf_counter() - (target - at))
        result = deliver(
            lambda d: self._send(message, d),
            time.perf_counter,
            gevent.sleep,
            o.replay_deadline,
            o.replay_max_deliveries,
        )
        first = result.attempts[0]
        if guard is not None and first.answered:  # wall seconds from t0 = target - at
            guard.first_answered(at, first.sent + first.response - (target - at))
        self.tally.delivered(result, delay)
        rec.delivered(message, cls, at, result, origin=target - at)


def _is_wechat(platform: Platform) -> bool:
    """Whether a non-empty valid reply is a message to the fan (WeChat's passive reply)."""
    return isinstance(platform, WeChat)


def _cause(sent: Sent) -> str:
    """Why a delivery did not answer: the transport's cause, else its HTTP status or body."""
    if sent.status == 0:
        return sent.cause
    if 400 <= sent.status < 500:
        return f"http_{sent.status}"
    if sent.status >= 500:
        return "http_5xx"
    return "invalid_reply"
