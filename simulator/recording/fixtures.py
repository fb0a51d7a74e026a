"""Fixture files: every request exactly as it would be sent, in three layouts.

- ``jsonl``: the recording format (one header line, then one request per line), so
  ``sosim replay`` reads fixtures as it reads recordings.
- ``dir``: one ``.json`` body file per request with its headers beside it (``.headers``).
- ``http``: one raw HTTP/1.1 request file per request, as the SuperOffice docs print them.

Output is byte-identical for the same inputs: nothing here reads the clock. A jsonl file and a
directory's ``manifest.jsonl`` are written under a temporary name and renamed at the end, so an
interrupted ``sosim generate`` (Ctrl-C) never leaves a half file under the final name.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from simulator.core.errors import UsageError
from simulator.core.events import Request
from simulator.core.files import written_whole
from simulator.recording.record import (
    FORMAT,
    OFFSET_KEY,
    JsonlWriter,
    fixture_line,
    header_line,
    request_line,
)

Format = Literal["dir", "jsonl", "http"]
FORMATS: tuple[Format, ...] = ("dir", "jsonl", "http")
#: Lines joined into one write: a Python call per 256 lines rather than per line.
_BATCH_LINES = 256


def http_bytes(request: Request, path: str = "/webhook", host: str = "localhost") -> bytes:
    """Render a request as a raw HTTP/1.1 message (request line, headers, blank line, body)."""
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + request.body


def _stem(index: int, request: Request) -> str:
    return f"{index:06d}-{request.session_id}-{request.event}"


def write_fixtures(
    requests: Iterable[tuple[float, str, Request]],
    out: str | Path,
    fmt: Format,
    header: dict[str, Any],
    *,
    http_path: str = "/webhook",
) -> int:
    """Write ``(due_s, scenario, request)`` items to ``out`` in ``fmt``; return how many."""
    target = Path(out)
    if fmt == "jsonl":
        return _write_jsonl(requests, target, header)
    if target.exists() and not target.is_dir():
        raise UsageError(
            f"exists and is not a directory (format {fmt} writes a directory)",
            option="out",
            value=str(target),
        )
    target.mkdir(parents=True, exist_ok=True)
    _remove_earlier_output(target)
    count = 0
    with (
        written_whole(target / "manifest.jsonl") as partial,
        partial.open("w", encoding="utf-8", newline="\n") as manifest,
    ):
        manifest.write(json.dumps(header_line("fixtures", **header), ensure_ascii=False) + "\n")
        for count, (due_s, scenario, request) in enumerate(requests, start=1):
            stem = _stem(count, request)
            if fmt == "dir":
                (target / f"{stem}.json").write_bytes(request.body)
                head = "".join(f"{name}: {value}\n" for name, value in request.headers)
                (target / f"{stem}.headers").write_text(head, encoding="utf-8", newline="\n")
            else:
                (target / f"{stem}.http").write_bytes(http_bytes(request, http_path))
            entry = {"file": stem, OFFSET_KEY: round(due_s, 6), "scenario": scenario}
            manifest.write(json.dumps(request_line(request, **entry), ensure_ascii=False) + "\n")
    return count


def _remove_earlier_output(target: Path) -> None:
    """Delete the files an earlier output's manifest lists, then the manifest. A smaller output
    written over a larger one left the rest behind, for a test that globs ``*.json`` to read;
    and a stale manifest would describe files this output overwrites. Only the names that
    manifest lists go, and only in this directory: the user's own files stay."""
    manifest = target / "manifest.jsonl"
    try:
        header, *lines = manifest.read_text(encoding="utf-8").splitlines() or [""]
        ours = json.loads(header)
    except (OSError, UnicodeDecodeError, ValueError):
        ours = None
    if not isinstance(ours, dict) or (ours.get("format"), ours.get("kind")) != (FORMAT, "fixtures"):
        lines = []  # not a manifest sosim wrote: its names are somebody else's files
    for line in lines:
        try:
            stem = json.loads(line).get("file")
        except (ValueError, AttributeError):
            continue
        if not isinstance(stem, str) or not stem or Path(stem).name != stem:  # no path out of it
            continue
        for suffix in (".json", ".headers", ".http"):
            with contextlib.suppress(OSError, ValueError):  # a directory of that name, a NUL
                (target / f"{stem}{suffix}").unlink(missing_ok=True)
    manifest.unlink(missing_ok=True)


def _write_jsonl(requests: Iterable[tuple[float, str, Request]], target: Path, header: dict[str, Any]) -> int:
    if str(target) == "-":
        if sys.stdout is None:  # started with stdout closed (``>&-``): never a file named "-"
            raise UsageError("stdout is closed: give a file to write to", option="out", value="-")
        return _write_lines(requests, JsonlWriter(target, flush_each=False, stream=sys.stdout), header)
    if target.is_dir():
        raise UsageError("is a directory; format jsonl writes one file", option="out", value=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    with written_whole(target) as partial:
        return _write_lines(requests, JsonlWriter(partial, flush_each=False), header)


def _write_lines(
    requests: Iterable[tuple[float, str, Request]], writer: JsonlWriter, header: dict[str, Any]
) -> int:
    count = 0
    batch: list[bytes] = []
    try:
        writer.write(header_line("fixtures", **header))
        add = batch.append
        for due_s, scenario, request in requests:
            add(fixture_line(request, round(due_s, 6), scenario))
            if len(batch) == _BATCH_LINES:
                writer.write_encoded(b"".join(batch))
                count += _BATCH_LINES
                batch.clear()
    finally:
        # Also on an interruption: every line made so far is written, as it was line by line.
        if batch:
            writer.write_encoded(b"".join(batch))
            count += len(batch)
        writer.close()
    return count
