"""The layout of `loadtests/`: sub-packages by role, imports one way, every module tested.

See `loadtests/__init__.py` for the roles. `tests/test_layout.py` checks `sim/` (which never
imports `loadtests`).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "loadtests"
TESTS = ROOT / "tests"

# what each sub-package may import of `loadtests` (itself included)
ALLOWED = {
    "wechat": ("loadtests.wechat",),
    "backend": ("loadtests.backend", "loadtests.wechat"),
    "replay": ("loadtests.replay", "loadtests.wechat"),
    "bench": ("loadtests.bench", "loadtests.backend", "loadtests.wechat"),
    "report": (
        "loadtests.report",
        "loadtests.backend.schema",
        "loadtests.replay",
        "loadtests.wechat",
    ),
}
# only these import Locust or gevent (gevent monkey-patches the standard library on import)
GEVENT = ("locust", "gevent", "geventhttpclient")
ENTRY_POINTS = ("loadtests.replay.locustfile", "loadtests.replay.closedloop")
IO = "loadtests.replay.net"
# modules no test imports by name, and why
_SERVED = "run by `fansim backend` in its own process (tests/loadtests/server.py); tested over HTTP"
_LOCUST = "run by Locust in its own process (tests/loadtests/replay/test_runs.py and others)"
UNTESTED_BY_NAME = {
    "loadtests.backend.agents": _SERVED + " (backend/test_contract.py)",
    "loadtests.backend.asgi": _SERVED,
    "loadtests.backend.outbox": _SERVED + " (backend/test_contract.py, with the platform stub)",
    "loadtests.bench.hello": _SERVED + " with hello=True (bench/test_loadgen.py)",
    "loadtests.bench.steps": "a timing script (`python -m loadtests.bench.steps`), no assertions",
    "loadtests.replay.closedloop": _LOCUST + " (replay/test_runs.py, replay/test_bench.py)",
    "loadtests.replay.locustfile": _LOCUST,
    "loadtests.replay.net.agents": _LOCUST + " (report/test_agent_times.py)",
    "loadtests.replay.net.sender": "imports gevent: net/test_sender.py imports it in a child",
    "loadtests.replay.net.stub": _LOCUST + " (replay/test_verdict.py: the customer-service test)",
    "loadtests.report.__main__": "run by `fansim loadreport` (tests call it through the CLI)",
}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, `from a import b` counted as `a.b` too when that is one."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _ours(path: Path) -> set[str]:
    return {m for m in _imports(path) if m in MODULES}


def _in(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_sub_packages_import_one_way(name: str) -> None:
    parts = name.split(".")
    if len(parts) < 3:
        return  # the top-level package's docstring
    allowed = ALLOWED[parts[1]]
    for module in _ours(MODULES[name]):
        if module in ("loadtests", f"loadtests.{parts[1]}"):
            continue
        assert any(_in(module, a) for a in allowed), f"{name} imports {module}"
        if _in(module, IO):
            assert _in(name, IO) or name in ENTRY_POINTS, f"{name} imports {module}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_only_the_entry_points_and_replay_io_import_locust_or_gevent(name: str) -> None:
    if name in ENTRY_POINTS or _in(name, IO):
        return
    for module in _imports(MODULES[name]):
        assert not any(_in(module, g) for g in GEVENT), f"{name} imports {module}"


def test_no_import_cycle() -> None:
    graph = {name: _ours(path) - {name} for name, path in MODULES.items()}
    done: set[str] = set()

    def visit(name: str, stack: list[str]) -> None:
        assert name not in stack, " -> ".join([*stack[stack.index(name) :], name])
        if name in done:
            return
        for other in sorted(graph[name]):
            if other in MODULES and not other.endswith("__init__"):
                visit(other, [*stack, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_the_schema_module_needs_only_the_standard_library() -> None:
    tops = {m.split(".")[0] for m in _imports(MODULES["loadtests.backend.schema"])}
    assert tops <= {"__future__", *sys.stdlib_module_names}


def test_every_package_says_what_lives_there() -> None:
    for init in PACKAGE.rglob("__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), init


def test_every_module_is_imported_by_a_test_or_listed_with_the_reason() -> None:
    tested = set().union(*(_imports(p) for p in TESTS.rglob("*.py")))
    modules = {n for n, p in MODULES.items() if p.name != "__init__.py"}
    missing = sorted(modules - tested - UNTESTED_BY_NAME.keys())
    assert missing == [], "import these in a test, or list them in UNTESTED_BY_NAME with why"
    stale = sorted(UNTESTED_BY_NAME.keys() & tested | UNTESTED_BY_NAME.keys() - modules)
    assert stale == [], "listed as untested but imported by a test, or gone"


def test_tests_mirror_the_sub_packages() -> None:
    subs = {p.parent.relative_to(PACKAGE) for p in PACKAGE.rglob("__init__.py")} - {Path(".")}
    for sub in subs:
        assert (TESTS / "loadtests" / sub / "__init__.py").is_file(), sub
