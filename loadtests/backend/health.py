"""A worker's health: what currently stops it from storing messages, for `/healthz`.

The writer thread reports commits, the checkpointer thread checkpoints and free disk space;
each part is either fine or carries a short reason. `/healthz` is 200 `ok` when no part has a
problem and 503 with the reasons otherwise, so a load balancer or an operator sees a full disk
before WeChat's retries do. Parts recover on their own, without traffic: a successful
checkpoint, space returning, and for commits a probe write the checkpointer makes while they
fail (a load balancer that stops sending on 503 would otherwise never see one succeed).
"""

from __future__ import annotations

__all__ = ["Health"]


class Health:
    """Problems by part (`commit`, `checkpoint`, `disk`); set and cleared from any thread.

    Plain dict operations, atomic under the GIL: the writer clears its part once per commit,
    which must cost next to nothing when nothing is wrong.
    """

    def __init__(self) -> None:
        self._problems: dict[str, str] = {}

    def fail(self, part: str, reason: str) -> None:
        """`part` has a problem (replacing its previous one)."""
        self._problems[part] = reason

    def clear(self, part: str) -> None:
        """`part` works again."""
        if part in self._problems:
            self._problems.pop(part, None)

    def failing(self, part: str) -> bool:
        """True while `part` has a problem."""
        return part in self._problems

    def report(self) -> tuple[bool, str]:
        """`(True, "ok")`, or False and every problem, one `part: reason` per line."""
        problems = dict(self._problems)
        if not problems:
            return True, "ok"
        return False, "".join(f"{part}: {why}\n" for part, why in sorted(problems.items()))
