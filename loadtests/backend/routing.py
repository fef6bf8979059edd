"""Which class a callback belongs to and what happens to it: auto reply, an agent, or nothing.

The classes come from a scenario's `[messages.classes]` (their `routing`, `priority` and
`keywords`); without a scenario the back end uses the field facts' classes (订单, 快递 and 刷机
to humans, everything else auto-replied). Text goes through `sim.scenario.keywords`, the same rules
the scenario documents. Images and voice are hard to automate [A]: a message type with a class
of its own name goes there, otherwise to the first human class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from loadtests.wechat.protocol import Inbound
from sim.scenario.keywords import KeywordRouter
from sim.scenario.load import load_scenario

__all__ = ["DEFAULT_CLASSES", "Decision", "RouteClass", "Router", "Treatment", "load_classes"]


class Treatment(StrEnum):
    """What the back end does with a new message; the value is its stored status."""

    AUTO = "answered"  # passive reply now, from the keyword rules
    HUMAN = "waiting"  # stored for an agent; the platform gets `success`
    NOTED = "noted"  # events that need no answer (unsubscribe, view, location)


@dataclass(frozen=True)
class RouteClass:
    """The routing part of a scenario's message class."""

    routing: str
    priority: int = 1
    keywords: tuple[str, ...] = ()


DEFAULT_CLASSES: tuple[tuple[str, RouteClass], ...] = (
    ("keyword", RouteClass("auto", 2)),
    ("order", RouteClass("human", 0, ("订单",))),
    ("delivery", RouteClass("human", 1, ("快递",))),
    ("flashing", RouteClass("human", 1, ("刷机",))),
    ("image", RouteClass("human", 2)),
    ("voice", RouteClass("human", 2)),
)


def load_classes(scenario: str | None) -> dict[str, RouteClass]:
    """Routing classes of a scenario file (ScenarioError if invalid), or the defaults."""
    if scenario is None:
        return dict(DEFAULT_CLASSES)
    classes = load_scenario(scenario).messages.classes
    return {n: RouteClass(c.routing, c.priority, c.keywords) for n, c in classes.items()}


class Decision(NamedTuple):
    """Where one message goes; `reply` is the passive reply text of auto-replied classes."""

    class_name: str
    treatment: Treatment
    priority: int
    reply: str | None


class Router:
    """Decides per message; built once per worker process."""

    def __init__(self, classes: Mapping[str, RouteClass]) -> None:
        self._classes = dict(classes)
        self._keywords = KeywordRouter.from_classes(self._classes)
        humans = [n for n, c in self._classes.items() if c.routing == "human"]
        self._fallback_human = humans[0] if humans else self._keywords.default
        # Decisions are values: one per class, built once rather than per message.
        self._decisions = {n: self._decision(n) for n in self._classes}

    def reply_text(self, class_name: str) -> str:
        """The keyword rule's answer for a class (the reference back end's stand-in text)."""
        return f"auto-reply ({class_name})"

    def _for_class(self, name: str) -> Decision:
        return self._decisions[name]

    def _decision(self, name: str) -> Decision:
        c = self._classes[name]
        if c.routing == "human":
            return Decision(name, Treatment.HUMAN, c.priority, None)
        return Decision(name, Treatment.AUTO, c.priority, self.reply_text(name))

    def decide(self, msg: Inbound) -> Decision:
        """Text by keyword; events by kind; other media by type, else to a human."""
        if msg.msg_type == "text":
            return self._for_class(self._keywords.route(msg.content))
        if msg.msg_type == "event":
            event = msg.event.lower()
            if event == "subscribe":
                return Decision("subscribe", Treatment.AUTO, 9, "welcome")
            if event == "click":
                return self._for_class(self._keywords.route(msg.event_key))
            return Decision(event or "event", Treatment.NOTED, 9, None)
        if msg.msg_type in self._classes:
            return self._for_class(msg.msg_type)
        return self._for_class(self._fallback_human)
