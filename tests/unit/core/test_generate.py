"""Generation: deterministic per seed, realistic lifecycles, lazy and in order."""

from __future__ import annotations

import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core.generate import generate_sessions, timeline
from simulator.core.plan import PlanOptions, plan
from simulator.core.scenario import parse_scenario
from simulator.superoffice import facts as so

S = so.ChatSessionStatus

MIXED = """
name: mixed
seed: 11
locales: {nb_NO: 0.3, en_GB: 0.3, de_DE: 0.2, sv_SE: 0.2}
webhook: {secret: s}
population:
  agents:
    - {associate_id: 316, user_id: 16}
    - {associate_id: 317, user_id: 17}
arrivals: {sessions: 60, rate: 1/min}
flow:
  entry: {InQueue: 0.6, PreChatForm: 0.2, Faq: 0.2}
  chatbot: {probability: 0.3}
  queue: {abandon_probability: 0.1, offline_form_probability: 0.1}
  transfer: {probability: 0.3}
  end: {rating: {probability: 0.5}, close_later: {probability: 0.5}}
  links: {ticket: 0.3, sale: 0.3, project: 0.3}
"""


def bodies(text: str, seed: int | None = None) -> list[bytes]:
    scenario = parse_scenario(text)
    return [p.request.body for p in plan([scenario], PlanOptions(seed=seed))]


def test_same_seed_gives_identical_bytes() -> None:
    """The same scenario and seed give byte-identical requests, run after run."""
    assert bodies(MIXED) == bodies(MIXED)


def test_other_seed_gives_other_sessions() -> None:
    """A different seed gives different traffic."""
    assert bodies(MIXED, seed=1) != bodies(MIXED, seed=2)


def test_session_is_independent_of_limit() -> None:
    """Session N is the same whether 5 or 50 sessions are generated (shardable)."""
    scenario = parse_scenario(MIXED)
    few = list(generate_sessions(scenario, limit=5))
    many = list(generate_sessions(scenario, limit=50))
    assert [p.events for p in few] == [p.events for p in many[:5]]


def test_lifecycles_are_valid() -> None:
    """Every session starts with created, Timestamps increase, statuses and ids are consistent."""
    scenario = parse_scenario(MIXED)
    seen_final: set[S] = set()
    for plan_ in generate_sessions(scenario):
        events = [t.event for t in plan_.events]
        assert events[0].name == so.EVENT_CREATED
        assert events[0].fields.status in (S.InQueue, S.PreChatForm, S.Faq)
        ticks = [e.ticks for e in events]
        assert ticks == sorted(ticks) and len(set(ticks)) == len(ticks)
        assert all(e.session_id == plan_.session_id for e in events)
        message_ids = [e.message.message_id for e in events if e.message is not None]
        assert message_ids == sorted(set(message_ids))
        assert len(message_ids) == len(plan_.messages)
        seen_final.add(events[-1].fields.status)
    assert {S.Finished, S.ClosedFromQueue} <= seen_final | {S.Closed}


def test_pickup_sets_user_and_agent_changes_it() -> None:
    """After pickup UserId is the agent's ejuser id and ChangedByAssociateId the agent's id."""
    scenario = parse_scenario(MIXED)
    agents = {316: 16, 317: 17}
    checked = 0
    for plan_ in generate_sessions(scenario):
        for timed in plan_.events:
            event = timed.event
            if event.name == so.EVENT_CHANGED and event.changed_by in agents and event.fields.user_id:
                assert event.fields.user_id in agents.values()
                checked += 1
    assert checked > 10


def test_chatbot_hands_off() -> None:
    """A chatbot session starts with ChatbotIsactive true and hands off with it false, back in queue."""
    text = MIXED.replace(
        "chatbot: {probability: 0.3}", "chatbot: {probability: 1.0, handoff_probability: 1.0}"
    )
    plan_ = next(generate_sessions(parse_scenario(text)))
    flags = [t.event.fields.chatbot_is_active for t in plan_.events]
    assert flags[0] is True and flags[-1] is False
    handoff = next(t.event for t in plan_.events if not t.event.fields.chatbot_is_active)
    assert handoff.name == so.EVENT_CHANGED and handoff.fields.status == S.InQueue


def test_messages_have_text_in_the_session_locale() -> None:
    """Messages carry non-empty support texts and authors; customer messages are ToUser."""
    for plan_ in itertools.islice(generate_sessions(parse_scenario(MIXED)), 20):
        for message in plan_.messages:
            if message.type == so.ChatMessageType.ToUser:
                assert message.text and message.author == plan_.profile.name
            assert "{" not in message.text


def test_timeline_is_ordered_and_lazy() -> None:
    """The merged timeline is ordered by due time and yields before all sessions exist."""
    text = MIXED.replace("sessions: 60", "sessions: 100000")
    stream = timeline(parse_scenario(text))
    first = list(itertools.islice(stream, 500))
    dues = [t.due_s for t in first]
    assert dues == sorted(dues)


def test_fixed_start_makes_fixed_timestamps() -> None:
    """Without --now, Timestamps start at the scenario's start."""
    body = json.loads(bodies(MIXED)[0])
    assert body["Timestamp"] == "2026-01-05T08:00:00.0000000Z"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    bot=st.floats(0, 1),
    abandon=st.floats(0, 0.5),
    transfer=st.floats(0, 1),
)
def test_invariants_hold_for_any_seed(seed: int, bot: float, abandon: float, transfer: float) -> None:
    """For any seed and branch probabilities, sessions start with created and never go back in time."""
    text = f"""
name: prop
seed: {seed}
population: {{agents: [{{associate_id: 1, user_id: 2}}, {{associate_id: 3, user_id: 4}}]}}
arrivals: {{sessions: 5}}
flow:
  chatbot: {{probability: {bot}}}
  queue: {{abandon_probability: {abandon}}}
  transfer: {{probability: {transfer}}}
"""
    for plan_ in generate_sessions(parse_scenario(text)):
        ticks = [t.event.ticks for t in plan_.events]
        assert plan_.events[0].event.name == so.EVENT_CREATED
        assert ticks == sorted(ticks)
        assert all(t.event.fields.status in S for t in plan_.events)


def test_a_run_id_changes_every_event_id_and_nothing_else() -> None:
    """A run id gives each run its own EventIds (still unique and GUID-shaped); payload text,
    timing and everything else stay seeded, and without one the ids are the seeded ones."""
    scenario = parse_scenario(MIXED)
    seeded = list(timeline(scenario))
    fresh = list(timeline(scenario, run_id="run-a"))
    other = list(timeline(scenario, run_id="run-b"))
    assert [t.event.event_id for t in timeline(scenario, run_id=None)] == [t.event.event_id for t in seeded]
    ids = [t.event.event_id for t in fresh]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {t.event.event_id for t in seeded}
    assert not set(ids) & {t.event.event_id for t in other}
    assert all(i[14] == "4" and i[19] in "89ab" for i in ids)
    assert [t._replace(event=t.event._replace(event_id="")) for t in fresh] == [
        t._replace(event=t.event._replace(event_id="")) for t in seeded
    ]
