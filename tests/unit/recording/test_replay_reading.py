"""Reading recordings fast without losing exactness: bodies, lenient lines and error messages."""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from simulator.core.errors import RecordingError
from simulator.core.events import Request
from simulator.recording.record import attempt_line, read_recording, request_line
from simulator.recording.replay import ReplayOptions, Rewriter, replay_plan

HEADER = {"format": "sosim-recording", "version": 1, "kind": "run", "scenarios": ["x"]}
HEADERS = (("Content-Type", "application/json; charset=utf-8"), ("X-SuperOffice-EventId", "id-1"))


def write_lines(path: Path, *lines: bytes) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def line_bytes(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode() + b"\n"


def request(body: bytes, event_id: str = "id-1") -> Request:
    return Request("chatsession.created", event_id, 7, HEADERS, body)


def test_bodies_come_back_byte_exact(tmp_path: Path) -> None:
    """UTF-8 text, escapes and non-UTF-8 bytes (stored as base64) all read back unchanged."""
    bodies = [b'{"Name":"Bj\xc3\xb8rn \\"B\\"\\n\\u0001"}', b"\xff\xfe not utf-8", b"", "\u2028".encode()]
    lines = [
        line_bytes(request_line(request(body, f"id-{n}"), intended_s=n)) for n, body in enumerate(bodies)
    ]
    path = write_lines(tmp_path / "r.jsonl", line_bytes(HEADER), *lines)
    records = list(read_recording(path)[1])
    assert [r.request.body for r in records] == bodies
    assert all(r.request.headers == HEADERS for r in records)
    assert [r.line for r in records] == [2, 3, 4, 5]


def test_attempt_lines_keep_their_outcome(tmp_path: Path) -> None:
    """`run --record` attempt lines read back with cycle, attempt, delivered and timing."""
    from simulator.core.outcome import Attempt

    attempt = Attempt(request(b"{}"), "s", 2, 3, 1.5, 1.6, 1.7, 503, delivered=False)
    path = write_lines(tmp_path / "r.jsonl", line_bytes(HEADER), line_bytes(attempt_line(attempt)))
    (record,) = read_recording(path)[1]
    assert (record.offset_s, record.scenario, record.cycle, record.attempt) == (1.5, "s", 2, 3)
    assert record.delivered is False and record.request == attempt.request


def test_lines_the_fast_parser_refuses_still_replay(tmp_path: Path) -> None:
    """Lines the standard library accepts (NaN latency, huge integers, blank lines, CRLF) replay
    as they always did."""
    nan_line = line_bytes(request_line(request(b"{}"), latency_ms=float("nan")))
    huge = line_bytes(request_line(request(b"{}", "id-2")._replace(session_id=10**30)))
    crlf = line_bytes(request_line(request(b"{}", "id-3"))).replace(b"\n", b"\r\n")
    path = write_lines(tmp_path / "r.jsonl", line_bytes(HEADER), nan_line, b"\n", b"   \n", huge, crlf)
    assert [p.request.event_id for p in replay_plan(path, ReplayOptions())[1]] == ["id-1", "id-2", "id-3"]
    huge_only = ReplayOptions(sessions=frozenset({10**30}))
    assert [p.request.session_id for p in replay_plan(path, huge_only)[1]] == [10**30]


def test_state_and_end_lines_are_skipped(tmp_path: Path) -> None:
    """Only request and attempt lines are replayed; other line types and untyped lines are not."""
    other = [line_bytes({"type": "state", "x": 1}), line_bytes({"type": "end"}), line_bytes({"x": 1})]
    path = write_lines(
        tmp_path / "r.jsonl", line_bytes(HEADER), *other, line_bytes(request_line(request(b"{}")))
    )
    assert [r.line for r in read_recording(path)[1]] == [5]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"type": "request", "headers": null}\n', r":2: a request line lacks a valid 'headers' field"),
        (b'{"type": "request", "headers": [["a", "b", "c"]]}\n', r":2: .* valid 'headers' field"),
        (b"[1, 2]\n", r":2: expected a JSON object"),
        (b'{"type": "request", \xff}\n', r":2: not valid UTF-8"),
        (b'{"type": "request",}\n', r":2: not valid JSON \(Expecting property name .* at column 20\)"),
    ],
)
def test_bad_lines_name_their_line_and_problem(tmp_path: Path, line: bytes, message: str) -> None:
    """A bad line is a RecordingError naming the file, the line and what is wrong with it."""
    path = write_lines(
        tmp_path / "r.jsonl", line_bytes(HEADER), line, line_bytes(request_line(request(b"{}")))
    )
    with pytest.raises(RecordingError, match=message) as info:
        list(read_recording(path)[1])
    assert str(path) in str(info.value)


def test_bad_field_types_name_the_field(tmp_path: Path) -> None:
    """A field of the wrong type is named, whichever field it is."""
    good = request_line(request(b"{}"))
    for field, value in [("primary_key", "x"), ("intended_s", [1]), ("cycle", "two"), ("event", None)]:
        line = {**good, field: value}
        if value is None:
            del line[field]
        path = write_lines(tmp_path / "r.jsonl", line_bytes(HEADER), line_bytes(line))
        with pytest.raises(RecordingError, match=rf":2: a request line lacks a valid '{field}' field"):
            list(read_recording(path)[1])


@pytest.mark.parametrize("field", ["intended_s", "cycle", "attempt"])
@pytest.mark.parametrize(
    "options",
    [ReplayOptions(), ReplayOptions(sessions=frozenset({99})), ReplayOptions(with_retries=True)],
    ids=["kept", "filtered out", "with retries"],
)
def test_replay_checks_every_field_of_every_line(tmp_path: Path, field: str, options: ReplayOptions) -> None:
    """Replay names a bad field wherever it is: on a line it replays, on one --sessions leaves out,
    and on a retry it would skip, as reading a recording does."""
    first = request_line(request(b"{}"), attempt=1)
    retry = {**request_line(request(b"{}"), attempt=2), field: "bad"}  # same EventId: a retry
    path = write_lines(tmp_path / "r.jsonl", line_bytes(HEADER), line_bytes(first), line_bytes(retry))
    with pytest.raises(RecordingError, match=rf":3: a request line lacks a valid '{field}' field"):
        list(replay_plan(path, options)[1])


def test_truncated_multibyte_last_line_is_skipped(tmp_path: Path) -> None:
    """A crash that cuts a line inside a multi-byte character is still a truncated last line."""
    whole = line_bytes(request_line(request("Bjørn".encode(), "id-2")))
    cut = whole[: whole.index("ø".encode()) + 1]
    path = write_lines(
        tmp_path / "r.jsonl", line_bytes(HEADER), line_bytes(request_line(request(b"{}"))), cut
    )
    warnings: list[str] = []
    assert len(list(read_recording(path, warnings.append)[1])) == 1
    assert warnings == [f"{path}:3: skipped a truncated last line (the run was cut off)"]


def test_complete_last_line_without_newline_is_read(tmp_path: Path) -> None:
    """A last line that is whole JSON but lacks its newline is replayed, not warned about."""
    last = line_bytes(request_line(request(b"{}"))).rstrip(b"\n")
    warnings: list[str] = []
    path = write_lines(tmp_path / "r.jsonl", line_bytes(HEADER), last)
    assert len(list(read_recording(path, warnings.append)[1])) == 1 and warnings == []


def test_default_options_replay_requests_unchanged() -> None:
    """With no rewrite option the request is passed through as it was read."""
    original = request(b'{"EventId":"id-1","Timestamp":"2026-01-05T08:00:00Z"}')
    assert Rewriter(ReplayOptions(), datetime(2030, 1, 1, tzinfo=UTC))(original) is original


def test_filters_combine_with_first_attempts(tmp_path: Path) -> None:
    """--only and --sessions filter before retries are dropped: the first kept attempt replays."""
    lines = [
        request_line(Request("chatsession.message", "a", 1, HEADERS, b"1"), attempt=1),
        request_line(Request("chatsession.message", "a", 1, HEADERS, b"2"), attempt=2),
        request_line(Request("chatsession.created", "b", 2, HEADERS, b"3")),
        request_line(Request("chatsession.message", "c", 2, HEADERS, b"4")),
    ]
    path = write_lines(tmp_path / "r.jsonl", line_bytes(HEADER), *map(line_bytes, lines))
    only = ReplayOptions(only_events=frozenset({"chatsession.message"}))
    assert [p.request.body for p in replay_plan(path, only)[1]] == [b"1", b"4"]
    sessions = ReplayOptions(sessions=frozenset({2}), with_retries=True)
    assert [p.request.body for p in replay_plan(path, sessions)[1]] == [b"3", b"4"]


def load_replay_bench() -> ModuleType:
    path = Path(__file__).resolve().parents[3] / "bench" / "replay.py"
    spec = importlib.util.spec_from_file_location("_sosim_bench_replay", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_read_plan_bench_counts_fixtures_and_recordings(tmp_path: Path) -> None:
    """The read+plan figure of bench/replay.py reads every record of both file shapes."""
    bench = load_replay_bench()
    fixtures, recording = tmp_path / "fx.jsonl", tmp_path / "run.jsonl"
    assert bench.write_bench_fixtures(fixtures, 300) == 300
    assert bench.write_bench_recording(recording, 300) == 300
    for source in (fixtures, recording):
        count, rate = bench.read_plan_rate(source)
        assert count == 300 and rate > 0
