"""``sosim receive`` as a library: serve the verifying receiver, capture what arrives, tally it."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator import __version__
from simulator.core.checker import Tally
from simulator.core.errors import UsageError
from simulator.delivery.signals import STOP_SIGNALS, handlers_set
from simulator.delivery.transport import describe_os_error
from simulator.recording.record import OFFSET_KEY, JsonlWriter, encode_body, header_line
from simulator.report.paths import check_output
from simulator.servers.receiver import (
    ReceivedRequest,
    Receiver,
    ReceiverConfig,
    Verdict,
)


@dataclass(frozen=True, slots=True)
class ReceiveConfig:
    """The receiver's settings plus what the command adds: capture, a request limit, quiet."""

    receiver: ReceiverConfig
    record: str | None = None
    max_requests: int | None = None
    quiet: bool = False


class Capture:
    """Writes every arriving request in the recording format, bodies byte for byte."""

    def __init__(self, path: str, target: str) -> None:
        self._writer = JsonlWriter(path)
        self._first: float | None = None
        started = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        self._writer.write(
            header_line("capture", target=target, started_at=started, sosim_version=__version__)
        )

    def __call__(self, request: ReceivedRequest, verdict: Verdict) -> None:
        """Record one request with its offset from the first one."""
        if self._first is None:
            self._first = request.received_at
        self._writer.write(
            {
                "type": "request",
                OFFSET_KEY: round(request.received_at - self._first, 6),
                "event": verdict.event or request.header("X-SuperOffice-Event") or "",
                "event_id": verdict.event_id or "",
                "primary_key": verdict.session_id or 0,
                "path": request.path,
                "status": request.status,
                "problems": list(verdict.problems),
                "headers": [list(pair) for pair in request.headers],
                **encode_body(request.body),
            }
        )

    def close(self) -> None:
        """Close the capture file."""
        self._writer.close()


class _StopSignals:
    """Ctrl-C and SIGTERM for the whole of :func:`receive`: noted by Python handlers before and
    after the loop runs, and through the loop's own handlers while it does. The loop's handlers
    wake it whichever thread the kernel hands a signal to (a Python handler runs only when the
    main thread wakes: idle in epoll, it might not); on stopping they are taken off again before
    the loop closes, so asyncio neither puts Python's default Ctrl-C back (a second Ctrl-C raised
    KeyboardInterrupt) nor races its closing self-pipe ("signal wakeup fd: Bad file descriptor")."""

    def __init__(self) -> None:
        self.noted = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def note(self, _number: int = 0, _frame: object = None) -> None:
        self.noted = True
        if self._stop is not None:
            self._stop.set()

    def attach(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        """Set ``stop`` on the next signal (at once if one came already)."""
        self._loop, self._stop = loop, stop
        for number in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, self.note)
        if self.noted:
            stop.set()

    def detach(self) -> None:
        """Signals from now on are only noted (the loop is about to close)."""
        loop, self._loop, self._stop = self._loop, None, None
        if loop is None:
            return
        for number in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(number)  # puts the default back: ours again at once
                signal.signal(number, self.note)


def receive(config: ReceiveConfig, *, console: Any) -> Tally:
    """Serve until Ctrl-C, SIGTERM or the request limit (the live tally on ``console`` unless
    quiet); return what the receiver found. The caller's signal handlers are back afterwards."""
    signals = _StopSignals()
    with handlers_set(dict.fromkeys(STOP_SIGNALS, signals.note)):
        receiver = asyncio.run(_serve(config, console, signals))
    return receiver.checker.tally


async def _serve(config: ReceiveConfig, console: Any, signals: _StopSignals) -> Receiver:
    stop = asyncio.Event()
    count = 0
    capture: Capture | None = None

    def on_request(request: ReceivedRequest, verdict: Verdict) -> None:
        nonlocal count
        count += 1
        if capture is not None:
            capture(request, verdict)
        if config.max_requests is not None and count >= config.max_requests:
            stop.set()

    if config.record:
        check_output(config.record, "record")  # before listening: a bad path is a usage error
    # Ctrl-C and SIGTERM stop the receiver from before it listens (a client that waits for the
    # port may send one at once), and only once: later ones are noted while it stops.
    signals.attach(asyncio.get_running_loop(), stop)
    receiver = Receiver(config.receiver, on_request=on_request)
    try:
        await receiver.start()
    except OSError as error:  # a port in use, a host that is not this machine's
        signals.detach()
        where = f"{config.receiver.host}:{config.receiver.port}"
        # asyncio's bind error repeats the address; the errno's own words say what went wrong
        raise UsageError(f"cannot listen on {where}: {describe_os_error(error)}") from None
    if config.record:
        capture = Capture(config.record, receiver.url)
    if not config.quiet:
        console.print(f"sosim receive: listening on {receiver.url} (Ctrl-C to stop)")
    try:
        await _wait(stop, receiver, console, config.quiet)
    finally:
        signals.detach()  # stopping: a further Ctrl-C changes nothing, and the closing loop must not hear it
        await receiver.stop()
        if capture is not None:
            capture.close()
    return receiver


async def _wait(stop: asyncio.Event, receiver: Receiver, console: Any, quiet: bool) -> None:
    if quiet or not console.is_terminal:
        await stop.wait()
        return
    from rich.live import Live

    started = time.perf_counter()

    def line() -> str:
        tally = receiver.checker.tally
        return (
            f"received {tally.received:,}  accepted [green]{tally.accepted:,}[/]  "
            f"failed [red]{tally.failed:,}[/]  duplicates {tally.duplicates:,}  "
            f"sessions {tally.sessions:,}  {time.perf_counter() - started:.0f}s"
        )

    with Live(line(), console=console, refresh_per_second=4, transient=True) as live:
        while not stop.is_set():
            live.update(line())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.25)
