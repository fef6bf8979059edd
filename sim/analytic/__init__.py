"""Closed forms the simulation is checked against: queues (Erlang) and cascades (branching)."""
