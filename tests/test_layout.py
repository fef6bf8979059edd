"""The layout's promises: imports run one way, no module-level randomness, no stdlib names."""

import ast
import sys
from pathlib import Path

import pytest

SIM = Path(__file__).parents[1] / "sim"
# a package may import only from those listed after it (and from itself)
ORDER = [
    "cli",
    "inference",
    "reports",
    "experiments",
    "staffing",
    "results",
    "analytic",
    "model",
    "scenario",
]
SHARED = {"sim", "sim.errors", "sim.dists", "sim.pmf", "sim.units"}


def _imports(path: Path, top_level_only: bool = False) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append(node.module)
    return out


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ORDER else None


MODULES = sorted(SIM.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SIM)))
def test_imports_run_one_way(path: Path) -> None:
    here = _package("sim." + ".".join(path.relative_to(SIM).with_suffix("").parts))
    # the CLI may start the back end and the load tests by a lazy import inside a command
    lazy_ok = path.parent.name == "cli"
    for module in _imports(path, top_level_only=lazy_ok):
        assert not module.startswith(("loadtests", "locust", "gevent")), module
    for module in _imports(path):
        assert not module.startswith(("locust", "gevent")), module
        if not module.startswith("sim") or module in SHARED:
            continue
        there = _package(module)
        if here is None or there is None or there == here:
            continue
        assert ORDER.index(there) > ORDER.index(here), f"{path}: {here} imports {module}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SIM)))
def test_no_module_level_or_os_seeded_randomness(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.name != "rng.py":
        assert "default_rng(" not in text and "SeedSequence(" not in text, path
    for bad in ("import random", "np.random.seed", "np.random.rand", "np.random.poisson"):
        assert bad not in text, (path, bad)


def test_no_module_is_named_like_the_standard_library() -> None:
    clashes = [p for p in MODULES if p.stem in sys.stdlib_module_names]
    assert clashes == []


def test_every_sub_package_says_what_lives_there() -> None:
    for init in SIM.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc, init


def test_importing_the_cli_loads_no_load_test_code() -> None:
    import subprocess

    code = (
        "import sys, sim.cli; print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('loadtests', 'locust', 'gevent')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


ROOT = SIM.parent
PACKAGES = ("sim", "loadtests")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, here: str) -> set[str]:
    """Modules `path` imports at run time, at module level or inside functions.

    Imports under `if TYPE_CHECKING:` count too: a circle of types is still a circle of concepts.
    """
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    todo: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package
                package = here.split(".") if is_package else here.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join(package + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}  # `from pkg import module`
        todo += ast.iter_child_nodes(node)
    return out


def import_graph() -> dict[str, set[str]]:
    """Each module of sim/ and loadtests/ -> the modules of those packages it imports.

    `import a.b.c` runs `a` and `a.b` too, so an edge goes to every package on the way.
    """
    paths = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    names = {_module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        edges: set[str] = set()
        for module in _runtime_imports(path, name):
            parts = module.split(".")
            edges |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & names.keys()
        edges.discard(name)
        # a package's own __init__ runs before its modules; that edge is not a circle
        graph[name] = {m for m in edges if not name.startswith(m + ".")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (as a path that returns to its start), or None: a depth-first search."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_cycle_finder_reports_a_circle_and_accepts_a_tree() -> None:
    circle = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(circle) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_import_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    assert "sim.scenario.schema" in graph["sim.scenario.timeline"]
    assert any(m.startswith("loadtests") for m in graph["sim.cli.main"])  # lazy, in a command


def test_no_import_cycle_in_sim_or_loadtests() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


# modules no test imports by name, and why: each is exercised through the module named beside it
NOT_IMPORTED_BY_NAME = {
    "sim.__main__": "`python -m sim` in a subprocess (tests/cli/test_signals.py)",
    "sim.analytic": "a package docstring; its modules are imported",
    "sim.staffing": "a package docstring; its modules are imported",
    "sim.cli.fit": "`fansim fit/forecast/backtest` through sim.cli.main.main (tests/inference)",
    "sim.cli.fit_run": "the fit commands' bodies, run through sim.cli.main.main (tests/inference)",
    "sim.cli.experiments": "commands run through sim.cli.main.main (tests/cli/test_experiments.py)",
    "sim.cli.report": "`fansim report` through sim.cli.main.main (tests/reports)",
    "sim.cli.staff": "`fansim staff` through sim.cli.main.main (tests/cli/test_staff.py)",
    "sim.model.fans": "the fixed fan base of sim.model.engine (tests/model/test_engine.py)",
    "sim.model.followers": "the follower model of sim.model.engine (tests/model/test_followers.py)",
    "sim.model.inbound": "further channels in sim.model.engine (tests/model/test_inbound.py)",
    "sim.model.traffic": "sampled by sim.model.engine; its arrays are read in tests/model",
    "sim.reports.cascades": "a section drawn by sim.reports.build (tests/reports)",
    "sim.reports.channels": "a section drawn by sim.reports.build (tests/reports/test_channels.py)",
    "sim.reports.comparison": "a section drawn by sim.reports.build (tests/reports)",
    "sim.reports.growth": "a section drawn by sim.reports.build (tests/reports)",
    "sim.reports.loadtest": "a section drawn by sim.reports.build (tests/reports)",
    "sim.reports.registry": "the sections' list read by sim.reports.build (tests/reports)",
    "sim.reports.staffing": "a section drawn by sim.reports.build (tests/reports)",
    "sim.scenario.bounds": "field types checked through scenario_from_dict (tests/scenario)",
    "sim.scenario.costs": "the [costs] schema, by scenario_from_dict (tests/results/test_costs.py)",
    "sim.scenario.durations": "duration fields, through scenario_from_dict (tests/test_dists.py)",
    "sim.scenario.inbound": "the [inbound] schema, through scenario_from_dict (tests/model)",
    "sim.scenario.rules": "run by sim.scenario.load on every scenario (tests/scenario/rules)",
    "sim.scenario.rules.costs": "run by scenario_from_dict (tests/scenario/rules/test_costs.py)",
    "sim.scenario.rules.inbound": "by scenario_from_dict (tests/scenario/rules/test_inbound.py)",
    "sim.scenario.rules.sections": "run by scenario_from_dict (tests/scenario/test_load.py)",
    "sim.scenario.rules.spread": "run by scenario_from_dict (tests/model/test_campaigns.py)",
}


def _sim_modules() -> set[str]:
    return {_module_name(p) for p in MODULES}


def _named_by_tests() -> set[str]:
    named: set[str] = set()
    for path in (ROOT / "tests").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                named |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                named |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return named


def test_every_module_is_imported_by_a_test_or_listed_with_the_reason() -> None:
    modules, named = _sim_modules(), _named_by_tests()
    assert sorted(modules - named - NOT_IMPORTED_BY_NAME.keys()) == []
    assert sorted(NOT_IMPORTED_BY_NAME.keys() - modules) == []  # no stale entry
    assert sorted(NOT_IMPORTED_BY_NAME.keys() & named) == []  # imported now: drop it


def test_loadtests_import_only_the_scenario_the_model_and_the_shared_values() -> None:
    packages = ("sim.scenario", "sim.model")
    for module, imported in import_graph().items():
        if not module.startswith("loadtests"):
            continue
        for name in imported:
            if name.split(".")[0] != "sim" or name in SHARED:
                continue
            ok = any(name == p or name.startswith(p + ".") for p in packages)
            assert ok, f"{module} imports {name}"
