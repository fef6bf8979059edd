"""fansim: simulate how a brand's follower base grows and how its service back end copes.

The package is layered so imports run one way:
errors <- dists <- schema <- config <- (roster, arrivals, queue, followers, bursts, server, surge)
<- model <- (metrics, server_metrics, calibration) <- output <- cli.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("fansim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
