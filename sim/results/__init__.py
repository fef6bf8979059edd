"""Results: the summary, hourly and daily tables, server tables, provenance and file writers.

Everything here reads a finished `sim.model.ModelResult`; every row carries scenario, seed,
replication and the parameters' hash, so any row can be re-run exactly.
"""

from sim.results.summary import daily_rows, hourly_rows, summarize

__all__ = ["daily_rows", "hourly_rows", "summarize"]
