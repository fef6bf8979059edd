"""Closed-form queueing results (Erlang B/C/A, M/M/c/K) that the simulation is checked against."""
