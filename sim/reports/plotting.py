"""Figure plumbing shared by every section: a new Agg figure, time axes, PNG and SVG bytes.

No pyplot: each figure is a `matplotlib.figure.Figure` with its own Agg canvas, so nothing global
is switched (no backend chosen at import) and figures never leak between reports. The output is
deterministic: no creation date or software tag in the files, a fixed SVG id salt.
"""

from __future__ import annotations

import io
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, cast

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

__all__ = [
    "COLORS",
    "FigureOut",
    "Phases",
    "Times",
    "date_axis",
    "export",
    "legend_above",
    "limit_line",
    "mark_phases",
    "new_figure",
    "style",
    "target_line",
]

# colour per meaning, the same in every figure (Okabe-Ito, readable for colour-blind readers)
COLORS = {
    "received": "#000000",
    "auto": "#009E73",
    "human": "#0072B2",
    "failed": "#D55E00",
    "backlog": "#CC79A7",
    "p50": "#56B4E9",
    "p90": "#0072B2",
    "target": "#D55E00",
    "agents": "#0072B2",
    "utilization": "#E69F00",
    "follows": "#009E73",
    "unfollows": "#D55E00",
    "net": "#000000",
    "expected": "#999999",
    "retries": "#E69F00",
    "refused": "#CC79A7",
    "timed_out": "#56B4E9",
}
Times = NDArray[np.datetime64]
Phases = list[tuple[np.datetime64, str]]  # (first day, note) of each scenario phase
SOURCE_PALETTE = ("#999999", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#F0E442")


@dataclass(frozen=True)
class FigureOut:
    """One drawn figure with what a reader needs beside it.

    Attributes:
        name: file stem for the PNG and SVG written beside the report (`fans_by_source`).
        title: heading shown above the figure.
        caption: one or two sentences on how to read it.
        figure: the matplotlib figure (Agg canvas attached).
    """

    name: str
    title: str
    caption: str
    figure: Figure


def new_figure(
    rows: int = 1, height: float = 3.0, columns: int = 1, share_x: bool = True
) -> tuple[Figure, list[Axes]]:
    """A figure of `rows` x `columns` axes drawn by Agg, returned row by row.

    x is shared down each column unless `share_x` is False.

    Call it inside the report's `rc_context` (the builder does), so fonts and styles apply.
    """
    fig = Figure(figsize=(9.0, 0.6 + height * rows), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.subplots(rows, columns, sharex="col" if share_x else False, squeeze=False)
    return fig, [ax for row in grid for ax in row]


def date_axis(ax: Axes, times: NDArray[np.datetime64]) -> None:
    """Readable date or clock labels, whatever the span (hours, days or months)."""
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)
    if times.size:
        ax.set_xlim(times[0], times[-1])


def target_line(ax: Axes, times: NDArray[np.datetime64], target: NDArray[np.float64]) -> None:
    """The SLA target as a step line (it may change on a phase's date)."""
    ax.step(
        times,
        target,
        where="post",
        color=COLORS["target"],
        linestyle="--",
        linewidth=1.2,
        label="target",
    )


def style(rc: dict[str, Any]) -> AbstractContextManager[None]:
    """The report's matplotlib settings for the duration of a `with` block."""
    return cast(AbstractContextManager[None], mpl.rc_context(cast(Any, rc)))


def export(out: FigureOut, rc: dict[str, Any]) -> tuple[bytes, bytes]:
    """The figure as PNG and SVG bytes, without dates or version tags (same data, same bytes)."""
    with style(rc):
        png, svg = io.BytesIO(), io.BytesIO()
        out.figure.savefig(png, format="png", metadata={"Software": None})
        out.figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png.getvalue(), svg.getvalue()


def mark_phases(ax: Axes, phases: Phases, labels: bool = True) -> None:
    """Dotted vertical lines at the scenario's phase dates, with their notes at the top."""
    for when, note in phases:
        x = float(mdates.date2num(when))  # type: ignore[no-untyped-call]
        ax.axvline(x, color="#555555", linestyle=":", linewidth=1.0)
        if labels and note:
            ax.annotate(
                note if len(note) <= 48 else note[:46] + "…",
                (x, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(3, -3),
                textcoords="offset points",
                va="top",
                fontsize=7,
                color="#555555",
            )


def legend_above(ax: Axes) -> None:
    """The legend in one row above the axes, where it cannot hide data."""
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=min(len(handles), 4),
        fontsize=8,
        borderaxespad=0.2,
    )


def limit_line(ax: Axes, y: float, label: str) -> None:
    """A horizontal dashed line for a limit the data should stay under (or reach)."""
    ax.axhline(y, color=COLORS["target"], linestyle="--", linewidth=1.2, label=label)
