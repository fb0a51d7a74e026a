"""Recording and fixture lines are written with orjson, byte for byte as the stdlib wrote them:
fixtures checked into a user's repository do not change when sosim gets faster."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from simulator.core.events import Request
from simulator.recording.record import OFFSET_KEY, JsonlWriter, encode_line, fixture_line, request_line


def _stdlib(line: dict[str, Any]) -> bytes:
    return (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


# Every code point but the lone surrogates (which no UTF-8 body or header can hold).
TEXT = st.text(st.characters(exclude_categories=("Cs",)))
SCALARS = (
    TEXT
    | st.integers()  # beyond 64 bits too: orjson refuses those, the stdlib writes them
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
HEADERS = st.lists(st.lists(TEXT, min_size=2, max_size=2), max_size=6)
NESTED = st.dictionaries(TEXT, SCALARS, max_size=3) | st.lists(SCALARS, max_size=3)


@given(
    st.dictionaries(TEXT, SCALARS | NESTED, max_size=8),
    HEADERS,
)
def test_encode_line_matches_the_stdlib(fields: dict[str, Any], headers: list[list[str]]) -> None:
    """Any line of strings, numbers, booleans, nulls, nested values and headers: the same bytes."""
    line = {**fields, "headers": headers}
    assert encode_line(line) == _stdlib(line)


def test_encode_line_small_and_odd_floats() -> None:
    """The floats orjson prints differently (below 1e-4, NaN, infinities) still print as before."""
    for value in (5e-05, 9.999999999999999e-05, -1e-7, math.nan, math.inf, -math.inf, 0.0, -0.0, 1e-4, 1e16):
        for line in ({"intended_s": value}, {"values": [1, value]}, {"state": {"lag_s": value}}):
            assert encode_line(line) == _stdlib(line), line


def test_encode_line_huge_integer_and_int_subclass() -> None:
    """A 70-bit primary key and a bool-like int subclass are written as the stdlib writes them."""
    line = {"primary_key": 2**70, "headers": [["A", "b"]]}
    assert encode_line(line) == _stdlib(line)
    assert encode_line({"status": True}) == b'{"status":true}\n'


def test_writer_to_a_text_stream_and_to_a_file(tmp_path: Path) -> None:
    """`--out -` writes the same bytes to a text stream as to a file."""
    lines = [{"type": "request", "body": 'æøå \u2028 "q"', "due_s": 1.5}, {"type": "end", "n": [1, 2]}]
    stream = io.StringIO()
    to_stream = JsonlWriter("-", stream=stream)
    to_file = JsonlWriter(tmp_path / "out.jsonl")
    for line in lines:
        to_stream.write(line)
        to_file.write(line)
    to_stream.close()
    to_file.close()
    expected = b"".join(_stdlib(line) for line in lines)
    assert (tmp_path / "out.jsonl").read_bytes() == expected
    assert stream.getvalue().encode("utf-8") == expected


@given(
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    TEXT,
    st.integers(),
    st.lists(st.tuples(TEXT, TEXT), max_size=6),
    st.binary(max_size=64) | TEXT.map(lambda text: text.encode("utf-8")),
)
def test_a_fixture_line_is_the_request_line_the_stdlib_writes(
    intended_s: float, scenario: str, event: str, session_id: int, headers: list[tuple[str, str]], body: bytes
) -> None:
    """`sosim generate`'s lines, made without the intermediate dict, are the bytes of
    request_line + the stdlib: any offset (tiny, NaN), any text, ids beyond 64 bits, bodies that
    are not UTF-8 (stored as base64)."""
    request = Request(event, "0f1e-id", session_id, tuple(headers), body)
    line = request_line(request, **{OFFSET_KEY: intended_s}, scenario=scenario)
    assert fixture_line(request, intended_s, scenario) == _stdlib(line)
