"""The `fansim` command line: argument parsing, progress, and the commands over the Python API.

Importing the commands loads numpy, scipy, pandas and matplotlib's neighbours, which takes a
second or more; Ctrl-C in that time ends the program with one line (exit 130), not a traceback.
"""

import sys

try:
    from sim.cli.main import main
except KeyboardInterrupt:
    print("fansim: interrupted while starting; nothing was written", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = ["main"]
