"""Reading a replay: its records, the back end's database and the model beside them.

Modules: `summary` (`fansim loadreport`: `loadreport.json` and its table; `python -m
loadtests.report` runs it) and `agent_times` (first response and resolution, measured and
modelled). The back end's database is read through `loadtests.backend.schema` only; a run's
files through `loadtests.replay.records`. May import `loadtests.wechat`, `backend.schema` and
the replay's pure modules; no Locust or gevent.
"""

__all__: list[str] = []
