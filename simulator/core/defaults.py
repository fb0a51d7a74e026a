"""The defaults of sosim's settings, each defined once: the config classes and the CLI's options
(``--concurrency``, ``--timeout`` ...) both read them from here."""

from __future__ import annotations

from typing import Final

__all__ = [
    "API_PORT",
    "CONCURRENCY",
    "DRAIN_TIMEOUT_S",
    "ID_WINDOW",
    "LOOPBACK",
    "PING_TIMEOUT_S",
    "RECEIVE_PORT",
    "TIMEOUT_S",
    "WAIT_FOR_WEBHOOKS",
    "WAIT_TIMEOUT_S",
]

#: Requests in flight at once (per webhook in the tenant).
CONCURRENCY: Final = 64
#: Seconds one request may take before it counts as a timeout.
TIMEOUT_S: Final = 10.0
#: Seconds the tenant's registration ping (the test event) may take.
PING_TIMEOUT_S: Final = 10.0
#: Seconds the tenant waits for apps to register their webhooks.
WAIT_TIMEOUT_S: Final = 600.0
#: Seconds the tenant's webhooks may take, after the last event, to send what they still hold.
DRAIN_TIMEOUT_S: Final = 60.0
#: Webhooks the tenant waits for before it plays.
WAIT_FOR_WEBHOOKS: Final = 1
#: Where sosim's servers listen unless told otherwise: this machine only.
LOOPBACK: Final = "127.0.0.1"
#: The mock SuperOffice API's port (``sosim api``, ``sosim tenant``, a closed loop's API).
API_PORT: Final = 8765
#: ``sosim receive``'s port.
RECEIVE_PORT: Final = 8000
#: EventIds (and chat sessions) the receiver remembers to spot retries and reused ids.
ID_WINDOW: Final = 1_000_000
