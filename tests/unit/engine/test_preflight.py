"""The preflight check: name lookup and one TCP connection, with the resolver and connector injected."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from simulator.engine.preflight import PreflightError, preflight


def _no_such_name(host: str, port: int) -> list[tuple[Any, ...]]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _refused(address: tuple[Any, ...], timeout: float) -> None:
    raise ConnectionRefusedError(111, "Connection refused")


def test_an_unresolvable_name_names_the_target_and_the_reason() -> None:
    """NXDOMAIN is one line naming the target and the host, before any connection is tried."""
    tried: list[Any] = []
    with pytest.raises(PreflightError) as caught:
        preflight(
            "http://nosuchhost.invalid:8000/webhook",
            resolve=_no_such_name,
            connect=lambda address, timeout: tried.append(address),
        )
    message = str(caught.value)
    target = "target http://nosuchhost.invalid:8000/webhook"  # the config field; the CLI says --target
    assert message.startswith(f"{target}: cannot resolve nosuchhost.invalid")
    assert caught.value.option == "target" and caught.value.skippable
    assert "name not found" in message and "\n" not in message
    assert tried == []


def test_a_refused_connection_names_host_port_and_reason() -> None:
    with pytest.raises(PreflightError, match=r"cannot connect to example\.test:8443: Connection refused"):
        preflight(
            "https://example.test:8443/hook",
            resolve=lambda host, port: [("192.0.2.1", port)],
            connect=_refused,
        )


def test_the_default_port_follows_the_scheme_and_the_timeout_is_capped() -> None:
    """https without a port connects to 443, and a 30 s --timeout waits at most 5 s."""
    seen: list[tuple[Any, float]] = []
    preflight(
        "https://example.test/hook",
        timeout_s=30,
        resolve=lambda host, port: [(host, port)],
        connect=lambda address, timeout: seen.append((address, timeout)),
    )
    assert seen == [(("example.test", 443), 5.0)]


def test_the_next_address_is_tried_when_the_first_refuses() -> None:
    """A name with IPv6 and IPv4 addresses passes when one of them accepts."""
    calls: list[Any] = []

    def connect(address: tuple[Any, ...], timeout: float) -> None:
        calls.append(address)
        if address[0] == "::1":
            raise ConnectionRefusedError(111, "Connection refused")

    preflight(
        "http://localhost:9/x",
        resolve=lambda host, port: [("::1", port, 0, 0), ("127.0.0.1", port)],
        connect=connect,
    )
    assert calls == [("::1", 9, 0, 0), ("127.0.0.1", 9)]


@pytest.mark.parametrize("target", ["asgi://tests.app:app/webhook", "file:///tmp/x"])
def test_non_http_targets_are_not_checked(target: str) -> None:
    preflight(target, resolve=_no_such_name, connect=_refused)


def test_a_proxy_for_the_scheme_means_the_proxy_resolves() -> None:
    """httpx reaches an https target through HTTPS_PROXY unless NO_PROXY lists its host."""
    from simulator.engine.preflight import proxied

    assert proxied("https://hooks.example.com/x", {"HTTPS_PROXY": "http://proxy:3128"})
    assert proxied("https://hooks.example.com/x", {"all_proxy": "http://proxy:3128"})
    assert not proxied("https://hooks.example.com/x", {"HTTP_PROXY": "http://proxy:3128"})
    bypassed = {"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".example.com"}
    assert not proxied("https://hooks.example.com/x", bypassed)
    assert not proxied("https://hooks.example.com/x", {})
