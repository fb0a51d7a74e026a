"""Hostile scenario files: alias bombs, deep nesting, huge numbers, control characters and devices
give `file:line: problem` and exit 2 from `sosim validate`, never a traceback or a hang."""

from __future__ import annotations

import contextlib
import copy
import itertools
import random
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from simulator.cli import main

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
MESSAGE = re.compile(r"^\S+:\d+: .+", re.MULTILINE)
#: ``generate`` puts its name in front of the same message.
PREFIXED_MESSAGE = re.compile(r"^(sosim: error: )?\S+:\d+: .+", re.MULTILINE)


def _validate(path: Path | str) -> Result:
    return CliRunner().invoke(main, ["validate", str(path)])


def _bomb(levels: int) -> str:
    text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    names = "abcdefghij"
    for previous, name in itertools.pairwise(names[: levels + 1]):
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
    return text


def _assert_refused(result: Result, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert MESSAGE.search(result.output), result.output
    for word in words:
        assert word in result.output, result.output
    return result.output


def test_a_billion_laughs_file_is_refused_not_expanded(tmp_path: Path) -> None:
    """A 300-byte file whose aliases expand ten-fold per level is refused at the alias budget."""
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(7))
    assert path.stat().st_size < 400
    _assert_refused(_validate(path), "bomb.yaml:", "expands to more than 100,000 values")


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    """Anchors and aliases used as YAML intends (a shared value or two) still validate."""
    text = "name: x\narrivals: &arr\n  sessions: 3\nlocales: &l en_GB\n"
    path = tmp_path / "ok.yaml"
    path.write_text(text)
    assert _validate(path).exit_code == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name: x\nflow: " + "[" * 5000 + "]" * 5000 + "\n", ("nested more than 64 levels",)),
        ("name: x\nflow: " + "{a: " * 3001 + "1" + "}" * 3001 + "\n", ("nested more than 64 levels",)),
        ("name: x\nflow: " + "[" * 100 + "]" * 100 + "\n", (":2: flow[0][0]", "nested more than 64")),
        ("name: x\narrivals:\n  sessions: " + "9" * 5000 + "\n", (":3: arrivals.sessions: a number",)),
        ("name: x\x01\n", (":1: control character U+0001",)),
        ("name: x\narrivals:\n  sessions: 3\n\x00\n", (":4: control character U+0000",)),
        ("name: x\nlocales: [[a]]\narrivals:\n  sessions: 3\n", (":2: locales: a list of locales",)),
        ("name: x\nstart: 2026-13-45\n", (":2: start: '2026-13-45' is not a valid date", "month")),
        ("name: x\narrivals: {sessions: 2}\nstart: 2026-02-30T08:00:00Z\n", (":3: start: '2026-02-30T",)),
        ("name: x\nlocales:\n  - en_GB\n  - 2026-01-05 25:00:00\n", (":4: locales[1]: ", "hour")),
    ],
)
def test_deep_nesting_huge_numbers_and_control_characters_are_errors_on_a_line(
    tmp_path: Path, text: str, words: tuple[str, ...]
) -> None:
    """Each of these broke `validate` with a traceback; now each names the file and line."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    _assert_refused(_validate(path), *words)


def test_a_file_over_1_mib_is_refused(tmp_path: Path) -> None:
    """A file over the 1 MiB limit is refused without being read whole."""
    path = tmp_path / "big.yaml"
    path.write_text("name: x\n" + "# padding\n" * 120_000)
    _assert_refused(_validate(path), "larger than 1 MiB")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_dev_zero_is_refused_at_once() -> None:
    """An endless device given as a scenario is refused after 1 MiB, not read until memory runs out."""
    _assert_refused(_validate("/dev/zero"), "/dev/zero:1: larger than 1 MiB")


# --- values that validate but cannot work -------------------------------------------

_BASE = "name: x\narrivals: {sessions: 2}\n"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (_BASE + "flow: {conversation: {turns: 100000000}}\n", (":3: flow.conversation.turns", "1000")),
        (_BASE + "flow: {conversation: {turns: {uniform: [1, 100000000]}}}\n", (":3: flow.conversation",)),
        (_BASE + "flow: {chatbot: {probability: 1, turns: 1000000000}}\n", (":3: flow.chatbot.turns",)),
        ("name: x\nstart: 9999-12-31T23:59:59Z\narrivals: {sessions: 2}\n", (":2: start", "9000")),
        ("name: x\nstart: 0001-01-01T00:00:00Z\narrivals: {sessions: 2}\n", (":2: start", "1753")),
        ("name: x\nlocales: {en_GB: .nan}\narrivals: {sessions: 2}\n", (":2: locales.en_GB", "finite")),
        ("name: x\nlocales: {en_GB: .inf}\narrivals: {sessions: 2}\n", (":2: locales.en_GB", "finite")),
        ("name: x\narrivals: {sessions: 2, rate: .nan}\n", (":2: arrivals.rate",)),
        ("name: x\narrivals: {sessions: 2, rate: .inf}\n", (":2: arrivals.rate",)),
        ("name: x\narrivals: {sessions: 2, rate: 1.0e+12}\n", (":2: arrivals.rate",)),
        ("name: x\narrivals: {duration: .nan}\n", (":2: arrivals.duration",)),
        ("name: x\narrivals: {duration: .inf}\n", (":2: arrivals.duration",)),
        ("name: x\narrivals: {duration: 1.0e+15}\n", (":2: arrivals.duration",)),
        ("name: x\narrivals: {sessions: 100000000000000}\n", (":2: arrivals.sessions",)),
        (
            "name: x\narrivals: {sessions: 2, process: burst, burst: {size: 1000000000000, every: 1s}}\n",
            (":2: arrivals.burst.size",),
        ),
        (_BASE + "flow: {queue: {wait: .nan}}\n", (":3: flow.queue.wait",)),
        (_BASE + "flow: {queue: {wait: .inf}}\n", (":3: flow.queue.wait",)),
        (_BASE + "flow: {queue: {wait: 1.0e+200}}\n", (":3: flow.queue.wait",)),
        (_BASE + "flow: {queue: {wait: {lognormal: {median: 1s, p95: .inf}}}}\n", (":3: flow.queue.wait",)),
        (_BASE + "flow: {queue: {wait: {uniform: [.nan, 1]}}}\n", (":3: flow.queue.wait",)),
        (_BASE + "flow: {entry: {InQueue: .nan}}\n", (":3: flow.entry.InQueue", "finite")),
        (_BASE + "flow: {end: {rating: {values: {1: .nan}}}}\n", (":3: flow.end.rating.values.1",)),
        (_BASE + "population: {topics: [{id: 1, name: a, weight: .inf}]}\n", (":3: population.topics[0]",)),
        (_BASE + "population: {first_session_id: 10000000000000}\n", (":3: population.first_session_id",)),
    ],
)
def test_values_that_cannot_work_are_errors_on_a_line(
    tmp_path: Path, text: str, words: tuple[str, ...]
) -> None:
    """NaN, infinity and absurd sizes validated, then hung `generate` or crashed it; now each is refused."""
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    _assert_refused(_validate(path), "x.yaml", *words)
    generated = CliRunner().invoke(main, ["generate", str(path), "--out", str(tmp_path / "out.jsonl")])
    assert generated.exit_code == 2 and isinstance(generated.exception, SystemExit), generated.output
    assert all(word in generated.output for word in words), generated.output


def test_the_largest_accepted_values_still_generate(tmp_path: Path) -> None:
    """The limits are generous: 1000 turns, a start in 8999 and a huge rate generate without trouble."""
    path = tmp_path / "edge.yaml"
    path.write_text(
        "name: x\nstart: 8999-12-31T00:00:00Z\narrivals: {sessions: 1, rate: 1000000/s}\n"
        "flow: {conversation: {turns: 1000}}\n"
    )
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["generate", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert 'Timestamp\\":\\"8999-12-31T' in out.read_text()


# --- seeded mutation fuzzing ----------------------------------------------------------

_ODD_VALUES: list[object] = [
    None,
    "",
    -1,
    -(10**12),
    10**30,
    0.0,
    -0.5,
    1e308,
    float("inf"),
    float("nan"),
    True,
    [],
    {},
    [[1]],
    {"a": {"b": None}},
    "\x07bell",
    "ünïcødé ✓",
    "🙂" * 50,
    "${NOT_SET_ANYWHERE}",
    "x" * 5000,
    "9" * 200,
]


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _set(root: object, path: tuple[object, ...], new: object, delete: bool) -> object:
    if not path:
        return new
    parent: object = root
    for part in path[:-1]:
        parent = parent[part]  # type: ignore[index]
    if delete:
        del parent[path[-1]]  # type: ignore[attr-defined]
    else:
        parent[path[-1]] = new  # type: ignore[index]
    return root


#: The mutants' own parsing: libyaml's where PyYAML has it (the same values, ten times faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _mutant(rng: random.Random, source: Path) -> bytes:
    text = source.read_text(encoding="utf-8")
    kind = rng.randrange(8)
    if kind == 0:  # raw bytes: garbage, truncation or an empty file
        data = text.encode()
        cut = rng.randrange(len(data) + 1)
        return rng.choice([data[:cut], data[:cut] + rng.randbytes(rng.randrange(1, 64)), b""])
    if kind == 1:  # a control or odd character somewhere in the text
        at = rng.randrange(len(text) + 1)
        return (
            text[:at] + rng.choice(["\x00", "\x01", "\x1b", "\ufeff", "\t", "\r", "\u2028"]) + text[at:]
        ).encode()
    if kind == 2:  # an alias bomb appended or in front
        return (_bomb(rng.randrange(3, 9)) + text if rng.random() < 0.5 else text + "\n" + _bomb(6)).encode()
    data = yaml.load(text, Loader=_LOADER)
    paths = _paths(data)[1:]
    for _ in range(rng.randrange(1, 4)):
        path = rng.choice(paths)
        # An earlier mutation may have removed or replaced the parent: then this one is skipped.
        with contextlib.suppress(KeyError, IndexError, TypeError):
            data = _set(data, path, copy.deepcopy(rng.choice(_ODD_VALUES)), delete=kind == 3)
        paths = _paths(data)[1:] or [()]
    return yaml.safe_dump(data, allow_unicode=rng.random() < 0.5).encode()


def _crashed(result: Result) -> bool:
    bad_exit = result.exit_code not in (0, 2) or not isinstance(result.exception, SystemExit | None)
    return bad_exit or "Traceback" in result.output


def test_500_seeded_mutants_of_the_shipped_scenarios_exit_0_or_2_in_validate_and_generate(
    tmp_path: Path,
) -> None:
    """Deleted keys, wrong types, odd numbers, characters, aliases and garbage: 0 or 2, never a crash.

    Every mutant goes through ``validate`` and through ``generate`` (two sessions), so a value that
    validates but cannot be built shows up too; both refuse with ``file:line: ...``."""
    rng = random.Random(14)
    runner = CliRunner()
    failures: list[str] = []
    accepted = 0
    for index in range(500):
        source = rng.choice(SCENARIOS)
        path = tmp_path / f"m{index}.yaml"
        path.write_bytes(_mutant(rng, source))
        out = tmp_path / f"m{index}.jsonl"
        for args in (["validate", str(path)], ["generate", str(path), "--sessions", "2", "--out", str(out)]):
            result = runner.invoke(main, args)
            if _crashed(result):
                failures.append(
                    f"{args[0]} {path.name} from {source.name}: exit {result.exit_code} {result.exception!r}"
                )
            elif result.exit_code == 2 and not PREFIXED_MESSAGE.search(result.output):
                failures.append(f"{args[0]} {path.name}: exit 2 without file:line: {result.output!r}")
            accepted += result.exit_code == 0
    assert not failures, "\n".join(failures)
    assert accepted >= 40, f"only {accepted} runs accepted a mutant: the fuzz barely reaches generation"
