"""The closed loop in process: a bot's own test suite plays sosim's customers against it."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from simulator.mockapi.http import DEFAULT_BASE_URL
from simulator.testing.plugin import ConversationResult, SimScenario

SECRET = "plugin-secret"
FLOW = {
    "flow.bot": "external",
    "flow.external": {"reply_timeout": 2, "on_timeout": "abandon"},
    "flow.chatbot": {"turns": 2, "customer_delay": {"fixed": 0.5}, "handoff_probability": 0},
    "locales": {"en_GB": 1.0},
}


def load_bot() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "examples" / "chatbot.py"
    spec = importlib.util.spec_from_file_location("sosim_plugin_chatbot", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_customer_gets_an_answer_within_two_seconds(
    sosim_scenario: Callable[..., SimScenario], sosim_converse: Callable[..., ConversationResult]
) -> None:
    bot = load_bot().create_app(secret=SECRET, api=DEFAULT_BASE_URL)
    sim = sosim_scenario(secret=SECRET, sessions=10, overrides=FLOW)

    result = sosim_converse(bot, sim, speed=10)

    assert result.stats.sessions == 10
    assert result.unanswered == 0
    assert result.replies == 20  # two questions each
    assert result.reply_p99_s < 2.0
    assert set(result.statuses) == {200}
    # each reply's own timing: one per question, and the report's figures are theirs
    assert len(result.timings) == 20
    assert len({(t.session_id, t.message_id) for t in result.timings}) == 20
    assert len({t.question_event_id for t in result.timings}) == 20
    assert all(t.latency_s == pytest.approx(t.at_s - t.sent_s) and t.latency_s >= 0 for t in result.timings)
    assert max(t.latency_s for t in result.timings) == pytest.approx(result.stats.reply.max_s, abs=1e-6)
    session = 178105
    lines = result.transcript(session)
    assert sum(line.startswith("Botty") or "here is what I found" in line for line in lines) >= 2


def test_a_bot_that_never_answers_leaves_every_customer_unanswered(
    sosim_scenario: Callable[..., SimScenario], sosim_converse: Callable[..., ConversationResult]
) -> None:
    async def silent(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
            await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    result = sosim_converse(silent, sosim_scenario(secret=SECRET, sessions=5, overrides=FLOW), speed=10)

    assert result.unanswered == 5
    assert dict(result.stats.endings) == {"abandoned": 5}


def test_a_scenario_without_an_external_role_is_refused(
    sosim_scenario: Callable[..., SimScenario], sosim_converse: Callable[..., ConversationResult]
) -> None:
    with pytest.raises(ValueError, match=r"flow\.bot or flow\.agents: external"):
        sosim_converse(lambda *a: None, sosim_scenario(sessions=1))
