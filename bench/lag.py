"""Benchmark: schedule lag of ``sosim run --rate`` through the CLI, first second included.

Prints figures; it is not a test. nginx on 127.0.0.1 (``bench/_host.py``) on one core, and
``sosim run scenarios/busy-hour.yaml --rate 5000/s --sessions 1500 --target <nginx> --report F``
on another, as a user runs it; the figures come from the JSON report: lag p50 / p99 / max over the
whole run, and the per-second series' lag p99 of second 0 and the worst of the others.

    python -m bench.lag                       # 3 runs of 1,500 sessions (about 7 s each)
    python -m bench.lag --runs 1 --sessions 300
    python -m bench.lag --compare /tmp/base   # alternate runs of another checkout's simulator/ (A)
                                              # and this one (B), and print the medians of each

Target: lag p99 <= 2 ms over the whole run. Every run is bounded by its session count and a
hard timeout (SIGINT, then kill); all traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._host import BenchError, Cores, beside_python, find_tool, nginx_receiver, tool_or_install
from bench.peers import DEFAULT_SCENARIO, SECRET, SECRET_ENV, timed

LAG_LIMIT_MS = 2.0
RUN_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class Lag:
    """One run's schedule lag, from its JSON report (milliseconds)."""

    p50: float
    p99: float
    max: float
    first_p99: float  # second 0 of the per-second series
    rest_p99: float  # the worst later second
    achieved: float  # requests per second, from the report
    requests: int

    def line(self) -> str:
        verdict = "ok" if self.p99 <= LAG_LIMIT_MS else "over"
        return (
            f"lag p50 {self.p50:.3f} / p99 {self.p99:.2f} / max {self.max:.1f} ms ({verdict}); "
            f"second 0 p99 {self.first_p99:.2f} ms, worst later second p99 {self.rest_p99:.2f} ms; "
            f"{self.achieved:,.0f}/s, {self.requests:,} requests"
        )


def read_lag(report: dict[str, object]) -> Lag:
    """The lag figures of a ``--report`` JSON document."""
    lag = report["lag_ms"]
    series = report["series"]
    assert isinstance(lag, dict) and isinstance(series, list)
    per_second = [float(point.get("lag_p99_ms") or 0.0) for point in series]
    rate, totals = report["rate"], report["totals"]
    assert isinstance(rate, dict) and isinstance(totals, dict)
    return Lag(
        float(lag["p50"]),
        float(lag["p99"]),
        float(lag["max"]),
        per_second[0] if per_second else 0.0,
        max(per_second[1:], default=0.0),
        float(rate.get("achieved_per_s") or 0.0),
        int(totals["requests"]),
    )


def run_once(
    sosim: str, url: str, args: argparse.Namespace, core: int | None, code: Path | None, tmp: Path
) -> Lag:
    """One ``sosim run --rate`` into ``url``; ``code``: another checkout to import simulator from."""
    report = tmp / "lag-report.json"
    report.unlink(missing_ok=True)
    command = [
        *(sosim, "run", str(args.scenario), "--target", url, "--rate", f"{args.rate:g}/s"),
        *("--sessions", str(args.sessions), "--secret-env", SECRET_ENV, "-q", "--report", str(report)),
    ]
    env = {**os.environ, SECRET_ENV: SECRET}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    result = timed(command, core=core, timeout=RUN_TIMEOUT_S, env=env)
    if result.returncode or not report.exists():
        tail = (result.stderr.strip() or result.stdout.strip())[-800:]
        raise BenchError(f"sosim run exited {result.returncode}: {tail}")
    return read_lag(json.loads(report.read_text(encoding="utf-8")))


def medians(label: str, runs: Sequence[Lag]) -> str:
    def mid(name: str) -> float:
        return statistics.median(getattr(run, name) for run in runs)

    return (
        f"{label} median of {len(runs)}: lag p99 {mid('p99'):.2f} ms, max {mid('max'):.1f} ms, "
        f"second 0 p99 {mid('first_p99'):.2f} ms, worst later second p99 {mid('rest_p99'):.2f} ms"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lag", description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=5000.0, help="requests per second (default 5000)")
    parser.add_argument("--sessions", type=int, default=1500, help="sessions per run (default 1500)")
    parser.add_argument("--runs", type=int, default=3, help="runs (per side with --compare; default 3)")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO)
    parser.add_argument("--compare", type=Path, default=None, help="a checkout whose simulator/ is A")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install nginx")
    args = parser.parse_args(argv)
    if not (1 <= args.runs <= 20 and 1 <= args.sessions <= 20_000 and 1 <= args.rate <= 100_000):
        parser.error("--runs 1-20, --sessions 1-20000, --rate 1-100000")
    if args.compare is not None and not (args.compare / "simulator").is_dir():
        parser.error(f"--compare {args.compare}: no simulator/ there")
    sosim = beside_python("sosim") or find_tool("sosim")
    nginx = tool_or_install("nginx", install=not args.no_install)
    if sosim is None or nginx is None:
        print("bench.lag: needs the sosim command and nginx", file=sys.stderr)
        return 2
    cores = Cores.pick()
    sides: list[tuple[str, Path | None]] = [("B (this checkout)", None)]
    if args.compare is not None:
        sides.insert(0, (f"A ({args.compare})", args.compare.resolve()))
    figures: dict[str, list[Lag]] = {label: [] for label, _ in sides}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="sosim-bench-lag-") as tmp,
            nginx_receiver(nginx, cores.receiver) as receiver,
        ):
            print(f"{receiver.name}; {cores.describe()}; load average {os.getloadavg()[0]:.2f}")
            print(f"sosim run {args.scenario.name} --rate {args.rate:g}/s --sessions {args.sessions}")
            for number in range(1, args.runs + 1):
                for label, code in sides:  # alternated, so both sides see the same machine
                    lag = run_once(sosim, receiver.url, args, cores.sender, code, Path(tmp))
                    figures[label].append(lag)
                    print(f"  {label} run {number}: {lag.line()}", flush=True)
    except BenchError as exc:
        print(f"bench.lag: {exc}", file=sys.stderr)
        return 1
    for label, runs in figures.items():
        print(medians(label, runs))
    worst = statistics.median(run.p99 for run in figures[sides[-1][0]])
    status = "PASS" if worst <= LAG_LIMIT_MS else "MISS"
    print(f"{status} lag p99 <= {LAG_LIMIT_MS:g} ms over the whole run (median {worst:.2f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
