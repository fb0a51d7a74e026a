"""Generation: deterministic per seed, realistic lifecycles, lazy and in order."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core.checker import timestamp_key
from simulator.core.events import Webhook, render
from simulator.core.generate import generate_sessions, make_generator, timeline
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
    """Without --now, the first Timestamp falls within a second before the scenario's start
    (NetServer stamps an event before it sends it), the same on every run."""
    first = json.loads(bodies(MIXED)[0])["Timestamp"]
    assert first.startswith("2026-01-05T07:59:59.") and first.endswith("Z")
    assert first == json.loads(bodies(MIXED)[0])["Timestamp"]


def test_timestamps_have_sub_second_parts_even_on_whole_second_arrivals() -> None:
    """Sessions that arrive on whole seconds still get Timestamps with a realistic fraction."""
    text = MIXED.replace("rate: 1/min}", "rate: 1/min, process: uniform}")
    stamps = [json.loads(b)["Timestamp"] for b in bodies(text)]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,7}Z", s) for s in stamps)
    assert len({s[20:-1] for s in stamps}) > len(stamps) * 0.9  # the fractions are not all alike
    assert any(len(s) == 28 for s in stamps)  # some show all 7 digits, like DateTime.UtcNow
    created = [t.event.ticks for p in generate_sessions(parse_scenario(text)) for t in p.events[:1]]
    assert all(ticks % 10**7 for ticks in created)  # arrivals are whole minutes, Timestamps are not


def test_start_with_microseconds_is_not_rounded_up() -> None:
    """A start of 08:00:00.600000 means 08:00:00.6, not 08:00:01.6."""
    scenario = parse_scenario(MIXED)
    start = datetime(2026, 1, 5, 8, 0, 0, 600000, tzinfo=UTC)
    generator = make_generator(scenario, start=start)
    assert generator.start_ticks == round(datetime(2026, 1, 5, 8, tzinfo=UTC).timestamp()) * 10**7 + 6 * 10**6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    bot=st.floats(0, 1),
    abandon=st.floats(0, 0.5),
    transfer=st.floats(0, 1),
)
def test_invariants_hold_for_any_seed(seed: int, bot: float, abandon: float, transfer: float) -> None:
    """For any seed and branch probabilities, sessions start with created, never go back in time
    (the rendered, trimmed Timestamps included), and changed events always change the status."""
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
        stamps = [
            timestamp_key(json.loads(render(t.event, Webhook()).body)["Timestamp"]) for t in plan_.events
        ]
        assert None not in stamps and stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        statuses = [t.event.fields.status for t in plan_.events if t.event.name == so.EVENT_CHANGED]
        assert all(a != b for a, b in itertools.pairwise(statuses))


RATED = """
name: rated
seed: 5
webhook: {secret: s}
arrivals: {sessions: 20, rate: 1/min}
flow:
  chatbot: {probability: 0}
  queue: {abandon_probability: 0, offline_form_probability: 0}
  end: {rating: {probability: 1.0}, close_later: {probability: 1.0}}
"""


def _changed_fields(text: str) -> list[list[tuple[int, int]]]:
    """Per session, the (Status, Rating) of each chatsession.changed, in order."""
    scenario = parse_scenario(text)
    return [
        [
            (int(t.event.fields.status), t.event.fields.rating)
            for t in plan_.events
            if t.event.name == so.EVENT_CHANGED
        ]
        for plan_ in generate_sessions(scenario)
    ]


def test_rating_alone_sends_no_changed_event() -> None:
    """chatsession.changed fires only on a change of status: a rating keeps the status and sends
    none, yet later FieldValues (the Closed change) carry the rating."""
    for changes in _changed_fields(RATED):
        statuses = [status for status, _ in changes]
        assert all(a != b for a, b in itertools.pairwise(statuses)), statuses
        assert changes[-1][0] == S.Closed and changes[-1][1] > 0


def test_rating_fires_changed_is_an_option() -> None:
    """flow.end.rating.fires_changed: true sends the extra changed with the status unchanged."""
    text = RATED.replace(
        "probability: 1.0}, close_later", "probability: 1.0, fires_changed: true}, close_later"
    )
    for changes in _changed_fields(text):
        repeated = [(a, b) for a, b in itertools.pairwise(changes) if a[0] == b[0]]
        assert repeated and repeated[0][0][1] == 0 and repeated[0][1][1] > 0


def _body_fields(text: str) -> list[tuple[str, int, bool]]:
    """(Event, ChangedByAssociateId, has FieldValues) of every generated body."""
    loaded = [json.loads(b) for b in bodies(text)]
    return [(b["Event"], b["ChangedByAssociateId"], "FieldValues" in b) for b in loaded]


def test_visitor_events_are_by_associate_zero_unless_configured() -> None:
    """The created event and the visitor's messages carry ChangedByAssociateId 0 by default, and
    population.visitor_associate_id sets another; agents keep their own associate id."""
    default = _body_fields(MIXED)
    assert {by for name, by, _ in default if name == so.EVENT_CREATED} == {0}
    assert {by for _, by, _ in default} == {0, 316, 317}
    text = MIXED.replace("population:\n", "population:\n  visitor_associate_id: 9\n")
    configured = _body_fields(text)
    assert {by for name, by, _ in configured if name == so.EVENT_CREATED} == {9}
    assert {by for _, by, _ in configured} == {9, 316, 317}


def test_field_values_on_every_chat_event_by_default_and_switchable() -> None:
    """FieldValues are on created, message and changed by default; payload.field_values_on:
    [chatsession.created] gives the documented examples' shape (created only)."""
    default = _body_fields(MIXED)
    assert all(has for _, _, has in default)
    text = MIXED.replace(
        "webhook: {secret: s}", "webhook: {secret: s}\npayload: {field_values_on: [chatsession.created]}"
    )
    only_created = _body_fields(text)
    assert {name for name, _, has in only_created if has} == {so.EVENT_CREATED}


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


def test_shards_split_the_sessions_and_keep_each_one_whole() -> None:
    """--processes 3: shard k plays sessions k, k+3 ...; together exactly the whole plan, each
    request at its own due time, nothing twice."""
    scenario = parse_scenario(MIXED)
    whole = list(plan([scenario], PlanOptions()))
    shards = [list(plan([scenario], PlanOptions(shard=(k, 3)))) for k in range(3)]
    assert all(shards)
    assert sorted(p for shard in shards for p in shard) == sorted(whole)
    for k, shard in enumerate(shards):
        assert {p.event.session_id - scenario.population.first_session_id for p in shard} <= set(
            range(k, 60, 3)
        )


def test_planned_requests_are_whole_named_tuples() -> None:
    """The hot path builds Planned, Request, Event and Timed with tuple.__new__: every one holds
    exactly its fields, so a field added to one of them cannot go missing there unnoticed."""
    from simulator.core.events import Event, Request
    from simulator.core.schedule import Planned, Timed

    scenario = parse_scenario(MIXED)
    for item in itertools.islice(plan([scenario], PlanOptions()), 50):
        assert len(item) == len(Planned._fields) and item.probe is False
        assert len(item.request) == len(Request._fields)
        assert item.event is not None and len(item.event) == len(Event._fields)
    for timed in itertools.islice(timeline(scenario), 50):
        assert type(timed) is Timed and len(timed) == len(Timed._fields)
