"""Replay of a modelled surge with Locust: entry points, schedule, platforms, records.

Locust entry points: `locustfile` (the open-workload replay `fansim loadtest` runs) and
`closedloop` (Locust's own closed-loop user, for comparison). Pure planning, tested without a
network and without gevent: `profile`, `schedule`, `ramp`, `duty`, `content`, `platforms`
(requests and which replies answer them), `fine_stats` and `records` (the run's files).

gevent I/O lives in `replay.net` (`sender`, `flight`, `agents`); only it and the two entry
points import `locust` or `gevent`. Imports `loadtests.wechat` for the protocol, nothing of
the back end, the benchmarks or the report.
"""

__all__: list[str] = []
