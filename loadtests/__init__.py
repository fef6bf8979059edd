"""Load tests: a reference WeChat back end, and a Locust replay of a modelled surge against it.

Sub-packages by role, importing one way (`tests/loadtests/test_layout.py` checks it):

- `wechat`: WeChat's protocol, both sides (signing, XML in and out, safe mode, the dedup key,
  the delivery rule, the platform's stub); imports no other sub-package.
- `backend`: the server under test (`fansim backend`); imports `wechat`.
- `replay`: the Locust entry points, the schedule and its pure planning, gevent I/O in
  `replay.net`; imports `wechat`.
- `bench`: benchmark tools (open- and closed-loop generator, hello-world, per-step timings);
  imports `wechat` and `backend`.
- `report`: reading a run and a back end's database (`fansim loadreport`); imports `wechat`,
  `backend.schema` (the only module that names the back end's columns outside it) and the
  replay's pure modules.

Only `replay.locustfile`, `replay.closedloop` and `replay.net` import `locust` or `gevent` (which
monkey-patches the standard library at import time); `sim/` imports none of this package.
"""

__all__: list[str] = []
