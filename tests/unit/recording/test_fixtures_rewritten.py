"""`sosim generate --format dir|http` over an earlier output leaves only the new output's files.

A smaller output written over a larger one left the larger one's extra files behind, so a test
globbing ``*.json`` read a mix of both. The earlier manifest says which files were sosim's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.events import Request
from simulator.recording.fixtures import Format, write_fixtures
from simulator.recording.record import header_line

HEADER = {"scenarios": ["s.yaml"], "seed": 1, "now": False}
SUFFIXES = {"dir": (".json", ".headers"), "http": (".http",)}


def requests(count: int) -> Iterator[tuple[float, str, Request]]:
    for index in range(count):
        yield index / 10, "s", Request("chatsession.message", f"e{index}", index, (("X", "1"),), b'{"a":1}')


def listed(out: Path) -> set[str]:
    """The files the manifest names, with their suffixes."""
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()[1:]
    return {json.loads(line)["file"] for line in lines}


@pytest.mark.parametrize("fmt", ["dir", "http"])
def test_a_smaller_output_over_a_larger_one_leaves_only_its_own_files(fmt: Format, tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_fixtures(requests(5), out, fmt, HEADER)
    (out / "mine.json").write_text("{}", encoding="utf-8")  # the user's, not sosim's
    assert write_fixtures(requests(2), out, fmt, HEADER) == 2
    expected = {f"{stem}{suffix}" for stem in listed(out) for suffix in SUFFIXES[fmt]}
    assert {p.name for p in out.iterdir()} == expected | {"manifest.jsonl", "mine.json"}
    assert len(expected) == 2 * len(SUFFIXES[fmt])


def test_a_manifest_that_names_a_path_outside_the_directory_deletes_nothing_there(tmp_path: Path) -> None:
    out, outside = tmp_path / "out", tmp_path / "keep.json"
    (out / "sub.json").mkdir(parents=True)  # a directory named like a body file: left alone
    outside.write_text("{}", encoding="utf-8")
    stems = ["../keep", str(outside.with_suffix("")), "", None, 7, "nul\x00", "sub"]
    lines = [json.dumps(header_line("fixtures")), *(json.dumps({"file": stem}) for stem in stems), "not json"]
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert write_fixtures(requests(1), out, "dir", HEADER) == 1
    assert outside.exists() and (out / "sub.json").is_dir()


def test_a_manifest_sosim_did_not_write_names_files_that_stay(tmp_path: Path) -> None:
    """Another tool's manifest.jsonl lists its own files: sosim's output replaces the manifest only."""
    out = tmp_path / "out"
    out.mkdir()
    lines = ['{"dataset": "chats"}', '{"file": "train"}', '{"file": "test"}']
    (out / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name in ("train.json", "test.json"):
        (out / name).write_text("[]", encoding="utf-8")
    assert write_fixtures(requests(1), out, "dir", HEADER) == 1
    assert (out / "train.json").exists() and (out / "test.json").exists()
