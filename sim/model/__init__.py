"""The simulation: random streams, traffic, the human queue, followers, campaigns, the server.

`run_one(RunSpec)` runs one replication and returns a raw `ModelResult`; `sim.results` turns it
into tables. Nothing here imports `sim.results`, the CLI or the load tests.
"""

from sim.model.engine import ModelResult, RunSpec, run_one

__all__ = ["ModelResult", "RunSpec", "run_one"]
