"""Realistic customer-support chat texts for simulated SuperOffice chat sessions.

SuperOffice's ``chatsession.message`` webhooks carry no message text: the receiver only learns
that a message was posted and has to fetch the text from the SuperOffice REST API. To make the
simulation believable end to end, the simulator keeps a plausible text with every simulated
message of a session, so a mock REST API can later serve it when the receiver asks.

This package holds only that data - one phrasebook module per language of SuperOffice's
markets (``en``, ``nb``, ``sv``, ``da``, ``de``, ``nl``) - and tiny pure helpers. It does no I/O
and has no randomness of its own: the caller picks texts with its own seeded random generator and
fills the placeholders with ``str.format_map``.

Placeholders (see :data:`PLACEHOLDERS`): ``{customer}`` (customer's first name), ``{agent}``
(agent's first name), ``{order}`` (an order number), ``{product}`` (a product name),
``{company}`` (the customer's company) and ``{bot}`` (the chatbot's name). No other braces
appear in any text.
"""

from __future__ import annotations

from simulator.superoffice.phrases.book import PLACEHOLDERS, PhraseBook
from simulator.superoffice.phrases.da import DA
from simulator.superoffice.phrases.de import DE
from simulator.superoffice.phrases.en import EN
from simulator.superoffice.phrases.nb import NB
from simulator.superoffice.phrases.nl import NL
from simulator.superoffice.phrases.sv import SV

__all__ = ["HUMAN_WORDS", "PHRASEBOOKS", "PLACEHOLDERS", "PhraseBook", "phrasebook_for"]

#: The word every ``customer_human_requests`` text of a language holds.
HUMAN_WORDS: dict[str, str] = {
    "en": "human",
    "nb": "menneske",
    "sv": "människa",
    "da": "menneske",
    "de": "Menschen",
    "nl": "mens",
}

PHRASEBOOKS: dict[str, PhraseBook] = {book.language: book for book in (EN, NB, SV, DA, DE, NL)}

# Language codes that Faker (or a user) may use for a supported language under another name.
_LANGUAGE_ALIASES: dict[str, str] = {"no": "nb"}


def phrasebook_for(locale: str) -> PhraseBook:
    """Return the phrasebook for a Faker locale such as 'nb_NO', 'en_GB', 'de_DE'.

    Only the language part counts ("en_US" and "en_GB" both give English); "-" works as a
    separator too and a bare language code ("sv") is accepted. An unsupported language raises
    ``KeyError`` naming the supported languages.
    """
    language = locale.replace("-", "_").split("_", 1)[0].strip().lower()
    language = _LANGUAGE_ALIASES.get(language, language)
    try:
        return PHRASEBOOKS[language]
    except KeyError:
        supported = ", ".join(sorted(PHRASEBOOKS))
        raise KeyError(
            f"no chat phrasebook for locale {locale!r} (language {language!r}); "
            f"supported languages: {supported}"
        ) from None
