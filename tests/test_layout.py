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
SHARED = {"sim", "sim.errors", "sim.dists", "sim.units"}


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
