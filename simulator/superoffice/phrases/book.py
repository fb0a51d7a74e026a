"""The shape of a phrasebook, and the placeholders its texts may hold."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PLACEHOLDERS", "PhraseBook"]

PLACEHOLDERS: frozenset[str] = frozenset({"customer", "agent", "order", "product", "company", "bot"})


@dataclass(frozen=True, slots=True)
class PhraseBook:
    """Support-chat texts for one language."""

    language: str  # "en", "nb", "sv", "da", "de", "nl"
    customer_openers: tuple[str, ...]  # customer's first message stating a problem/question
    customer_followups: tuple[str, ...]  # later customer messages (details, answers, questions)
    customer_thanks: tuple[str, ...]  # customer's last message before the end
    agent_welcome: tuple[str, ...]  # agent's first message after picking up the chat
    agent_replies: tuple[str, ...]  # agent's mid-conversation answers/questions
    agent_closings: tuple[str, ...]  # agent's goodbye
    bot_greetings: tuple[str, ...]  # chatbot's greeting when the session starts
    bot_replies: tuple[str, ...]  # chatbot's answers/suggestions
    bot_handoffs: tuple[str, ...]  # chatbot saying it passes the chat to a human
    transfer_notes: tuple[str, ...]  # agent saying they transfer to a colleague
    offline_form_notes: tuple[str, ...]  # system/bot text shown when no agent is available
    topics: tuple[str, ...]  # names of chat topics/channels, e.g. "Support", "Sales", "Billing"
    #: customer asking to talk to a person (the closed loop: an external bot should hand off);
    #: every text holds the word of HUMAN_WORDS for its language, so a bot can recognise it.
    customer_human_requests: tuple[str, ...] = ()
