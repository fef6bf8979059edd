"""`fansim loadtest` and `fansim loadreport`: thin wrappers over the Locust replay in loadtests/.

`loadtest` turns a scenario into its profile (or takes a profile CSV), then starts Locust in its
own process with the replay locustfile, so Locust's web UI, `--headless`, `--csv`, `--html`,
events and master/worker mode all keep working and gevent's monkey-patching never touches this
process. WeChat's deadline and deliveries come from the scenario's `[server]` (else `ServerSpec`'s
defaults); `--deadline` and `--deliveries` override them and say so. `loadreport` runs
`python -m loadtests.report` on the run folder. `sim` never imports
`loadtests` (nor Locust, nor gevent) at module level: it stays importable without the
`loadtest` extra.

Exit codes, for CI: 2 for bad input (before anything starts), 1 when a `--threshold` is crossed
(each named) or, without thresholds, when no message was answered, else 0. Locust's own exit
code (1 whenever a request failed) is not passed on: the verdict is the report's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import ipaddress
import json
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from rich.console import Console

from sim.cli.report import add_report_option, finish_report
from sim.errors import OptionError, Problem, ScenarioError
from sim.model.engine import RunSpec, run_one
from sim.results.server_tables import profile_rows
from sim.results.writers import csv_text
from sim.scenario.load import load_scenario
from sim.scenario.schema import ServerSpec

__all__ = ["COMMANDS", "ServerSettings", "add_parsers", "locust_command", "server_settings"]

Command = Callable[[argparse.Namespace, Console], int]
DRAIN_MARGIN = 30.0  # s after the last possible redelivery before Locust is stopped anyway
RAMP_SECONDS = 60.0  # a ramp without --duration runs at most this long


def _number(low: float, inclusive: bool) -> Callable[[str], float]:
    rule = f"must be {'>=' if inclusive else '>'} {low:g}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{rule} (got {text!r})") from None
        if not (value >= low if inclusive else value > low):
            raise argparse.ArgumentTypeError(f"{rule} (got {text!r})")
        return value

    return parse


def _count(text: str) -> int:
    value = _number(1, True)(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1 (got {text!r})")
    return int(value)


def _ramp(text: str) -> str:
    """START,FACTOR,STEP[,CLIMBS]: START > 0, FACTOR > 1, whole STEP and CLIMBS >= 1."""
    rule = (
        "must be START,FACTOR,STEP[,CLIMBS] with START > 0, FACTOR > 1, a whole STEP >= 1 and "
        f"a whole CLIMBS >= 1 (got {text!r})"
    )
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(rule) from None
    whole = all(v >= 1 and v == int(v) for v in values[2:])
    if len(values) not in (3, 4) or not (values[0] > 0 and values[1] > 1 and whole):
        raise argparse.ArgumentTypeError(rule)
    return text


def _check_climbs(args: argparse.Namespace) -> None:
    """Each of several climbs needs 3 steps at least (two rising, one resting)."""
    values = [float(x) for x in args.ramp.split(",")] if args.ramp else []
    if len(values) == 4 and values[3] > 1:
        need = 3 * values[2] * values[3]
        duration = args.duration or RAMP_SECONDS
        if duration < need:
            rule = f"must be >= {need:g} s for {values[3]:g} climbs of {values[2]:g} s steps"
            raise OptionError([Problem("--duration", rule, f"{duration:g}", True)])


def _add_thresholds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="EXPR",
        help="fail (exit 1) when crossed, e.g. failed_share<0.1%%, fan_p99<5s, "
        "answered_within_15s>80%%, dropped=0, cause.connection_refused=0 (repeatable; "
        "docs/loadtests.md lists the figures)",
    )


def check_thresholds(texts: list[str]) -> None:
    """Parse every `--threshold` now: OptionError (exit 2) naming each bad one."""
    from loadtests.report.thresholds import parse_threshold

    problems = []
    for text in texts:
        try:
            parse_threshold(text)
        except ValueError as exc:
            problems.append(Problem("--threshold", str(exc), text, True))
    if problems:
        raise OptionError(problems)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `loadtest` and `loadreport` on the `fansim` sub-command parser."""
    lt = sub.add_parser(
        "loadtest",
        help="replay a profile against a back end with Locust (docs/loadtests.md)",
        description="Replay a scenario's offered load as an open workload with Locust. "
        "`--locust '...'` passes more options to Locust unchanged.",
    )
    lt.add_argument("source", type=Path, help="profile CSV (`fansim profile`) or scenario TOML")
    lt.add_argument("--host", required=True, help="back end base URL, e.g. http://127.0.0.1:8080")
    lt.add_argument("--allow-remote", action="store_true", help="allow a non-loopback host")
    lt.add_argument("--scale", type=_number(0, False), default=1.0, help="rate multiplier (1)")
    lt.add_argument("--speedup", type=_number(0, False), default=1.0, help="time compression")
    lt.add_argument("--start", type=_number(0, True), default=0.0, help="first profile second")
    lt.add_argument("--duration", type=_number(0, False), help="wall seconds (default: all)")
    lt.add_argument(
        "--window",
        metavar="START..END",
        help="the part of the profile to replay, by its clock: ISO times "
        "(2013-04-09T14:00..2013-04-09T14:10) or times of day on its first day (14:00..14:10); "
        "sets --start and --duration",
    )
    lt.add_argument("--processes", type=_count, default=1, help="Locust worker processes (1)")
    lt.add_argument("--seed", type=_number(0, True), default=0, help="arrival schedule seed (0)")
    lt.add_argument("--out", type=Path, default=Path("out/loadtest"), help="run folder")
    lt.add_argument("--scenario", type=Path, help="scenario for class keywords (CSV input)")
    lt.add_argument("--platform", choices=("wechat", "json"), default="wechat")
    lt.add_argument("--path", default="", help="URL path (default /wechat or /webhook)")
    lt.add_argument("--token", default="fansim", help="WeChat callback token")
    lt.add_argument("--aes-key", default="", help="EncodingAESKey: WeChat safe mode")
    lt.add_argument("--app-id", default="", help="AppId (safe mode)")
    lt.add_argument(
        "--deadline",
        type=_number(0, False),
        help="reply deadline, s (default: the scenario's [server].deadline_seconds)",
    )
    lt.add_argument(
        "--deliveries",
        type=_count,
        help="deliveries per message in all (default: the scenario's [server].max_deliveries)",
    )
    lt.add_argument("--fans", type=_count, default=100_000, help="simulated fan pool")
    lt.add_argument("--subscribe-share", type=_number(0, True), default=0.0)
    lt.add_argument("--pool", type=_count, default=2000, help="deliveries in flight at most")
    lt.add_argument("--tolerance", type=_number(0, False), default=0.05, help="drop if later (s)")
    lt.add_argument("--agents", action="store_true", help="agents answer human-routed messages")
    lt.add_argument(
        "--agents-token",
        help="the back end's token for agents (`fansim backend --agents-token`), needed with "
        "--agents; the callback token does not open the agent API",
    )
    lt.add_argument("--agent-scale", type=_number(0, False), help="roster x this (default --scale)")
    lt.add_argument("--agent-poll", type=_number(0, False), default=0.05, help="idle re-claim (s)")
    lt.add_argument(
        "--ramp",
        type=_ramp,
        metavar="START,FACTOR,STEP[,CLIMBS]",
        help="find the capacity: START/s, x FACTOR every STEP s, the profile's class mix; "
        "a climb stops once the back end falls behind; CLIMBS repeats it (the figure's "
        "interval); --duration bounds it all (default 60 s)",
    )
    lt.add_argument("--web-ui", action="store_true", help="Locust's web UI instead of headless")
    lt.add_argument(
        "--web-host", default="127.0.0.1", help="web UI address (127.0.0.1; '*' for all)"
    )
    lt.add_argument(
        "--exit-when-done", action="store_true", help="web UI: end the process when it ends"
    )
    lt.add_argument(
        "--stub-port",
        type=_count,
        help="play WeChat's customer-service API on 127.0.0.1:PORT (point the back end's "
        "--platform-url at http://127.0.0.1:PORT/cgi-bin/message/custom/send): the report "
        "then measures the answers fans receive (one process)",
    )
    lt.add_argument(
        "--stub-wait", type=_number(0, True), default=5.0, help="stub open after the end (s)"
    )
    _add_thresholds(lt)
    lt.add_argument("--locust", default="", metavar="ARGS", help="more Locust options, quoted")

    lr = sub.add_parser("loadreport", help="summarize a loadtest run folder: loadreport.json")
    lr.add_argument("run_dir", type=Path, help="folder `fansim loadtest --out` wrote")
    src = lr.add_mutually_exclusive_group()
    src.add_argument("--backend-db", type=Path, help="the reference back end's SQLite file")
    src.add_argument("--metrics-url", help="the back end's Prometheus /metrics URL")
    lr.add_argument("--instances", type=_count, default=1, help="instances measured (1)")
    lr.add_argument("--workers-per-instance", type=_count, help="default: capacity x service")
    lr.add_argument("--queue-limit", type=_count, default=1024, help="model: per instance")
    lr.add_argument("--dedup", action=argparse.BooleanOptionalAction, default=True)
    lr.add_argument("--window", type=_number(0, False), help="capacity window (s; 5 or the step)")
    _add_thresholds(lr)
    add_report_option(lr, "RUN_DIR/report.html")


def _loopback(host: str) -> bool:
    name = urlsplit(host).hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _profile(args: argparse.Namespace, out: Path) -> tuple[Path, Path | None]:
    """The profile CSV to replay and the scenario for keywords (written from a TOML source)."""
    if args.source.suffix.lower() != ".toml":
        return args.source, args.scenario
    scenario = load_scenario(args.source)
    result = run_one(RunSpec(scenario, scenario.scenario.seed))
    rows = profile_rows(result)
    if not rows:
        raise ScenarioError(
            [Problem("campaigns", "the scenario has no campaign to replay")], str(args.source)
        )
    path = out / "profile.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    return path, args.source


class ServerSettings(NamedTuple):
    """WeChat's rules the replay follows, and the line saying which flags overrode them."""

    deadline: float
    deliveries: int
    note: str | None  # None when the scenario (or ServerSpec's defaults) decided both


def server_settings(args: argparse.Namespace, scenario: Path | None) -> ServerSettings:
    """The deadline and deliveries the replay follows.

    The scenario's `[server]` (else `ServerSpec`'s defaults); `--deadline` and `--deliveries`
    override them.
    """
    server = None if scenario is None else load_scenario(scenario).server
    where = "the scenario's [server]" if server is not None else "the default"
    resolved: list[float] = []
    notes = []
    for flag, name in (("deadline", "deadline_seconds"), ("deliveries", "max_deliveries")):
        base = ServerSpec.model_fields[name].default if server is None else getattr(server, name)
        given = getattr(args, flag)
        if given is not None and given != base:
            notes.append(f"--{flag} {given:g} overrides {where} {name} = {base:g}")
        resolved.append(base if given is None else given)
    note = "fansim loadtest: " + "; ".join(notes) if notes else None
    return ServerSettings(float(resolved[0]), int(resolved[1]), note)


def _free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def locust_command(
    args: argparse.Namespace, profile: Path, scenario: Path | None, server: ServerSettings
) -> list[str]:
    """The Locust command line of a replay (the locustfile is found without importing it)."""
    spec = importlib.util.find_spec("loadtests.replay.locustfile")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("loadtests.replay.locustfile is not installed")
    n = args.processes
    duration = args.duration or (RAMP_SECONDS if args.ramp else None)
    # the schedule itself bounds the run; this is only a safety stop
    run_time = (duration or 24 * 3600.0) + server.deliveries * server.deadline + DRAIN_MARGIN
    cmd = [sys.executable, "-m", "locust", "-f", spec.origin, "-u", str(n), "-r", str(n)]
    cmd += ["--host", args.host, "--run-time", f"{int(run_time)}s", "--stop-timeout", "5"]
    cmd += ["--csv", str(args.out / "locust"), "--html", str(args.out / "locust.html")]
    if not args.web_ui:
        cmd += ["--headless", "--only-summary"]
    else:
        cmd += ["--web-host", args.web_host]
    if n > 1:
        # the forked workers reach their master on loopback, on a port of this run's own (two
        # runs at once on the default 5557 would share each other's workers)
        port = str(_free_port())
        cmd += ["--processes", str(n), "--master-bind-host", "127.0.0.1", "--master-host"]
        cmd += ["127.0.0.1", "--master-bind-port", port, "--master-port", port]
    replay = {
        "profile": profile,
        "scenario": scenario or "",
        "out": args.out,
        "scale": args.scale,
        "speedup": args.speedup,
        "start": int(args.start),
        "duration": duration or 0,
        "seed": int(args.seed),
        "workers": n,
        "fans": args.fans,
        "subscribe-share": args.subscribe_share,
        "platform": args.platform,
        "path": args.path,
        "token": args.token,
        "aes-key": args.aes_key,
        "app-id": args.app_id,
        "deadline": server.deadline,
        "max-deliveries": server.deliveries,
        "pool": args.pool,
        "tolerance": args.tolerance,
        "agents": int(args.agents),
        "agents-token": args.agents_token or "",
        "agent-scale": args.agent_scale or 0,
        "agent-poll": args.agent_poll,
        "ramp": args.ramp or "",
        "msg-base": int(time.time()) * 1_000_000,
        "exit-when-done": int(args.exit_when_done or not args.web_ui),
        "stub-port": args.stub_port or 0,
        "stub-wait": args.stub_wait,
    }
    for key, value in replay.items():
        cmd += [f"--replay-{key}", str(value)]
    return cmd + shlex.split(args.locust)


def cmd_loadtest(args: argparse.Namespace, console: Console) -> int:
    """Write the profile if needed, run Locust, say where the records are."""
    if not _loopback(args.host) and not args.allow_remote:
        rule = "must be a loopback address (pass --allow-remote to load another machine)"
        raise OptionError([Problem("--host", rule, args.host, True)])
    if importlib.util.find_spec("locust") is None:
        print("fansim loadtest: Locust is missing; pip install -e '.[loadtest]'", file=sys.stderr)
        return 2
    check_thresholds(args.threshold)
    _check_climbs(args)
    if urlsplit(args.host).scheme != "http":  # the replay's sender speaks plain HTTP
        rule = "must be an http:// URL (the replay's sender does not speak TLS)"
        raise OptionError([Problem("--host", rule, args.host, True)])
    if not args.source.is_file():
        raise OptionError([Problem("SOURCE", "no such file", str(args.source), True)])
    agents_token = _agents_token(args) if args.agents else ""
    args.out.mkdir(parents=True, exist_ok=True)
    for old in args.out.glob("*-[0-9]*.*"):  # a previous run's worker files would mix in
        old.unlink()
    (args.out / "loadreport.json").unlink(missing_ok=True)
    profile, scenario = _profile(args, args.out)
    _check_profile(profile, args)
    if args.agents and scenario is None:
        rule = "needs the scenario (roster, handle times): a TOML source or --scenario"
        raise OptionError([Problem("--agents", rule, str(args.source), True)])
    if args.agents:
        probe_agent_api(args.host, agents_token)
    if args.stub_port and args.processes != 1:
        rule = "needs one process (--processes 1): the stub keeps every fan's service window"
        raise OptionError([Problem("--stub-port", rule, str(args.stub_port), True)])
    server = server_settings(args, scenario)
    if server.note is not None:
        console.print(server.note)
    cmd = locust_command(args, profile, scenario, server)
    (args.out / "run.json").write_text(
        json.dumps({"command": cmd[1:], "host": args.host}, indent=2) + "\n", encoding="utf-8"
    )
    code = subprocess.run(cmd, check=False).returncode
    workers = sorted(args.out.glob("worker-*.json"))
    console.print(
        f"locust exited {code}; {len(workers)} of {args.processes} worker record(s) in {args.out}"
    )
    # Locust exits 1 when any request failed: expected in an overload test; the verdict is ours
    if len(workers) != args.processes:
        return code or 1
    if args.threshold:
        return _report(args.out, {"thresholds": args.threshold}, console)
    counts = [json.loads(p.read_text(encoding="utf-8"))["counts"] for p in workers]
    answered = sum(c["in_time"] + c["after_retry"] for c in counts)
    if not answered:
        offered = sum(sum(c.values()) for c in counts)
        console.print(
            f"FAILED: no message was answered ({offered} offered); "
            f"`fansim loadreport {args.out}` counts the causes"
        )
        return 1
    return 0


def _clock(text: str, first: dt.datetime) -> dt.datetime:
    """An ISO time, or a time of day on the profile's first day."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        day = first.date().isoformat()
        return dt.datetime.fromisoformat(f"{day}T{text}")


def _check_profile(profile: Path, args: argparse.Namespace) -> None:
    """Read the profile and the window here, so a bad one fails in this process (exit 2).

    `--window START..END` becomes `--start` (profile seconds) and `--duration` (wall seconds).
    """
    from loadtests.replay.profile import read_profile

    prof = read_profile(profile)  # ScenarioError names the row and column
    seconds = prof.seconds
    if args.window is not None:
        first = dt.datetime.fromisoformat(prof.first_second)
        last = first + dt.timedelta(seconds=seconds)
        rule = (
            f"must be START..END, ISO times or times of day, END after START, within the "
            f"profile ({first.isoformat()} to {last.isoformat()})"
        )
        try:
            start, end = (_clock(x.strip(), first) for x in args.window.split(".."))
        except ValueError:
            raise OptionError([Problem("--window", rule, args.window, True)]) from None
        if not first <= start < end <= last or args.duration is not None:
            why = rule if args.duration is None else "replaces --duration: give one of them"
            raise OptionError([Problem("--window", why, args.window, True)])
        args.start = (start - first).total_seconds()
        args.duration = (end - start).total_seconds() / args.speedup
    if args.start >= seconds:
        rule = f"must be before the profile's end ({seconds} s)"
        raise OptionError([Problem("--start", rule, f"{args.start:g}", True)])


def _agents_token(args: argparse.Namespace) -> str:
    """The agents' token `--agents` needs: given, and not the callback token (OptionError)."""
    if not args.agents_token:
        rule = "needs --agents-token, the back end's token for agents (its --agents-token)"
        raise OptionError([Problem("--agents", rule)])
    if args.agents_token == args.token:
        rule = "must differ from --token (the back end refuses one token for both)"
        raise OptionError([Problem("--agents-token", rule)])
    return str(args.agents_token)


def probe_agent_api(host: str, token: str) -> None:
    """Check the back end's agent API answers before the run (a release of nothing: harmless).

    fansim's API answers 409 to releasing a message the agent does not hold; anything else
    (404, a catch-all 200, ...) is not that API. OptionError: missing, off (403, the server's
    reason quoted), token refused (401), or unreachable.
    """
    import urllib.error
    import urllib.request

    body = json.dumps({"agent": "fansim-probe", "id": -1}).encode()
    request = urllib.request.Request(
        host.rstrip("/") + "/agent/release",
        body,
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            status, said = resp.status, b""
    except urllib.error.HTTPError as exc:
        status, said = exc.code, exc.read(300)
    except OSError as exc:
        rule = f"needs the back end's agent API; {host} cannot be reached ({exc})"
        raise OptionError([Problem("--agents", rule, host, True)]) from None
    if status in (401, 403):
        reason = said.decode("utf-8", "replace").strip() or "no reason given"
        rule = f"the agent API refused --agents-token (HTTP {status}: {reason})"
        raise OptionError([Problem("--agents", rule, host, True)])
    if status != 409:
        rule = (
            f"needs fansim's agent API (POST /agent/claim, /agent/answer); {host} answered "
            f"HTTP {status} to /agent/release (docs/backend.md#the-agent-api)"
        )
        raise OptionError([Problem("--agents", rule, host, True)])


def _report(run_dir: Path, options: dict[str, object], console: Console) -> int:
    """`python -m loadtests.report` on a run folder (its own process, like the replay)."""
    cmd = [sys.executable, "-m", "loadtests.report", str(run_dir), json.dumps(options)]
    return subprocess.run(cmd, check=False).returncode


def cmd_loadreport(args: argparse.Namespace, console: Console) -> int:
    """Summarize the run folder into loadreport.json (in its own process, like the replay)."""
    if importlib.util.find_spec("loadtests.report") is None:
        print("fansim loadreport: loadtests is not installed", file=sys.stderr)
        return 2
    if not (args.run_dir / "run.json").is_file() and not any(args.run_dir.glob("worker-*.json")):
        rule = "must be a folder `fansim loadtest --out` wrote"
        raise OptionError([Problem("run_dir", rule, str(args.run_dir), True)])
    check_thresholds(args.threshold)
    options = {
        "backend_db": None if args.backend_db is None else str(args.backend_db),
        "metrics_url": args.metrics_url,
        "instances": args.instances,
        "workers_per_instance": args.workers_per_instance,
        "queue_limit": args.queue_limit,
        "dedup": args.dedup,
        "window": args.window,
        "thresholds": args.threshold,
    }
    code = _report(args.run_dir, options, console)
    if code == 2 or not (args.run_dir / "loadreport.json").is_file():
        return code or 2
    html = finish_report(args, args.run_dir, console)
    return code or html


COMMANDS: dict[str, Command] = {"loadtest": cmd_loadtest, "loadreport": cmd_loadreport}
