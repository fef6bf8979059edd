"""Command-line option types and groups shared by several commands (experiments, inference)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sim.experiments.executors import default_workers

__all__ = ["add_execution", "count_arg"]


def count_arg(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= `minimum`, else a message naming the rule."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum} (got {value})")
        return value

    return parse


def add_execution(p: argparse.ArgumentParser) -> None:
    """`--workers N` and `--scheduler tcp://HOST:PORT`: where a command's simulations run."""
    g = p.add_argument_group("execution")
    g.add_argument(
        "--workers",
        type=count_arg(1),
        default=None,
        help=f"local worker processes (default: all cores, here {default_workers()})",
    )
    g.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on this Dask distributed scheduler instead (needs fansim[dask])",
    )
