"""Reports: one self-contained HTML page of figures drawn from a run folder's files.

`run_folder` reads the files, `fonts` and `plotting` hold the figure plumbing, one module per
section draws its figures (`growth`, `messages`, `service`, `staffing`, `surge`, `cascades`,
`loadtest`, `replications`, `comparison`, `sweep`), `section` says what a section is and how
findings are judged (`--sla-share`), `registry` lists the sections, `page` assembles the HTML
and `build` ties them together.
"""

from sim.reports.build import Report, build_report

__all__ = ["Report", "build_report"]
