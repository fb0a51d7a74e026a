"""Tests for simulator.superoffice.phrases: the support-chat texts kept with simulated chat sessions."""

from __future__ import annotations

import dataclasses
import string

import pytest

from simulator.superoffice.phrases import HUMAN_WORDS, PHRASEBOOKS, PLACEHOLDERS, PhraseBook, phrasebook_for

LANGUAGES = ("en", "nb", "sv", "da", "de", "nl")
CATEGORIES = tuple(f.name for f in dataclasses.fields(PhraseBook) if f.name not in ("language", "topics"))
ALL_CATEGORIES = (*CATEGORIES, "topics")
MIN_TEXTS = {"en": 12}  # every other language needs at least DEFAULT_MIN_TEXTS per category
DEFAULT_MIN_TEXTS = 8
#: Categories that need only a few texts: a customer asks for a human once a chat at most.
SMALL_CATEGORIES = {"customer_human_requests": 2}
MIN_TOPICS = 4
MAX_LEN = 400

# A distinctive letter each language's real text cannot do without (catches ASCII-folded text).
NATIVE_LETTERS = {"nb": "æøå", "da": "æøå", "sv": "äöå", "de": "äöüß", "nl": "éë"}

FILL = {name: f"<{name}>" for name in PLACEHOLDERS}


def _texts(book: PhraseBook) -> list[tuple[str, str]]:
    """(category, text) for every text of a book, topics included."""
    return [(cat, text) for cat in ALL_CATEGORIES for text in getattr(book, cat)]


def test_placeholders_are_exactly_the_documented_names() -> None:
    """The generator can rely on exactly these six placeholder names being the contract."""
    assert frozenset({"customer", "agent", "order", "product", "company", "bot"}) == PLACEHOLDERS


def test_every_market_language_has_a_phrasebook() -> None:
    """Each SuperOffice market language has a phrasebook keyed by its own language code."""
    assert sorted(PHRASEBOOKS) == sorted(LANGUAGES)
    for lang, book in PHRASEBOOKS.items():
        assert book.language == lang


def test_phrasebook_is_immutable() -> None:
    """Phrasebooks are frozen, so no caller can change texts another session will use."""
    book = PHRASEBOOKS["en"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        book.language = "xx"  # type: ignore[misc]
    assert all(isinstance(getattr(book, cat), tuple) for cat in ALL_CATEGORIES)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_is_filled_to_the_minimum(lang: str, category: str) -> None:
    """Every message category has enough texts for varied conversations in every language."""
    texts = getattr(PHRASEBOOKS[lang], category)
    least = SMALL_CATEGORIES.get(category) or MIN_TEXTS.get(lang, DEFAULT_MIN_TEXTS)
    assert len(texts) >= least, (lang, category, len(texts))
    assert all(isinstance(text, str) and text for text in texts)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_has_enough_topics(lang: str) -> None:
    """Every language offers several distinct chat topic names to route sessions to."""
    topics = PHRASEBOOKS[lang].topics
    assert len(topics) >= MIN_TOPICS
    assert len(set(topics)) == len(topics)
    assert all(topic == topic.strip() and topic for topic in topics)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_texts_use_only_known_placeholders(lang: str, category: str) -> None:
    """Texts only reference the documented placeholders, with no format spec or conversion."""
    bad = [
        text
        for text in getattr(PHRASEBOOKS[lang], category)
        for _literal, field, spec, conversion in string.Formatter().parse(text)
        if field is not None and (field not in PLACEHOLDERS or spec or conversion is not None)
    ]
    assert not bad, (lang, category, bad)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_texts_format_with_format_map(lang: str, category: str) -> None:
    """Texts fill with str.format_map and leave no braces or unfilled placeholders behind."""
    for text in getattr(PHRASEBOOKS[lang], category):
        filled = text.format_map(FILL)
        assert "{" not in filled and "}" not in filled, (lang, category, text)
        for name in PLACEHOLDERS:
            if "{" + name + "}" in text:
                assert FILL[name] in filled, (lang, category, text)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_texts_are_stripped_single_line_and_short(lang: str, category: str) -> None:
    """Texts look like real chat messages: no stray whitespace or newlines, at most 400 characters."""
    bad = [
        text
        for text in getattr(PHRASEBOOKS[lang], category)
        if text != text.strip() or "\n" in text or "  " in text or len(text) > MAX_LEN
    ]
    assert not bad, (lang, category, bad)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", ALL_CATEGORIES)
def test_texts_are_unique_within_a_category(lang: str, category: str) -> None:
    """No category repeats a text, so picked messages really vary."""
    texts = getattr(PHRASEBOOKS[lang], category)
    duplicates = sorted({t for t in texts if texts.count(t) > 1})
    assert not duplicates, (lang, category, duplicates)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_used_in_some_but_not_most_texts(lang: str) -> None:
    """Roughly a third of texts personalise the chat, the rest read fine without any placeholder."""
    texts = [text for cat in CATEGORIES for text in getattr(PHRASEBOOKS[lang], cat)]
    with_placeholder = [t for t in texts if any(f for _, f, _, _ in string.Formatter().parse(t))]
    share = len(with_placeholder) / len(texts)
    assert 0.15 <= share <= 0.5, (lang, round(share, 2))
    used = {f for t in texts for _, f, _, _ in string.Formatter().parse(t) if f}
    assert used == PLACEHOLDERS, (lang, sorted(PLACEHOLDERS - used))


@pytest.mark.parametrize("lang", sorted(NATIVE_LETTERS))
def test_texts_use_the_languages_own_letters(lang: str) -> None:
    """Non-English texts are written with their real letters (æ ø å ä ö ü ß), not ASCII stand-ins."""
    joined = " ".join(text for _, text in _texts(PHRASEBOOKS[lang]))
    missing = [ch for ch in NATIVE_LETTERS[lang] if ch not in joined]
    assert not missing, (lang, missing)


@pytest.mark.parametrize(
    ("locale", "language"),
    [
        ("nb_NO", "nb"),
        ("sv_SE", "sv"),
        ("da_DK", "da"),
        ("de_DE", "de"),
        ("nl_NL", "nl"),
        ("en_GB", "en"),
        ("en_US", "en"),
    ],
)
def test_phrasebook_for_maps_faker_locales(locale: str, language: str) -> None:
    """A Faker locale selects the phrasebook of its language part."""
    book = phrasebook_for(locale)
    assert book is PHRASEBOOKS[language]
    assert book.language == language


@pytest.mark.parametrize(("locale", "language"), [("de-DE", "de"), ("SV_se", "sv"), ("da", "da")])
def test_phrasebook_for_accepts_common_locale_spellings(locale: str, language: str) -> None:
    """Hyphenated, upper-case or bare language codes resolve to the same phrasebook."""
    assert phrasebook_for(locale) is PHRASEBOOKS[language]


@pytest.mark.parametrize("locale", ["fr_FR", "fi_FI", "", "xx"])
def test_phrasebook_for_unknown_locale_names_supported_languages(locale: str) -> None:
    """An unsupported locale fails with a KeyError that tells the user which languages exist."""
    with pytest.raises(KeyError) as excinfo:
        phrasebook_for(locale)
    message = str(excinfo.value)
    assert repr(locale) in message
    assert ", ".join(sorted(LANGUAGES)) in message


@pytest.mark.parametrize("lang", sorted(PHRASEBOOKS))
def test_every_request_for_a_human_holds_the_languages_human_word(lang: str) -> None:
    """An external bot recognises a customer asking for a person by one word per language."""
    word = HUMAN_WORDS[lang]
    texts = PHRASEBOOKS[lang].customer_human_requests
    assert texts
    assert all(word.lower() in text.lower() for text in texts), (lang, word)
