"""`sosim run --processes 2` and `sosim replay --processes 2` through the CLI, into sosim's receiver.

Two workers must send exactly what one process sends (same EventIds, same bytes), each session in
order; the merged report must count what the receiver got; `--fail-if` is judged on the merged
figures; the one recording replays; Ctrl-C and a crashed worker end the run cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from simulator.servers.receiver import ReceivedRequest, ReceiverConfig, ReceiverThread

pytestmark = pytest.mark.e2e

SECRET = "processes-secret"
SUPPORT_CHAT = str(Path(__file__).resolve().parents[2] / "scenarios" / "support-chat.yaml")
SOSIM = (sys.executable, "-m", "simulator")
SIGNED = ("--secret", SECRET, "--no-preflight", "--quiet")
SAME = ("--sessions", "9", "--deterministic-ids", "--scenario-time", "--max-rate")
DEADLINE_S = 60.0


def _sosim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SOSIM, *args], capture_output=True, text=True, timeout=120)


def _sent(received: Sequence[ReceivedRequest]) -> Counter[tuple[str | None, bytes]]:
    return Counter((r.header("X-SuperOffice-EventId"), r.body) for r in received)


def _by_session(received: Sequence[ReceivedRequest]) -> dict[int, list[str | None]]:
    """Each session's EventIds in the order they arrived."""
    sessions: dict[int, list[str | None]] = {}
    for request in received:
        key = json.loads(request.body)["PrimaryKey"]
        sessions.setdefault(key, []).append(request.header("X-SuperOffice-EventId"))
    return sessions


def _run_into_receiver(
    tmp_path: Path, name: str, *args: str
) -> tuple[Any, list[ReceivedRequest], dict[str, Any]]:
    report = tmp_path / f"{name}.json"
    with ReceiverThread(ReceiverConfig(secret=SECRET), keep=True) as receiver:
        done = _sosim(*args, "--target", receiver.url + "webhook", *SIGNED, "--report", str(report))
        received = list(receiver.received)
    assert "Traceback" not in done.stderr, done.stderr
    return done, received, json.loads(report.read_text()) if report.exists() else {}


def test_two_processes_send_exactly_what_one_sends_and_the_recording_replays(tmp_path: Path) -> None:
    one, alone, _ = _run_into_receiver(tmp_path, "one", "run", SUPPORT_CHAT, *SAME, "--processes", "1")
    assert one.returncode == 0, one.stderr
    recording = tmp_path / "two.jsonl"
    two, split, report = _run_into_receiver(
        tmp_path, "two", "run", SUPPORT_CHAT, *SAME, "--processes", "2", "--record", str(recording)
    )
    assert two.returncode == 0, two.stderr
    assert len(alone) > 100
    assert _sent(split) == _sent(alone)  # the same events, byte for byte, none twice
    assert _by_session(split) == _by_session(alone)  # each session in its order
    assert report["run"]["extra"]["processes"] == "2"
    # The merged report counts what the receiver got, in total and per event type.
    assert report["totals"]["attempts"] == report["totals"]["delivered"] == len(split)
    per_event = Counter(json.loads(r.body)["Event"] for r in split)
    assert {name: e["sent"] for name, e in report["events"].items()} == dict(per_event)
    assert report["latency_ms"]["service"]["count"] == len(split)

    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert lines[0]["kind"] == "run" and lines[0]["extra"]["processes"] == "2"
    assert lines[-1]["type"] == "end" and lines[-1]["planned"] == len(split)
    assert sum(1 for line in lines if line.get("type") == "attempt") == len(split)
    assert not list(tmp_path.glob("two.jsonl.part*"))  # the parts are merged away

    again, replayed, _ = _run_into_receiver(
        tmp_path, "again", "replay", str(recording), "--max-rate", "--processes", "2"
    )
    assert again.returncode == 0, again.stderr
    assert _sent(replayed) == _sent(alone)
    assert _by_session(replayed) == _by_session(alone)


def test_fail_if_judges_the_merged_figures(tmp_path: Path) -> None:
    """Each worker sends about half: only the merged count reaches the whole run's."""
    _, alone, _ = _run_into_receiver(tmp_path, "one", "run", SUPPORT_CHAT, *SAME)
    total = len(alone)
    for limit, expected in ((total, 0), (total - 1, 1)):
        done, _, report = _run_into_receiver(
            tmp_path,
            f"at{limit}",
            "run",
            SUPPORT_CHAT,
            *SAME,
            "--processes",
            "2",
            "--fail-if",
            f"sent > {limit}",
        )
        assert done.returncode == expected, done.stderr
        assert report["thresholds"][0]["actual"] == total


def test_a_bad_processes_value_and_a_fault_are_usage_errors() -> None:
    bad = _sosim("run", SUPPORT_CHAT, "--processes", "0")
    assert bad.returncode == 2 and "--processes" in bad.stderr and "Traceback" not in bad.stderr
    fault = _sosim("run", SUPPORT_CHAT, "--processes", "2", "--fault", "duplicate=0.1", "--quiet")
    assert fault.returncode == 2, fault.stderr
    assert "sosim: error: --processes: faults are injected and judged in one process" in fault.stderr


def _workers_of(pid: int) -> list[int]:
    """The spawned worker processes of ``pid`` (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _start_slow_run(target: str, *extra: str) -> subprocess.Popen[str]:
    # Long enough to be stopped mid-way: 100 sessions at 100 events/s (about 20 s).
    return subprocess.Popen(
        [
            *SOSIM,
            "run",
            SUPPORT_CHAT,
            "--sessions",
            "100",
            "--rate",
            "100/s",
            "--target",
            target,
            *SIGNED,
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell gives a foreground job
    )


def _wait_for_traffic(run: subprocess.Popen[str], receiver: ReceiverThread, count: int) -> None:
    give_up = time.monotonic() + DEADLINE_S
    while receiver.checker.tally.received < count:  # a state, polled: the run is under way
        assert run.poll() is None, "the run ended before it could be stopped"
        assert time.monotonic() < give_up, "no traffic arrived"
        time.sleep(0.01)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the workers through /proc")
def test_a_killed_worker_fails_the_run_with_one_line(tmp_path: Path) -> None:
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as receiver:
        run = _start_slow_run(receiver.url + "webhook", "--processes", "2")
        try:
            _wait_for_traffic(run, receiver, 10)
            os.kill(_workers_of(run.pid)[1], signal.SIGKILL)
            _, stderr = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
    assert run.returncode == 2, stderr
    assert "sosim: error: worker 2 of 2 was killed by SIGKILL before it reported" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("stop", "code"),
    [
        (lambda pid: os.killpg(pid, signal.SIGINT), 130),  # what Ctrl-C at a terminal does
        (lambda pid: os.kill(pid, signal.SIGTERM), 143),  # a service manager, to the parent only
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stop_reaches_every_worker_and_the_recording_keeps_every_request(
    tmp_path: Path, stop: Callable[[int], None], code: int
) -> None:
    recording = tmp_path / "stopped.jsonl"
    report = tmp_path / "stopped.json"
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as receiver:
        run = _start_slow_run(
            receiver.url + "webhook", "--processes", "2", "--record", str(recording), "--report", str(report)
        )
        try:
            _wait_for_traffic(run, receiver, 10)
            stop(run.pid)
            _, stderr = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
        received = receiver.checker.tally.received
    assert run.returncode == code, stderr
    assert "Traceback" not in stderr
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    attempts = [line for line in lines if line.get("type") == "attempt"]
    assert len(attempts) == received  # the first press lets requests in flight finish: all recorded
    assert lines[-1]["type"] == "end" and lines[-1]["interrupted"] is True
    assert json.loads(report.read_text())["totals"]["attempts"] == received
    assert received < 2000  # stopped long before the ~2,200 events of the whole run


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds the workers through /proc")
def test_workers_stop_by_themselves_when_the_parent_is_killed() -> None:
    workers: list[int] = []
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as receiver:
        run = _start_slow_run(receiver.url + "webhook", "--processes", "2")
        try:
            _wait_for_traffic(run, receiver, 10)
            workers = _workers_of(run.pid)
            assert len(workers) == 2
            os.kill(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
            give_up = time.monotonic() + DEADLINE_S
            while any(map(_alive, workers)):  # a state, polled: the orphans wind down
                assert time.monotonic() < give_up, "the workers outlived their parent"
                time.sleep(0.01)
        finally:
            for pid in filter(_alive, workers):
                os.kill(pid, signal.SIGKILL)
            if run.poll() is None:
                run.kill()
        assert receiver.checker.tally.received < 2000  # they stopped, not played to the end


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (an orphan that exited is gone, or a zombie until reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class _Lines:
    """A console stand-in that keeps what is printed."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def print(self, text: str, **_options: object) -> None:
        self.lines.append(text)


def test_a_long_run_prints_progress_lines_from_every_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.engine import processes
    from simulator.engine.run import RunConfig

    monkeypatch.setattr(processes, "STATUS_EVERY_S", 0.25)
    console = _Lines()
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as receiver:
        config = RunConfig(
            (SUPPORT_CHAT,),
            target=receiver.url + "webhook",
            secret=SECRET,
            sessions=6,
            rate=100.0,  # about 1.4 s
            preflight=False,
            processes=2,
        )
        outcome = processes.play_sharded(config, console=console)
    assert outcome.exit_code == 0
    progress = [line for line in console.lines if line.startswith("progress: ")]
    assert progress, console.lines
    attempts = [int(line.split()[1].replace(",", "")) for line in progress]
    assert attempts == sorted(attempts) and attempts[-1] > 0
    assert "of 2 processes playing" in progress[0]
