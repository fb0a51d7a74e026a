"""The recording format: versioned JSONL, one header line, then one line per request or attempt.

The same format serves ``run --record`` (attempts with outcomes), ``generate --format jsonl``
(requests with due times) and ``receive --record`` (what arrived), so ``replay`` reads all
three. Bodies are stored exactly: as text when they are UTF-8, else as base64.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

import orjson

from simulator.core.errors import RecordingError
from simulator.core.events import Request
from simulator.core.headers import UnsafeHeaderError, check_headers, without_transport_headers
from simulator.core.outcome import Attempt, RunInfo, RunResult, StateChange

if TYPE_CHECKING:
    from simulator.core.conversation import ReplyTiming

FORMAT = "sosim-recording"
VERSION = 1
# Lines are ~1 KiB: the default 8 KiB buffer costs a read() every few lines, a quarter of the
# per-line reading time; 64 KiB makes it negligible.
_READ_BUFFER = 1 << 16
#: The longest line a reader takes. A webhook body is kilobytes and sosim's servers refuse bodies
#: over 1 MiB, so a longer line is damage, refused before it is parsed (a 100 MB line once cost
#: 350 MB of RSS on its way to an error).
MAX_LINE_BYTES = 16 << 20
_WRITE_BUFFER = 1 << 20
_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__ (hot paths)

T = TypeVar("T")


def encode_body(body: bytes) -> dict[str, str]:
    """Store a body exactly: ``{"body": text}`` for UTF-8, else ``{"body_b64": ...}``."""
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_b64": base64.b64encode(body).decode("ascii")}


def decode_body(line: dict[str, Any]) -> bytes:
    """Return the exact body bytes of a recorded line."""
    if "body_b64" in line:
        return base64.b64decode(line["body_b64"])
    body = line.get("body")
    if not isinstance(body, str):
        raise KeyError("body")
    return body.encode("utf-8")


def header_line(kind: str, **fields: Any) -> dict[str, Any]:
    """The first line of every recording: format, version and what produced it."""
    return {"format": FORMAT, "version": VERSION, "kind": kind, **fields}


#: The key of a request's intended offset (seconds from the start) in every line sosim writes:
#: attempts, captured requests, fixtures and fixture manifests alike.
OFFSET_KEY = "intended_s"
#: What the manifests of fixture directories (generate --format dir, http) called it up to sosim
#: 0.1.0; readers still accept it.
OLD_OFFSET_KEY = "due_s"


def intended_offset(line: dict[str, Any]) -> Any:
    """A line's intended offset as stored: ``intended_s``, else the old ``due_s``, else 0."""
    return line.get(OFFSET_KEY, line.get(OLD_OFFSET_KEY, 0.0))


def request_line(request: Request, **fields: Any) -> dict[str, Any]:
    """One request as a JSON-ready dict: event, ids, exact headers and body."""
    return {
        "type": "request",
        **fields,
        "event": request.event,
        "event_id": request.event_id,
        "primary_key": request.session_id,
        "headers": [[name, value] for name, value in request.headers],
        **encode_body(request.body),
    }


def reply_line(reply: ReplyTiming) -> dict[str, Any]:
    """One answered customer message: which, when its webhook went out, when the answer came."""
    return {
        "type": "reply",
        "primary_key": reply.session_id,
        "message_id": reply.message_id,
        "question_event_id": reply.question_event_id,
        "sent_s": round(reply.sent_s, 6),
        "at_s": round(reply.at_s, 6),
        "latency_ms": round(reply.latency_s * 1000, 3),
    }


def attempt_line(attempt: Attempt) -> dict[str, Any]:
    """One delivery attempt and its outcome."""
    line = request_line(
        attempt.request,
        scenario=attempt.scenario,
        intended_s=round(attempt.intended_s, 6),
        sent_s=round(attempt.sent_s, 6),
        cycle=attempt.cycle,
        attempt=attempt.attempt,
    )
    line["type"] = "attempt"
    line["status"] = attempt.status
    line["latency_ms"] = round(attempt.service_s * 1000, 3)
    line["delivered"] = attempt.delivered
    line["error"] = attempt.error
    if attempt.error_detail:
        line["error_detail"] = attempt.error_detail
    if attempt.fault:
        line["fault"] = attempt.fault
    return line


#: Floats at least this large (and finite) print the same from orjson and ``repr``; smaller
#: ones differ (``5e-05`` against ``0.00005``), and so do NaN and the infinities.
_SAME_FLOAT_FROM = 1e-4
_INF = float("inf")


def encode_line(line: dict[str, Any]) -> bytes:
    """One JSON line (with its newline), exactly as ``json.dumps(line, ensure_ascii=False,
    separators=(",", ":"))`` writes it, in about a tenth of the time.

    orjson writes the same bytes for strings (every code point), ints, bools, None and most
    floats. Lines it could write differently go to the stdlib: a float below 1e-4 or not
    finite, a nested object, a list other than ``headers`` (pairs of strings, as every line
    writer builds them), an int subclass, an integer beyond 64 bits.
    """
    for key, value in line.items():
        kind = value.__class__
        if kind is str or kind is int or kind is bool or value is None:
            continue
        if kind is float:
            if value == 0.0 or _SAME_FLOAT_FROM <= abs(value) < _INF:
                continue
            return _stdlib_line(line)
        if kind is list and key == "headers":
            continue
        return _stdlib_line(line)
    try:
        return orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return _stdlib_line(line)


def fixture_line(request: Request, intended_s: float, scenario: str) -> bytes:
    """One request of a fixtures file (with its newline): the bytes of
    ``encode_line(request_line(request, intended_s=intended_s, scenario=scenario))`` without the
    intermediate dict and its checks, for ``sosim generate`` (once an event).

    orjson writes the header pairs (tuples) as the lists ``request_line`` makes of them; what
    orjson could write otherwise (a float below 1e-4, a body that is not UTF-8, an integer
    beyond 64 bits) goes through ``request_line`` and ``encode_line``."""
    session_id = request.session_id
    if (intended_s == 0.0 or _SAME_FLOAT_FROM <= abs(intended_s) < _INF) and session_id.__class__ is int:
        try:
            return orjson.dumps(
                {
                    "type": "request",
                    OFFSET_KEY: intended_s,
                    "scenario": scenario,
                    "event": request.event,
                    "event_id": request.event_id,
                    "primary_key": session_id,
                    "headers": request.headers,
                    "body": request.body.decode("utf-8"),
                },
                option=orjson.OPT_APPEND_NEWLINE,
            )
        except (UnicodeDecodeError, orjson.JSONEncodeError):
            pass
    return encode_line(request_line(request, **{OFFSET_KEY: intended_s}, scenario=scenario))


def _stdlib_line(line: dict[str, Any]) -> bytes:
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


class _ByteSink(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class JsonlWriter:
    """Writes JSON lines; with ``flush_each`` every line reaches the OS at once, so a crash or
    Ctrl-C loses nothing already written (recordings); fixtures skip that cost."""

    def __init__(self, path: str | Path, *, flush_each: bool = True, stream: IO[str] | None = None) -> None:
        self.path = Path(path)
        self._flush_each = flush_each
        #: ``stream`` (stdout for ``--out -``) is written to but never closed.
        self._stream = stream
        self._file: _ByteSink | None
        if stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Without a flush per line, a large buffer makes a write() call per thousand lines, not per eight.
            self._file = self.path.open("wb", buffering=-1 if flush_each else _WRITE_BUFFER)
        else:
            stream.flush()  # what the text layer holds goes out before the bytes written below
            self._file = getattr(stream, "buffer", None) or _TextBytes(stream)

    def write(self, line: dict[str, Any]) -> None:
        """Append one line and flush it to the OS."""
        self.write_encoded(encode_line(line))

    def write_encoded(self, data: bytes) -> None:
        """Append lines already encoded (``encode_line``, ``fixture_line``) and flush them to the OS."""
        if self._file is None:
            return
        self._file.write(data)
        if self._flush_each:
            self._file.flush()

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._file is not None:
            if self._stream is None:
                self._file.close()
            else:
                self._file.flush()
            self._file = None


class _TextBytes:
    """A text stream without a binary buffer (a ``StringIO``) taking the writer's bytes."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, data: bytes) -> int:
        return self._stream.write(data.decode("utf-8"))

    def flush(self) -> None:
        self._stream.flush()

    def close(self) -> None:
        """Never called: a stream given to the writer is the caller's to close."""


class Recorder:
    """A run handler that records every attempt (``run --record``)."""

    def __init__(self, path: str | Path) -> None:
        self._writer = JsonlWriter(path)
        self.path = self._writer.path

    def start(self, info: RunInfo) -> None:
        """Write the header line."""
        self._writer.write(header_line("run", **asdict(info)))

    def handle_attempt(self, attempt: Attempt) -> None:
        """Write one attempt."""
        self._writer.write(attempt_line(attempt))

    def handle_state(self, change: StateChange) -> None:
        """Write a webhook state change."""
        self._writer.write({"type": "state", **asdict(change)})

    def handle_reply(self, reply: ReplyTiming) -> None:
        """Write one reply latency of the closed loop (see :mod:`simulator.engine.loop`)."""
        self._writer.write(reply_line(reply))

    def finish(self, result: RunResult) -> None:
        """Write the end line and close the file."""
        self._writer.write({"type": "end", **asdict(result)})
        self._writer.close()


# --- reading --------------------------------------------------------------------------


class RecordedRequest(NamedTuple):
    """A request read back from a recording, with its timing.

    A NamedTuple rather than a dataclass: replay builds one per line, and tuples are built
    several times faster than frozen dataclasses.
    """

    request: Request
    offset_s: float  # intended offset from the start of the recording
    scenario: str
    cycle: int
    attempt: int
    delivered: bool | None
    line: int


def read_recording(path: str | Path, warn: Any = None) -> tuple[dict[str, Any], Iterator[RecordedRequest]]:
    """Open a recording: return its header and a lazy iterator over its requests.

    A truncated last line, as a crash leaves it, is skipped with a warning through ``warn``.
    """
    return read_request_lines(path, lambda _header: _recorded, warn)


#: Turns one parsed request line (and its line number) into an item, or None to skip the line.
LineBuilder = Callable[[dict[str, Any], int], T | None]


def read_request_lines(
    path: str | Path, builder_for: Callable[[dict[str, Any]], LineBuilder[T]], warn: Any = None
) -> tuple[dict[str, Any], Iterator[T]]:
    """Open a recording: return its header and a lazy iterator over ``build(line, number)`` for
    each request or attempt line, where ``build = builder_for(header)``.

    ``build`` reads the line with :func:`request_of` and :func:`position_of`; the KeyError, TypeError
    or ValueError they raise becomes a :class:`RecordingError` naming the line and the bad field.
    Replay's builder selects and plans in the same call: one call per line rather than a chain of
    generators, since this runs once an event at ``--max-rate``.
    """
    file = Path(path)
    try:
        handle = file.open("rb", buffering=_READ_BUFFER)
    except OSError as exc:
        raise RecordingError(f"{file}: cannot open ({exc.strerror or exc})") from None
    try:
        first = handle.readline(MAX_LINE_BYTES + 1)
        if len(first) > MAX_LINE_BYTES:
            raise _too_long(file, 1)
        if not first.strip():
            raise RecordingError(f"{file}:1: the file is empty, expected a sosim recording header")
        header = _parse_line(file, 1, first)
        _check_header(file, header)
    except BaseException:
        handle.close()
        raise
    return header, _built(file, handle, builder_for(header), warn)


def _too_long(file: Path, number: int) -> RecordingError:
    return RecordingError(f"{file}:{number}: the line is longer than {MAX_LINE_BYTES >> 20} MiB (damaged?)")


def _check_header(file: Path, header: dict[str, Any]) -> None:
    if header.get("format") != FORMAT:
        raise RecordingError(f"{file}:1: not a sosim recording (the first line must have format {FORMAT!r})")
    version = header.get("version")
    if version.__class__ is not int or version < 1:
        raise RecordingError(f"{file}:1: recording version {version!r} is not a positive whole number")
    if version > VERSION:
        raise RecordingError(
            f"{file}:1: recording version {version!r} is newer than this sosim reads (up to {VERSION}); "
            "upgrade sosim"
        )


def _parse_line(file: Path, number: int, data: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        value = _parse_with_stdlib(file, number, data)
    return _expect_object(file, number, value)


def _expect_object(file: Path, number: int, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordingError(f"{file}:{number}: expected a JSON object")
    return value


def _parse_with_stdlib(file: Path, number: int, data: bytes) -> Any:
    """Parse a line orjson refused: the stdlib accepts a little more (NaN, huge integers), which
    recordings always could hold, and its error messages name the problem and the column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordingError(f"{file}:{number}: not valid UTF-8 (byte {exc.start + 1})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        at = "" if exc.msg.endswith(" at") else " at"  # "Unterminated string starting at"
        raise RecordingError(f"{file}:{number}: not valid JSON ({exc.msg}{at} column {exc.colno})") from None
    except ValueError as exc:  # an integer with more digits than Python converts
        raise RecordingError(f"{file}:{number}: not a usable JSON line ({exc})") from None
    except RecursionError:
        raise RecordingError(f"{file}:{number}: not a usable JSON line (nested too deeply)") from None


def _built(file: Path, handle: IO[bytes], build: LineBuilder[T], warn: Any) -> Iterator[T]:
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    with handle:
        number = 1
        # readline with a limit (not ``for data in handle``) so that no line is held past the cap.
        for data in iter(functools.partial(handle.readline, MAX_LINE_BYTES + 1), b""):
            number += 1
            if len(data) > MAX_LINE_BYTES:
                raise _too_long(file, number)
            # Only the last line can lack its newline: that is where a crash cuts a recording.
            if data[-1] != 0x0A and _truncated(data):
                if warn is not None:
                    warn(f"{file}:{number}: skipped a truncated last line (the run was cut off)")
                return
            try:
                line = loads(data)
            except decode_error:
                line = None
            # The stdlib decides errors, non-objects and integers beyond 64 bits (orjson reads them
            # as floats, the stdlib keeps them exact), and it names the problem in its messages.
            if line.__class__ is not dict or line.get("primary_key").__class__ is float:
                if not data.strip():
                    continue
                line = _expect_object(file, number, _parse_with_stdlib(file, number, data))
            kind = line.get("type")
            if kind != "request" and kind != "attempt":
                continue  # the header, state and end lines
            try:
                item = build(line, number)
            except UnsafeHeaderError as exc:
                raise RecordingError(f"{file}:{number}: headers: {exc}") from None
            except (KeyError, TypeError, ValueError, OverflowError):
                raise RecordingError(
                    f"{file}:{number}: a request line lacks a valid {_bad_field(line)!r} field"
                ) from None
            if item is not None:
                yield item


def _truncated(data: bytes) -> bool:
    """Whether a last line without its newline is cut off (a whole JSON line is still read)."""
    try:
        json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return True
    return False


def request_of(line: dict[str, Any]) -> Request:
    """The request on a parsed request line (KeyError, TypeError or ValueError when a field is bad;
    :class:`UnsafeHeaderError` for a header with CR, LF or NUL). Recorded Host and Content-Length
    headers are dropped: the transport writes its own."""
    headers = _recorded_headers(line["headers"])
    body = line.get("body")
    # decode_body's common case inline (a body stored as text): this runs once an event.
    data = body.encode() if body.__class__ is str and "body_b64" not in line else decode_body(line)
    # Request(...) through tuple.__new__ (a NamedTuple's __new__ is a Python call): once an event.
    return _tuple(
        Request, (str(line["event"]), str(line["event_id"]), int(line["primary_key"]), headers, data)
    )


def _recorded_headers(pairs: Any) -> tuple[tuple[str, str], ...]:
    try:
        # Pairs of strings, as every writer records them: one join, and three scans in C check
        # all names and values for CR, LF and NUL (anything else raises TypeError here).
        joined: str | None = "".join([name + value for name, value in pairs])
    except TypeError:
        joined = None
    if joined is None or "\r" in joined or "\n" in joined or "\x00" in joined:
        # Other values are converted as before; check_headers names the header it refuses.
        headers = tuple([(str(k), str(v)) for k, v in pairs])
        check_headers(headers)
        return without_transport_headers(headers)
    return without_transport_headers(tuple(map(tuple, pairs)))


def position_of(line: dict[str, Any]) -> tuple[float, int, int]:
    """When a request line was due (seconds from the start of its recording), its cycle and its
    attempt, as _bad_field checks them (KeyError, TypeError or ValueError when one is bad)."""
    get = line.get
    offset, cycle, attempt = intended_offset(line), get("cycle", 1), get("attempt", 1)
    # Converted only when not already of their type (replay reads every line's, once an event).
    if offset.__class__ is not float:
        offset = float(offset)
    if cycle.__class__ is not int or attempt.__class__ is not int:
        cycle, attempt = int(cycle), int(attempt)
    return offset, cycle, attempt


def _recorded(line: dict[str, Any], number: int) -> RecordedRequest:
    get = line.get
    delivered = get("delivered")
    offset_s, cycle, attempt = position_of(line)
    return RecordedRequest(
        request_of(line),
        offset_s,
        str(get("scenario", "")),
        cycle,
        attempt,
        delivered if delivered.__class__ is bool else None,
        number,
    )


def _bad_field(line: dict[str, Any]) -> str:
    """Name the first field of a request line that does not convert (only on the error path)."""
    checks: dict[str, Callable[[], object]] = {
        "headers": lambda: _recorded_headers(line["headers"]),
        "event": lambda: str(line["event"]),
        "event_id": lambda: str(line["event_id"]),
        "primary_key": lambda: int(line["primary_key"]),
        "body": lambda: decode_body(line),
        OFFSET_KEY: lambda: float(intended_offset(line)),
        "cycle": lambda: int(line.get("cycle", 1)),
        "attempt": lambda: int(line.get("attempt", 1)),
    }
    for name, check in checks.items():
        try:
            check()
        except (KeyError, TypeError, ValueError, OverflowError):
            return name
    return "request"
