"""The reference WeChat back end (`fansim backend`): the server under test, built well.

Modules: `config` (settings), `routing` (keyword classes), `schema` (the tables, and the
read-only queries the report runs), `writer` (group commit), `store` (connections and the
writer's jobs), `agents` (agent API), `outbox` (background replies and delivery), `metrics`,
`asgi` (request and response helpers), `app` (the ASGI app), `runner` (uvicorn, signals),
`heap` (collector settings).

Imports `loadtests.wechat` for the protocol and `sim` for scenarios and keyword routing; nothing
of the replay, the benchmarks or the report, and no Locust or gevent.
"""

__all__: list[str] = []
