"""fansim: simulate how a brand's follower base grows and how its service back end copes.

Sub-packages, imports running one way (left to right):
errors, dists, units (shared values) <- scenario <- model <- results <- analytic-backed
staffing, experiments, reports <- cli. `loadtests/` beside it may import pure pieces of `sim`
(offered load, bursts, keyword routing); nothing in `sim` imports `loadtests`.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("fansim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
