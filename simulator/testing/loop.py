"""The closed loop in process, for a bot's own test suite: ``converse(app, scenario)``.

The bot (an ASGI app) gets the scenario's webhooks in process; its calls to the chat API under
``base_url`` (httpx, mocked with respx) reach sosim's mock API on the same event loop; each
accepted write raises its webhooks and lets the customer go on, exactly as ``sosim run`` does
with ``flow.bot: external``. Time is real, scaled by ``speed``: the result's reply latencies are
what the bot took. ::

    result = converse(app, sosim_scenario(flow={"bot": "external"}, sessions=20), speed=50)
    assert result.unanswered == 0
    assert result.reply_p99_s < 2.0
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from simulator.core.defaults import CONCURRENCY

if TYPE_CHECKING:
    from simulator.core.conversation import ReplyTiming
    from simulator.mockapi.state import ChatState
    from simulator.report.conversation import ConversationStats
    from simulator.testing.helpers import SimScenario

__all__ = ["ConversationResult", "converse"]


@dataclass(frozen=True, slots=True)
class ConversationResult:
    """What a closed-loop run in process left: the figures and the sessions as the API shows them."""

    stats: ConversationStats
    state: ChatState
    statuses: tuple[int | None, ...]  # the answer to each webhook attempt, in completion order
    #: Each measured reply: which message it answered and how long after its webhook went out.
    timings: tuple[ReplyTiming, ...] = ()

    @property
    def unanswered(self) -> int:
        """Customer messages that got no answer within ``flow.external.reply_timeout``."""
        return self.stats.unanswered

    @property
    def replies(self) -> int:
        """Answers to a waiting customer."""
        return self.stats.replies

    @property
    def reply_p99_s(self) -> float:
        """The 99th percentile of the reply latency, in seconds (NaN with no reply)."""
        return self.stats.reply.percentile(99)

    def transcript(self, session_id: int) -> list[str]:
        """The session's messages as ``"Author: text"`` lines, in order."""
        messages = self.state.messages(session_id) or []
        return [f"{m.author}: {m.text}" for m in messages]


def converse(
    app: Any,
    scenario: SimScenario,
    *,
    base_url: str | None = None,
    path: str = "/webhook",
    speed: float = 1.0,
    concurrency: int = CONCURRENCY,
    timeout_s: float = 60.0,
) -> ConversationResult:
    """Play ``scenario``'s live sessions against the ASGI ``app`` until every one has ended.

    The scenario must hand a role to the app (``flow.bot`` or ``flow.agents: external``). The
    app's API calls must go to ``base_url`` (default: the plugin's ``https://sod.superoffice.com``)
    with httpx. The run stops after ``timeout_s`` of real time at the latest.
    """
    import httpx

    from simulator.core.conversation import is_external
    from simulator.core.plan import PlanOptions
    from simulator.delivery.clock import MonotonicClock
    from simulator.delivery.deliverer import Deliverer
    from simulator.delivery.transport import HttpxTransport
    from simulator.engine.loop import ClosedLoop
    from simulator.mockapi.http import DEFAULT_BASE_URL, respx_router
    from simulator.testing.helpers import run_blocking

    if not is_external(scenario.scenario.flow):
        raise ValueError("converse() needs a scenario with flow.bot or flow.agents: external")
    webhooks = {scenario.scenario.name: scenario.webhook}
    options = PlanOptions(seed=scenario.seed, start=datetime.now(UTC), time_scale=1.0 / speed)
    loop = ClosedLoop([scenario.scenario], webhooks, options, serve=None, speed=speed)
    statuses: list[int | None] = []
    timings: list[ReplyTiming] = []
    loop.on_reply = timings.append

    class _Statuses:
        def start(self, info: Any) -> None: ...
        def handle_attempt(self, attempt: Any) -> None:
            statuses.append(attempt.status)

        def handle_state(self, change: Any) -> None: ...
        def finish(self, result: Any) -> None: ...

    async def main() -> None:
        import asyncio

        url = "http://testserver" + (path if path.startswith("/") else "/" + path)
        inner = HttpxTransport(url, concurrency=concurrency, transport=httpx.ASGITransport(app=app))
        transport = loop.wrap(inner)
        clock = MonotonicClock()
        deliverer = Deliverer(
            transport, [_Statuses()], webhook=scenario.webhook, concurrency=concurrency, clock=clock
        )
        start = clock.now()
        await loop.start(clock, start)

        def give_up() -> None:
            deliverer.stop()
            loop.halt()

        timer = asyncio.get_running_loop().call_later(timeout_s, give_up)
        try:
            await deliverer.run(loop.feed(()), start=start)
        finally:
            timer.cancel()
            await loop.stop()
            await transport.aclose()

    with respx_router(loop.api, base_url or DEFAULT_BASE_URL), loop:
        run_blocking(main)
    return ConversationResult(loop.stats, loop.state, tuple(statuses), tuple(timings))
