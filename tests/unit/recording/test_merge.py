"""One recording from the workers' parts: by send time, each part's order kept, torn lines dropped."""

from __future__ import annotations

import json
from pathlib import Path

from simulator.recording.merge import merge_recordings, part_path


def _part(path: Path, *lines: dict[str, object], torn: bytes = b"") -> Path:
    header = {"format": "sosim-recording", "version": 1, "kind": "run", "worker": path.name}
    text = "".join(json.dumps(line) + "\n" for line in (header, *lines))
    path.write_bytes(text.encode() + torn)
    return path


def _attempt(sent_s: float, event_id: str) -> dict[str, object]:
    return {"type": "attempt", "sent_s": sent_s, "event_id": event_id}


def test_parts_interleave_by_send_time_and_keep_their_own_order(tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    first = _part(
        part_path(out, 0),
        _attempt(0.1, "a1"),
        _attempt(0.05, "a2"),  # answered later than a1: a part is in the order it was written
        {"type": "end", "elapsed_s": 1.0},
        torn=b'{"type":"attempt","sent',
    )
    second = _part(part_path(out, 1), _attempt(0.07, "b1"), {"type": "state", "at_s": 0.2, "state": "X"})
    assert first.name == "run.jsonl.part0"
    header = {"format": "sosim-recording", "version": 1, "kind": "run", "merged": True}
    copied = merge_recordings([first, second, part_path(out, 2)], out, header, {"type": "end", "planned": 3})
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert copied == 4
    assert lines[0] == header and lines[-1] == {"type": "end", "planned": 3}
    assert [line.get("event_id", line.get("state")) for line in lines[1:-1]] == ["b1", "a1", "a2", "X"]


def test_a_killed_run_gets_no_end_line(tmp_path: Path) -> None:
    out = tmp_path / "run.jsonl"
    merge_recordings([_part(part_path(out, 0), _attempt(0.1, "a"))], out, {"format": "sosim-recording"}, None)
    assert [json.loads(line).get("type") for line in out.read_text().splitlines()] == [None, "attempt"]
