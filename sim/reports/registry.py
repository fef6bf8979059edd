"""The report's sections, in reading order, and those still to come.

To add a section: write a module with a `Section` (the files it needs, a build function) and
list it here. A section whose files are missing from the run folder is skipped with a note.
"""

from __future__ import annotations

from sim.reports.cascades import CASCADES
from sim.reports.growth import GROWTH
from sim.reports.messages import MESSAGES
from sim.reports.section import Section
from sim.reports.service import AGENTS, QUEUE
from sim.reports.staffing import STAFFING
from sim.reports.surge import SURGE

__all__ = ["PLANNED", "SECTIONS"]

SECTIONS: tuple[Section, ...] = (GROWTH, MESSAGES, QUEUE, AGENTS, STAFFING, SURGE, CASCADES)

# (title, file, command) of sections whose data other commands will write; the report names
# them when their file is missing, and says it cannot draw them yet when the file is present.
PLANNED: tuple[tuple[str, str, str], ...] = (
    (
        "Load test: offered vs sent, latency, model vs measurement",
        "loadreport.json",
        "fansim loadreport",
    ),
)
