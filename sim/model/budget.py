"""Work estimates before a run: how much the model will hold, so absurd jobs are refused early.

`estimate_work(scenario)` is a pure function of the scenario (no sampling): it follows an upper
bound of the fan count day by day (every channel converting at full quality, nobody leaving,
campaign newcomers at their mean), derives the messages of each day, the routed messages of the
busiest day (the agents' queue holds the messages in flight; the run's figures are tallied as it
goes, `sim.model.tally`), the messages each campaign window sends through the server and the
rows of surge.csv, and turns them into bytes with per-item costs measured on this code
(docs/benchmarks.md has the measurements). With `records` (`fansim run --records`) every routed
message is kept and written, which costs in proportion to them. `check_budget(estimate, limit)`
raises `ScenarioError` naming the field to change when the estimate exceeds the memory budget
(`fansim run --memory-budget`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from sim.errors import Problem, ScenarioError
from sim.model.campaigns import resolved_on
from sim.model.exposure import exposures_per_day
from sim.model.inbound import active_followers
from sim.model.surge import window_bounds
from sim.scenario.schema import CampaignSpec, MessagesSpec, Scenario, ServiceSpec
from sim.scenario.timeline import resolve_timeline

__all__ = [
    "DEFAULT_BUDGET_BYTES",
    "WindowEstimate",
    "WorkEstimate",
    "check_budget",
    "estimate_work",
    "format_bytes",
    "parse_bytes",
]

DEFAULT_BUDGET_BYTES = 4 * 2**30
"""Default memory budget: 4 GiB, a sixth of the 24 GiB development machine."""

# Per-item costs in bytes, measured with peak RSS of `fansim run` (docs/benchmarks.md, "Memory
# budget"); each is rounded up so the estimate stays an upper one.
BASE_BYTES = 160 * 2**20  # interpreter and libraries: a tiny run peaks at 110-127 MiB here
QUEUE_DAY_BYTES = 400  # per routed message of the busiest day: lists, chunks kept for the
# follower feedback (two days), the tally's times held until their hour and day are settled
DAY_MESSAGE_BYTES = 80  # per message of the busiest day, sampled at once (times, classes, draws)
RECORD_BYTES = 600  # per routed message with --records: kept arrays and messages.csv's text
SURGE_ROW_BYTES = 640  # per second of a campaign window: a row of surge.csv, built before written
WINDOW_BYTES = 64  # one message sampled per message in a campaign window, no server
SERVER_BYTES = 480  # one message through the server: its requests, retries, async queue
SECOND_CLASS_BYTES = 48  # per second of a window and message class: expected and sampled counts
SPIKE_SECOND_BYTES = 64  # per second of a window and burst spike, while the burst is integrated
INTERVAL_BYTES = 800  # per sampling interval: counts, fans and the summary's rows
INTERVAL_CLASS_BYTES = 64  # per interval and message class
COHORT_BYTES = 64  # per follower cohort cell (source x day x gift flag), copies included
ROSTER_STEP_BYTES = 120  # per step of the staff schedule (a change of agents on duty)

DAY_MINUTES = 1440.0


@dataclass(frozen=True)
class WindowEstimate:
    """One campaign day's window, sampled per message (and run through the server, if any)."""

    day: dt.date
    campaigns: tuple[str, ...]
    seconds: int
    messages: float  # everyday stream in the window + every campaign's burst total
    spikes: int  # burst spikes (opening + rounds) integrated over the window's seconds


@dataclass(frozen=True)
class WorkEstimate:
    """Upper estimates of a run's size and of the memory it needs, by part."""

    days: int
    intervals: int
    classes: int
    fans_max: float
    messages_per_day_max: float
    routed_messages: float  # over the run (kept whole only with records)
    windows: tuple[WindowEstimate, ...]
    server: bool
    parts: tuple[tuple[str, float], ...]  # (part, bytes), largest first
    lever: tuple[str, object]  # (dotted path, value) of the field to change first

    @property
    def server_messages(self) -> float:
        """Messages sampled per message in all campaign windows."""
        return sum(w.messages for w in self.windows)

    @property
    def bytes(self) -> float:
        """Estimated peak memory of the run, interpreter included."""
        return float(BASE_BYTES + sum(b for _, b in self.parts))


def _routed_share(
    messages: MessagesSpec, service: ServiceSpec, name: str | None = None, own_rules: bool = False
) -> float:
    """Share of messages (of class `name`, or of the everyday mix) that agents must answer.

    `own_rules`: the stream's keyword rules answer whatever the WeChat back end does (an
    inbound channel's).
    """
    share = 0.0
    for cls_name, c in messages.classes.items():
        if name is not None and cls_name != name:
            continue
        coverage = messages.auto_reply_coverage
        if c.auto_reply_coverage is not None:
            coverage = c.auto_reply_coverage
        automatic = c.routing == "auto" and (service.back_end or own_rules)
        routed = 1.0 - coverage if automatic else 1.0
        share += routed if name is not None else c.share * routed
    return share


def _hours_share(profile: tuple[float, ...], lo: float, hi: float) -> float:
    """Share of a day's everyday stream between minutes `lo` and `hi` of the day."""
    total = sum(profile)
    share = 0.0
    for h, w in enumerate(profile):
        overlap = min(hi, (h + 1) * 60.0) - max(lo, h * 60.0)
        if overlap > 0:
            share += w / total * overlap / 60.0
    return share


def _spikes(c: CampaignSpec) -> int:
    every = c.burst.every_minutes
    length = (c.end - c.start).total_seconds() / 60.0
    return 1 + (max(0, math.ceil(length / every) - 1) if every else 0)  # opening + rounds


def _roster_steps(service: ServiceSpec) -> int:
    return 24 if service.agents_by_hour is not None else 2 * len(service.shifts or ()) + 1


class _Walk:
    """Day-by-day upper bound of fans and messages; fills the counts the estimate needs."""

    def __init__(self, scenario: Scenario) -> None:
        self.segments = resolve_timeline(scenario).segments
        self.start = scenario.scenario.start
        self.interval = scenario.model.interval_minutes
        self.days = scenario.scenario.days
        self.fans = float(scenario.fans.initial)
        self.fans_max = self.fans
        self.routed = 0.0
        self.routed_day_max = 0.0
        self.per_day_max = 0.0
        self.windows: list[WindowEstimate] = []
        self.sources: set[str] = {"initial"}
        self.roster_steps = 0
        self.converted: dict[str, float] = {}
        self.grown: dict[str, float] = {"fans.initial": self.fans}

    def scenario_on(self, day: dt.date) -> Scenario:
        current = self.segments[0][1]
        for since, sc in self.segments:
            if since <= day:
                current = sc
        return current

    def run(self) -> None:
        for d in range(self.days):
            today = self.start + dt.timedelta(days=d)
            self.step(today, self.scenario_on(today))

    def step(self, today: dt.date, sc: Scenario) -> None:
        self.roster_steps += _roster_steps(sc.service)
        active = self.fans * sc.fans.active_share
        first: dict[str, float] = {}
        for name, ch in sc.channels.items():
            if (ch.start is not None and today < ch.start) or (
                ch.end is not None and today > ch.end
            ):
                continue
            left = max(0.0, ch.pool - self.converted.get(name, 0.0))
            new = min(left, exposures_per_day(ch.exposure, active) * ch.conversion)
            self.converted[name] = self.converted.get(name, 0.0) + new
            self.fans += new
            key = f"channels.{name}.pool"
            self.grown[key] = self.grown.get(key, 0.0) + new
            self.sources.add(ch.source or name)
            if ch.first_message_class is not None:
                cls = ch.first_message_class
                first[cls] = first.get(cls, 0.0) + new * ch.first_message_share
        everyday = self.fans * sc.fans.active_share * sc.messages.per_active_fan_per_day
        routed = everyday * _routed_share(sc.messages, sc.service)
        routed += sum(n * _routed_share(sc.messages, sc.service, c) for c, n in first.items())
        total = everyday + sum(first.values())
        # each day of a multi-day campaign, its participation resolved from the levers
        today_campaigns, _ = resolved_on(sc.campaigns, sc.response, active, today)
        if today_campaigns:
            burst, burst_routed = self.campaigns(today, sc, today_campaigns, active, total)
            total += burst
            routed += burst_routed
        day = (today - self.start).days
        for other in sc.inbound.values():  # other channels: own followers, straight to agents
            sent = active_followers(other, day) * other.per_active_fan_per_day
            routed += sent * _routed_share(other, sc.service, own_rules=True)
            total += sent
        self.routed += routed
        self.routed_day_max = max(self.routed_day_max, routed)
        self.per_day_max = max(self.per_day_max, total)
        self.fans_max = max(self.fans_max, self.fans)

    def campaigns(
        self,
        today: dt.date,
        sc: Scenario,
        campaigns: dict[str, CampaignSpec],
        active: float,
        everyday: float,
    ) -> tuple[float, float]:
        """Burst messages of today's campaigns (and how many are routed); records the window."""
        burst = routed = 0.0
        for name, c in campaigns.items():
            people = active * (c.participation or 0.0)
            joiners = people * c.new_fans_per_participant
            if c.channel is not None and c.channel in sc.channels:
                pool = sc.channels[c.channel].pool
                joiners = min(joiners, max(0.0, pool - self.converted.get(c.channel, 0.0)))
            self.fans += joiners
            key = f"campaigns.{name}.new_fans_per_participant"
            self.grown[key] = self.grown.get(key, 0.0) + joiners
            self.sources.add(c.source)
            sent = (people + joiners) * c.messages_per_participant
            burst += sent
            routed += sent * _routed_share(sc.messages, sc.service, c.message_class)
        day = (today - self.start).days
        lo, hi = window_bounds(self.start, sc, campaigns, day, float(self.interval))
        lo, hi = lo - day * DAY_MINUTES, hi - day * DAY_MINUTES
        self.windows.append(
            WindowEstimate(
                day=today,
                campaigns=tuple(campaigns),
                seconds=max(0, round((hi - lo) * 60.0)),
                messages=everyday * _hours_share(sc.messages.hourly_profile, lo, hi) + burst,
                spikes=sum(_spikes(c) for c in campaigns.values()),
            )
        )
        return burst, routed


def _window_lever(scenario: Scenario, w: WindowEstimate) -> tuple[str, object]:
    """The campaign field that most sizes a window: its messages per participant."""
    for _, sc in reversed(resolve_timeline(scenario).segments):
        for name in w.campaigns:
            if name in sc.campaigns:
                c = sc.campaigns[name]
                if c.messages_per_participant > 1:
                    return f"campaigns.{name}.messages_per_participant", c.messages_per_participant
                return f"campaigns.{name}.participation", c.participation
    return "campaigns", None  # pragma: no cover - every window comes from a campaign


def _queue_lever(scenario: Scenario, walk: _Walk, whole_run: bool) -> tuple[str, object]:
    """What sizes the stream: the biggest source of fans, or the rate.

    With records kept for the `whole_run`, a long horizon comes first.
    """
    if whole_run and walk.days > 31 and scenario.scenario.end is not None:
        return "scenario.end", scenario.scenario.end.isoformat()
    path, grown = max(walk.grown.items(), key=lambda kv: kv[1])
    if grown >= walk.fans_max / 2 and path == "fans.initial":
        return path, scenario.fans.initial
    if grown >= walk.fans_max / 2 and path.startswith("channels."):
        return path, scenario.channels[path.split(".")[1]].pool
    return "messages.per_active_fan_per_day", scenario.messages.per_active_fan_per_day


def estimate_work(scenario: Scenario, records: bool = False) -> WorkEstimate:
    """Upper estimates of the run's work and peak memory, without sampling anything.

    `records`: every routed message is kept and written (`fansim run --records`).
    """
    walk = _Walk(scenario)
    walk.run()
    segments = [sc for _, sc in walk.segments]
    classes = max(len(sc.messages.classes) for sc in segments)
    interval = scenario.model.interval_minutes
    intervals = walk.days * round(DAY_MINUTES / interval)
    server = any(sc.server is not None for sc in segments)
    per_message = SERVER_BYTES if server else WINDOW_BYTES
    windows = tuple(walk.windows)
    grid = max((w.seconds * w.spikes for w in windows), default=0)
    parts = {
        "agents' queue": walk.routed_day_max * QUEUE_DAY_BYTES,
        "per-message records": walk.routed * RECORD_BYTES if records else 0.0,
        "day's messages": walk.per_day_max * DAY_MESSAGE_BYTES,
        "surge table": sum(w.seconds for w in windows) * SURGE_ROW_BYTES,
        "campaign windows": sum(
            w.messages * per_message + w.seconds * classes * SECOND_CLASS_BYTES for w in windows
        ),
        "burst integration": grid * SPIKE_SECOND_BYTES,
        "intervals": intervals * (INTERVAL_BYTES + classes * INTERVAL_CLASS_BYTES),
        "follower cohorts": len(walk.sources) * walk.days * 2 * COHORT_BYTES,
        "roster": walk.roster_steps * ROSTER_STEP_BYTES,
    }
    largest = max(parts, key=lambda k: parts[k])
    lever: tuple[str, object]
    if largest in ("agents' queue", "per-message records", "day's messages"):
        lever = _queue_lever(scenario, walk, largest == "per-message records")
    elif largest == "campaign windows" and windows:
        lever = _window_lever(scenario, max(windows, key=lambda w: w.messages))
    elif largest == "burst integration" and windows:
        w = max(windows, key=lambda w: w.seconds * w.spikes)
        lever = (f"campaigns.{w.campaigns[0]}.burst.every_minutes", None)
    elif largest == "intervals" and interval < 15:
        lever = ("model.interval_minutes", interval)
    else:
        end = scenario.scenario.end
        lever = ("scenario.end", end.isoformat() if end else None)
    return WorkEstimate(
        days=walk.days,
        intervals=intervals,
        classes=classes,
        fans_max=walk.fans_max,
        messages_per_day_max=walk.per_day_max,
        routed_messages=walk.routed,
        windows=windows,
        server=server,
        parts=tuple(sorted(parts.items(), key=lambda kv: -kv[1])),
        lever=lever,
    )


_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_SIZE = re.compile(r"^\s*(?P<n>\d+(\.\d*)?|\.\d+)\s*(?P<u>[kmgt]?)(?P<i>i?)b?\s*$", re.IGNORECASE)


def parse_bytes(text: str) -> int:
    """`8GiB`, `512MiB`, `4GB`, `1.5G` or a plain number of bytes; raises `ValueError`."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"must be a size like 4GiB, 512MiB or 2GB (got {text!r})")
    unit = m.group("u").lower()
    scale = 1024 ** "kmgt".index(unit) * 1024 if m.group("i") and unit else _UNITS[unit]
    value = float(m.group("n")) * scale
    if not 0 < value <= 2**50:
        raise ValueError(f"must be more than 0 bytes and at most 1 PiB (got {text!r})")
    return int(value)


def format_bytes(n: float) -> str:
    """Bytes in binary units, e.g. `3.2 GiB`."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,.0f} B"


def check_budget(estimate: WorkEstimate, memory_budget_bytes: int, source: str = "") -> None:
    """Raise `ScenarioError` if the estimated memory exceeds `memory_budget_bytes`.

    The problem names the field to change first, the estimate with its largest parts, and the
    limit; `--memory-budget` raises the limit for a machine that has the memory.
    """
    if estimate.bytes <= memory_budget_bytes:
        return
    parts = "; ".join(f"{name} {format_bytes(b)}" for name, b in estimate.parts[:3] if b > 0)
    work = (
        f"{estimate.days:,} day{'s' if estimate.days != 1 else ''}, "
        f"up to {estimate.fans_max:,.0f} fans, "
        f"~{estimate.routed_messages:,.0f} routed messages"
    )
    if estimate.windows:
        work += f", ~{estimate.server_messages:,.0f} messages in campaign windows"
    path, value = estimate.lever
    rule = (
        f"the run needs an estimated {format_bytes(estimate.bytes)} ({work}; {parts}), "
        f"over the memory budget of {format_bytes(memory_budget_bytes)}: lower this field, "
        "or raise --memory-budget if the machine has the memory"
    )
    raise ScenarioError([Problem(path, rule, value, value is not None)], source)
