from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario.keywords import KeywordRouter, default_class
from sim.scenario.load import load_scenario


@dataclass(frozen=True)
class Cls:
    routing: str
    keywords: tuple[str, ...] = ()


def test_shipped_scenario_routes_the_facts_keywords() -> None:
    classes = load_scenario("scenarios/mifan_festival_2013.toml").messages.classes
    router = KeywordRouter.from_classes(classes)
    assert router.route("我的订单什么时候发货") == "order"
    assert router.route("快递到哪了") == "delivery"
    assert router.route("怎么刷机") == "flashing"
    assert router.route("GO") == "quiz"
    assert router.route("go!") == "quiz"
    assert router.route("小米3什么时候发布") == "keyword"


def test_ascii_keywords_match_whole_words_only() -> None:
    router = KeywordRouter.from_classes({"chat": Cls("auto"), "quiz": Cls("auto", ("GO",))})
    assert router.route("good morning") == "chat"
    assert router.route("let's go2") == "chat"
    assert router.route("我要GO") == "quiz"
    assert router.route("GO，开始") == "quiz"


def test_first_class_in_order_wins_then_first_keyword() -> None:
    classes = {
        "chat": Cls("auto"),
        "order": Cls("human", ("订单",)),
        "delivery": Cls("human", ("快递", "订单")),
    }
    router = KeywordRouter.from_classes(classes)
    assert router.route("快递订单") == "order"
    assert router.route("快递") == "delivery"


def test_default_class_order_of_preference() -> None:
    assert default_class({"a": Cls("human"), "b": Cls("auto", ("x",)), "c": Cls("auto")}) == "c"
    assert default_class({"a": Cls("human"), "b": Cls("auto", ("x",))}) == "b"
    assert default_class({"a": Cls("human", ("x",)), "b": Cls("human")}) == "a"
    with pytest.raises(ValueError, match="at least one message class"):
        default_class({})


def test_keywords_must_not_be_empty_strings(tmp_path: Path) -> None:
    base = Path("scenarios/xiaomi_service_2013.toml").resolve()
    path = tmp_path / "s.toml"
    path.write_text(f'extends = "{base}"\n[messages.classes.order]\nkeywords = [""]\n')
    with pytest.raises(ScenarioError, match=r"messages\.classes\.order\.keywords"):
        load_scenario(path)


_WORDS = st.sampled_from(["GO", "go", "订单", "快递", "a1", "刷机", "x"])


@settings(max_examples=300)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), _WORDS), max_size=5),
    st.lists(st.sampled_from(["GO", "gO", "good", "订单", "快递", "a1", "ba1", " ", "!", "中"])),
)
def test_routing_is_the_first_rule_that_matches(
    rules: list[tuple[str, str]], pieces: list[str]
) -> None:
    classes: dict[str, list[str]] = {"chat": []}
    for name, word in rules:
        classes.setdefault(name, []).append(word)
    router = KeywordRouter.from_classes(
        {n: Cls("auto", tuple(words)) for n, words in classes.items()}
    )
    text = "".join(pieces)
    first = next((n for n, p in router.rules if p.search(text)), router.default)
    assert router.route(text) == first
