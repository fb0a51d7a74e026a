"""The flow of one chat session as a scenario declares it: the states, their delays and the
probability of every branch."""

from simulator.core.scenario_types import (
    COUNT,
    DELAY,
    NON_NEGATIVE_INT,
    PROBABILITY,
    SECONDS,
    SUM_TOLERANCE,
    WHOLE_NUMBER,
    Count,
    CountRange,
    Delay,
    EndedBy,
    EntryStatus,
    FinalStatus,
    Fixed,
    Lognormal,
    LognormalSpec,
    Role,
    TimeoutConsequence,
    check_weights_sum_to_one,
    choice,
)
from simulator.core.schema import (
    Check,
    Strict,
    after,
    field,
    flag,
    node,
    node_check,
    number,
    table,
    text,
)
from simulator.core.units import parse_duration


def _lognormal(median: str, p95: str) -> Lognormal:
    return Lognormal(lognormal=LognormalSpec(median=parse_duration(median), p95=parse_duration(p95)))


def _weights(key: Check) -> Check:
    """Branch probabilities keyed by ``key``: each a number, together 1."""
    return after(table(key, number()), check_weights_sum_to_one)


class PreChatSpec(Strict):
    """The pre-chat form step (entry status PreChatForm)."""

    delay: Delay = field(DELAY, default=_lognormal("30s", "90s"))


class FaqSpec(Strict):
    """The FAQ step (entry status Faq)."""

    delay: Delay = field(DELAY, default=_lognormal("20s", "80s"))
    resolved_probability: float = field(PROBABILITY, default=0.3)


class ChatbotSpec(Strict):
    """Optional chatbot turns before a human takes over."""

    probability: float = field(PROBABILITY, default=0.0)
    name: str = field(text(), default="Botty")
    turns: Count = field(COUNT, default=CountRange(uniform=(1, 3)))
    reply_delay: Delay = field(DELAY, default=Fixed(fixed=2.0))
    customer_delay: Delay = field(DELAY, default=_lognormal("15s", "60s"))
    handoff_probability: float = field(PROBABILITY, default=0.7)


class QueueSpec(Strict):
    """Waiting for an agent, or giving up."""

    wait: Delay = field(DELAY, default=_lognormal("45s", "4m"))
    abandon_probability: float = field(PROBABILITY, default=0.05)
    offline_form_probability: float = field(PROBABILITY, default=0.0)
    offline_form_posted_probability: float = field(PROBABILITY, default=0.7)
    offline_form_delay: Delay = field(DELAY, default=_lognormal("2m", "6m"))

    @node_check
    def _exclusive(self) -> None:
        if self.abandon_probability + self.offline_form_probability > 1.0 + SUM_TOLERANCE:
            raise ValueError("abandon_probability + offline_form_probability must not exceed 1")


class ConversationSpec(Strict):
    """The conversation after pickup."""

    welcome_message: bool = field(flag, default=True)
    turns: Count = field(COUNT, default=CountRange(uniform=(2, 8)))
    customer_delay: Delay = field(DELAY, default=_lognormal("25s", "2m"))
    agent_delay: Delay = field(DELAY, default=_lognormal("20s", "90s"))
    double_message_probability: float = field(PROBABILITY, default=0.15)


class TransferSpec(Strict):
    """Handing the chat to another agent mid-conversation."""

    probability: float = field(PROBABILITY, default=0.0)
    rejected_probability: float = field(PROBABILITY, default=0.2)
    delay: Delay = field(DELAY, default=_lognormal("30s", "2m"))


class RatingSpec(Strict):
    """The customer's rating at the end."""

    probability: float = field(PROBABILITY, default=0.3)
    values: dict[int, float] = field(
        after(table(WHOLE_NUMBER, number()), check_weights_sum_to_one),
        default={1: 0.05, 2: 0.05, 3: 0.15, 4: 0.35, 5: 0.4},
    )
    # chatsession.changed fires on a change of status (trigger 401, ChatSessionChangedStatus), so a
    # rating alone sends nothing by default; true sends the old extra changed (status unchanged).
    fires_changed: bool = field(flag, default=False)


class CloseLaterSpec(Strict):
    """A Finished session later moves to Closed."""

    probability: float = field(PROBABILITY, default=0.0)
    delay: Delay = field(DELAY, default=Fixed(fixed=600.0))


class EndSpec(Strict):
    """How a conversation ends."""

    ended_by: dict[EndedBy, float] = field(
        _weights(choice(EndedBy)), default={"user": 0.6, "customer": 0.3, "idle": 0.1}
    )
    final_status: dict[FinalStatus, float] = field(_weights(choice(FinalStatus)), default={"Finished": 1.0})
    rating: RatingSpec = field(node(RatingSpec), default=RatingSpec())
    close_later: CloseLaterSpec = field(node(CloseLaterSpec), default=CloseLaterSpec())


class LinksSpec(Strict):
    """Probabilities that a session ends linked to a CRM record."""

    ticket: float = field(PROBABILITY, default=0.0)
    sale: float = field(PROBABILITY, default=0.0)
    project: float = field(PROBABILITY, default=0.0)


class ExternalSpec(Strict):
    """The closed loop: how the simulated customer waits for an external bot or agent.

    The customer's next message comes only after the answer (a message written through the
    chat API), or after ``reply_timeout``; ``on_timeout`` says what the customer does then:
    ``repeat`` the question (at most ``repeats`` times, then abandon), ask for a ``human``
    (a hand-off is then the answer), or ``abandon`` the chat. ``pickup_timeout`` is how long a
    customer waits in the queue for an external agent's pickup before leaving.
    """

    reply_timeout: float = field(SECONDS, default=30.0)
    on_timeout: TimeoutConsequence = field(choice(TimeoutConsequence), default="repeat")
    repeats: int = field(NON_NEGATIVE_INT, default=1)
    pickup_timeout: float = field(SECONDS, default=120.0)


class FlowSpec(Strict):
    """The state machine of one chat session; every branch has a probability.

    ``bot`` and ``agents`` hand a role to the system under test (``external``): it answers
    through the mock chat API, and the simulated customer waits for it (see :class:`ExternalSpec`).
    """

    bot: Role = field(choice(Role), default="simulated")
    agents: Role = field(choice(Role), default="simulated")
    external: ExternalSpec = field(node(ExternalSpec), default=ExternalSpec())

    entry: dict[EntryStatus, float] = field(_weights(choice(EntryStatus)), default={"InQueue": 1.0})
    consent_probability: float = field(PROBABILITY, default=0.8)
    alert_level: dict[int, float] = field(_weights(NON_NEGATIVE_INT), default={0: 1.0})
    prechat: PreChatSpec = field(node(PreChatSpec), default=PreChatSpec())
    faq: FaqSpec = field(node(FaqSpec), default=FaqSpec())
    chatbot: ChatbotSpec = field(node(ChatbotSpec), default=ChatbotSpec())
    queue: QueueSpec = field(node(QueueSpec), default=QueueSpec())
    conversation: ConversationSpec = field(node(ConversationSpec), default=ConversationSpec())
    transfer: TransferSpec = field(node(TransferSpec), default=TransferSpec())
    end: EndSpec = field(node(EndSpec), default=EndSpec())
    links: LinksSpec = field(node(LinksSpec), default=LinksSpec())
