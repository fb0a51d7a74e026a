"""Servers the e2e tests share: an ASGI app under uvicorn on 127.0.0.1, and a free port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def uvicorn_url() -> Iterator[Callable[[Any], str]]:
    """Start an app under uvicorn on a free 127.0.0.1 port; return its base URL."""
    import uvicorn

    servers: list[tuple[uvicorn.Server, threading.Thread, socket.socket]] = []

    def start(app: Any) -> str:
        # The socket listens before uvicorn starts: connections queue until it serves, no waiting.
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", backlog=1024))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        servers.append((server, thread, sock))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, thread, sock in servers:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A port nothing listens on right now, for --serve-api (which needs a fixed one)."""

    def pick() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        return port

    return pick
