"""The `fansim` command: thin argument handling over the Python API.

`main(argv)` returns an exit code (0 ok, 2 bad input, 130 / 143 after Ctrl-C / SIGTERM) and
never raises for user errors, so tests call it directly and users never see a traceback for a
mistake in a scenario file or for stopping a run.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sim import __version__
from sim.cli import experiments, fit, staff
from sim.cli.loadtest import COMMANDS as LOADTEST_COMMANDS
from sim.cli.loadtest import add_parsers as add_loadtest_parsers
from sim.cli.progress import Progress
from sim.cli.report import add_report_option, add_report_parser, cmd_report, finish_report
from sim.cli.signals import (
    Terminated,
    exit_code,
    interrupted_message,
    outputs_in_place,
    sigterm_raises,
)
from sim.errors import FansimError, OptionError, Problem, ScenarioError
from sim.experiments.calibration import calibrate, calibration_markdown
from sim.model.budget import (
    DEFAULT_BUDGET_BYTES,
    check_budget,
    estimate_work,
    format_bytes,
    parse_bytes,
)
from sim.model.engine import RunSpec, run_one
from sim.results.campaign_tables import campaign_rows
from sim.results.channel_tables import channel_rows
from sim.results.costs import cost_rows
from sim.results.message_table import messages_csv
from sim.results.provenance import provenance
from sim.results.publish import StagedFile, StagedFolder
from sim.results.server_tables import profile_rows, surge_rows
from sim.results.spread_tables import cascade_rows
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.results.writers import RUN_FILES, clean, csv_text, run_files
from sim.scenario.bounds import MAX_SEED
from sim.scenario.json_schema import scenario_json_schema_text
from sim.scenario.load import load_scenario
from sim.scenario.reference import scenario_reference
from sim.scenario.schema import Scenario
from sim.scenario.timeline import resolve_timeline

__all__ = ["main"]


def _non_negative(text: str) -> int:
    """Validating `type=` for seeds and replication indices."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0 (got {text!r})") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be >= 0 and < 2**63 (got {value})")
    return value


def _positive(text: str) -> int:
    """Validating `type=` for counts that must be at least 1."""
    value = _non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (got {value})")
    return value


def _out_path(text: str) -> Path:
    """Validating `type=` for --out: an empty name would silently mean the current folder."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"must name a file or folder (got {text!r})")
    return Path(text)


def _memory_size(text: str) -> int:
    """Validating `type=` for --memory-budget."""
    try:
        return parse_bytes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_budget(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--memory-budget",
        type=_memory_size,
        default=DEFAULT_BUDGET_BYTES,
        metavar="SIZE",
        help="refuse a run whose estimated memory exceeds SIZE, e.g. 8GiB "
        f"(default {format_bytes(DEFAULT_BUDGET_BYTES)})",
    )


def _within_budget(scenario: Scenario, args: argparse.Namespace) -> None:
    """Estimate the run's memory before simulating; `ScenarioError` (exit 2) if over budget."""
    records = bool(getattr(args, "records", False))
    check_budget(estimate_work(scenario, records), args.memory_budget, str(args.scenario))


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. service.shifts[0].agents=9 (repeatable)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fansim",
        description="Simulate a brand's follower base and its customer-service back end.",
    )
    p.add_argument("--version", action="version", version=f"fansim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one scenario and write summary.json, timeseries.csv")
    run.add_argument("scenario", type=Path, help="scenario TOML file")
    run.add_argument("--seed", type=_non_negative, help="root seed (default: scenario.seed)")
    run.add_argument(
        "--replication", type=_non_negative, default=0, help="replication index (default 0)"
    )
    run.add_argument(
        "--out", type=_out_path, default=Path("out"), help="output folder (default out)"
    )
    _add_overrides(run)
    _add_budget(run)
    run.add_argument("-q", "--quiet", action="store_true", help="no table on the terminal")
    run.add_argument(
        "--records",
        action="store_true",
        help="also write messages.csv, one row per message routed to agents (memory grows "
        "with them)",
    )
    experiments.add_run_options(run)
    add_report_option(run)

    val = sub.add_parser("validate", help="check scenario files; exit 2 if any is invalid")
    val.add_argument("files", type=Path, nargs="+")

    prof = sub.add_parser(
        "profile", help="write the offered load per second of a scenario's campaign windows"
    )
    prof.add_argument("scenario", type=Path, help="scenario TOML file with campaigns")
    prof.add_argument("--seed", type=_non_negative, help="root seed (default: scenario.seed)")
    prof.add_argument("--out", type=_out_path, default=Path("profile.csv"), help="CSV to write")
    _add_overrides(prof)
    _add_budget(prof)
    add_loadtest_parsers(sub)

    cal = sub.add_parser("calibrate", help="compare the model with the field facts; write a table")
    cal.add_argument("--replications", type=_positive, default=10, help="per scenario (10)")
    cal.add_argument("--seed", type=_non_negative, default=2013, help="root seed (2013)")
    cal.add_argument("--workers", type=_positive, default=1, help="processes (default 1)")
    cal.add_argument("--scenarios", type=Path, default=Path("scenarios"), help="scenario folder")
    cal.add_argument(
        "--out", type=_out_path, default=Path("docs/calibration.md"), help="table file"
    )

    experiments.add_commands(sub)

    staff.add_parsers(sub)
    fit.add_parsers(sub)

    docs = sub.add_parser("docs", help="write the scenario reference generated from the schema")
    docs.add_argument("--out", type=_out_path, help="file to write (default: print)")
    schema = sub.add_parser(
        "schema", help="write the scenario files' JSON Schema, for editors (docs/quickstart.md)"
    )
    schema.add_argument("--out", type=_out_path, help="file to write (default: print)")

    be = sub.add_parser("backend", help="run the reference WeChat back end (docs/backend.md)")
    be.add_argument(
        "scenario",
        type=Path,
        nargs="?",
        help="scenario with classes and keywords (default: built-in classes)",
    )
    be.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    be.add_argument("--port", type=_non_negative, default=8080, help="0 picks a free port")
    be.add_argument("--workers", type=_positive, default=1, help="processes (default 1)")
    be.add_argument("--db", type=Path, default=Path("backend.sqlite3"), help="SQLite database file")
    be.add_argument("--token", required=True, help="the account's callback token")
    be.add_argument("--aes-key", help="EncodingAESKey: enables safe mode (with --app-id)")
    be.add_argument("--app-id", help="AppId checked inside safe-mode messages")
    be.add_argument("--platform-url", help="customer-service API the outbox is sent to")
    be.add_argument(
        "--max-pending",
        type=_non_negative,
        default=1000,
        help="writer backlog above which auto replies go async (1000)",
    )
    be.add_argument(
        "--synchronous",
        choices=("full", "normal"),
        default="full",
        help="SQLite synchronous: full fsyncs every commit (default)",
    )
    _add_backend_limits(be)
    add_report_parser(sub)
    return p


def _add_backend_limits(be: argparse.ArgumentParser) -> None:
    """`fansim backend`'s connection limits and credentials (docs/backend.md); checked by it."""
    lim = be.add_argument_group("limits (per worker)")
    lim.add_argument("--header-timeout", type=float, default=10.0, help="s to send headers (10)")
    lim.add_argument("--keep-alive-timeout", type=int, default=5, help="idle keep-alive s (5)")
    lim.add_argument("--max-connections", type=int, default=4096, help="open connections (4096)")
    lim.add_argument("--max-header-bytes", type=int, default=16_384, help="431 above (16384)")
    lim.add_argument("--wal-size-limit", type=int, default=16 << 20, help="WAL bytes kept (16 MiB)")
    acc = be.add_argument_group("access")
    acc.add_argument(
        "--agent-token",
        action="append",
        default=[],
        metavar="NAME=TOKEN",
        help="an agent's own token, bound to its name (repeatable)",
    )
    acc.add_argument("--agents-token", help="one token for a team of agents naming themselves")
    acc.add_argument("--max-clock-skew", type=float, help="refuse callbacks this many s off (off)")
    acc.add_argument("--encrypted-only", action="store_true", help="safe mode: refuse plaintext")
    acc.add_argument("--metrics-token", help="/metrics needs Authorization: Bearer this")


def _fmt(v: object) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


_SHOWN = (
    "fans_final",
    "follows_total",
    "unfollows_total",
    "messages_received",
    "messages_auto_replied",
    "messages_to_humans",
    "messages_answered",
    "messages_abandoned",
    "backlog_final",
    "backlog_max",
    "response_p50_minutes",
    "response_p90_minutes",
    "sla_first_response_met",
    "sla_resolution_met",
    "agent_utilization",
    "participants",
    "server_requests",
    "server_failed_messages",
    "server_retry_amplification",
    "server_p99_seconds",
)


def _print_summary(console: Console, summary: dict[str, object]) -> None:
    table = Table(title=f"{summary['scenario']} (seed {summary['seed']})", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    simulated_server = bool(summary.get("server_messages"))
    for key in _SHOWN:
        if key.startswith("server_") and not simulated_server:
            continue  # no campaign window went through a server in this run
        if key == "participants" and not summary.get(key):
            continue
        table.add_row(key, _fmt(summary.get(key)))
    console.print(table)


def _cmd_run(args: argparse.Namespace, console: Console) -> int:
    if experiments.wants_replications(args):
        if args.records:
            rule = "writes one run's messages: leave out --replications and --halfwidth"
            raise OptionError([Problem("--records", rule)])
        return experiments.run_replications(args, console)
    scenario: Scenario = load_scenario(args.scenario, args.overrides)
    _within_budget(scenario, args)
    seed = scenario.scenario.seed if args.seed is None else args.seed
    spec = RunSpec(scenario, seed, args.replication)
    with StagedFolder(args.out, "--out") as stage:  # checked before any simulation
        with Progress(scenario.scenario.name) as progress:
            result = run_one(spec, progress, records=args.records)
        summary = summarize(result)
        hourly = hourly_rows(result)
        files = run_files(
            summary,
            hourly,
            scenario.model_dump(mode="json"),
            daily_rows(result, hourly),
            surge_rows(result),
            cascade_rows(result),
            channel_rows(result),
            cost_rows(result),
            campaign_rows(result),
        )
        if args.records:
            files["messages.csv"] = messages_csv(result)
        paths = stage.publish(files, {**provenance(spec), "version": summary["version"]}, RUN_FILES)
    report = "; the report was not drawn" if args.report else ""
    with outputs_in_place(f"the new outputs in {args.out} are complete{report}"):
        if not args.quiet:
            _print_summary(console, clean(summary))
            console.print("wrote " + ", ".join(str(p) for p in paths))
        return finish_report(args, args.out, console)


def _cmd_validate(args: argparse.Namespace, console: Console) -> int:
    bad = 0
    for path in args.files:
        try:
            load_scenario(path)
            console.print(f"{path}: ok")
        except FansimError as exc:
            bad += 1
            print(exc, file=sys.stderr)
    return 2 if bad else 0


def _cmd_profile(args: argparse.Namespace, console: Console) -> int:
    scenario = load_scenario(args.scenario, args.overrides)
    if not any(sc.campaigns for _, sc in resolve_timeline(scenario).segments):
        raise ScenarioError(
            [Problem("campaigns", "the scenario has no campaign to profile")], str(args.scenario)
        )
    _within_budget(scenario, args)
    seed = scenario.scenario.seed if args.seed is None else args.seed
    with StagedFile(args.out, "--out") as staged:
        with Progress(scenario.scenario.name) as progress:
            result = run_one(RunSpec(scenario, seed), progress)
        rows = profile_rows(result)
        staged.publish(csv_text(rows))
    peak = max(rows, key=lambda r: r["rate_per_second"])
    total = sum(r["rate_per_second"] for r in rows)
    console.print(
        f"{len(rows):,} seconds, {total:,.0f} messages expected, peak "
        f"{peak['rate_per_second']:,.0f}/s at {peak['second']}; wrote {args.out}"
    )
    return 0


def _cmd_calibrate(args: argparse.Namespace, console: Console) -> int:
    with (
        StagedFile(args.out, "--out") as staged,
        Progress("calibrate", after_seconds=0.0, unit="run") as progress,
    ):
        results = calibrate(args.scenarios, args.replications, args.seed, args.workers, progress)
        staged.publish(calibration_markdown(results, args.replications, args.seed))
    table = Table(title="calibration")
    for col in ("measure", "scenario", "mean", "tolerance", "within"):
        table.add_column(col)
    for r in results:
        t = r.target
        table.add_row(
            t.measure_name,
            t.scenario,
            f"{r.mean:{t.fmt}}",
            f"{t.low:{t.fmt}} – {t.high:{t.fmt}}",
            "yes" if r.within else "NO",
        )
    console.print(table)
    console.print(f"wrote {args.out}")
    return 0 if all(r.within for r in results) else 1


def _cmd_docs(args: argparse.Namespace, console: Console) -> int:
    text = scenario_reference() if args.command == "docs" else scenario_json_schema_text()
    if args.out is None:
        sys.stdout.write(text)
    else:
        with StagedFile(args.out, "--out") as staged:
            staged.publish(text)
        console.print(f"wrote {args.out}")
    return 0


def _cmd_backend(args: argparse.Namespace, console: Console) -> int:
    try:  # loadtests and its extra are optional; sim never imports them at module level
        from loadtests.backend.config import BackendConfig
        from loadtests.backend.runner import serve
    except ImportError as exc:
        hint = "install the extra: pip install -e '.[backend]'"
        print(f"fansim backend: {exc}; {hint}", file=sys.stderr)
        return 2
    scenario = None if args.scenario is None else str(args.scenario)
    keys = (
        *("host", "port", "workers", "token", "aes_key", "app_id", "platform_url"),
        *("max_pending", "synchronous", "header_timeout", "keep_alive_timeout"),
        *("max_connections", "max_header_bytes", "wal_size_limit", "agents_token"),
        *("max_clock_skew", "encrypted_only", "metrics_token"),
    )
    settings = {k: getattr(args, k) for k in keys}
    agent_tokens = tuple(args.agent_token)
    config = BackendConfig(
        db=str(args.db), scenario=scenario, agent_tokens=agent_tokens, **settings
    )
    return serve(config)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `fansim` and `python -m sim`; returns the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed usage and the error
        return int(exc.code or 0)
    console = Console(highlight=False, soft_wrap=True)  # never break a printed path
    commands = {
        "run": _cmd_run,
        **LOADTEST_COMMANDS,
        "validate": _cmd_validate,
        "calibrate": _cmd_calibrate,
        "profile": _cmd_profile,
        "docs": _cmd_docs,
        "schema": _cmd_docs,
        **experiments.COMMANDS,
        "backend": _cmd_backend,
        "report": cmd_report,
        **staff.COMMANDS,
        **fit.COMMANDS,
    }
    try:
        with sigterm_raises():
            return commands[args.command](args, console)
    except (KeyboardInterrupt, Terminated) as exc:  # staged outputs are already cleaned up
        print(interrupted_message(exc), file=sys.stderr)
        return exit_code(exc)
    except FansimError as exc:  # a scenario, an option, a data file or the server's settings
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. --out points into a file or a read-only place
        print(f"fansim: cannot write output: {exc}", file=sys.stderr)
        return 2
