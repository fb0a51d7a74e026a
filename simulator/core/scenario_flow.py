"""The flow of one chat session as a scenario declares it: the states, their delays and the
probability of every branch."""

# ruff: noqa: RUF012 -- pydantic copies a mutable default for each model; ruff sees that only for
# models whose BaseModel base is in the same file (astral-sh/ruff#13630), and Strict is imported.

from typing import Any, Self

from pydantic import field_validator, model_validator

from simulator.core.scenario_types import (
    SUM_TOLERANCE,
    Count,
    CountRange,
    Delay,
    EndedBy,
    EntryStatus,
    FinalStatus,
    Fixed,
    Lognormal,
    LognormalSpec,
    NonNegativeInt,
    Probability,
    Role,
    Seconds,
    Strict,
    TimeoutConsequence,
    check_weights_sum_to_one,
)
from simulator.core.units import parse_duration


def _lognormal(median: str, p95: str) -> Lognormal:
    return Lognormal(lognormal=LognormalSpec(median=parse_duration(median), p95=parse_duration(p95)))


class PreChatSpec(Strict):
    """The pre-chat form step (entry status PreChatForm)."""

    delay: Delay = _lognormal("30s", "90s")


class FaqSpec(Strict):
    """The FAQ step (entry status Faq)."""

    delay: Delay = _lognormal("20s", "80s")
    resolved_probability: Probability = 0.3


class ChatbotSpec(Strict):
    """Optional chatbot turns before a human takes over."""

    probability: Probability = 0.0
    name: str = "Botty"
    turns: Count = CountRange(uniform=(1, 3))
    reply_delay: Delay = Fixed(fixed=2.0)
    customer_delay: Delay = _lognormal("15s", "60s")
    handoff_probability: Probability = 0.7


class QueueSpec(Strict):
    """Waiting for an agent, or giving up."""

    wait: Delay = _lognormal("45s", "4m")
    abandon_probability: Probability = 0.05
    offline_form_probability: Probability = 0.0
    offline_form_posted_probability: Probability = 0.7
    offline_form_delay: Delay = _lognormal("2m", "6m")

    @model_validator(mode="after")
    def _exclusive(self) -> Self:
        if self.abandon_probability + self.offline_form_probability > 1.0 + SUM_TOLERANCE:
            raise ValueError("abandon_probability + offline_form_probability must not exceed 1")
        return self


class ConversationSpec(Strict):
    """The conversation after pickup."""

    welcome_message: bool = True
    turns: Count = CountRange(uniform=(2, 8))
    customer_delay: Delay = _lognormal("25s", "2m")
    agent_delay: Delay = _lognormal("20s", "90s")
    double_message_probability: Probability = 0.15


class TransferSpec(Strict):
    """Handing the chat to another agent mid-conversation."""

    probability: Probability = 0.0
    rejected_probability: Probability = 0.2
    delay: Delay = _lognormal("30s", "2m")


class RatingSpec(Strict):
    """The customer's rating at the end."""

    probability: Probability = 0.3
    values: dict[int, float] = {1: 0.05, 2: 0.05, 3: 0.15, 4: 0.35, 5: 0.4}
    # chatsession.changed fires on a change of status (trigger 401, ChatSessionChangedStatus), so a
    # rating alone sends nothing by default; true sends the old extra changed (status unchanged).
    fires_changed: bool = False

    @field_validator("values")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[Any, float]) -> dict[Any, float]:
        return check_weights_sum_to_one(weights)


class CloseLaterSpec(Strict):
    """A Finished session later moves to Closed."""

    probability: Probability = 0.0
    delay: Delay = Fixed(fixed=600.0)


class EndSpec(Strict):
    """How a conversation ends."""

    ended_by: dict[EndedBy, float] = {"user": 0.6, "customer": 0.3, "idle": 0.1}
    final_status: dict[FinalStatus, float] = {"Finished": 1.0}
    rating: RatingSpec = RatingSpec()
    close_later: CloseLaterSpec = CloseLaterSpec()

    @field_validator("ended_by", "final_status")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[Any, float]) -> dict[Any, float]:
        return check_weights_sum_to_one(weights)


class LinksSpec(Strict):
    """Probabilities that a session ends linked to a CRM record."""

    ticket: Probability = 0.0
    sale: Probability = 0.0
    project: Probability = 0.0


class ExternalSpec(Strict):
    """The closed loop: how the simulated customer waits for an external bot or agent.

    The customer's next message comes only after the answer (a message written through the
    chat API), or after ``reply_timeout``; ``on_timeout`` says what the customer does then:
    ``repeat`` the question (at most ``repeats`` times, then abandon), ask for a ``human``
    (a hand-off is then the answer), or ``abandon`` the chat. ``pickup_timeout`` is how long a
    customer waits in the queue for an external agent's pickup before leaving.
    """

    reply_timeout: Seconds = 30.0
    on_timeout: TimeoutConsequence = "repeat"
    repeats: NonNegativeInt = 1
    pickup_timeout: Seconds = 120.0


class FlowSpec(Strict):
    """The state machine of one chat session; every branch has a probability.

    ``bot`` and ``agents`` hand a role to the system under test (``external``): it answers
    through the mock chat API, and the simulated customer waits for it (see :class:`ExternalSpec`).
    """

    bot: Role = "simulated"
    agents: Role = "simulated"
    external: ExternalSpec = ExternalSpec()

    entry: dict[EntryStatus, float] = {"InQueue": 1.0}
    consent_probability: Probability = 0.8
    alert_level: dict[NonNegativeInt, float] = {0: 1.0}
    prechat: PreChatSpec = PreChatSpec()
    faq: FaqSpec = FaqSpec()
    chatbot: ChatbotSpec = ChatbotSpec()
    queue: QueueSpec = QueueSpec()
    conversation: ConversationSpec = ConversationSpec()
    transfer: TransferSpec = TransferSpec()
    end: EndSpec = EndSpec()
    links: LinksSpec = LinksSpec()

    @field_validator("entry", "alert_level")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[Any, float]) -> dict[Any, float]:
        return check_weights_sum_to_one(weights)
