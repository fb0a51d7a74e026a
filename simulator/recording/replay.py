"""Replay: recordings, captures and fixtures back onto the wire, same bytes, same timing.

The source is read lazily; the selected requests become ``Planned`` items that go through the
same scheduler, deliverer, report and exit codes as ``sosim run``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator.core.errors import RecordingError, UsageError
from simulator.core.events import TICKS_PER_SECOND, Request, format_timestamp
from simulator.core.schedule import Planned
from simulator.core.signing import sign
from simulator.recording.record import (
    LineBuilder,
    RecordedRequest,
    position_of,
    read_recording,
    read_request_lines,
    request_of,
)
from simulator.superoffice import facts as so

_EVENT_ID = re.compile(rb'("EventId"\s*:\s*")([^"]*)(")')
_TIMESTAMP = re.compile(rb'("Timestamp"\s*:\s*")(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?Z(")')
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__: once an event


@dataclass(frozen=True, slots=True)
class ReplayOptions:
    """What to replay and how to change it on the way."""

    secret: str | None = None  # the secret to sign with when --resign or a body change needs it
    resign: bool = False
    new_event_ids: bool = False
    shift_timestamps: bool = False
    only_events: frozenset[str] = frozenset()
    only_failed: bool = False
    sessions: frozenset[int] = frozenset()
    with_retries: bool = False
    #: ``(k, n)``: only sessions whose PrimaryKey is ``k`` modulo ``n`` (one worker of ``--processes n``),
    #: timed from the first request the whole selection sends, so the workers keep one schedule.
    shard: tuple[int, int] | None = None

    @property
    def filtered(self) -> bool:
        """Whether only some requests are replayed (or retries too): then not necessarily in order."""
        return bool(self.only_events or self.only_failed or self.sessions or self.with_retries)


Warn = Callable[[str], None]


def recording_path(source: str | Path) -> Path:
    """Return the JSONL file behind a source: the file itself, or a fixture directory's manifest."""
    path = Path(source)
    if path.is_dir():
        manifest = path / "manifest.jsonl"
        if not manifest.exists():
            raise RecordingError(
                f"{path}: a directory without manifest.jsonl (not a sosim fixture directory)"
            )
        return manifest
    if not path.exists():
        raise RecordingError(f"{path}: no such file or directory")
    return path


def open_source(
    source: str | Path, warn: Warn | None = None
) -> tuple[dict[str, Any], Iterator[RecordedRequest]]:
    """Read a source's header and return a lazy iterator over its recorded requests."""
    return read_recording(recording_path(source), warn)


def count_fixture_requests(source: str | Path) -> int:
    """The requests in generate's fixtures: every line after the header (a fast count of newlines;
    progress shows it as the planned total)."""
    lines = 0
    last = b"\n"
    with recording_path(source).open("rb") as file:
        while block := file.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n") - 1


def failed_event_ids(source: str | Path) -> set[str]:
    """EventIds that never got a delivered answer (a first pass over the source)."""
    header, records = open_source(source)
    if header.get("kind") == "fixtures":
        raise UsageError("needs a recording or capture: fixtures have no outcomes", option="only_failed")
    seen: set[str] = set()
    delivered: set[str] = set()
    for record in records:
        seen.add(record.request.event_id)
        if record.delivered:
            delivered.add(record.request.event_id)
    return seen - delivered


def replay_plan(
    source: str | Path,
    options: ReplayOptions,
    *,
    now: datetime | None = None,
    warn: Warn | None = None,
) -> tuple[dict[str, Any], Iterator[Planned]]:
    """Open a source and return its header and the requests to send, timed from 0."""
    failed = failed_event_ids(source) if options.only_failed else None

    def builder_for(header: dict[str, Any]) -> LineBuilder[Planned]:
        scenario = ",".join(header.get("scenarios") or []) or Path(source).name
        # Recordings and captures hold attempts: a retry repeats its EventId. Fixtures hold the
        # requests to send, each once, as written (sosim generate never repeats an EventId).
        first_only = not options.with_retries and header.get("kind") != "fixtures"
        return _planner(options, failed, scenario, first_only=first_only)

    header, planned = read_request_lines(recording_path(source), builder_for, warn)
    rewriter = Rewriter(options, now or datetime.now(UTC))
    if rewriter.active:  # the common replay changes nothing: no extra step per event
        planned = (item._replace(request=rewriter(item.request)) for item in planned)
    return header, planned


def _planner(
    options: ReplayOptions, failed: set[str] | None, scenario: str, *, first_only: bool
) -> LineBuilder[Planned]:
    """The builder that turns a recorded line into the request to send, timed from the first one
    kept, or None for a line not selected. With ``first_only`` a line whose EventId came before
    is skipped. One call does it all: it runs once an event."""
    only_events, sessions, shard = options.only_events, options.sessions, options.shard
    seen: set[str] = set()  # grows with the source: used only for recordings and captures
    first: float | None = None

    def planned(line: dict[str, Any], _number: int) -> Planned | None:
        nonlocal first
        request = request_of(line)
        offset = position_of(line)[0]  # every line's fields are checked, also those not replayed
        if only_events and request.event not in only_events:
            return None
        if sessions and request.session_id not in sessions:
            return None
        event_id = request.event_id
        if failed is not None and event_id not in failed:
            return None
        if first_only:
            if event_id in seen:
                return None
            seen.add(event_id)
        if first is None:
            first = offset
        if shard is not None and request.session_id % shard[1] != shard[0]:
            return None
        offset -= first
        # Planned(...) with every field through tuple.__new__, faster: once an event.
        return _tuple(Planned, (offset if offset > 0.0 else 0.0, request, scenario, None, None, False))

    return planned


class Rewriter:
    """Applies --new-event-ids, --shift-timestamps and --resign to one request."""

    def __init__(self, options: ReplayOptions, now: datetime) -> None:
        self.options = options
        self.now_ticks = round((now - _EPOCH).total_seconds() * TICKS_PER_SECOND)
        self.shift: int | None = None  # ticks added to every Timestamp, fixed by the first request
        self.active = options.new_event_ids or options.shift_timestamps or options.resign

    def __call__(self, request: Request) -> Request:
        """Return the request as it should be replayed."""
        if not self.active:
            return request
        options = self.options
        body, event_id = request.body, request.event_id
        if options.new_event_ids:
            event_id = str(uuid.uuid4())
            body = _EVENT_ID.sub(lambda m: m.group(1) + event_id.encode() + m.group(3), body, count=1)
        if options.shift_timestamps:
            body = _TIMESTAMP.sub(self._shifted, body, count=1)
        changed = body != request.body
        headers = request.headers
        if event_id != request.event_id:
            headers = _set_header(headers, so.HEADER_EVENT_ID, event_id)
        if options.resign or (changed and _has(headers, so.HEADER_SIGNATURE)):
            if not options.secret:
                raise UsageError(
                    "the replayed bodies change (new EventIds, shifted Timestamps) or re-signing was asked "
                    "for: give the replay the secret so they can be signed again",
                    option="secret",
                )
            headers = _set_header(headers, so.HEADER_SIGNATURE, sign(body, options.secret))
        return Request(request.event, event_id, request.session_id, headers, body)

    def _shifted(self, match: re.Match[bytes]) -> bytes:
        seconds = datetime.strptime(match.group(2).decode(), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        fraction = (match.group(3) or b"").decode()
        ticks = round((seconds - _EPOCH).total_seconds()) * TICKS_PER_SECOND + int(
            (fraction or "0").ljust(7, "0")
        )
        if self.shift is None:
            self.shift = self.now_ticks - ticks
        # Keep the recording's style: 7 fixed digits stay fixed, anything shorter was trimmed.
        text = format_timestamp(ticks + self.shift, "7" if len(fraction) == 7 else "trim")
        return match.group(1) + text.encode() + match.group(4)


def _has(headers: tuple[tuple[str, str], ...], name: str) -> bool:
    wanted = name.lower()
    return any(key.lower() == wanted for key, _ in headers)


def _set_header(headers: tuple[tuple[str, str], ...], name: str, value: str) -> tuple[tuple[str, str], ...]:
    """Replace a header's value where it is (keeping its spelling), or append it."""
    wanted = name.lower()
    if not _has(headers, name):
        return (*headers, (name, value))
    return tuple((key, value if key.lower() == wanted else old) for key, old in headers)


def parse_sessions(text: str | None) -> frozenset[int]:
    """Parse session ids (PrimaryKey) separated by commas, ``178105,178106``; raise ValueError."""
    if not text:
        return frozenset()
    try:
        return frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError("expected session ids (PrimaryKey) separated by commas") from None
