"""One recording from the parts the workers of ``sosim run --processes N`` wrote.

Each worker records its share of the sessions to a part of its own (flushed line by line, so a
crash or Ctrl-C loses nothing already sent); at the end the parent writes the one recording the
user asked for: a header for the whole run, every part's attempt and state lines interleaved by
send time, then one end line. Lines are copied byte for byte. A part's own order is kept, and a
session lives in one part, so each session's requests keep their order.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from simulator.recording.record import encode_line

__all__ = ["merge_recordings", "part_path"]

_BUFFER = 1 << 20


def part_path(record: str | Path, index: int) -> Path:
    """Where worker ``index`` records its share of ``record``: ``run.jsonl.part0`` ..."""
    path = Path(record)
    return path.with_name(f"{path.name}.part{index}")


def merge_recordings(
    parts: Sequence[Path], out: str | Path, header: Mapping[str, Any], end: Mapping[str, Any] | None
) -> int:
    """Write ``out``: ``header``, the parts' attempt and state lines by send time, then ``end``
    (None: no end line, as a killed run leaves it). Missing parts are skipped; returns the lines
    copied from the parts."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    copied = 0
    with path.open("wb", buffering=_BUFFER) as sink:
        sink.write(encode_line(dict(header)))
        for _sent_s, line in heapq.merge(*(_lines(p) for p in parts if p.exists()), key=itemgetter(0)):
            sink.write(line)
            copied += 1
        if end is not None:
            sink.write(encode_line(dict(end)))
    return copied


def _lines(part: Path) -> Iterator[tuple[float, bytes]]:
    """A part's attempt and state lines with their send time; the header, the end line and a torn
    last line (a worker killed mid-write) are left out."""
    with part.open("rb", buffering=_BUFFER) as handle:
        handle.readline()  # the worker's header: the merged recording has the run's
        for data in handle:
            if not data.endswith(b"\n"):
                return  # torn: the worker died while writing it
            try:
                line = orjson.loads(data)
            except orjson.JSONDecodeError:
                continue
            kind = line.get("type") if isinstance(line, dict) else None
            if kind == "attempt":
                yield float(line["sent_s"]), data
            elif kind == "state":
                yield float(line["at_s"]), data
