"""The identity pools' disk cache: what it returns is what Faker draws, it never fails a run, and
a run that finds its pools there does not import Faker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.core import identities, pool_cache
from simulator.core.identities import draw_pool, identity_pool

KEY = ("drawn-by", "en_GB", 7, 16)
COLUMNS = (("Ann", "Bo"), ("Ås", "Lie"), ("Acme",), ("+47 1",), ("example.org",))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache of this test's own; ``identity_pool``'s in-process memo is emptied around it."""
    monkeypatch.setenv(pool_cache.CACHE_ENV, str(tmp_path))
    identity_pool.cache_clear()
    yield tmp_path / f"pools-{pool_cache.FORMAT}"
    identity_pool.cache_clear()


def _columns(pool: identities.IdentityPool) -> tuple[tuple[str, ...], ...]:
    return (pool.first_names, pool.last_names, pool.companies, pool.phones, pool.domains)


def test_a_stored_pool_is_read_back(cache: Path) -> None:
    assert pool_cache.load(*KEY) is None
    pool_cache.store(*KEY, COLUMNS)
    assert pool_cache.load(*KEY) == COLUMNS
    assert [path.suffix for path in cache.iterdir()] == [".json"]  # no temporary file is left


def test_a_cached_pool_is_the_pool_faker_draws(cache: Path) -> None:
    """The first call draws and stores; the second reads the entry back: the same strings."""
    drawn = identity_pool("de_DE", 3, 40)
    assert len(list(cache.glob("de_DE-*.json"))) == 1
    identity_pool.cache_clear()
    assert identity_pool("de_DE", 3, 40) == drawn == draw_pool("de_DE", 3, 40)


def test_the_key_holds_every_input(cache: Path) -> None:
    pool_cache.store(*KEY, COLUMNS)
    drawn_by, locale, seed, size = KEY
    for other in (
        (drawn_by + "2", locale, seed, size),
        (drawn_by, "de_DE", seed, size),
        (drawn_by, locale, seed + 1, size),
        (drawn_by, locale, seed, size + 1),
    ):
        assert pool_cache.load(*other) is None, other


def test_another_faker_release_misses(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pool_cache.store(*KEY, COLUMNS)
    monkeypatch.setattr(pool_cache, "faker_stamp", lambda: "99.0.0:elsewhere")
    assert pool_cache.load(*KEY) is None


def test_the_faker_stamp_names_the_installed_release() -> None:
    import faker

    assert pool_cache.faker_stamp().startswith(f"{faker.VERSION}:")


NOT_A_POOL = json.dumps({"key": list(KEY), "columns": [[1]]}).encode()  # the right key, numbers
NOT_POOLS = [b"", b"{not json", b'{"key": 1}', b"[1, 2]", NOT_A_POOL]


@pytest.mark.parametrize("content", NOT_POOLS)
def test_an_unreadable_entry_is_drawn_again(cache: Path, content: bytes) -> None:
    pool_cache.store(*KEY, COLUMNS)
    (entry,) = cache.iterdir()
    entry.write_bytes(content)
    assert pool_cache.load(*KEY) is None
    pool_cache.store(*KEY, COLUMNS)  # and the fresh draw replaces it
    assert pool_cache.load(*KEY) == COLUMNS


def test_a_pool_entry_of_the_wrong_shape_is_drawn_again(cache: Path) -> None:
    """An entry with too few columns (a foreign file under the right name) is not a pool."""
    drawn = draw_pool("sv_SE", 5, 8)
    pool_cache.store(identities._drawn_by(), "sv_SE", 5, 8, (("x",),))
    assert identity_pool("sv_SE", 5, 8) == drawn


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pool_cache.CACHE_ENV, "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert pool_cache.cache_dir() is None
    pool_cache.store(*KEY, COLUMNS)
    assert pool_cache.load(*KEY) is None
    assert list(tmp_path.iterdir()) == []


def test_the_default_place_is_the_users_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(pool_cache.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert pool_cache.cache_dir() == tmp_path / "xdg" / "sosim" / f"pools-{pool_cache.FORMAT}"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert pool_cache.cache_dir() == tmp_path / ".cache" / "sosim" / f"pools-{pool_cache.FORMAT}"


def test_a_directory_that_cannot_be_written_only_costs_a_draw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(pool_cache.CACHE_ENV, str(blocker))
    identity_pool.cache_clear()
    try:
        assert identity_pool("da_DK", 1, 4) == draw_pool("da_DK", 1, 4)
    finally:
        identity_pool.cache_clear()


def test_the_oldest_entries_go_first(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pool_cache, "MAX_ENTRIES", 3)
    drawn_by, locale, _, size = KEY
    for seed in range(5):
        pool_cache.store(drawn_by, locale, seed, size, COLUMNS)
        entry = pool_cache._entry(drawn_by, locale, seed, size)
        assert entry is not None
        os.utime(entry, ns=(seed * 10**9, seed * 10**9))  # a file system's clock may not tick between stores
    pool_cache.store(drawn_by, locale, 4, size, COLUMNS)  # a store prunes
    kept = [seed for seed in range(5) if pool_cache.load(drawn_by, locale, seed, size) is not None]
    assert kept == [2, 3, 4]


def test_a_warm_run_does_not_import_faker(tmp_path: Path) -> None:
    """What the cache is for: the second generation in a fresh process never loads Faker."""
    code = (
        "import sys\n"
        "from simulator.core.identities import identity_pool\n"
        "identity_pool('nb_NO', 11, 24)\n"
        "print('faker' in sys.modules)\n"
    )
    env = {**os.environ, pool_cache.CACHE_ENV: str(tmp_path)}
    runs = [
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        for _ in range(2)
    ]
    assert [run.stdout.strip() for run in runs] == ["True", "False"]
