"""Locust load tests that replay a modelled surge against a backend (planned: issue 4).

This is the only package allowed to import `locust`, which monkey-patches the standard library
through gevent at import time; `sim/` must stay free of it.
"""

__all__: list[str] = []
