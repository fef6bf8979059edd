"""The simulation: random streams, traffic, exposure, the queue, followers, campaigns, the server.

`run_one(RunSpec)` runs one replication and returns a raw `ModelResult`; `sim.results` turns it
into tables. What the scenario's values mean for the world lives here (exposure per day, WeChat's
delivery rules with `ServerSpec`'s defaults in `server.BackEnd`), not on the config classes.
Nothing here imports `sim.results`, the CLI or the load tests.
"""

from sim.model.engine import ModelResult, RunSpec, run_one

__all__ = ["ModelResult", "RunSpec", "run_one"]
