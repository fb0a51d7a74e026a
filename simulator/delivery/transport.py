"""Delivery transports: one interface, two engines.

Like httpx's ``AsyncBaseTransport``, every transport turns (headers, body) into a
:class:`~simulator.core.outcome.Response` or raises :class:`TransportError`, so the delivery engine
never knows which one it drives:

* :class:`HttpxTransport` is the general client: http, https, HTTP/2 when ``h2`` is installed,
  proxies from the environment, and ASGI apps in process.
* :class:`LeanTransport` is the load engine: asyncio (uvloop when installed), HTTP/1.1 keep-alive
  and the httptools response parser, tens of thousands of requests per second on one core.

Each engine lives in a module of its own (:mod:`simulator.delivery.httpx_engine`,
:mod:`simulator.delivery.lean`) and is loaded on first use.

:func:`open_transport` picks one from a target URL.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import quote, urlsplit

from simulator.core.defaults import CONCURRENCY, TIMEOUT_S
from simulator.core.errors import UsageError
from simulator.core.outcome import ErrorKind, Response
from simulator.core.urls import mask_url, target_port
from simulator.delivery.exchange import Headers as Headers  # re-exported: the transports' header type

if TYPE_CHECKING:
    from simulator.delivery.httpx_engine import HttpxTransport
    from simulator.delivery.lean import LeanTransport

__all__ = [
    "RESPONSE_BODY_LIMIT",
    "RESPONSE_HEAD_LIMIT",
    "RESPONSE_HEAD_LINES_LIMIT",
    "AsyncTransport",
    "Engine",
    "HttpxTransport",
    "LeanTransport",
    "TransportError",
    "check_target_form",
    "install_uvloop",
    "open_transport",
]

Engine = Literal["auto", "httpx", "lean"]

#: Bytes of a response body kept in ``Response.body``; the rest is read and dropped.
RESPONSE_BODY_LIMIT = 4096
#: The most bytes and lines a response's status line and headers may take (interim 1xx answers
#: included): a server that sends headers without end fails the attempt instead of filling memory.
RESPONSE_HEAD_LIMIT = 64 * 1024
RESPONSE_HEAD_LINES_LIMIT = 200

_ENGINES: tuple[Engine, ...] = ("auto", "httpx", "lean")
_ALLOWED_TARGETS = "http://host[:port]/path, https://host[:port]/path or asgi://package.module:app/path"
# Everything RFC 3986 allows in a path and query stays as given; only the rest is escaped.
_PATH_SAFE = "!#$%&'()*+,/:;=?@[]~"


class TransportError(Exception):
    """A failed attempt that got no HTTP answer."""

    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(kind, detail)
        self.kind: ErrorKind = kind
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


class AsyncTransport(Protocol):
    """What the delivery engine drives: POST exact headers and body to one target URL."""

    target: str

    async def send(self, headers: Headers, body: bytes) -> Response:
        """POST ``body`` with exactly ``headers`` (plus Host and Content-Length) to the target.

        Header names and values go on the wire as UTF-8. The timeout covers connect, send and
        the full response. Raises :class:`TransportError` on timeout, refused or reset
        connections and unparsable responses.
        """
        ...

    async def aclose(self) -> None:
        """Close every connection; the transport cannot send afterwards."""
        ...


def __getattr__(name: str) -> type[LeanTransport] | type[HttpxTransport]:
    """Load an engine on first use of ``LeanTransport`` or ``HttpxTransport`` (each imports this
    module): a run loads only the one it drives."""
    if name == "LeanTransport":
        from simulator.delivery.lean import LeanTransport

        return LeanTransport
    if name == "HttpxTransport":
        from simulator.delivery.httpx_engine import HttpxTransport

        return HttpxTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install_uvloop() -> bool:
    """Use uvloop's event loop policy when uvloop is importable; return whether it did.

    Call before ``asyncio.run``.
    """
    from simulator.delivery.eventloop import uvloop_policy

    policy = uvloop_policy()
    if policy is None:
        return False
    asyncio.set_event_loop_policy(policy)
    return True


def open_transport(
    target: str,
    *,
    engine: Engine = "auto",
    timeout: float = TIMEOUT_S,
    concurrency: int = CONCURRENCY,
    verify: bool = True,
) -> AsyncTransport:
    """Open the transport for ``target``: ``http://``, ``https://`` or ``asgi://module:app/path``.

    ``auto`` picks :class:`LeanTransport` for plain http:// and :class:`HttpxTransport` for
    everything else. ``asgi://package.module:app/path`` imports that ASGI app and calls it in
    process. Raises :class:`~simulator.core.errors.UsageError` for anything else.
    """
    if engine not in _ENGINES:
        raise UsageError(f"unknown delivery engine {engine!r}: use auto, httpx or lean")
    scheme = _scheme(target)
    if scheme == "asgi":
        if engine == "lean":
            raise UsageError(
                f"the lean engine cannot call an ASGI app ({target!r}): use engine auto or httpx"
            )
        from simulator.delivery.httpx_engine import HttpxTransport

        app = _load_asgi_app(target)
        return HttpxTransport(target, timeout=timeout, concurrency=concurrency, app=app, verify=verify)
    if engine == "lean" or (engine == "auto" and scheme == "http"):
        from simulator.delivery.lean import LeanTransport

        return LeanTransport(target, timeout=timeout, concurrency=concurrency, verify=verify)
    from simulator.delivery.httpx_engine import HttpxTransport

    return HttpxTransport(target, timeout=timeout, concurrency=concurrency, verify=verify)


def describe_os_error(exc: OSError) -> str:
    """An OS error's own words (``Connection refused``), without the errno and address around them."""
    if isinstance(exc, socket.gaierror) or not exc.errno:
        return exc.strerror or str(exc) or type(exc).__name__
    return os.strerror(exc.errno)


# --- targets ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _HttpTarget:
    """An http(s) URL split into what a connection needs."""

    scheme: str
    host: str
    port: int
    authority: str  # the Host header: host[:port] as the URL spells it
    path: str  # request target: path and query, percent-escaped where needed


def _scheme(target: str) -> str:
    scheme, sep, _ = target.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https", "asgi"):
        raise UsageError(f"unsupported target {mask_url(target)!r}: use {_ALLOWED_TARGETS}")
    return scheme


def parse_http_target(target: str) -> _HttpTarget:
    if _scheme(target) == "asgi":
        raise UsageError(f"{mask_url(target)!r} is an ASGI app, not a network address: use open_transport")
    parts = urlsplit(target)
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"invalid port in target {mask_url(target)!r}: use {_ALLOWED_TARGETS}") from None
    if not parts.hostname:
        raise UsageError(f"no host in target {mask_url(target)!r}: use {_ALLOWED_TARGETS}")
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    authority = parts.netloc.rpartition("@")[2]
    if not authority.isascii():
        authority = parts.hostname.encode("idna").decode("ascii") + (f":{port}" if port is not None else "")
    return _HttpTarget(
        scheme=scheme,
        host=parts.hostname,
        port=target_port(parts),
        authority=authority,
        path=quote(path, safe=_PATH_SAFE),
    )


def _split_asgi_target(target: str) -> tuple[str, str, str]:
    """Split ``asgi://package.module:attr/path`` into (module, attr, path)."""
    spec, slash, path = target.partition("://")[2].partition("/")
    module, colon, attr = spec.partition(":")
    if not (module and colon and attr):
        raise UsageError(f"invalid ASGI target {target!r}: use asgi://package.module:app/path")
    return module, attr, slash + path or "/"


def check_target_form(target: str) -> None:
    """Raise UsageError unless ``target`` is an http(s):// URL or an asgi:// reference to an app
    that loads (its module is imported here, as the run would import it moments later)."""
    try:
        _target_path(target)
    except ValueError as exc:  # urlsplit's own refusal (an unclosed IPv6 bracket); not quoted back
        raise UsageError(f"the target is not a valid URL ({exc}): use {_ALLOWED_TARGETS}") from None
    if _scheme(target) == "asgi":
        _load_asgi_app(target)


def _target_path(target: str) -> str:
    """The path and query an in-process app sees for ``target`` (asgi:// or http(s)://)."""
    if _scheme(target) == "asgi":
        return _split_asgi_target(target)[2]
    return parse_http_target(target).path


def _load_asgi_app(target: str) -> object:
    module_name, attr, _ = _split_asgi_target(target)
    # Like uvicorn's default --app-dir, so `asgi://myreceiver:app` finds ./myreceiver.py when
    # sosim runs as a console script (whose sys.path does not hold the working directory).
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    try:
        obj: object = importlib.import_module(module_name)
    except Exception as exc:  # any failure while importing the user's module is a usage problem
        raise UsageError(
            f"cannot load ASGI app from {target!r}: importing {module_name!r} failed "
            f"({type(exc).__name__}: {exc})"
        ) from None
    for name in attr.split("."):
        try:
            obj = getattr(obj, name)
        except AttributeError:
            raise UsageError(f"cannot load ASGI app from {target!r}: {module_name} has no {attr!r}") from None
    if not callable(obj):
        raise UsageError(f"cannot load ASGI app from {target!r}: {module_name}:{attr} is not callable")
    return obj


def check_limits(timeout: float, concurrency: int) -> None:
    if timeout <= 0:
        raise UsageError(f"timeout must be positive, got {timeout!r}")
    if concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, got {concurrency!r}")
