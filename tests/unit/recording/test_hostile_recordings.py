"""Hostile recordings: header injection, huge numbers, deep nesting and odd versions are refused
with a RecordingError that names the line, never a traceback or a smuggled request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simulator.core.errors import RecordingError
from simulator.core.events import Request
from simulator.recording.record import MAX_LINE_BYTES, read_recording, request_line

VALID = json.dumps(request_line(Request("chatsession.created", "id-1", 7, (), b"{}")))
HEADER = {"format": "sosim-recording", "version": 1, "kind": "run", "scenarios": ["x"]}


def _line(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode() + b"\n"


def _recording(path: Path, headers: tuple[tuple[str, str], ...], header: bytes | None = None) -> Path:
    line = request_line(Request("chatsession.created", "id-1", 7, headers, b"{}"))
    path.write_bytes((header if header is not None else _line(HEADER)) + _line(line))
    return path


@pytest.mark.parametrize(
    "pair",
    [
        ("X-Test", "a\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1"),
        ("X-Test", "a\nb"),
        ("X-Test", "a\rb"),
        ("X-Test", "a\x00b"),
        ("X-Te\r\nst", "a"),
    ],
)
def test_a_recorded_header_with_cr_lf_or_nul_is_refused_naming_the_line(tmp_path: Path, pair: Any) -> None:
    """A recorded header that would end early on the wire is a RecordingError on its line."""
    path = _recording(tmp_path / "r.jsonl", (("Content-Type", "application/json"), pair))
    with pytest.raises(RecordingError, match=r"r\.jsonl:2: headers: header .* contains (CR|LF|NUL)"):
        list(read_recording(path)[1])


def test_recorded_host_and_content_length_are_dropped(tmp_path: Path) -> None:
    """Host and Content-Length in a recording never reach the transport: it computes its own."""
    headers = (("Host", "evil.example"), ("X-A", "1"), ("content-length", "999999"))
    path = _recording(tmp_path / "r.jsonl", headers)
    [record] = list(read_recording(path)[1])
    assert record.request.headers == (("X-A", "1"),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID.replace('"primary_key": 7', '"primary_key": Infinity'), r":2: .* valid 'primary_key' field"),
        (VALID.replace('"primary_key": 7', '"primary_key": 7, "cycle": -Infinity'), r":2: .* 'cycle' field"),
        (VALID.replace('"primary_key": 7', '"primary_key": ' + "9" * 5000), r":2: not a usable JSON line"),
        ("[" * 100_000 + "]" * 100_000, r":2: not a usable JSON line \(nested too deeply\)"),
    ],
)
def test_huge_numbers_and_deep_nesting_are_errors_on_their_line(
    tmp_path: Path, text: str, message: str
) -> None:
    """Infinity in an integer field, 5,000-digit integers and deep nesting name the line."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(_line(HEADER) + text.encode() + b"\n")
    with pytest.raises(RecordingError, match=message):
        list(read_recording(path)[1])


@pytest.mark.parametrize("version", ["true", "-7", "0", "1.0", "9" * 5000, '"1"'])
def test_a_version_that_is_not_a_positive_integer_is_refused(tmp_path: Path, version: str) -> None:
    """The header's version must be a whole number from 1: true, -7 or 5,000 digits are refused."""
    header = b'{"format": "sosim-recording", "version": ' + version.encode() + b', "kind": "run"}\n'
    path = _recording(tmp_path / "r.jsonl", (), header=header)
    with pytest.raises(RecordingError, match=r"r\.jsonl:1: "):
        read_recording(path)


@pytest.mark.parametrize("escape", ["\\u000d", "\\u000A", "\\u0000", "\\r", "\\n"])
def test_every_json_spelling_of_cr_lf_and_nul_is_refused(tmp_path: Path, escape: str) -> None:
    """The reader screens raw lines for escapes before parsing: each way JSON can write CR, LF or
    NUL (upper or lower case \\u escapes included) still reaches the full header check."""
    path = tmp_path / "r.jsonl"
    line = request_line(Request("chatsession.created", "id-1", 7, (("X-Test", "a"),), b"{}"))
    text = json.dumps(line).replace('"a"', f'"a{escape}b"', 1)
    path.write_bytes(_line(HEADER) + text.encode() + b"\n")
    with pytest.raises(RecordingError, match=r"r\.jsonl:2: headers: header .* contains (CR|LF|NUL)"):
        list(read_recording(path)[1])


def test_a_line_cut_in_a_string_is_named_in_plain_words(tmp_path: Path) -> None:
    """A broken line in the middle of a file names its line and column once ("character at column")."""
    path = tmp_path / "rec.jsonl"
    path.write_bytes(_line(HEADER) + b'{"type":"attempt","body":"unfinished\n' + _line(HEADER))
    with pytest.raises(RecordingError) as error:
        list(read_recording(path)[1])
    assert str(error.value).endswith(":2: not valid JSON (Invalid control character at column 37)")


def test_a_line_over_the_cap_is_refused_without_holding_it(tmp_path: Path) -> None:
    """A 17 MiB line (a header line or a request line) is an error on its line; it is never read whole."""
    path = tmp_path / "long.jsonl"
    huge = b'{"type":"request","body":"' + b"x" * (MAX_LINE_BYTES + 1) + b'"}\n'
    path.write_bytes(_line(HEADER) + huge)
    with pytest.raises(RecordingError, match=r"long\.jsonl:2: the line is longer than 16 MiB"):
        list(read_recording(path)[1])
    path.write_bytes(huge)
    with pytest.raises(RecordingError, match=r"long\.jsonl:1: the line is longer than 16 MiB"):
        read_recording(path)


def test_a_line_just_under_the_cap_is_still_read(tmp_path: Path) -> None:
    """The cap refuses only what is over it: a line of MAX_LINE_BYTES is parsed as usual."""
    path = tmp_path / "ok.jsonl"
    text = VALID.encode()
    padding = MAX_LINE_BYTES - len(text) - 1  # spaces before the closing brace; the newline ends it
    padded = text[:-1] + b" " * padding + b"}\n"
    assert len(padded) == MAX_LINE_BYTES
    path.write_bytes(_line(HEADER) + padded)
    assert len(list(read_recording(path)[1])) == 1
