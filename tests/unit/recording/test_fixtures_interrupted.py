"""An interrupted `sosim generate` never leaves a half file under the final name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.events import Request
from simulator.recording.fixtures import Format, write_fixtures
from simulator.recording.replay import ReplayOptions, replay_plan

HEADER = {"scenarios": ["s.yaml"], "seed": 1, "now": False}


def requests(count: int, *, interrupt_after: int | None = None) -> Iterator[tuple[float, str, Request]]:
    """``count`` requests; Ctrl-C (KeyboardInterrupt) after ``interrupt_after`` of them."""
    for index in range(count):
        if index == interrupt_after:
            raise KeyboardInterrupt
        yield index / 10, "s", Request("chatsession.message", f"e{index}", index, (("X", "1"),), b'{"a":1}')


def test_ctrl_c_leaves_neither_a_half_jsonl_nor_a_temporary_file(tmp_path: Path) -> None:
    """Interrupted halfway: no file under the final name, and nothing else left beside it."""
    out = tmp_path / "fixtures.jsonl"
    with pytest.raises(KeyboardInterrupt):
        write_fixtures(requests(100, interrupt_after=50), out, "jsonl", HEADER)
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_keeps_the_earlier_complete_file(tmp_path: Path) -> None:
    """A file from an earlier, complete generate stays whole when a new one is interrupted."""
    out = tmp_path / "fixtures.jsonl"
    assert write_fixtures(requests(3), out, "jsonl", HEADER) == 3
    before = out.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        write_fixtures(requests(100, interrupt_after=50), out, "jsonl", HEADER)
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["fixtures.jsonl"]
    assert len(list(replay_plan(out, ReplayOptions())[1])) == 3


@pytest.mark.parametrize("fmt", ["dir", "http"])
def test_an_interrupted_directory_has_no_manifest_so_replay_refuses_it(fmt: Format, tmp_path: Path) -> None:
    """The manifest is written last, under its final name only when complete; an earlier one is gone."""
    out = tmp_path / "out"
    write_fixtures(requests(3), out, fmt, HEADER)
    assert (out / "manifest.jsonl").exists()
    with pytest.raises(KeyboardInterrupt):
        write_fixtures(requests(100, interrupt_after=50), out, fmt, HEADER)
    assert not (out / "manifest.jsonl").exists()
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert write_fixtures(requests(4), out, fmt, HEADER) == 4
    assert len((out / "manifest.jsonl").read_text().splitlines()) == 5
