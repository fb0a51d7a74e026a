"""sosim's pytest plugin: scenarios, in-process delivery and the mock SuperOffice API as fixtures.

Registered through the ``pytest11`` entry point (name ``sosim``), so installing sosim is enough:

* ``sosim_scenario(source=None, *, overrides=None, seed=None, secret=None, sessions=None)``
  builds a :class:`~simulator.testing.helpers.SimScenario` from inline YAML or a file path.
  Deterministic by default (the scenario's seed and start).
* ``sosim_deliver(target, what, *, path="/webhook", kind=None, policy="once", timeout_s=10)``
  delivers a scenario (or requests) to an ASGI app, a WSGI app (in process, no network) or a
  URL and returns a :class:`~simulator.testing.helpers.DeliveryResult`: statuses, delivered
  EventIds, latencies.
* ``sosim_api`` is the mock SuperOffice chat REST API as a started respx router, serving the
  state ``sosim_deliver`` announces: each event becomes visible right before its webhook is
  sent, so a receiver's callbacks work in the same test.
* :func:`assert_signed` (re-exported) asserts a valid ``X-SuperOffice-Signature``.

Nothing heavy is imported until a fixture is used: pytest loads this module in every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from simulator.superoffice import facts as so
from simulator.testing.helpers import (
    DeliveryResult,
    Outcome,
    SimScenario,
    assert_signed,
    build_scenario,
    deliver,
)
from simulator.testing.loop import ConversationResult, converse

if TYPE_CHECKING:
    import respx

    from simulator.core.scenario_model import Scenario
    from simulator.mockapi.server import ApiServerThread
    from simulator.mockapi.state import ApiCall, ChatState, MockApi

__all__ = [
    "ConversationResult",
    "DeliveryResult",
    "Outcome",
    "SimScenario",
    "SosimApi",
    "assert_signed",
    "build_scenario",
    "converse",
    "deliver",
]

#: The token ``sosim_api.headers`` sends; the mock accepts any non-empty token by default.
DEFAULT_TOKEN = "sosim-test-token"


# --- the mock API in a test ----------------------------------------------------------------------


class SosimApi:
    """The mock SuperOffice chat API of one test, answering for ``base_url`` through respx."""

    def __init__(self, api: MockApi, base_url: str, router: respx.MockRouter) -> None:
        """Wrap ``api``; ``router`` is started by the fixture."""
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.router = router
        self.token = DEFAULT_TOKEN

    @property
    def state(self) -> ChatState:
        """The sessions and messages the API serves."""
        return self.api.state

    @property
    def calls(self) -> list[ApiCall]:
        """The requests the API answered (in process or over HTTP), oldest first."""
        return self.api.calls

    @property
    def headers(self) -> dict[str, str]:
        """Request headers that pass the API's authorization check."""
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def url(self, context_identifier: str = so.DEFAULT_CONTEXT_IDENTIFIER) -> str:
        """A tenant's API root: ``{base_url}/{context_identifier}/api/v1``."""
        return f"{self.base_url}/{context_identifier}/api/v1"

    def load(self, scenario: SimScenario) -> None:
        """Make every session of ``scenario`` visible in its final state (without delivering)."""
        self.state.add_scenario(scenario.scenario, seed=scenario.seed)
        self.state.add_plans(scenario.plans)

    def serve_http(self, host: str = "127.0.0.1", port: int = 0) -> ApiServerThread:
        """The same API over real HTTP: ``with sosim_api.serve_http() as server: server.url``."""
        from simulator.mockapi.server import ApiServerThread

        return ApiServerThread(self.api, host, port)


@pytest.fixture
def sosim_scenario() -> Callable[..., SimScenario]:
    """Factory: ``sosim_scenario(yaml_or_path=None, *, overrides, seed, secret, sessions)``."""
    return build_scenario


@pytest.fixture
def _sosim_mock_api() -> MockApi:
    """The one mock API state of a test, shared by ``sosim_deliver`` and ``sosim_api``."""
    from simulator.mockapi.state import MockApi

    return MockApi()


@pytest.fixture
def sosim_deliver(_sosim_mock_api: MockApi) -> Callable[..., DeliveryResult]:
    """Factory: ``sosim_deliver(app_or_url, scenario_or_requests, *, path, kind, policy, timeout_s)``."""

    def deliver_here(
        target: str | Callable[..., Any], what: SimScenario | Scenario | Iterable[Any], **options: Any
    ) -> DeliveryResult:
        return deliver(target, what, api=_sosim_mock_api, **options)

    return deliver_here


@pytest.fixture
def sosim_api(_sosim_mock_api: MockApi) -> Iterator[SosimApi]:
    """The mock SuperOffice API at ``https://sod.superoffice.com``, mocked with respx for the test."""
    try:
        import respx  # noqa: F401  (only to fail with a clear message)
    except ImportError:  # pragma: no cover - respx is in sosim's [test] extra
        pytest.fail("the sosim_api fixture needs respx: pip install respx", pytrace=False)
    from simulator.mockapi.http import DEFAULT_BASE_URL, respx_router

    router = respx_router(_sosim_mock_api, DEFAULT_BASE_URL)
    with router:
        yield SosimApi(_sosim_mock_api, DEFAULT_BASE_URL, router)


@pytest.fixture
def sosim_converse() -> Callable[..., ConversationResult]:
    """The closed loop in process: ``sosim_converse(app, scenario, speed=..)`` plays the scenario's
    customers against your bot (``flow.bot: external``) and returns the conversation figures."""
    return converse
