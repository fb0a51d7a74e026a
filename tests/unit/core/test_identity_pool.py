"""Identity pools hold exactly what a default Faker draws, so fixtures generated before and after
sosim loaded fewer Faker providers (for speed) are the same bytes."""

from __future__ import annotations

import typing

import pytest
from faker import Faker

from simulator.core.generate import identity_pool
from simulator.core.scenario_model import Locale

LOCALES = typing.get_args(Locale)


def _default_faker_pool(locale: str, seed: int, size: int) -> tuple[tuple[str, ...], ...]:
    fake = Faker({"nb_NO": "no_NO"}.get(locale, locale))  # every provider, as Faker loads by default
    fake.seed_instance(f"{seed}:{locale}")
    return (
        tuple(fake.first_name() for _ in range(size)),
        tuple(fake.last_name() for _ in range(size)),
        tuple(fake.company() for _ in range(size)),
        tuple(fake.phone_number() for _ in range(size)),
        tuple(fake.free_email_domain() for _ in range(min(size, 32))),
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_identity_pool_equals_a_default_faker(locale: str) -> None:
    """Every market's pool: the same names, companies, phones and domains as a default Faker's."""
    pool = identity_pool(locale, 2024, 48)
    drawn = (pool.first_names, pool.last_names, pool.companies, pool.phones, pool.domains)
    assert drawn == _default_faker_pool(locale, 2024, 48)


def test_a_large_weighted_pool_equals_a_default_faker() -> None:
    """A pool as large as busy-hour's (512) in a market whose Faker names are weighted: the same
    draws as a default Faker's, so the cached cumulative weights pick what Faker picks."""
    pool = identity_pool("en_US", 99, 512)
    drawn = (pool.first_names, pool.last_names, pool.companies, pool.phones, pool.domains)
    assert drawn == _default_faker_pool("en_US", 99, 512)
