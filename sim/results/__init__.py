"""Results: summary, hourly and daily tables, server tables, provenance, writers, publishing.

Everything here reads a finished `sim.model.ModelResult`; every row carries scenario, seed,
replication and the parameters' hash, so any row can be re-run exactly; `publish` puts a run's
files in place whole or not at all.
"""

from sim.results.summary import daily_rows, hourly_rows, summarize

__all__ = ["daily_rows", "hourly_rows", "summarize"]
