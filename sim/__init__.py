"""fansim: simulate how a brand's follower base grows and how its service back end copes.

Sub-packages, imports running one way (left to right):
errors, dists, units (shared values) <- scenario <- model <- results <- analytic-backed
staffing, experiments, reports <- cli. `loadtests/` beside it may import the shared values,
`sim.scenario` and `sim.model` (whatever the replay and the back end need of the scenario and
the model), never results, staffing, experiments, reports or the CLI; nothing in `sim` imports
`loadtests` but the CLI, lazily inside a command. `tests/test_layout.py` checks all of it.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("fansim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
