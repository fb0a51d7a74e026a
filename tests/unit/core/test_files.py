"""Whole-file writes: a regular file is replaced at the end; a link or a device is kept."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from simulator.core.errors import UsageError
from simulator.core.files import is_special_file, partial_path, written_whole
from simulator.report.paths import check_output


def test_a_regular_file_is_replaced_only_at_the_end(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    with written_whole(target) as partial:
        partial.write_text("new")
        assert partial == partial_path(target) and target.read_text() == "old"
    assert target.read_text() == "new"
    assert not partial.exists()


def test_a_failed_write_leaves_the_old_file_and_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), written_whole(target) as partial:
        partial.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_symlink_stays_a_link_and_its_file_gets_the_bytes(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with written_whole(link) as partial:
        partial.write_text("new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text() == "new"


def test_a_device_is_written_in_place_never_replaced() -> None:
    """``--report /dev/null`` used to rename a regular file over /dev/null (as root)."""
    assert is_special_file("/dev/null")
    with written_whole("/dev/null") as target:
        assert target == Path("/dev/null")
        target.write_bytes(b"dropped")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_a_fifo_is_special_and_a_missing_file_is_not(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert is_special_file(fifo)
    assert not is_special_file(tmp_path / "missing.json")
    assert not is_special_file(tmp_path)


def test_check_output_takes_a_device_and_refuses_a_place_that_takes_no_file() -> None:
    check_output("/dev/null", "report")  # writable, though /dev itself may not be
    with pytest.raises(UsageError, match=r"cannot create a file in /proc"):
        check_output("/proc/sosim-report.json", "report")
