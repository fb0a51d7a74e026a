"""Broken scenarios: every error names the file, the line, the field and what is wrong.

Each case is what a user who made that mistake sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.core.errors import ScenarioError
from simulator.core.scenario import _compose, load_scenario, parse_scenario

SOURCE = "x.yaml"
ARRIVALS = "arrivals:\n  sessions: 3\n"


def _error(text: str, env: dict[str, str] | None = None) -> ScenarioError:
    """Parse ``text`` as x.yaml and return the ScenarioError it must raise."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source=SOURCE, env={} if env is None else env)
    return info.value


def _check(exc: ScenarioError, line: int | None, field: str, *words: str) -> None:
    """Assert the error's file, line, field, problem words and the one-line message."""
    assert exc.path == SOURCE
    assert exc.line == line
    assert exc.field == field
    for word in words:
        assert word in exc.problem, f"{word!r} not in {exc.problem!r}"
    where = f"{SOURCE}:{line}" if line else SOURCE
    prefix = f"{where}: {field}: " if field else f"{where}: "
    assert str(exc) == prefix + exc.problem


# --- unknown keys -------------------------------------------------------------------


def test_unknown_top_level_key_lists_the_allowed_keys() -> None:
    """A misspelt top-level key is named with its line and the keys a scenario may have."""
    exc = _error(f"name: t\n{ARRIVALS}flwo:\n  entry: {{InQueue: 1.0}}\n")
    _check(exc, 4, "flwo", "unknown key", "allowed:", "name", "arrivals", "flow", "population")


def test_unknown_nested_key_names_the_dotted_path_and_allowed_keys() -> None:
    """A typo deep in the flow (flow.queue.wiat) is reported with its dotted path and its siblings."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    wiat: 3m\n")
    _check(exc, 6, "flow.queue.wiat", "unknown key", "wait", "abandon_probability")


def test_unknown_key_in_a_list_item_names_the_index() -> None:
    """A typo inside one agent of the agents list names that agent's index and line."""
    text = (
        f"name: t\n{ARRIVALS}population:\n  agents:\n"
        "    - {associate_id: 316, user_id: 16}\n"
        "    - associate_id: 317\n      user_id: 17\n      nmae: Ola\n"
    )
    exc = _error(text)
    _check(exc, 9, "population.agents[1].nmae", "unknown key", "associate_id", "user_id", "name")


# --- wrong types and ranges ---------------------------------------------------------


def test_wrong_type_for_sessions_says_a_whole_number_is_expected() -> None:
    """`sessions: many` is refused at its line because sessions is a count."""
    exc = _error("name: t\narrivals:\n  sessions: many\n")
    _check(exc, 3, "arrivals.sessions", "integer")


def test_probability_above_one_is_refused() -> None:
    """A probability of 1.5 is refused with the limit it breaks."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    abandon_probability: 1.5\n")
    _check(exc, 6, "flow.queue.abandon_probability", "less than or equal to 1")


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("name: t\narrivals:\n  sessions: true\n", 3, "arrivals.sessions"),
        (f"name: t\n{ARRIVALS}flow:\n  conversation: {{turns: yes}}\n", 5, "flow.conversation.turns"),
    ],
)
def test_a_yaml_boolean_is_not_a_count(text: str, line: int, field: str) -> None:
    """YAML reads `true` and `yes` as booleans, which pydantic alone would count as 1."""
    _check(_error(text), line, field, "expected a whole number, got true")


def test_a_probability_may_be_a_percentage_as_for_fault_rates() -> None:
    """`30%` is 0.3, as `--fault duplicate=5%` is 0.05; a percentage that is no number, or over
    100%, is refused at its line."""
    scenario = parse_scenario(f"name: t\n{ARRIVALS}flow:\n  queue:\n    abandon_probability: 30%\n")
    assert scenario.flow.queue.abandon_probability == 0.3
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    abandon_probability: lots%\n")
    _check(exc, 6, "flow.queue.abandon_probability", "expected a share such as 0.05 or 5%, got 'lots%'")
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    abandon_probability: 150%\n")
    _check(exc, 6, "flow.queue.abandon_probability", "less than or equal to 1")


def test_a_duplicate_agent_or_topic_id_is_refused_at_the_entry_that_repeats_it() -> None:
    """Two agents with one user id, or two topics with one id, would make the mock API's lookups
    by id ambiguous; each repeat is reported on its own line."""
    text = (
        f"name: t\n{ARRIVALS}population:\n  agents:\n"
        "    - {associate_id: 316, user_id: 16}\n    - {associate_id: 317, user_id: 16}\n"
        "  topics:\n    - {id: 1}\n    - {id: 2}\n    - {id: 1}\n"
    )
    exc = _error(text)
    _check(exc, 7, "population.agents[1].user_id", "duplicate user_id 16 (entry 0 has it)")
    _check(exc.also[0], 11, "population.topics[2].id", "duplicate id 1 (entry 0 has it)")


def test_section_given_as_a_list_asks_for_a_mapping_without_class_names() -> None:
    """`flow: [1, 2]` says a mapping is expected, without naming internal classes."""
    exc = _error(f"name: t\n{ARRIVALS}flow: [1, 2]\n")
    _check(exc, 4, "flow", "mapping")
    assert "FlowSpec" not in str(exc)


# --- branch weights -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "field", "total"),
    [
        (f"name: t\n{ARRIVALS}flow:\n  entry: {{InQueue: 0.5, Faq: 0.2}}\n", 5, "flow.entry", "0.7"),
        (
            f"name: t\n{ARRIVALS}flow:\n  end:\n    ended_by: {{user: 0.6, customer: 0.6}}\n",
            6,
            "flow.end.ended_by",
            "1.2",
        ),
        (f"name: t\nlocales:\n  nb_NO: 0.5\n  en_GB: 0.4\n{ARRIVALS}", 2, "locales", "0.9"),
    ],
    ids=["flow.entry", "end.ended_by", "locales"],
)
def test_weights_that_do_not_add_up_to_one_show_the_sum(text: str, line: int, field: str, total: str) -> None:
    """Branch weights that do not add up to 1 are refused, and the message shows their sum."""
    exc = _error(text)
    _check(exc, line, field, f"add up to {total}", "must add up to 1")


def test_negative_weight_is_refused() -> None:
    """A negative branch weight is refused even when the weights add up to 1."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  entry: {{InQueue: 1.5, Faq: -0.5}}\n")
    _check(exc, 5, "flow.entry", "negative")


# --- unknown names ------------------------------------------------------------------


def test_unknown_entry_status_lists_the_allowed_statuses() -> None:
    """An entry status that does not exist is named, with the statuses a session may start in."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  entry: {{InQueue: 0.5, Waiting: 0.5}}\n")
    assert exc.line == 5
    assert exc.field.startswith("flow.entry")
    for word in ("'Waiting'", "not allowed", "InQueue", "PreChatForm", "Faq"):
        assert word in exc.problem


@pytest.mark.parametrize(
    ("text", "line", "field", "allowed"),
    [
        (
            f"name: t\n{ARRIVALS}flow:\n  entry:\n    InQueue: 0.5\n    Waiting: 0.5\n",
            7,
            "flow.entry.Waiting",
            "PreChatForm",
        ),
        (
            f"name: t\n{ARRIVALS}flow:\n  end:\n    final_status:\n      Finished: 0.5\n      Finshed: 0.5\n",
            8,
            "flow.end.final_status.Finshed",
            "Closed",
        ),
    ],
    ids=["flow.entry", "end.final_status"],
)
def test_unknown_status_key_points_at_its_own_line(text: str, line: int, field: str, allowed: str) -> None:
    """In a block mapping, an unknown status is reported at its own line with its own name."""
    exc = _error(text)
    _check(exc, line, field, "not allowed", allowed)


def test_bad_value_under_a_number_key_points_at_its_own_line() -> None:
    """In `rating: values:`, a bad weight is reported at its own line as values.2."""
    text = f"name: t\n{ARRIVALS}flow:\n  end:\n    rating:\n      values:\n        1: 0.5\n        2: lots\n"
    exc = _error(text)
    _check(exc, 9, "flow.end.rating.values.2", "number")


def test_unknown_locale_lists_the_supported_markets() -> None:
    """A locale outside SuperOffice's markets is named at its line, with the supported ones."""
    exc = _error(f"name: t\nlocales:\n  nb_NO: 0.5\n  fr_FR: 0.5\n{ARRIVALS}")
    _check(exc, 4, "locales.fr_FR", "'fr_FR'", "not allowed", "nb_NO", "sv_SE", "de_DE", "en_US")


def test_unknown_webhook_event_lists_the_chat_events() -> None:
    """An event name that is not a chat event is named, with the three chat events."""
    exc = _error(f"name: t\nwebhook:\n  events: [chatsession.created, chatsession.deleted]\n{ARRIVALS}")
    assert exc.line == 3
    assert exc.field.startswith("webhook.events")
    for word in ("chatsession.deleted", "allowed", "chatsession.message", "chatsession.changed"):
        assert word in exc.problem


def test_unknown_webhook_event_in_a_block_list_points_at_the_item() -> None:
    """In a block list, the wrong event is reported at its own line and index."""
    text = f"name: t\nwebhook:\n  events:\n    - chatsession.created\n    - chatsession.deleted\n{ARRIVALS}"
    exc = _error(text)
    _check(exc, 5, "webhook.events[1]", "chatsession.deleted", "chatsession.changed")


# --- ${ENV} interpolation -----------------------------------------------------------


def test_missing_environment_variable_is_named() -> None:
    """A ${VAR} that is not set names the variable and how to give a default."""
    exc = _error(f"name: t\nwebhook:\n  secret: ${{SOSIM_SECRET}}\n{ARRIVALS}", env={})
    _check(exc, 3, "webhook.secret", "SOSIM_SECRET", "not set", "${SOSIM_SECRET:-default}")


def test_env_default_is_used_when_the_variable_is_not_set() -> None:
    """`${VAR:-default}` falls back to the default when VAR is unset."""
    text = f"name: t\nwebhook:\n  secret: ${{SOSIM_SECRET:-change-me}}\n{ARRIVALS}"
    assert parse_scenario(text, source=SOURCE, env={}).webhook.secret == "change-me"


def test_env_value_wins_over_the_default() -> None:
    """`${VAR:-default}` takes VAR's value when it is set, and values are then validated."""
    text = "name: t\nwebhook:\n  secret: ${S:-change-me}\narrivals:\n  sessions: ${N}\n"
    scenario = parse_scenario(text, source=SOURCE, env={"S": "s3cret", "N": "7"})
    assert scenario.webhook.secret == "s3cret"
    assert scenario.arrivals.sessions == 7


# --- YAML itself --------------------------------------------------------------------


def test_yaml_syntax_error_gives_the_line_of_the_error() -> None:
    """A mis-indented key is a YAML syntax error at the line where it happens."""
    exc = _error("name: t\narrivals:\n  sessions: 3\n   process: poisson\n")
    _check(exc, 4, "", "YAML syntax error", "mapping values are not allowed")


def test_tab_indentation_is_a_yaml_syntax_error_at_its_line() -> None:
    """A tab used for indentation is reported at its line."""
    exc = _error("name: t\narrivals:\n\tsessions: 3\n")
    _check(exc, 3, "", "YAML syntax error", "'\\t'")


def test_unclosed_bracket_names_the_line_where_it_was_opened() -> None:
    """An unclosed [ is reported where the parser notices it, and says on which line it was opened."""
    exc = _error("name: t\narrivals:\n  sessions: [3\nflow: {}\n")
    _check(exc, 4, "", "YAML syntax error", "line 3")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"], ids=["empty", "blank", "comment"])
def test_empty_file_says_it_is_empty(text: str) -> None:
    """A file with nothing in it says so instead of a validation error."""
    _check(_error(text), 1, "", "empty")


@pytest.mark.parametrize("text", ["- name: t\n", "just text\n"], ids=["list", "scalar"])
def test_top_level_must_be_a_mapping(text: str) -> None:
    """A list or a bare value at the top is refused with what a scenario looks like."""
    _check(_error(text), 1, "", "mapping", "name:", "arrivals:")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (f"name: t\n{ARRIVALS}name: u\n", "name"),
        ("name: t\narrivals:\n  sessions: 3\n  sessions: 4\n", "arrivals.sessions"),
    ],
    ids=["top", "nested"],
)
def test_duplicate_key_is_refused_at_the_second_occurrence(text: str, field: str) -> None:
    """A key given twice is an error at the second one (YAML would silently keep the last)."""
    _check(_error(text), 4, field, "duplicate key")


def test_recursive_alias_is_a_scenario_error() -> None:
    """An anchor that refers to itself is reported as a scenario error, not a crash."""
    exc = _error("name: t\narrivals: &a\n  sessions: 3\n  again: *a\n")
    assert exc.line is not None
    assert "alias" in exc.problem or "recursive" in exc.problem


# --- arrivals -----------------------------------------------------------------------


def test_missing_arrivals_is_required() -> None:
    """A scenario without arrivals says that arrivals is required."""
    _check(_error("name: t\nflow: {}\n"), 1, "arrivals", "required but missing")


def test_arrivals_without_an_end_is_refused() -> None:
    """Arrivals with neither sessions nor duration are refused, so a run always ends."""
    _check(_error("name: t\narrivals:\n  process: poisson\n"), 2, "arrivals", "sessions", "duration")


def test_bad_duration_shows_the_accepted_forms() -> None:
    """`duration: 5 minutes` is refused with examples of durations that work."""
    exc = _error("name: t\narrivals:\n  duration: 5 minutes\n")
    _check(exc, 3, "arrivals.duration", "'5 minutes'", "30s", "5m")


@pytest.mark.parametrize(
    ("rate", "words"),
    [("fast", ("'fast'", "500/s", "30/min")), ("0/s", ("'0/s'", "above zero"))],
    ids=["words", "zero"],
)
def test_bad_rate_shows_the_accepted_forms(rate: str, words: tuple[str, ...]) -> None:
    """A rate that is not N/period (or is zero) is refused with examples of rates that work."""
    exc = _error(f"name: t\narrivals:\n  sessions: 3\n  rate: {rate}\n")
    _check(exc, 4, "arrivals.rate", *words)


def test_burst_process_needs_a_burst() -> None:
    """`process: burst` without a burst: section says what to add."""
    exc = _error("name: t\narrivals:\n  sessions: 3\n  process: burst\n")
    _check(exc, 2, "arrivals", "burst: {size: N, every: DURATION}")


# --- delays and counts --------------------------------------------------------------


def test_uniform_delay_bounds_reversed() -> None:
    """`wait: {uniform: [5m, 30s]}` says the lower bound is above the upper one."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    wait: {{uniform: [5m, 30s]}}\n")
    _check(exc, 6, "flow.queue.wait.uniform", "lower bound is above the upper bound")


def test_uniform_count_bounds_reversed() -> None:
    """`turns: {uniform: [6, 2]}` says the lower bound is above the upper one."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  conversation:\n    turns: {{uniform: [6, 2]}}\n")
    _check(exc, 6, "flow.conversation.turns.uniform", "lower bound is above the upper bound")


def test_lognormal_median_above_p95() -> None:
    """A lognormal delay whose median is above its p95 says median <= p95."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    wait: {{lognormal: {{median: 5m, p95: 30s}}}}\n")
    _check(exc, 6, "flow.queue.wait.lognormal", "median <= p95")


def test_unknown_delay_kind_lists_the_delay_forms() -> None:
    """`wait: {normal: 5}` lists the delay forms (fixed, uniform, lognormal)."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    wait: {{normal: 5}}\n")
    _check(exc, 6, "flow.queue.wait", "fixed", "uniform", "lognormal")


def test_negative_bare_delay_is_refused() -> None:
    """A negative delay is refused with the accepted duration forms."""
    exc = _error(f"name: t\n{ARRIVALS}flow:\n  queue:\n    wait: -5\n")
    assert exc.line == 6
    assert exc.field.startswith("flow.queue.wait")
    assert "negative" in exc.problem


# --- files --------------------------------------------------------------------------


def test_missing_file_is_named() -> None:
    """A scenario path that does not exist is named, without a line number."""
    path = Path("/nonexistent/dir/missing.yaml")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    exc = info.value
    assert (exc.path, exc.line, exc.field, exc.problem) == (str(path), None, "", "no such file")
    assert str(exc) == f"{path}: no such file"


def test_error_in_a_file_names_that_file(tmp_path: Path) -> None:
    """Errors from load_scenario carry the file's own path as given."""
    file = tmp_path / "copy.yaml"
    file.write_text("name: copy\narrivals:\n  sessions: 3\nflow:\n  queue:\n    wiat: 3m\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    exc = info.value
    assert (exc.path, exc.line, exc.field) == (str(file), 6, "flow.queue.wiat")
    assert str(exc).startswith(f"{file}:6: flow.queue.wiat: unknown key (allowed: wait, ")


def test_missing_env_var_in_a_file(tmp_path: Path) -> None:
    """A file whose secret needs an unset variable names the file, line and variable."""
    file = tmp_path / "secret.yaml"
    file.write_text(
        "name: s\nwebhook:\n  name: hook\n  secret: ${MY_HOOK_SECRET}\narrivals: {sessions: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(file, env={"OTHER": "x"})
    assert str(info.value).startswith(f"{file}:4: webhook.secret: environment variable MY_HOOK_SECRET")


def test_directory_instead_of_a_file_is_a_scenario_error(tmp_path: Path) -> None:
    """Passing a directory is a clear error, not a crash."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert info.value.path == str(tmp_path)
    assert "cannot read the file" in info.value.problem


def test_file_that_is_not_utf8_is_a_scenario_error(tmp_path: Path) -> None:
    """A file in another encoding is a clear error, not a crash."""
    file = tmp_path / "latin1.yaml"
    file.write_bytes("name: Bjørn\narrivals: {sessions: 1}\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    assert info.value.path == str(file)
    assert (info.value.line, info.value.problem) == (1, "not valid UTF-8 (byte 9)")


def test_override_with_unknown_status_is_refused_at_load() -> None:
    """An override that would send a status that does not exist fails at load time, naming it."""
    text = "name: x\narrivals: {sessions: 1}\npayload:\n  overrides:\n    - set: {FieldValues.Status: Bogus}"
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="o.yaml")
    assert info.value.line == 5 and "Bogus" in str(info.value) and "InQueue" in str(info.value)


def test_override_status_name_becomes_its_number() -> None:
    """A status override may use the name; the payload gets its integer value."""
    text = "name: x\narrivals: {sessions: 1}\npayload:\n  overrides:\n    - set: {FieldValues.Status: Closed}"
    assert parse_scenario(text).payload.overrides[0].set == {"FieldValues.Status": 9}


# --- header injection ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "char"), [('"a\\r\\nX-Evil: 1"', "CR"), ('"a\\nb"', "LF"), ('"a\\0b"', "NUL")]
)
def test_a_webhook_header_with_a_line_break_or_nul_is_refused(value: str, char: str) -> None:
    """webhook.headers with CR, LF or NUL would smuggle headers on the wire: refused on its line."""
    exc = _error("name: x\n" + ARRIVALS + f"webhook:\n  headers:\n    X-Test: {value}\n")
    _check(exc, 5, "webhook.headers", char, "X-Test")


@pytest.mark.parametrize("name", ["Host", "content-length"])
def test_a_webhook_header_sosim_computes_is_refused(name: str) -> None:
    """Host and Content-Length come from the target URL and the body, never from a scenario."""
    exc = _error("name: x\n" + ARRIVALS + f"webhook:\n  headers:\n    {name}: x\n")
    _check(exc, 5, "webhook.headers", "set by sosim")


# --- libyaml and the pure-Python loader -----------------------------------------------------

SHIPPED = sorted((Path(__file__).resolve().parents[3] / "scenarios").glob("*.yaml"))


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml")
@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_libyaml_reads_each_shipped_scenario_as_the_pure_python_loader_does(path: Path) -> None:
    """The fast path (libyaml) gives the same values and the same line of every field."""
    text = path.read_text(encoding="utf-8")
    assert _compose(yaml.CSafeLoader(text), path.name) == _compose(yaml.SafeLoader(text), path.name)


TAB = "YAML syntax error: found character '\\t' that cannot start any token"


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("name: x\narrivals: {sessions:\t3}\n", 2, TAB),
        ("name:\tx\n" + ARRIVALS, 1, TAB),
        ("name: x\n" + ARRIVALS + "\x85\x07", 4, "control character U+0007"),
    ],
)
def test_what_libyaml_would_take_is_refused_as_before(text: str, line: int, problem: str) -> None:
    """A tab after a colon or a control character: libyaml lets some through, PyYAML did not,
    and sosim still does not."""
    _check(_error(text), line, "", problem)
