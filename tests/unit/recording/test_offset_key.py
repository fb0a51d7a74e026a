"""One name for a request's intended offset: ``intended_s`` in recordings, fixtures and fixture
manifests alike; the manifests' old ``due_s`` still reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.core.events import Request
from simulator.recording.fixtures import write_fixtures
from simulator.recording.record import OFFSET_KEY, OLD_OFFSET_KEY, read_recording
from simulator.recording.replay import open_source

HEADERS = (("Content-Type", "application/json; charset=utf-8"), ("X-SuperOffice-EventId", "id-1"))


def items() -> list[tuple[float, str, Request]]:
    return [
        (0.0, "unit", Request("chatsession.created", "id-1", 7, HEADERS, b"{}")),
        (2.5, "unit", Request("chatsession.message", "id-2", 7, HEADERS, b"{}")),
    ]


@pytest.mark.parametrize("fmt", ["jsonl", "dir", "http"])
def test_every_fixture_format_writes_intended_s(tmp_path: Path, fmt: str) -> None:
    """generate's jsonl lines and the manifests of dir and http outputs use the same key."""
    out = tmp_path / ("fixtures.jsonl" if fmt == "jsonl" else "fixtures")
    write_fixtures(items(), out, fmt, {"scenarios": ["x"]})  # type: ignore[arg-type]
    manifest = out if fmt == "jsonl" else out / "manifest.jsonl"
    lines = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()[1:]]
    assert [line[OFFSET_KEY] for line in lines] == [0.0, 2.5]
    assert all(OLD_OFFSET_KEY not in line for line in lines)
    _, requests = open_source(out)
    assert [r.offset_s for r in requests] == [0.0, 2.5]


def test_an_old_manifest_with_due_s_still_reads(tmp_path: Path) -> None:
    """A fixture directory written before the rename (``due_s``) replays with its timing."""
    out = tmp_path / "old"
    write_fixtures(items(), out, "dir", {"scenarios": ["x"]})
    manifest = out / "manifest.jsonl"
    header, *lines = manifest.read_text(encoding="utf-8").splitlines()
    old = []
    for text in lines:
        line = json.loads(text)
        line[OLD_OFFSET_KEY] = line.pop(OFFSET_KEY)
        old.append(json.dumps(line))
    manifest.write_text("\n".join([header, *old]) + "\n", encoding="utf-8")
    _, requests = read_recording(manifest)
    assert [r.offset_s for r in requests] == [0.0, 2.5]
