"""Replay: reading sources, choosing requests, rewriting ids, timestamps and signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulator.core.errors import RecordingError, UsageError
from simulator.core.plan import PlanOptions, plan
from simulator.core.scenario import parse_scenario
from simulator.recording.fixtures import write_fixtures
from simulator.recording.replay import ReplayOptions, Rewriter, parse_sessions, replay_plan

SCENARIO = """
name: replay-unit
webhook: {secret: old-secret}
arrivals: {sessions: 3, rate: 1/min}
"""


def independent_signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def fixtures_file(tmp_path: Path) -> Path:
    out = tmp_path / "fx.jsonl"
    items = ((p.due_s, p.scenario, p.request) for p in plan([parse_scenario(SCENARIO)], PlanOptions()))
    write_fixtures(items, out, "jsonl", {"scenarios": ["x.yaml"], "seed": 0})
    return out


def test_fixtures_replay_with_same_bytes_and_spacing(fixtures_file: Path) -> None:
    """A fixture file replays with its exact bodies and headers and its relative timing."""
    lines = [json.loads(line) for line in fixtures_file.read_text().splitlines()[1:]]
    _, planned = replay_plan(fixtures_file, ReplayOptions())
    items = list(planned)
    assert [p.request.body.decode() for p in items] == [line["body"] for line in lines]
    assert [list(map(list, p.request.headers)) for p in items] == [line["headers"] for line in lines]
    offsets = [line["intended_s"] for line in lines]
    assert [round(p.due_s, 6) for p in items] == [round(o - offsets[0], 6) for o in offsets]


def test_fixture_directory_replays_through_its_manifest(tmp_path: Path) -> None:
    """A `generate --format dir` directory is a replay source too."""
    items = ((p.due_s, p.scenario, p.request) for p in plan([parse_scenario(SCENARIO)], PlanOptions()))
    count = write_fixtures(items, tmp_path / "dir", "dir", {"scenarios": ["x.yaml"]})
    _, planned = replay_plan(tmp_path / "dir", ReplayOptions())
    assert len(list(planned)) == count


def test_filters_by_event_and_session(fixtures_file: Path) -> None:
    """--only and --sessions keep just the requested events and sessions."""
    _, planned = replay_plan(fixtures_file, ReplayOptions(only_events=frozenset({"chatsession.created"})))
    created = list(planned)
    assert len(created) == 3 and {p.request.event for p in created} == {"chatsession.created"}
    first = created[0].request.session_id
    _, planned = replay_plan(fixtures_file, ReplayOptions(sessions=frozenset({first})))
    assert {p.request.session_id for p in planned} == {first}


def test_resign_and_new_event_ids_verify_independently(fixtures_file: Path) -> None:
    """--resign and --new-event-ids give bodies whose EventId matches the header and whose
    signature verifies with an independent HMAC computation."""
    options = ReplayOptions(secret="new-secret", resign=True, new_event_ids=True)
    _, planned = replay_plan(fixtures_file, options)
    originals = [json.loads(line)["event_id"] for line in fixtures_file.read_text().splitlines()[1:]]
    for item, original in zip(planned, originals, strict=True):
        request = item.request
        body = json.loads(request.body)
        assert body["EventId"] == request.header("X-SuperOffice-EventId") == request.event_id != original
        assert request.header("X-SuperOffice-Signature") == independent_signature(request.body, "new-secret")


def test_body_change_without_secret_is_refused(fixtures_file: Path) -> None:
    """Changing signed bodies without a secret to re-sign them is a clear usage error."""
    _, planned = replay_plan(fixtures_file, ReplayOptions(new_event_ids=True))
    with pytest.raises(UsageError, match="give the replay the secret") as caught:
        next(planned)
    assert caught.value.option == "secret"  # the CLI names --secret/--secret-env/--secret-file


def test_shift_timestamps_keeps_spacing_and_digits() -> None:
    """--shift-timestamps moves the first Timestamp to now and keeps the exact spacing; fixed
    7-digit Timestamps stay fixed, trimmed ones stay trimmed."""
    rewriter = Rewriter(ReplayOptions(shift_timestamps=True), datetime(2030, 1, 1, tzinfo=UTC))
    from simulator.core.events import Request

    first = Request("e", "a", 1, (), b'{"EventId":"a","Timestamp":"2026-01-05T08:00:00.1234567Z"}')
    second = Request("e", "b", 1, (), b'{"EventId":"b","Timestamp":"2026-01-05T08:00:10.5Z"}')
    assert json.loads(rewriter(first).body)["Timestamp"] == "2030-01-01T00:00:00.0000000Z"
    assert json.loads(rewriter(second).body)["Timestamp"] == "2030-01-01T00:00:10.3765433Z"
    third = Request("e", "c", 1, (), b'{"EventId":"c","Timestamp":"2026-01-05T08:00:11.12345Z"}')
    assert json.loads(rewriter(third).body)["Timestamp"] == "2030-01-01T00:00:10.9999933Z"


@pytest.mark.parametrize("kind", ["run", "capture"])
def test_first_attempt_only_unless_with_retries(tmp_path: Path, kind: str) -> None:
    """A run recording or a capture replays the first attempt of each EventId; --with-retries
    replays all."""
    path = tmp_path / "run.jsonl"
    header = {"format": "sosim-recording", "version": 1, "kind": kind, "scenarios": ["x"]}
    attempt = {
        "type": "attempt",
        "event": "chatsession.created",
        "event_id": "id-1",
        "primary_key": 5,
        "headers": [["X-SuperOffice-EventId", "id-1"]],
        "body": "{}",
        "intended_s": 0.0,
    }
    retry = {**attempt, "attempt": 2, "intended_s": 1.0, "delivered": True}
    lines = [header, {**attempt, "attempt": 1, "delivered": False}, retry]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert len(list(replay_plan(path, ReplayOptions())[1])) == 1
    assert len(list(replay_plan(path, ReplayOptions(with_retries=True))[1])) == 2
    assert list(replay_plan(path, ReplayOptions(only_failed=True))[1]) == []


def test_fixtures_are_sent_as_written_even_with_a_repeated_event_id(fixtures_file: Path) -> None:
    """Fixtures list requests, not attempts: a line repeated by hand (say to test a receiver's
    deduplication) goes out twice, where a recording would keep only its first attempt."""
    lines = fixtures_file.read_text().splitlines(keepends=True)
    fixtures_file.write_text("".join([*lines, lines[1]]))
    items = list(replay_plan(fixtures_file, ReplayOptions())[1])
    assert len(items) == len(lines)  # every request line, the repeated one included
    assert items[-1].request == items[0].request


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("hello\n", "not valid JSON"),
        ('{"some": "json"}\n', "not a sosim recording"),
        ('{"format": "sosim-recording", "version": 99}\n', "newer"),
    ],
)
def test_bad_headers_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    """An empty file, a wrong format or a newer version names the file and line."""
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(RecordingError, match=message) as info:
        list(replay_plan(path, ReplayOptions())[1])
    assert str(path) in str(info.value)


def test_bad_line_in_the_middle_names_its_line(fixtures_file: Path) -> None:
    """A corrupt JSON line in the middle is an error with its line number."""
    lines = fixtures_file.read_text().splitlines(keepends=True)
    lines[3] = "{not json\n"
    fixtures_file.write_text("".join(lines))
    with pytest.raises(RecordingError, match=r":4: not valid JSON"):
        list(replay_plan(fixtures_file, ReplayOptions())[1])


def test_missing_body_names_its_line(fixtures_file: Path) -> None:
    """A request line without a body is an error naming the line and the field."""
    lines = fixtures_file.read_text().splitlines(keepends=True)
    broken = json.loads(lines[2])
    del broken["body"]
    lines[2] = json.dumps(broken) + "\n"
    fixtures_file.write_text("".join(lines))
    with pytest.raises(RecordingError, match=r":3: .*body"):
        list(replay_plan(fixtures_file, ReplayOptions())[1])


def test_truncated_last_line_is_skipped_with_a_warning(fixtures_file: Path) -> None:
    """A last line cut off by a crash is skipped with a warning; the rest replays."""
    text = fixtures_file.read_text()
    total = len(text.splitlines()) - 1
    fixtures_file.write_text(text[: len(text) - 40])
    warnings: list[str] = []
    _, planned = replay_plan(fixtures_file, ReplayOptions(), warn=warnings.append)
    assert len(list(planned)) == total - 1
    assert warnings and "truncated" in warnings[0]


def test_parse_sessions() -> None:
    """--sessions takes comma-separated ids and rejects anything else."""
    assert parse_sessions("1, 2,3") == {1, 2, 3}
    with pytest.raises(ValueError, match="expected session ids"):
        parse_sessions("a,b")


def test_replay_shards_split_by_primary_key_on_one_clock(fixtures_file: Path) -> None:
    """Worker k of n replays the sessions with PrimaryKey k mod n, timed from the first request of
    the whole file, so the shards keep the file's schedule."""
    _, whole = replay_plan(fixtures_file, ReplayOptions())
    every = list(whole)
    shards = [list(replay_plan(fixtures_file, ReplayOptions(shard=(k, 2)))[1]) for k in range(2)]
    assert all(shards)
    assert sorted((p.due_s, p.request.event_id) for s in shards for p in s) == sorted(
        (p.due_s, p.request.event_id) for p in every
    )
    assert {p.request.session_id % 2 for p in shards[1]} == {1}
