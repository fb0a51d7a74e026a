"""Fail fast on a bad target: look up its name and open one TCP connection before a run starts.

Without this check an unresolvable or refusing target costs the whole delivery policy's retry
schedule (minutes) before the user learns that the URL is wrong.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from simulator.core.errors import SimulatorError
from simulator.core.urls import mask_url, target_port

#: The longest the check waits for the name lookup and for the connection, whatever the run's timeout says.
MAX_PREFLIGHT_S = 5.0

Resolver = Callable[[str, int], Sequence[tuple[Any, ...]]]
Connector = Callable[[tuple[Any, ...], float], None]


class PreflightError(SimulatorError):
    """The target cannot be reached: the run would only retry in vain.

    ``skippable``: the target may still be fine (a slow or refused first connection), so the check
    itself can be turned off (``RunConfig(preflight=False)``); the CLI says how.
    """

    def __init__(self, problem: str, *, value: str, skippable: bool = False) -> None:
        super().__init__(problem, option="target", value=value)
        self.skippable = skippable


def preflight(
    target: str,
    *,
    timeout_s: float = MAX_PREFLIGHT_S,
    resolve: Resolver | None = None,
    connect: Connector | None = None,
) -> None:
    """Raise :class:`PreflightError` unless ``target``'s host resolves and accepts one TCP connection.

    Only http(s) targets are checked (asgi:// runs in-process). ``resolve`` and ``connect`` replace
    the name lookup and the connection in tests.
    """
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https"):
        return
    shown = mask_url(target)
    host = parts.hostname
    if not host:
        raise PreflightError("the URL has no host name", value=shown)
    try:
        port = target_port(parts)
    except ValueError as exc:
        raise PreflightError(str(exc), value=shown) from None
    timeout = max(0.1, min(timeout_s, MAX_PREFLIGHT_S))
    try:
        addresses = _with_timeout(lambda: (resolve or _resolve)(host, port), timeout)
    except TimeoutError:
        raise PreflightError(
            f"cannot resolve {host}: no answer within {timeout:g}s", value=shown, skippable=True
        ) from None
    except OSError as exc:
        raise PreflightError(f"cannot resolve {host}: {_reason(exc)}", value=shown, skippable=True) from None
    if not addresses:
        raise PreflightError(f"cannot resolve {host}: no addresses", value=shown)
    reasons: list[str] = []
    for address in addresses:
        try:
            (connect or _connect)(address, timeout)
            return
        except TimeoutError:
            reasons.append(f"no answer within {timeout:g}s")
        except OSError as exc:
            reasons.append(_reason(exc))
    raise PreflightError(f"cannot connect to {host}:{port}: {reasons[0]}", value=shown, skippable=True)


def proxied(target: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether httpx (which honours HTTP(S)_PROXY, ALL_PROXY and NO_PROXY) would reach ``target``
    through a proxy: then the proxy resolves and connects, and this machine may not be able to."""
    import os

    env = os.environ if environ is None else environ
    lowered = {k.lower(): v for k, v in env.items() if v}
    parts = urlsplit(target)
    if not (lowered.get(f"{parts.scheme}_proxy") or lowered.get("all_proxy")):
        return False
    host = (parts.hostname or "").lower()
    for entry in (e.strip().lower() for e in lowered.get("no_proxy", "").split(",") if e.strip()):
        if entry == "*":
            return False
        entry = entry.lstrip(".").split(":")[0]
        if host == entry or host.endswith("." + entry):
            return False
    return True


def _resolve(host: str, port: int) -> Sequence[tuple[Any, ...]]:
    """The socket addresses of ``host:port`` (TCP), in the resolver's order."""
    return [info[4] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _connect(address: tuple[Any, ...], timeout: float) -> None:
    """Open and close one TCP connection to ``address``."""
    family = socket.AF_INET6 if len(address) == 4 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(address)


def _with_timeout(call: Callable[[], Sequence[tuple[Any, ...]]], timeout: float) -> Sequence[tuple[Any, ...]]:
    """Run ``call`` (a blocking name lookup, which has no timeout of its own) for at most ``timeout``."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="sosim-preflight", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError
    if "error" in box:
        raise box["error"]
    value: Sequence[tuple[Any, ...]] = box["value"]
    return value


def _reason(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return "name not found" if exc.errno in _NOT_FOUND else (exc.strerror or str(exc))
    return exc.strerror or str(exc) or type(exc).__name__


_NOT_FOUND = {getattr(socket, n) for n in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, n)}
