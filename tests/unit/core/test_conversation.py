"""The closed loop's live sessions, driven by a simulated bot on virtual time (no clock, no I/O)."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from simulator.core.conversation import Conversations, Observation
from simulator.core.events import ChatMessage, Event, SessionFields
from simulator.core.generate import make_generator
from simulator.core.scenario_model import Scenario
from simulator.superoffice import facts as so
from simulator.superoffice.phrases import HUMAN_WORDS

S = so.ChatSessionStatus
T = so.ChatMessageType


@dataclass(frozen=True, slots=True)
class FakeWrite:
    """A write as the mock API reports it."""

    session_id: int
    action: str
    before: SessionFields
    after: SessionFields
    message: ChatMessage | None = None
    changed_by: int = 0
    ticks: int = 0


def scenario(sessions: int = 3, **flow: Any) -> Scenario:
    spec: dict[str, Any] = {"bot": "external", "external": {"reply_timeout": 5, "on_timeout": "abandon"}}
    spec.update(flow)
    return Scenario.model_validate(
        {"name": "loop", "arrivals": {"sessions": sessions, "rate": 2, "process": "uniform"}, "flow": spec}
    )


#: What a simulated system under test does when a customer message arrives: the write to make
#: (given the session's visible fields and the message), or None to stay silent.
Bot = Callable[[SessionFields, ChatMessage], "FakeWrite | None"]


def reply(text: str = "Happy to help.") -> Bot:
    def answer(fields: SessionFields, question: ChatMessage) -> FakeWrite:
        message = ChatMessage(question.message_id + 1, question.session_id, T.ToCustomer, text, "Bot")
        return FakeWrite(question.session_id, "message", fields, fields._replace(status=S.UserLast), message)

    return answer


def reset_on_human(fields: SessionFields, question: ChatMessage) -> FakeWrite | None:
    """Ignore questions; hand the chat to a person when the customer asks for one."""
    if HUMAN_WORDS["en"] in question.text:
        after = fields._replace(status=S.InQueue, chatbot_is_active=False, user_id=0)
        return FakeWrite(question.session_id, "reset", fields, after)
    return None


@dataclass
class Run:
    """Everything a driven run produced."""

    events: list[tuple[float, Event]] = field(default_factory=list)
    observed: list[Observation] = field(default_factory=list)
    writes: list[tuple[float, FakeWrite]] = field(default_factory=list)

    def kinds(self, kind: str) -> list[Observation]:
        return [o for o in self.observed if o.kind == kind]

    def endings(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for o in self.kinds("ended"):
            assert o.ending is not None
            found[o.ending] = found.get(o.ending, 0) + 1
        return found


def drive(conversations: Conversations, bot: Bot | None, delay_s: float = 0.5, limit_s: float = 3600) -> Run:
    """Play the live sessions to the end: each event 'arrives' at its due time; the bot answers
    each customer message ``delay_s`` later with the session's fields as then visible."""
    run = Run()
    order = itertools.count()
    queue: list[tuple[float, int, Any]] = []  # (time, order, Event | FakeWrite)
    visible: dict[int, SessionFields] = {}
    now = 0.0

    def take(timed: list[Any]) -> None:
        for item in timed:
            heapq.heappush(queue, (item.due_s, next(order), item.event))

    take(conversations.advance(now))
    while now < limit_s:
        candidates = [t for t in (conversations.next_due(), queue[0][0] if queue else None) if t is not None]
        if not candidates:
            break
        now = max(now, min(candidates))
        take(conversations.advance(now))
        while queue and queue[0][0] <= now:
            _, _, item = heapq.heappop(queue)
            if isinstance(item, FakeWrite):
                current = visible.get(item.session_id, item.before)
                write = FakeWrite(item.session_id, item.action, current, item.after, item.message)
                run.writes.append((now, write))
                visible[item.session_id] = write.after
                raised, following = conversations.apply(write, now)
                take(raised)
                take(following)
                continue
            run.events.append((now, item))
            visible[item.session_id] = item.fields
            message = item.message
            if bot is not None and message is not None and message.type == T.ToUser:
                made = bot(item.fields, message)
                if made is not None:
                    heapq.heappush(queue, (now + delay_s, next(order), made))
        run.observed.extend(conversations.observed)
        conversations.observed.clear()
    assert conversations.finished, "the run must end by itself"
    return run


def conversations_for(spec: Scenario, seed: int = 7) -> Conversations:
    return Conversations(make_generator(spec, seed=seed), speed=1.0)


def test_every_question_the_bot_answers_is_a_reply_and_the_customer_waits_for_it() -> None:
    run = drive(conversations_for(scenario(sessions=4, chatbot={"handoff_probability": 0})), reply())
    assert len(run.kinds("started")) == 4
    assert run.kinds("unanswered") == []
    assert run.endings() == {"customer": 4}
    # every question got its reply; the answer to each customer's closing thanks answered no question
    assert len(run.kinds("reply")) == len(run.writes) - 4 >= 4
    assert len(run.kinds("unsolicited")) == 4
    for at, write in run.writes:
        # the customer's next message of that session comes only after this answer
        later = [
            t for t, e in run.events if e.session_id == write.session_id and e.message is not None and t > at
        ]
        earlier_customer = [
            t
            for t, e in run.events
            if e.session_id == write.session_id
            and e.message is not None
            and e.message.type == T.ToUser
            and t <= at
        ]
        assert earlier_customer, "a reply follows a question"
        assert all(t > at for t in later)


def test_a_write_raises_the_message_webhook_and_a_changed_webhook_for_its_new_status() -> None:
    run = drive(conversations_for(scenario(sessions=1, chatbot={"handoff_probability": 0})), reply("Hello!"))
    at, write = run.writes[0]
    raised = [e for t, e in run.events if t >= at and e.session_id == write.session_id]
    assert [e.name for e in raised[:2]] == [so.EVENT_MESSAGE, so.EVENT_CHANGED]
    assert raised[0].message == write.message
    assert raised[0].fields.status == S.CustomerLast  # the message goes out with the fields before it
    assert raised[1].fields.status == S.UserLast
    assert raised[1].changes == write.before.changed_keys(write.after)


def test_a_bot_that_never_answers_leaves_every_question_unanswered_and_every_customer_gone() -> None:
    run = drive(conversations_for(scenario(sessions=5)), None)
    assert len(run.kinds("unanswered")) == 5
    assert run.endings() == {"abandoned": 5}
    finals = [e for _, e in run.events if e.name == so.EVENT_CHANGED and e.fields.status == S.Finished]
    assert len(finals) == 5


def test_repeat_asks_again_before_abandoning() -> None:
    spec = scenario(sessions=2, external={"reply_timeout": 5, "on_timeout": "repeat", "repeats": 2})
    run = drive(conversations_for(spec), None)
    assert len(run.kinds("unanswered")) == 2 * 3
    per_session: dict[int, list[str]] = {}
    for _, e in run.events:
        if e.message is not None and e.message.type == T.ToUser:
            per_session.setdefault(e.session_id, []).append(e.message.text)
    assert all(len(texts) == 3 and len(set(texts)) == 1 for texts in per_session.values())


def test_human_asks_for_a_person_and_a_reset_hands_the_chat_to_the_simulated_agents() -> None:
    spec = scenario(sessions=3, external={"reply_timeout": 5, "on_timeout": "human"})
    run = drive(conversations_for(spec), reset_on_human, delay_s=1)
    asked = [e.message.text for _, e in run.events if e.message is not None and e.message.type == T.ToUser]
    assert sum(HUMAN_WORDS["en"] in text for text in asked) >= 3
    assert len(run.kinds("handoff")) == 3
    assert run.endings() == {"simulated": 3}
    # after the hand-off a simulated agent picks up: a status change names the agent's user
    picked = [e for _, e in run.events if e.name == so.EVENT_CHANGED and e.fields.user_id]
    assert {e.session_id for e in picked} <= {o.session_id for o in run.kinds("handoff")}


def test_a_write_to_a_session_the_customer_left_is_counted_late() -> None:
    conversations = conversations_for(scenario(sessions=1))
    run = drive(conversations, None)
    assert run.endings() == {"abandoned": 1}
    session_id = run.events[0][1].session_id
    fields = run.events[-1][1].fields
    message = ChatMessage(999, session_id, T.ToCustomer, "too late", "Bot")
    raised, following = conversations.apply(FakeWrite(session_id, "message", fields, fields, message), 100.0)
    assert [e.event.name for e in raised] == [so.EVENT_MESSAGE]
    assert following == []
    assert [o.kind for o in conversations.observed] == ["late"]


def test_external_agents_wait_for_a_pickup_and_leave_the_queue_when_none_comes() -> None:
    spec = scenario(sessions=2, bot="simulated", agents="external", chatbot={"probability": 0})
    spec = spec.model_copy(update={"flow": spec.flow.model_copy(update={"entry": {"InQueue": 1.0}})})
    run = drive(conversations_for(spec), None)
    assert run.endings() == {"queue": 2}
    assert [e.fields.status for _, e in run.events if e.name == so.EVENT_CHANGED][-1] == S.ClosedFromQueue


def test_the_same_seed_and_the_same_answers_give_the_same_webhooks() -> None:
    spec = scenario(sessions=3)

    def ids() -> list[tuple[str, str]]:
        run = drive(conversations_for(spec), reply())
        return [(e.event_id, e.message.text if e.message else "") for _, e in run.events]

    assert ids() == ids()


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_speed_scales_the_customers_delays_but_not_the_timeout_in_scenario_time(speed: float) -> None:
    spec = scenario(sessions=1, chatbot={"customer_delay": {"fixed": 10}})
    conversations = Conversations(make_generator(spec, seed=1), speed=speed)
    run = drive(conversations, None)
    (question,) = [t for t, e in run.events if e.message is not None and e.message.type == T.ToUser]
    (unanswered,) = run.kinds("unanswered")
    assert question == pytest.approx(10 / speed, abs=0.1 / speed)
    assert unanswered.at_s - question == pytest.approx(5 / speed, abs=0.1 / speed)


def pick_up_and_answer(fields: SessionFields, question: ChatMessage) -> FakeWrite:
    """An external agent: picks the chat up on its first message, answers every later one."""
    if not fields.user_id:
        return FakeWrite(
            question.session_id, "pickup", fields, fields._replace(status=S.UserLast, user_id=16)
        )
    return reply("An agent here.")(fields, question)


def test_external_agents_pick_up_and_the_customer_talks_on_until_thanks() -> None:
    spec = scenario(sessions=2, bot="simulated", agents="external", chatbot={"probability": 0})
    spec = spec.model_copy(
        update={
            "flow": spec.flow.model_copy(
                update={"conversation": spec.flow.conversation.model_copy(update={"turns": 2})}
            )
        }
    )
    run = drive(conversations_for(spec), pick_up_and_answer)
    assert run.endings() == {"customer": 2}
    assert next(w.action for _, w in run.writes if w.session_id == 178105) == "pickup"
    assert len(run.kinds("reply")) == 4  # two questions each, after the pickup
