"""The generated reference says every default in words (no "see text" without a text)."""

from sim.scenario.reference import scenario_reference


def test_every_default_is_said_in_words() -> None:
    text = scenario_reference()
    assert "see text" not in text
    profile = next(line for line in text.splitlines() if line.startswith("| `hourly_profile`"))
    assert "`1.0` in each of the 24 (flat)" in profile and "as at 20:00" in profile
    assert "| `burst` | table `BurstSpec` | its fields' defaults (`BurstSpec` below)" in text
