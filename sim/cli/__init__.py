"""The `fansim` command line: argument parsing, progress, and the commands over the Python API."""

from sim.cli.main import main

__all__ = ["main"]
