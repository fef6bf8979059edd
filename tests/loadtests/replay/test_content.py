from __future__ import annotations

from pathlib import Path

from loadtests.replay.content import NEUTRAL, class_texts
from sim.scenario.keywords import KeywordRouter
from sim.scenario.load import load_scenario


def test_campaign_keyword_and_neutral_texts() -> None:
    sc = load_scenario(Path("scenarios/mifan_festival_2013.toml"))
    texts = class_texts(["quiz", "keyword", "unknown"], sc)
    assert texts.text("quiz", 5) == "GO"
    assert texts.text("keyword", 1) in NEUTRAL and texts.text("unknown", 2) in NEUTRAL
    assert texts.text("keyword", 1) == texts.text("keyword", 1)


def test_class_keywords_route_back_to_their_class() -> None:
    sc = load_scenario(Path("scenarios/xiaomi_service_2013.toml"))
    texts = class_texts(list(sc.messages.classes), sc)
    router = KeywordRouter.from_classes(sc.messages.classes)
    for name in ("order", "delivery", "flashing"):
        assert router.route(texts.text(name, 3)) == name
    assert router.route(texts.text("keyword", 3)) == router.default
