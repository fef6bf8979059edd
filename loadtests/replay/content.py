"""What the fans write: text per message class, so the back end's keyword routing sees the mix.

The profile gives the rate of each message class; a back end tells classes apart only by the
text. A class's texts are its scenario keywords (and the keyword of any campaign that sends
that class, e.g. "GO" for the quiz); a class without keywords gets neutral texts that match no
class's keyword, so it lands in the back end's default class. Which text a message carries
follows from its MsgId, so the same schedule sends the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.scenario.schema import Scenario

__all__ = ["NEUTRAL", "ClassTexts", "class_texts"]

NEUTRAL = ("你好", "在吗", "谢谢", "hello")  # match no keyword of the shipped scenarios


def _keywords(scenario: Scenario, name: str) -> tuple[str, ...]:
    spec = scenario.messages.classes[name]
    own = tuple(spec.keywords)
    campaign = tuple(
        c.keyword for c in scenario.campaigns.values() if c.message_class == name and c.keyword
    )
    return tuple(dict.fromkeys(own + campaign))


@dataclass(frozen=True)
class ClassTexts:
    """Texts per class name; `text(cls, msg_id)` picks one by MsgId."""

    texts: Mapping[str, tuple[str, ...]]

    def text(self, cls: str, msg_id: int) -> str:
        """The text message `msg_id` of class `cls` carries."""
        options = self.texts.get(cls) or NEUTRAL
        return options[msg_id % len(options)]


def class_texts(classes: Sequence[str], scenario: Scenario | None = None) -> ClassTexts:
    """Texts of each profile class: keywords from the scenario, else neutral ones."""
    texts: dict[str, tuple[str, ...]] = {}
    for name in classes:
        known = scenario is not None and name in scenario.messages.classes
        words = _keywords(scenario, name) if scenario is not None and known else ()
        texts[name] = words or NEUTRAL
    return ClassTexts(texts)
