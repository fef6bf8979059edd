"""`fansim staff` and `fansim size-servers`: argument handling over `sim.staffing`.

`add_parsers` registers both sub-commands; `COMMANDS` maps their names to the command functions
`sim.cli.main` dispatches to. Option values are parsed by `sim.staffing.targets`, so a
malformed target is rejected by argparse with the option, the value and the rule (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from sim.cli.progress import Progress
from sim.cli.report import add_report_option, finish_report
from sim.dists import Empirical
from sim.errors import FansimError, OptionError, Problem
from sim.results.provenance import params_hash
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario
from sim.staffing.group_plan import plan_group_staffing
from sim.staffing.measurements import SMALL_SAMPLE, read_loadreport, read_profile
from sim.staffing.period import campaign_period, cut_to_period, parse_period
from sim.staffing.plan import StaffingPlan, plan_staffing
from sim.staffing.servers import (
    VARIANTS,
    BackEnd,
    SizingTarget,
    size_servers,
    surge_from_profile,
    surge_from_scenario,
)
from sim.staffing.tables import (
    AnyPlan,
    roster_rows,
    sizing_rows,
    staffing_rows,
    staffing_totals,
    write_csvs,
)
from sim.staffing.targets import (
    Policy,
    ServiceTarget,
    parse_duration_seconds,
    parse_open_hours,
    parse_share,
    parse_target,
)
from sim.units import DAY

__all__ = ["COMMANDS", "add_parsers"]

DEFAULT_WORKERS = 16  # workers per instance when neither the report nor the scenario says


def _typed(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse `type=` from a parser raising `FansimError` (argparse names the option)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except FansimError as exc:
            p = exc.problems[0]
            raise argparse.ArgumentTypeError(f"{p.message} (got {text!r})") from None

    return convert


def _number(rule: str, ok: Callable[[float], bool]) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"{rule} (got {text!r})")
        return value

    return convert


def _workers(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'must be whole numbers like "16" or "8,16,32" (got {text!r})'
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"every value must be >= 1 (got {text!r})")
    return values


def _group_target(text: str) -> tuple[str, ServiceTarget]:
    """`NAME=TARGET`, e.g. `weibo=80% within 20 min` (a group's own target)."""
    name, eq, target = text.partition("=")
    if not eq or not name.strip():
        raise argparse.ArgumentTypeError(
            f'must read like "weibo=80%% within 20 min" (a group name, "=", a target) '
            f"(got {text!r})"
        )
    return name.strip(), _typed(lambda t: parse_target(t, "--group-target"))(target)


def _count(text: str) -> int:
    value = _number("must be a whole number >= 1", lambda v: v >= 1 and v == int(v))(text)
    return int(value)


def _seed(text: str) -> int:
    return int(_number("must be a whole number >= 0", lambda v: v >= 0 and v == int(v))(text))


def _share(parser: argparse.ArgumentParser, name: str, help: str, **kw: Any) -> None:
    """A percentage option ("5%" or 0.05), checked as parsed."""
    inclusive = kw.pop("inclusive", False)
    parse = _typed(lambda t: parse_share(t, name, inclusive=inclusive))
    parser.add_argument(name, type=parse, help=help, **kw)


def _common(parser: argparse.ArgumentParser, replications: int, out: str, seed: str) -> None:
    """Options both commands share: replications, seed, output folder, overrides, quiet."""
    parser.add_argument(
        "--replications", type=_count, default=replications, help=f"(default {replications})"
    )
    parser.add_argument("--seed", type=_seed, help=f"root seed (default: {seed})")
    parser.add_argument("--out", type=Path, default=Path(out), help=f"output folder ({out})")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no table on the terminal")


def _forecast_options(parser: argparse.ArgumentParser, load: str) -> None:
    """`--posterior DIR --quantile Q --draws N`: plan for a quantile of a fit's forecast load."""
    parser.add_argument(
        "--posterior",
        type=Path,
        metavar="DIR",
        help=f"a folder written by `fansim fit`: plan for a quantile of the forecast {load}",
    )
    _share(parser, "--quantile", "with --posterior: the load's quantile to plan for (default 90%%)")
    parser.add_argument(
        "--draws", type=_count, default=40, help="with --posterior: draws ranked by load (40)"
    )


def _forecast_sets(
    args: argparse.Namespace,
    console: Console,
    scenario: Path,
    period: tuple[date, date] | None,
    peak: bool,
) -> list[str]:
    """The `--set` overrides of the posterior draw at `--quantile` of the load (none without)."""
    if args.posterior is None:
        if args.quantile is not None:
            rule = "needs --posterior (a fit's folder) whose forecast load it is a quantile of"
            raise OptionError([Problem("--quantile", rule, args.quantile, True)])
        return []
    from sim.experiments.executors import make_executor  # the inference code is heavy: lazily
    from sim.inference.forecast import load_posterior
    from sim.inference.planning import load_quantile

    quantile = 0.9 if args.quantile is None else args.quantile
    saved = load_posterior(args.posterior)
    with make_executor() as ex:
        chosen = load_quantile(
            str(scenario),
            saved,
            quantile,
            args.draws,
            ex,
            period,
            peak,
            args.overrides,
        )
    console.print(chosen.sentence(), soft_wrap=True)
    return list(chosen.overrides)


def add_parsers(sub: Any) -> None:
    """Register `staff` and `size-servers` on the `fansim` sub-parsers."""
    st = sub.add_parser(
        "staff",
        help="agents per interval (Erlang C/A, simulation), an optimal shift roster, its check",
    )
    st.add_argument("scenario", type=Path, help="scenario TOML file")
    st.add_argument(
        "--target",
        required=True,
        type=_typed(parse_target),
        help='response target, e.g. "80%% within 15 min"',
    )
    st.add_argument(
        "--group-target",
        type=_group_target,
        action="append",
        default=[],
        metavar="GROUP=TARGET",
        help='a group\'s own target, e.g. "weibo=80%% within 20 min" (scenarios with '
        "[service.groups.*]; other groups take --target)",
    )
    _share(st, "--max-abandon", "cap on the share of an interval's messages abandoned, e.g. 5%%")
    _share(st, "--shrinkage", "share of paid time off the phones, e.g. 30%% (0)", default=0.0)
    _share(st, "--max-occupancy", "cap on agents' busy share, e.g. 85%%", inclusive=True)
    st.add_argument(
        "--interval",
        type=_number(
            "must divide 1440 (a day) into whole intervals, e.g. 30 or 60",
            lambda v: v > 0 and abs(DAY / v - round(DAY / v)) < 1e-9,
        ),
        default=60.0,
        help="staffing interval in minutes (default 60)",
    )
    st.add_argument(
        "--open",
        type=_typed(parse_open_hours),
        help='opening hours, e.g. "08:00-24:00" (default: all day)',
    )
    when = st.add_mutually_exclusive_group()
    when.add_argument(
        "--period",
        metavar="START..END",
        help="staff only these days (ISO dates, both included), from the fans the model "
        "reaches by START (the days before are simulated once)",
    )
    when.add_argument(
        "--campaign", metavar="NAME", help="staff only the days campaign NAME runs (as --period)"
    )
    _common(st, 10, "out/staff", "scenario.seed")
    _forecast_options(st, "messages over the staffed days")
    add_report_option(st)

    sz = sub.add_parser(
        "size-servers",
        help="fewest back-end instances for the surge: plain, with dedup, with async replies",
    )
    sz.add_argument("source", type=Path, help="scenario TOML with campaigns, or a profile CSV")
    how = sz.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--capacity",
        type=_number("must be > 0 messages/s", lambda v: v > 0),
        metavar="MSGS_PER_S",
        help="measured messages/s per instance (fixed service time = workers / capacity)",
    )
    how.add_argument(
        "--from-loadreport", type=Path, metavar="DIR", help="folder holding loadreport.json"
    )
    _share(
        sz,
        "--max-failed",
        "highest share of messages failing every delivery (0.1%%)",
        default=0.001,
    )
    sz.add_argument(
        "--p99",
        type=_typed(lambda t: parse_duration_seconds(t, "--p99")),
        default=5.0,
        help="highest p99 response of requests, e.g. 5s (default)",
    )
    sz.add_argument(
        "--workers",
        type=_workers,
        help="workers per instance, or several to compare, e.g. 8,16,32 "
        "(default: the load report's, else the scenario's, else 16)",
    )
    _common(sz, 1, "out/servers", "scenario.seed, or 1 for a profile")
    _forecast_options(sz, "messages on the busiest day")


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 10 else f"{v:,.0f}"
    return str(v)


def _print_plan(console: Console, plan: AnyPlan, rows: list[dict[str, Any]]) -> None:
    cols = (
        ("interval_start", "interval"),
        ("offered_load", "load"),
        ("erlang_c", "Erlang C"),
        ("erlang_a", "Erlang A"),
        ("simulation", "simulation"),
        ("required", "required (paid)"),
        ("rostered", "rostered"),
        ("roster_service_level", "roster SL"),
    )
    for group in dict.fromkeys(r.get("group") for r in rows):
        mine = [r for r in rows if r.get("group") == group]
        target = plan.policy.target if isinstance(plan, StaffingPlan) else mine[0]["target"]
        title = f"{plan.scenario.scenario.name}: {target}"
        table = Table(title=title if group is None else f"{title}, group {group}")
        for _, heading in cols:
            table.add_column(heading, justify="right")
        for r in mine:
            when = str(r["interval_start"])[5:16].replace("T", " ")
            table.add_row(when, *(_fmt(r[k]) for k, _ in cols[1:]))
        console.print(table)
    roster = Table(title="roster")
    grouped = any("group" in r for r in rows)
    for c in ("group",) * grouped + ("date", "shift", "start", "end", "break", "agents"):
        roster.add_column(c)
    for r in roster_rows(plan):
        cells = (r["date"], r["shift"], r["start"], r["end"], _fmt(r["break_start"]))
        roster.add_row(*((r["group"],) if grouped else ()), *cells, str(r["agents"]))
    console.print(roster)


def _period(scenario: Scenario, seed: int, args: argparse.Namespace, console: Console) -> Scenario:
    """The scenario cut to `--period` / `--campaign` (unchanged without either)."""
    if args.period is None and args.campaign is None:
        return scenario
    if args.campaign is not None:
        first, last = campaign_period(scenario, args.campaign)
    else:
        first, last = parse_period(args.period)
    with Progress(f"{scenario.scenario.name} before {first}") as progress:
        cut = cut_to_period(scenario, first, last, seed, progress)
    if not args.quiet:
        reached = (
            f"the model reaches {cut.fans_at_start:,} fans after simulating the "
            f"{cut.warmup_days} days before"
            if cut.warmup_days
            else f"{cut.fans_at_start:,} fans at the scenario's start"
        )
        console.print(f"staffing {first}..{last}: {reached}", soft_wrap=True)
    return cut.scenario


def _cmd_staff(args: argparse.Namespace, console: Console) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    if args.posterior is not None or args.quantile is not None:
        days = None
        if args.campaign is not None:
            days = campaign_period(scenario, args.campaign)
        elif args.period is not None:
            days = parse_period(args.period)
        sets = _forecast_sets(args, console, args.scenario, days, peak=False)
        scenario = load_scenario(args.scenario, [*args.overrides, *sets])
    seed = scenario.scenario.seed if args.seed is None else args.seed
    scenario = _period(scenario, seed, args, console)
    policy = Policy(args.target, args.max_abandon, args.shrinkage, args.max_occupancy)
    intervals = round(scenario.scenario.days * DAY / args.interval)
    closed = () if args.open is None else args.open.closed(args.interval, intervals)
    plan: AnyPlan
    if scenario.service.groups is not None:
        targets = {name: replace(policy, target=t) for name, t in args.group_target}
        with Progress(f"staff {scenario.scenario.name}", unit="step") as progress:
            plan = plan_group_staffing(
                scenario, seed, args.replications, policy, args.interval, closed, targets, progress
            )
    elif args.group_target:
        rule = "needs a scenario with [service.groups.*]; this one has one pool of agents"
        raise OptionError([Problem("--group-target", rule, args.group_target[0][0], True)])
    else:
        with Progress(f"staff {scenario.scenario.name}", unit="step") as progress:
            plan = plan_staffing(
                scenario, seed, args.replications, policy, args.interval, closed, progress
            )
    rows = staffing_rows(plan)
    paths = write_csvs(args.out, {"staffing.csv": rows, "roster.csv": roster_rows(plan)})
    if not args.quiet:
        _print_plan(console, plan, rows)
        totals = staffing_totals(plan)
        console.print(", ".join(f"{k} {_fmt(v)}" for k, v in totals.items()))
        console.print("wrote " + ", ".join(str(p) for p in paths))
    return finish_report(args, args.out, console)


def _cmd_size_servers(args: argparse.Namespace, console: Console) -> int:
    report = None if args.from_loadreport is None else read_loadreport(args.from_loadreport)
    if report is not None and len(report.service_time_seconds) < SMALL_SAMPLE:
        print(
            f"fansim size-servers: warning: the load report's service-time sample holds "
            f"{len(report.service_time_seconds)} values (< {SMALL_SAMPLE}): its tail, hence the "
            "sizing, can change from run to run; measure longer",
            file=sys.stderr,
        )
    target = SizingTarget(args.max_failed, args.p99)
    if args.source.suffix.lower() == ".csv":
        if args.posterior is not None or args.quantile is not None:
            rule = "needs a scenario to simulate the posterior's draws with, not a profile CSV"
            option = "--posterior" if args.posterior is not None else "--quantile"
            raise OptionError([Problem(option, rule, str(args.source), True)])
        profile = read_profile(args.source)
        seed = 1 if args.seed is None else args.seed
        workers = args.workers or ((report.workers_per_instance,) if report else (DEFAULT_WORKERS,))
        prov: dict[str, Any] = {"source": profile.scenario, "params_hash": profile.params_hash}
        jobs = []
        for w in workers:
            surge = surge_from_profile(profile, seed, args.replications, _service(report, args, w))
            jobs.append((BackEnd(w), surge))
    else:
        sets = _forecast_sets(args, console, args.source, None, peak=True)
        scenario = load_scenario(args.source, [*args.overrides, *sets])
        seed = scenario.scenario.seed if args.seed is None else args.seed
        default = scenario.server.workers_per_instance if scenario.server else DEFAULT_WORKERS
        workers = args.workers or ((report.workers_per_instance,) if report else (default,))
        prov = {"source": scenario.scenario.name, "params_hash": ""}
        jobs = []
        for w in workers:
            dist: dict[str, Any] = (
                {"dist": "empirical", "values": list(report.service_time_seconds)}
                if report
                else {"dist": "fixed", "value": w / args.capacity}
            )
            variant, surge = surge_from_scenario(scenario, seed, args.replications, dist, w)
            assert variant.server is not None  # surge_from_scenario always sets one
            prov["params_hash"] = params_hash(variant)
            jobs.append((BackEnd.from_spec(variant.server, w), surge))
    prov = {**prov, "seed": seed, "replications": args.replications}
    prov["service_times"] = (
        f"loadreport {args.from_loadreport}" if report else f"capacity {args.capacity:g}/s"
    )
    pairs = [(be, s, v) for be, s in jobs for v in VARIANTS]
    sizings = []
    with Progress(f"size-servers {prov['source']}", unit="sizing") as progress:
        for k, (be, s, v) in enumerate(pairs):
            sizings.append(size_servers(s, be, v, target))
            progress(k + 1, len(pairs), v)
    rows = sizing_rows(sizings, target, prov)
    paths = write_csvs(args.out, {"sizing.csv": rows})
    if not args.quiet:
        table = Table(
            title=f"{prov['source']}: failed <= {target.max_failed:.2%}, "
            f"p99 <= {target.p99_seconds:g}s"
        )
        cols = (
            "variant",
            "workers_per_instance",
            "instances",
            "failed_share",
            "p99_seconds",
            "answer_p99_seconds",
            "below_failed_share",
        )
        for c in cols:
            table.add_column(c, justify="right")
        for r in rows:
            table.add_row(*(_fmt(r[c]) for c in cols))
        console.print(table)
        console.print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def _service(report: Any, args: argparse.Namespace, workers: int) -> Callable[..., Any]:
    """Service-time sampler for profile-driven sizing: the measured sample, or fixed."""
    if report is not None:
        return Empirical(report.service_time_seconds).sample
    fixed = workers / args.capacity
    return lambda rng, n: np.full(n, fixed)


COMMANDS: dict[str, Callable[[argparse.Namespace, Console], int]] = {
    "staff": _cmd_staff,
    "size-servers": _cmd_size_servers,
}
