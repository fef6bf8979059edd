"""A rate ramp to find a back end's capacity: steps of rising rate, stopped once it falls behind.

`Ramp(start, factor, step)` offers `start` messages/s for `step` seconds, then `start x factor`,
and so on, with the class mix of the replayed profile (so the back end sees the same texts).
The report's capacity estimator cuts the run into windows of the step's length and takes the
highest offered rate of a window the back end sustained (`loadtests.report`).

`Ramp(..., climbs=n)` repeats the climb: the run's time is split into n equal climbs, each
starting again at `start` and ending with one step at rate 0 (the back end drains its queue).
A climb that fell behind skips to the next one, so the report reads one capacity per climb and
gives their spread as the figure's interval: one climb cannot tell a limit from a hiccup.

To stay bounded the replay stops early: `RampGuard` counts per step the messages dispatched and
those whose first delivery was answered by `GRACE` seconds after the step ended; if 5 % or more
were not (or were dropped), the back end no longer keeps up (a back end behind answers at its
capacity, less than offered, and its queue grows) and the dispatcher sends nothing more; the
steps already sent show the failure to the report. The verdict depends on answer times only,
not on when the dispatcher asks: it asks before each arrival, and a step followed by no
arrival soon (a climb's last step, followed by the rest) would otherwise be judged once its
queue had drained. `settle` judges what is left once every answer is in. The guard assumes
that a back end keeping up answers within `GRACE`; a slower one stops the ramp early, and the
report then says `capacity_found` false unless its windows failed too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from loadtests.replay.profile import Profile

__all__ = ["Ramp", "RampGuard", "parse_ramp"]

STOP_SHARE = 0.05  # unanswered share of a step, GRACE after it ended, that stops the ramp
GRACE = 0.5  # seconds


@dataclass(frozen=True)
class Ramp:
    """Rates `start x factor**k` (messages/s, all classes) for `step` whole seconds each."""

    start: float
    factor: float
    step: int
    climbs: int = 1

    def __post_init__(self) -> None:
        if not (self.start > 0 and self.factor > 1 and self.step >= 1 and self.climbs >= 1):
            raise ValueError(
                f"ramp {self.start},{self.factor},{self.step},{self.climbs}: needs start > 0, "
                "factor > 1, a whole step >= 1 s and a whole number of climbs >= 1"
            )

    def climb_seconds(self, seconds: int) -> int:
        """Length of one climb in a run of `seconds` (whole steps; all of it for one climb)."""
        if self.climbs == 1:
            return seconds
        length = seconds // self.climbs // self.step * self.step
        if length < 3 * self.step:
            raise ValueError(
                f"ramp: {self.climbs} climbs of {self.step} s steps need at least "
                f"{3 * self.step * self.climbs} s (--duration), got {seconds} s"
            )
        return length

    def profile(self, base: Profile, seconds: int) -> Profile:
        """`seconds` rows of the ramp with `base`'s class mix and provenance."""
        mix = base.rates.sum(axis=0)
        if mix.sum() <= 0:
            raise ValueError("the profile offers nothing: no class mix for the ramp")
        climb = self.climb_seconds(seconds)
        t = np.arange(seconds)
        k = t % climb // self.step
        total = self.start * self.factor ** k.astype(np.float64)
        if self.climbs > 1:  # the last step of each climb rests; time after the climbs too
            total[(k == climb // self.step - 1) | (t >= climb * self.climbs)] = 0.0
        rates = total[:, None] * (mix / mix.sum())[None, :]
        return Profile(base.scenario, base.seed, base.params_hash, base.first_second,
                       base.classes, rates)  # fmt: skip

    def as_dict(self) -> dict[str, float]:
        """JSON form for the worker's record."""
        return {"start": self.start, "factor": self.factor, "step": self.step,
                "climbs": self.climbs}  # fmt: skip


def parse_ramp(text: str) -> Ramp:
    """`START,FACTOR,STEP[,CLIMBS]`, e.g. `200,1.1,2,3`; ValueError naming the rule otherwise."""
    rule = (
        "ramp: must be START,FACTOR,STEP[,CLIMBS] with a whole STEP and CLIMBS, e.g. 200,1.1,2,3 "
        f"(got {text!r})"
    )
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise ValueError(rule) from None
    if len(values) not in (3, 4) or any(v != int(v) for v in values[2:]):
        raise ValueError(rule)
    climbs = int(values[3]) if len(values) == 4 else 1
    return Ramp(values[0], values[1], int(values[2]), climbs)


@dataclass
class RampGuard:
    """Per-step counts of one worker; tells the dispatcher when the back end fell behind."""

    step: float
    climb: float = float("inf")  # seconds per climb (`Ramp.climb_seconds`)
    climbs: int = 1
    dispatched: dict[int, int] = field(default_factory=dict)
    answered: dict[int, int] = field(default_factory=dict)
    checked: int = 0  # steps before this one have been judged
    stops: list[float] = field(default_factory=list)  # wall seconds of each climb's stop
    resume_at: float = 0.0  # arrivals intended before this are skipped (a climb stopped)
    stopped_at: float | None = None  # wall seconds when the last climb fell behind
    stopped_climbs: int = 0  # climbs before this one stopped (their steps are not judged)

    def sent(self, at: float) -> None:
        """A message intended at `at` was dispatched (or dropped)."""
        k = int(at // self.step)
        self.dispatched[k] = self.dispatched.get(k, 0) + 1

    def first_answered(self, at: float, when: float) -> None:
        """The first delivery of the message intended at `at` was answered at `when` (wall s).

        Counted for its step only if in time for the step's verdict (`GRACE` after its end).
        """
        k = int(at // self.step)
        if when <= (k + 1) * self.step + GRACE:
            self.answered[k] = self.answered.get(k, 0) + 1

    def behind(self, now: float) -> bool:
        """True once the last climb fell behind: the dispatcher stops.

        A step fell behind when >= 5 % of it was not answered by `GRACE` after it ended; its
        climb stops there (recorded at that time) and, if not the last, skips to the next
        (`skip`). The steps of a climb that stopped are not judged again.
        """
        while (self.checked + 1) * self.step + GRACE <= now:
            k = self.checked
            self.checked += 1
            c = int(k * self.step // self.climb)
            n = self.dispatched.get(k, 0)
            if c < self.stopped_climbs or not n or n - self.answered.get(k, 0) < STOP_SHARE * n:
                continue
            at = (k + 1) * self.step + GRACE
            self.stops.append(at)
            self.stopped_climbs = c + 1
            if c + 1 >= self.climbs:
                self.stopped_at = at
                return True
            self.resume_at = (c + 1) * self.climb
        return False

    def settle(self) -> None:
        """Judge the steps not judged yet; call once every answer is in (the replay ended)."""
        if self.stopped_at is None and self.dispatched:
            self.behind((max(self.dispatched) + 1) * self.step + GRACE)

    def skip(self, at: float) -> bool:
        """True for an arrival (intended at `at`) in the rest of a climb that fell behind."""
        return at < self.resume_at
