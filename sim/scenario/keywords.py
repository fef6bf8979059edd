"""Keyword routing: which message class a fan's text belongs to.

The field facts route messages containing 订单, 刷机 or 快递 to a human and "GO" into the 米粉节
quiz. The simulation draws classes by share and never reads text; this pure mapping is what a
real back end (`loadtests/backend`) does with the same scenario's `keywords`, and what the replay
writes its texts by. It lives beside the scenario's classes that define the keywords, so both
sides read one definition (`sim/model` never imports it).

Rules: classes are tried in scenario order and each class's keywords in their order; the first
keyword found in the text wins. Matching ignores case. A keyword that starts or ends with an
ASCII letter or digit must stand as a whole word there ("GO" matches "go!" but not "good");
Chinese keywords match anywhere, since Chinese text has no spaces between words. Text matching
nothing goes to the default class: the first `auto` class without keywords, else the first
`auto` class, else the first class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["KeywordRouter", "RoutableClass", "default_class"]


class RoutableClass(Protocol):
    """What routing needs from a message class (`MessageClassSpec` has it)."""

    @property
    def routing(self) -> str:
        """`auto` or `human`."""
        ...

    @property
    def keywords(self) -> tuple[str, ...]:
        """Words that route text to this class."""
        ...


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _pattern(keyword: str) -> re.Pattern[str]:
    """Whole-word edges only where the keyword itself has an ASCII word character."""
    left = r"(?<![0-9A-Za-z])" if _is_word_char(keyword[0]) else ""
    right = r"(?![0-9A-Za-z])" if _is_word_char(keyword[-1]) else ""
    return re.compile(left + re.escape(keyword) + right, re.IGNORECASE)


def default_class(classes: Mapping[str, RoutableClass]) -> str:
    """The class for text no keyword matches (see the module docstring for the order)."""
    if not classes:
        raise ValueError("keyword routing needs at least one message class")
    autos = [name for name, c in classes.items() if c.routing == "auto"]
    plain = [name for name in autos if not classes[name].keywords]
    return (plain or autos or list(classes))[0]


@dataclass(frozen=True)
class KeywordRouter:
    """Compiled keyword rules of one scenario; build once, route many texts."""

    rules: tuple[tuple[str, re.Pattern[str]], ...]
    default: str
    _any: Callable[[str], object] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Most texts match no keyword: one search over all of them rejects those at once (the
        # rules' own order still decides among the texts it finds something in).
        anywhere = "|".join(f"(?:{pattern.pattern})" for _, pattern in self.rules)
        object.__setattr__(self, "_any", re.compile(anywhere, re.IGNORECASE).search)

    @classmethod
    def from_classes(cls, classes: Mapping[str, RoutableClass]) -> KeywordRouter:
        """Rules in scenario order: class by class, keyword by keyword."""
        rules = tuple(
            (name, _pattern(keyword)) for name, c in classes.items() for keyword in c.keywords
        )
        return cls(rules, default_class(classes))

    def route(self, text: str) -> str:
        """Name of the class the text belongs to."""
        if self.rules and self._any(text):
            for name, pattern in self.rules:
                if pattern.search(text):
                    return name
        return self.default
