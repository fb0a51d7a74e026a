"""Who takes part in a session: Faker-made identity pools per locale, and the agents.

Faker runs once per locale to fill an identity pool; sessions combine pool entries, which keeps
Faker's cost (about 100 us a call) off the per-event path. Pools are kept on disk between runs
(:mod:`~simulator.core.pool_cache`), which keeps Faker off the start of a run too.
"""

from __future__ import annotations

import os
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from random import Random
from typing import Any

from simulator.core import pool_cache
from simulator.core.scenario_model import AgentSpec

__all__ = [
    "FAKER_PROVIDERS",
    "Agent",
    "IdentityPool",
    "agent_for",
    "draw_pool",
    "email_local",
    "identity_pool",
]

#: The Faker providers the pools draw from. Faker's default loads all 25 or so, and finding each
#: one's locale module lists directories: a third of a pool's cost. The draws are the same with
#: these alone (tests/unit/core/test_identity_pool.py compares them with a default Faker).
FAKER_PROVIDERS = (
    "faker.providers.person",
    "faker.providers.company",
    "faker.providers.phone_number",
    "faker.providers.internet",
)
#: Faker names Norwegian Bokmål ``no_NO``; SuperOffice's market list says ``nb_NO``.
_FAKER_LOCALES = {"nb_NO": "no_NO"}
_ASCII = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "å": "a", "Å": "A"})


@dataclass(frozen=True, slots=True)
class Agent:
    """A human agent as the generator uses it."""

    associate_id: int
    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class IdentityPool:
    """Faker-made names and contact details for one locale."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    phones: tuple[str, ...]
    domains: tuple[str, ...]


@cache
def identity_pool(locale: str, seed: int, size: int) -> IdentityPool:
    """``size`` identities from Faker in ``locale``, deterministically for ``seed``: drawn once
    on a machine and then read from :mod:`~simulator.core.pool_cache` (the same strings)."""
    drawn_by = _drawn_by()
    cached = pool_cache.load(drawn_by, locale, seed, size)
    if cached is not None and len(cached) == len(IdentityPool.__slots__):
        return IdentityPool(*cached)
    pool = draw_pool(locale, seed, size)
    columns = (pool.first_names, pool.last_names, pool.companies, pool.phones, pool.domains)
    pool_cache.store(drawn_by, locale, seed, size, columns)
    return pool


def draw_pool(locale: str, seed: int, size: int) -> IdentityPool:
    """Draw ``size`` identities from Faker in ``locale``, deterministically for ``seed``."""
    from faker import Faker  # deferred: Faker is slow to import and only generation needs it

    fake = Faker(_FAKER_LOCALES.get(locale, locale), providers=list(FAKER_PROVIDERS))
    fake.seed_instance(f"{seed}:{locale}")
    for provider in fake.get_providers():
        if getattr(provider, "__use_weighting__", False):
            provider.random_elements = _WeightedDraw(provider.random_elements, fake.random)
    return IdentityPool(
        first_names=_draws(fake.first_name, size),
        last_names=_draws(fake.last_name, size),
        companies=_draws(fake.company, size),
        phones=_draws(fake.phone_number, size),
        domains=_draws(fake.free_email_domain, min(size, 32)),
    )


@cache
def _drawn_by() -> str:
    """What names this module's way of drawing in a cache key: its providers and its own file,
    so an edited or upgraded sosim never reads a pool that another version drew."""
    try:
        stat = os.stat(__file__)
        stamp = f"{stat.st_mtime_ns}:{stat.st_size}"
    except OSError:
        stamp = "?"
    return f"{','.join(FAKER_PROVIDERS)}:{__file__}:{stamp}"


def _draws(draw: Callable[[], str], count: int) -> tuple[str, ...]:
    # The bound method, looked up once: Faker's proxy resolves ``fake.name`` in Python on each access.
    return tuple([draw() for _ in range(count)])


class _WeightedDraw:
    """Faker's ``random_elements`` for its common call (one element of a weighted ``OrderedDict``)
    with each dict's cumulative weights worked out once, not on every draw.

    Faker copies a dict's weights into a tuple and ``random.choices`` sums them on each call: two
    thirds of a pool's cost, since a locale's name lists hold thousands of weighted names. Given
    the same sums as ``cum_weights``, ``choices`` makes the same single ``random()`` call and picks
    the same element; every other call goes to Faker's own method.
    """

    __slots__ = ("_cache", "_faker_draw", "_random")

    def __init__(self, faker_draw: Callable[..., Any], random: Random) -> None:
        self._faker_draw = faker_draw
        self._random = random
        #: By id of the dict, which the entry keeps alive so that the id stays its own.
        self._cache: dict[int, tuple[object, tuple[Any, ...], list[float]]] = {}

    def __call__(
        self,
        elements: Any = ("a", "b", "c"),  # Faker's own default
        length: int | None = None,
        unique: bool = False,
        use_weighting: Any = None,
    ) -> Any:
        if length != 1 or unique or use_weighting is not None or elements.__class__ is not OrderedDict:
            return self._faker_draw(elements, length, unique, use_weighting)
        entry = self._cache.get(id(elements))
        if entry is None:
            entry = (elements, tuple(elements.keys()), list(accumulate(elements.values())))
            self._cache[id(elements)] = entry
        return self._random.choices(entry[1], cum_weights=entry[2])


def email_local(first: str, last: str) -> str:
    """The ASCII local part of an e-mail address for a name (``Bjørn Ås`` -> ``bjorn.as``)."""
    text = f"{first}.{last}".translate(_ASCII).replace(" ", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.lower() or "visitor"


def agent_for(spec: AgentSpec, index: int, pool: IdentityPool) -> Agent:
    """Agent number ``index`` of the scenario, named from ``pool`` unless the spec names it."""
    name = spec.name or f"{pool.first_names[index % len(pool.first_names)]} {pool.last_names[-1 - index]}"
    return Agent(spec.associate_id, spec.user_id, name)
