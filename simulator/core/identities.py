"""Who takes part in a session: Faker-made identity pools per locale, and the agents.

Faker runs once per locale to fill an identity pool; sessions combine pool entries, which keeps
Faker's cost (about 100 us a call) off the per-event path.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

from simulator.core.scenario_model import AgentSpec

__all__ = ["FAKER_PROVIDERS", "Agent", "IdentityPool", "agent_for", "email_local", "identity_pool"]

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
    """Draw ``size`` identities from Faker in ``locale``, deterministically for ``seed``."""
    from faker import Faker  # deferred: Faker is slow to import and only generation needs it

    fake = Faker(_FAKER_LOCALES.get(locale, locale), providers=list(FAKER_PROVIDERS))
    fake.seed_instance(f"{seed}:{locale}")
    return IdentityPool(
        first_names=tuple(fake.first_name() for _ in range(size)),
        last_names=tuple(fake.last_name() for _ in range(size)),
        companies=tuple(fake.company() for _ in range(size)),
        phones=tuple(fake.phone_number() for _ in range(size)),
        domains=tuple(fake.free_email_domain() for _ in range(min(size, 32))),
    )


def email_local(first: str, last: str) -> str:
    """The ASCII local part of an e-mail address for a name (``Bjørn Ås`` -> ``bjorn.as``)."""
    text = f"{first}.{last}".translate(_ASCII).replace(" ", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.lower() or "visitor"


def agent_for(spec: AgentSpec, index: int, pool: IdentityPool) -> Agent:
    """Agent number ``index`` of the scenario, named from ``pool`` unless the spec names it."""
    name = spec.name or f"{pool.first_names[index % len(pool.first_names)]} {pool.last_names[-1 - index]}"
    return Agent(spec.associate_id, spec.user_id, name)
