"""The example scenarios in scenarios/: they load, generate, and show what their comments promise."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from simulator.core.generate import MESSAGE_ID_STRIDE, SessionPlan, generate_sessions
from simulator.core.scenario import Scenario, load_scenario
from simulator.superoffice import facts as so

SCENARIOS_DIR = Path(__file__).resolve().parents[3] / "scenarios"
EXAMPLES = sorted(SCENARIOS_DIR.glob("*.yaml"))
ENV = {"SOSIM_SECRET": "test-secret"}
S = so.ChatSessionStatus


def _load(name: str) -> Scenario:
    return load_scenario(SCENARIOS_DIR / name, env=ENV)


def _sessions(name: str, limit: int) -> list[SessionPlan]:
    return list(generate_sessions(_load(name), limit=limit))


def test_the_documented_examples_are_all_there() -> None:
    """The examples the README and the scenario comments refer to exist."""
    names = {path.name for path in EXAMPLES}
    expected = {"support-chat.yaml", "chatbot-handoff.yaml", "queue-overflow.yaml"}
    assert expected | {"sales-chat.yaml", "busy-hour.yaml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_loads_and_generates_ordered_sessions(path: Path) -> None:
    """Every example loads and yields sessions whose events start with created and never go back in time."""
    scenario = load_scenario(path, env=ENV)
    assert scenario.name == path.stem
    assert scenario.webhook.secret == "test-secret"
    plans = list(generate_sessions(scenario, limit=3))
    assert len(plans) == 3
    for plan in plans:
        events = [timed.event for timed in plan.events]
        assert events[0].name == so.EVENT_CREATED
        assert all(event.session_id == plan.session_id for event in events)
        ticks = [event.ticks for event in events]
        assert ticks == sorted(ticks), f"session {plan.session_id} goes back in time"
        dues = [timed.due_s for timed in plan.events]
        assert dues == sorted(dues)
        assert dues[0] >= plan.start_s


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_secret_defaults_without_the_environment(path: Path) -> None:
    """A copied example loads with no SOSIM_SECRET set, using its ${...:-default}."""
    assert load_scenario(path, env={}).webhook.secret == "change-me"


def test_examples_use_disjoint_id_ranges() -> None:
    """Several examples in one run never share a session id or a message id."""
    ranges = []
    for path in EXAMPLES:
        scenario = load_scenario(path, env=ENV)
        arrivals = scenario.arrivals
        if arrivals.sessions is not None:
            most = arrivals.sessions
        else:  # duration-bounded: twice the expected count is far beyond a Poisson tail
            assert arrivals.duration is not None
            most = 2 * math.ceil(arrivals.duration * arrivals.rate)
        population = scenario.population
        ranges.append((path.name, "session", population.first_session_id, most))
        ranges.append((path.name, "message", population.first_message_id, most * MESSAGE_ID_STRIDE))
    for kind in ("session", "message"):
        spans = sorted((first, first + size, name) for name, k, first, size in ranges if k == kind)
        for (_, end, name), (start, _, other) in itertools.pairwise(spans):
            assert end <= start, f"{kind} ids of {name} and {other} overlap"


def test_chatbot_example_hands_sessions_from_the_bot_to_a_human() -> None:
    """chatbot-handoff has sessions that start with ChatbotIsactive true and end with it false."""
    plans = _sessions("chatbot-handoff.yaml", 30)
    bot = [p for p in plans if p.events[0].event.fields.chatbot_is_active]
    assert len(bot) >= len(plans) // 2, "most sessions should start with the bot"
    handed_off = [
        p
        for p in bot
        if any(
            t.event.fields.status == S.InQueue and not t.event.fields.chatbot_is_active for t in p.events[1:]
        )
    ]
    solved_by_bot = [p for p in bot if all(t.event.fields.user_id == 0 for t in p.events)]
    assert handed_off, "no session went from the bot back to the queue"
    assert solved_by_bot, "no session was solved by the bot alone"
    for plan in handed_off:
        assert not plan.events[-1].event.fields.chatbot_is_active


def test_queue_overflow_example_abandons_chats_and_posts_offline_forms() -> None:
    """queue-overflow produces missed chats (ClosedFromQueue) and offline requests."""
    plans = _sessions("queue-overflow.yaml", 200)
    finals = [p.events[-1].event.fields.status for p in plans]
    missed = finals.count(S.ClosedFromQueue)
    assert missed >= 0.2 * len(plans)
    assert S.RequestPosted in finals
    assert any(t.event.fields.status == S.OfflineForm for p in plans for t in p.events)


def test_sales_example_links_chats_to_sales_and_projects() -> None:
    """sales-chat ends many sessions with a SaleId, some with a ProjectId, and many are rated
    (saved without a webhook of their own)."""
    plans = _sessions("sales-chat.yaml", 40)
    finals = [p.events[-1].event.fields for p in plans]
    sales = [f.sale_id for f in finals if f.sale_id != 0]
    assert len(sales) >= len(plans) // 3
    population = _load("sales-chat.yaml").population
    assert all(population.sales.first <= sale <= population.sales.last for sale in sales)
    assert any(f.project_id != 0 for f in finals)
    assert any(e.fields.rating != 0 for p in plans for e in p.silent)
    assert {p.profile.locale for p in plans} == {"de_DE", "nl_NL", "sv_SE"}


def test_busy_hour_example_is_a_large_load_test() -> None:
    """busy-hour plays many sessions from every market with several agents and topics."""
    scenario = _load("busy-hour.yaml")
    assert scenario.arrivals.duration is not None
    assert scenario.arrivals.duration * scenario.arrivals.rate >= 600
    assert set(scenario.locales) == {"nb_NO", "sv_SE", "da_DK", "de_DE", "nl_NL", "en_GB", "en_US"}
    assert len(scenario.population.agents) >= 4
    assert len(scenario.population.topics) >= 3
