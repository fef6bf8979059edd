"""The report's sections, in reading order.

To add a section: write a module with a `Section` (the files it needs, a build function) and
list it here. A section whose files are missing from the run folder is skipped with a note.
"""

from __future__ import annotations

from sim.reports.campaigns import CAMPAIGNS
from sim.reports.cascades import CASCADES
from sim.reports.channels import CHANNELS
from sim.reports.comparison import COMPARISON
from sim.reports.costs import COSTS
from sim.reports.growth import GROWTH
from sim.reports.loadtest import LOADTEST
from sim.reports.messages import MESSAGES
from sim.reports.replications import REPLICATIONS
from sim.reports.section import Section
from sim.reports.service import AGENTS, QUEUE
from sim.reports.staffing import STAFFING
from sim.reports.surge import SURGE
from sim.reports.sweep import SWEEP

__all__ = ["SECTIONS"]

SECTIONS: tuple[Section, ...] = (
    GROWTH,
    MESSAGES,
    QUEUE,
    AGENTS,
    CHANNELS,
    STAFFING,
    SURGE,
    CAMPAIGNS,
    CASCADES,
    COSTS,
    LOADTEST,
    REPLICATIONS,
    COMPARISON,
    SWEEP,
)
