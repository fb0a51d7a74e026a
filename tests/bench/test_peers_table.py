"""bench/peers.py's report: a missing or failed peer shows as such, never as zero (no timing)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.peers import BenchError, Report, Row, Startup, format_table, targets, timed, to_json  # noqa: E402


def report() -> Report:
    return Report(
        rows=[
            Row("wrk", rate=80_000.0, count=640_000, seconds=8.0),
            Row("hey", status="missing", detail="hey not installed"),
            Row("run", rate=30_000.0, count=240_000, seconds=8.0),
            Row("replay", status="failed", detail="sosim replay exited 2"),
            Row("generate", rate=100_000.0, count=800_000, seconds=8.0),
            Row("hand", rate=10_000.0, count=80_000, seconds=8.0),
        ],
        startups=[Startup("sosim --help", [0.08, 0.07, 0.09, 0.07, 0.2])],
    )


def test_table_shows_missing_and_failed_peers_and_ratios() -> None:
    lines = {line.split("  ")[0]: line for line in format_table(report()).splitlines()}
    assert "missing" in lines["hey (Go, one fixed body)"]
    assert "hey not installed" in lines["hey (Go, one fixed body)"]
    assert "failed" in lines["sosim replay fixtures.jsonl --max-rate"]
    assert " 0.38 " in lines["sosim run busy-hour.yaml --max-rate"]  # 30,000 / 80,000
    assert "10.00" in lines["sosim generate --format jsonl (no network)"]  # vs the hand script
    assert "k6, JS builds + signs each request" not in lines  # not measured: no row


def test_targets_skip_what_was_not_measured() -> None:
    found = {target.name.split(" >=")[0].split(" <")[0]: target.status for target in targets(report())}
    assert found["sosim generate --format jsonl (no network)"] == "PASS"  # 10x >= 5x
    assert found["sosim run busy-hour.yaml --max-rate"] == "SKIP"  # hey missing
    assert found["sosim replay fixtures.jsonl --max-rate"] == "SKIP"  # replay failed
    assert found["sosim --help"] == "PASS"  # median 80 ms
    assert to_json(report())["ratios"] == {
        "wrk": 1.0,
        "hey": None,
        "run": 0.375,
        "replay": None,
        "generate": 10.0,
        "hand": 1.0,
    }


def test_raw_request_frames_the_sample_as_wrk_sends_it() -> None:
    from bench.peers import Sample, raw_request

    sample = Sample([("Content-Type", "application/json"), ("Content-Length", "999")], b'{"a":1}', 7.0, 30.0)
    data = raw_request("http://127.0.0.1:9/webhook", sample)
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /webhook HTTP/1.1",
        b"Host: 127.0.0.1:9",
        b"Content-Type: application/json",
        b"Content-Length: 7",  # the recorded one is dropped: the body's own length is sent
    ]
    assert body == b'{"a":1}'


class _CountingServer:
    """A keep-alive HTTP/1.1 server on 127.0.0.1 that answers 200 and counts complete requests."""

    def __init__(self) -> None:
        self.requests = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> _CountingServer:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        server = loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        loop.run_forever()
        server.close()
        loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                self.requests += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def test_bare_loop_sends_until_its_count_and_stops(tmp_path: Path) -> None:
    """bench/peers/bare_loop.py against a real server: it stops by itself, and every answer it
    counts is a request the server got."""
    from bench.peers import Sample, raw_request

    with _CountingServer() as server:
        url = f"http://127.0.0.1:{server.port}/webhook"
        request = tmp_path / "request.bin"
        request.write_bytes(raw_request(url, Sample([("X-Test", "1")], b"{}", 2.0, 10.0)))
        command = [sys.executable, str(ROOT / "bench" / "peers" / "bare_loop.py"), "--url", url]
        command += ["--request", str(request), "--connections", "4", "--count", "500", "--seconds", "20"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
        figures = json.loads(done.stdout)
    assert figures["ok"] == figures["answers"] == server.requests == 500


def test_bare_loop_refuses_a_target_off_this_machine() -> None:
    command = [sys.executable, str(ROOT / "bench" / "peers" / "bare_loop.py"), "--url", "http://10.1.2.3/"]
    done = subprocess.run([*command, "--request", "/dev/null"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "must be on 127.0.0.1 or localhost" in done.stderr


def test_timed_captures_a_commands_output_and_exit_code() -> None:

    result = timed([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"], core=None, timeout=30)
    assert (result.returncode, result.stdout.strip()) == (3, "out")
    assert result.wall_s > 0


def test_timed_stops_a_command_that_runs_over_its_limit() -> None:
    """Every peer is bounded in time: one that overruns is interrupted and reported, not waited for."""
    with pytest.raises(BenchError, match=r"ran over 0\.5 s and was stopped"):
        timed([sys.executable, "-c", "import time; time.sleep(60)"], core=None, timeout=0.5)


def test_rounds_give_the_median_row_and_the_median_of_each_rounds_ratio() -> None:
    """Over rounds, a ratio is the median of the rounds' own ratios, not of rates taken hours apart."""
    from bench.peers import combine_rounds

    rounds = [
        [Row("wrk", rate=100_000.0), Row("replay", rate=20_000.0), Row("hey", status="missing")],
        [Row("wrk", rate=50_000.0), Row("replay", rate=15_000.0), Row("hey", status="missing")],
        [
            Row("wrk", rate=80_000.0),
            Row("replay", status="failed", detail="exited 2"),
            Row("hey", status="missing"),
        ],
    ]
    combined = Report(rows=combine_rounds(rounds), rounds=rounds)
    wrk, replay, hey = (combined.row(key) for key in ("wrk", "replay", "hey"))
    assert wrk is not None and wrk.rate == 80_000.0 and "median of 3 rounds" in wrk.detail
    assert replay is not None and replay.rate == 15_000.0  # the lower of two: no average is made up
    assert "1 round(s) failed" in replay.detail
    assert hey is not None and hey.status == "missing"
    # Round ratios 0.2 and 0.3 (the failed round has none): median 0.25, where the medians'
    # quotient would say 15,000 / 80,000 = 0.19.
    found = {t.name.split(" >=")[0]: t for t in targets(combined)}
    assert found["sosim replay fixtures.jsonl --max-rate"].measured == "0.25x"
    assert to_json(combined)["ratios"]["replay"] == pytest.approx(0.25)  # type: ignore[index]
    assert len(to_json(combined)["rounds"]) == 3  # type: ignore[arg-type]
