"""`fansim schema` writes a JSON Schema every shipped scenario meets and a broken one fails."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sim.cli import main
from sim.scenario.files import read_raw
from sim.scenario.json_schema import scenario_json_schema

SCENARIOS = sorted((Path(__file__).parents[2] / "scenarios").rglob("*.toml"))


def _as_json(raw: dict[str, Any]) -> Any:
    """A TOML table as an editor's schema check sees it: dates and times as ISO text."""
    return json.loads(json.dumps(raw, default=lambda o: o.isoformat()))


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> jsonschema.Draft202012Validator:
    out = tmp_path_factory.mktemp("schema") / "scenario.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert schema == scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_meets_the_schema(
    path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    errors = [
        f"{list(e.path)}: {e.message}" for e in validator.iter_errors(_as_json(read_raw(path)))
    ]
    assert errors == []


def test_a_file_that_extends_another_may_leave_sections_to_it(
    validator: jsonschema.Draft202012Validator,
) -> None:
    assert list(validator.iter_errors({"extends": "base.toml", "fans": {"initial": 5}})) == []
    assert list(validator.iter_errors({"fans": {"initial": 5}}))  # no base: sections missing


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda r: r["fans"].update(initial="many"), ["fans", "initial"]),
        (lambda r: r["fans"].update(intial=5), ["fans"]),
        (lambda r: r["fans"].update(active_share=1.5), ["fans", "active_share"]),
    ],
)
def test_the_schema_flags_a_wrong_type_an_unknown_key_and_a_range(
    change: Any, where: list[str], validator: jsonschema.Draft202012Validator
) -> None:
    raw = copy.deepcopy(_as_json(read_raw(SCENARIOS[0])))
    change(raw)
    assert [list(e.path) for e in validator.iter_errors(raw)] == [where]
