"""Benchmark tools for the back end: what `make bench` measures it with.

Modules: `loadgen` (an asyncio open-loop generator with fixed send times, and a closed loop),
`hello` (a hello-world ASGI app served the same way, the baseline) and `steps` (per-step
timings of the request path). May import `loadtests.wechat` and `loadtests.backend`; no Locust
or gevent.
"""

__all__: list[str] = []
