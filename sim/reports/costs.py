"""Costs section: what the run cost by item, per retained fan by source, and the SMS avoided.

Drawn from costs.csv (`fansim run` of a scenario with `[costs]`: one row per priced item with
its quantity, unit price and amount, and `kind = avoided` rows for the SMS the WeChat messages
replaced) and the fans still following at the end by source from summary.json. Cost per
retained fan of a source = the amounts of the items that acquire that source's fans over those
fans; service items (agents, servers) belong to no source and count only in the overall figure.
"""

from __future__ import annotations

import numpy as np

from sim.reports.plotting import COLORS, SOURCE_PALETTE, FigureOut, new_figure
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult

__all__ = ["COSTS"]


def _sums(t: Table, kind: str, by: str) -> dict[str, float]:
    """Amounts of `kind` rows summed by column `by`, in file order."""
    mask = t.text("kind") == kind
    out: dict[str, float] = {}
    for key, amount in zip(t.text(by)[mask], t.num("amount")[mask], strict=True):
        out[str(key)] = out.get(str(key), 0.0) + float(amount)
    return out


def _per_fan(t: Table, retained: dict[str, int]) -> dict[str, float]:
    """Cost per fan still following at the end, for each acquired source with fans left."""
    by_source = _sums(t, "cost", "source")
    return {s: by_source.get(s, 0.0) / n for s, n in retained.items() if s != "initial" and n > 0}


def _figure(
    by_item: dict[str, float], avoided: float, per_fan: dict[str, float], currency: str
) -> FigureOut:
    fig, (ai, af) = new_figure(columns=2, height=3.2, share_x=False)
    labels = [*by_item, "SMS avoided"]
    values = [*by_item.values(), avoided]
    colors = [COLORS["human"]] * len(by_item) + [COLORS["auto"]]
    y = np.arange(len(labels))
    ai.barh(y, values, color=colors)
    ai.set_yticks(y, labels)
    ai.invert_yaxis()
    ai.xaxis.set_major_formatter("{x:,.0f}")
    ai.set_xlabel(f"amount over the run ({currency})")
    names = list(per_fan)
    yf = np.arange(len(names))
    af.barh(yf, list(per_fan.values()), color=[SOURCE_PALETTE[1 + i % 6] for i in yf])
    af.set_yticks(yf, names)
    af.invert_yaxis()
    af.set_xlabel(f"cost per retained fan ({currency})")
    return FigureOut(
        "costs",
        "Costs by item and per retained fan",
        "Left: each cost item over the run (blue) beside what the same WeChat messages would "
        "have cost as SMS (green; not a cost, not in the total). Right: per fan source, the "
        "channel and campaign costs that brought its fans over its fans still following at the "
        "end; agents and servers serve every fan and are left out of it.",
        fig,
    )


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    t = folder.table("costs.csv")
    if t.rows == 0:
        return SectionResult(notes=("No priced item in this run.",))
    currency = str(t.text("currency")[0])
    by_item = _sums(t, "cost", "item")
    avoided = _sums(t, "avoided", "item")
    retained_by = folder.field("summary.json", "fans_by_source", {})
    retained = {str(k): int(v) for k, v in retained_by.items()}
    per_fan = _per_fan(t, retained)
    total = sum(by_item.values())
    new_fans = sum(n for s, n in retained.items() if s != "initial")
    overall = f"{total / new_fans:,.2f} {currency}" if new_fans else "n/a (no new fans)"
    sms = sum(avoided.values())
    sms_parts = ", ".join(f"{k.removeprefix('sms_')} {v:,.0f}" for k, v in avoided.items() if v)
    findings = [
        Finding(
            "info",
            f"Costs: {total:,.0f} {currency} over the run; {overall} per new fan still following "
            f"at the end ({new_fans:,} fans).",
        ),
        Finding(
            "info",
            "Acquisition cost per retained fan: "
            + ", ".join(f"{s} {v:,.2f}" for s, v in per_fan.items())
            + f" {currency}.",
        ),
        Finding(
            "info",
            f"SMS avoided by WeChat messages: {sms:,.0f} {currency} ({sms_parts or 'none'}).",
        ),
    ]
    figure = _figure(by_item, sms, per_fan, currency)
    return SectionResult(figures=(figure,), findings=tuple(findings))


COSTS = Section(
    "costs",
    "Costs",
    ("costs.csv", "summary.json"),
    "fansim run (a scenario with [costs])",
    _build,
)
