"""The locustfile shipped with sosim: ``locust -f "$(sosim locustfile)" --scenario FILE ...``.

Locust imports this file after it has patched gevent. It installs sosim's options, run set-up and
report on Locust's events, and offers one user class, ``SosimUser``, that plays whole chat
sessions from the scenario. To add your own users or listeners, write a locustfile that does the
same two imports and the ``install`` call.
"""

from __future__ import annotations

from locust import events

from simulator.locust.plugin import install
from simulator.locust.user import SosimUser

__all__ = ["SosimUser"]

install(events)
