"""A rate ramp to find a back end's capacity: steps of rising rate, stopped once it falls behind.

`Ramp(start, factor, step)` offers `start` messages/s for `step` seconds, then `start x factor`,
and so on, with the class mix of the replayed profile (so the back end sees the same texts).
The report's capacity estimator cuts the run into windows of the step's length and takes the
highest offered rate of a window the back end sustained (`loadtests.report`).

To stay bounded the replay stops early: `RampGuard` counts per step the messages dispatched and
those whose first delivery was answered; `GRACE` seconds after a step ended, if 5 % or more of
its messages are still unanswered (or were dropped), the back end no longer keeps up (a back
end behind answers at its capacity, less than offered, and its queue grows) and the dispatcher
sends nothing more; the steps already sent show the failure to the report. The guard assumes
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

    def __post_init__(self) -> None:
        if not (self.start > 0 and self.factor > 1 and self.step >= 1):
            raise ValueError(
                f"ramp {self.start},{self.factor},{self.step}: needs start > 0, factor > 1 "
                "and a whole step >= 1 s"
            )

    def profile(self, base: Profile, seconds: int) -> Profile:
        """`seconds` rows of the ramp with `base`'s class mix and provenance."""
        mix = base.rates.sum(axis=0)
        if mix.sum() <= 0:
            raise ValueError("the profile offers nothing: no class mix for the ramp")
        k = np.arange(seconds) // self.step
        total = self.start * self.factor ** k.astype(np.float64)
        rates = total[:, None] * (mix / mix.sum())[None, :]
        return Profile(base.scenario, base.seed, base.params_hash, base.first_second,
                       base.classes, rates)  # fmt: skip

    def as_dict(self) -> dict[str, float]:
        """JSON form for the worker's record."""
        return {"start": self.start, "factor": self.factor, "step": self.step}


def parse_ramp(text: str) -> Ramp:
    """`START,FACTOR,STEP`, e.g. `200,1.1,2`; ValueError naming the rule otherwise."""
    rule = f"ramp: must be START,FACTOR,STEP with a whole STEP, e.g. 200,1.1,2 (got {text!r})"
    try:
        start, factor, step = (float(x) for x in text.split(","))
    except ValueError:
        raise ValueError(rule) from None
    if step != int(step):
        raise ValueError(rule)
    return Ramp(start, factor, int(step))


@dataclass
class RampGuard:
    """Per-step counts of one worker; tells the dispatcher when the back end fell behind."""

    step: float
    dispatched: dict[int, int] = field(default_factory=dict)
    answered: dict[int, int] = field(default_factory=dict)
    checked: int = 0  # steps before this one have been judged
    stopped_at: float | None = None  # wall seconds when it found the back end behind

    def sent(self, at: float) -> None:
        """A message intended at `at` was dispatched (or dropped)."""
        k = int(at // self.step)
        self.dispatched[k] = self.dispatched.get(k, 0) + 1

    def first_answered(self, at: float) -> None:
        """The first delivery of the message intended at `at` was answered."""
        k = int(at // self.step)
        self.answered[k] = self.answered.get(k, 0) + 1

    def behind(self, now: float) -> bool:
        """True once a step ended `GRACE` before `now` with >= 5 % of it unanswered."""
        while (self.checked + 1) * self.step + GRACE <= now:
            k = self.checked
            self.checked += 1
            n = self.dispatched.get(k, 0)
            if n and (n - self.answered.get(k, 0)) >= STOP_SHARE * n:
                self.stopped_at = now
                return True
        return False
