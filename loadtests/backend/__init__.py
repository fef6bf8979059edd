"""The reference WeChat back end (`fansim backend`): a target to load-test, built well.

Modules: `config` (settings), `protocol` (signatures, safe XML, passive replies), `safe_mode`
(AES envelopes), `routing` (keyword classes), `writer` (group commit), `store` (schema and
jobs), `agents` (agent API), `outbox` (background replies and delivery), `metrics`, `asgi`
(request and response helpers), `app` (the ASGI app), `runner` (uvicorn, signals),
`callbacks` and `platform_stub` (the platform's side, for tests and load tests), `loadgen`
and `hello` (the open-loop benchmark and its hello-world baseline). Nothing here imports Locust.
"""

__all__: list[str] = []
