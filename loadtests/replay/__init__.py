"""Replay of a modelled surge with Locust: schedule, platforms, delivery rules, records.

Everything here but `locustfile` is pure (no Locust, no gevent) and tested without a network.
"""

__all__: list[str] = []
