"""Load and validate YAML scenarios; every error names the file, the line and the field.

``${VAR}`` and ``${VAR:-default}`` in string values are replaced from the environment, so a
webhook secret never has to be written into a scenario file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from simulator.core.errors import ScenarioError, did_you_mean
from simulator.core.scenario_model import Scenario
from simulator.core.schema import ErrorDetail, Invalid, keys_at, node
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    # Imported where used: ``sosim validate`` needs the models, not the payload renderer.
    from simulator.core.events import PayloadOptions, Webhook

__all__ = ["Scenario", "load_scenario", "load_scenarios", "parse_scenario", "webhook_for"]

Path_ = tuple[str | int, ...]

#: The largest scenario file sosim reads: far beyond any real scenario, small enough that a
#: mistaken path (a log, a device such as /dev/zero) fails at once rather than filling memory.
MAX_FILE_BYTES = 1 << 20
#: How many YAML nodes a scenario may expand to, aliases included, and how deep it may nest. An
#: alias is walked again each time it is used, so a "billion laughs" file of a few hundred
#: bytes would expand to millions of nodes: it is refused when it passes the budget instead.
MAX_NODES = 100_000
MAX_DEPTH = 64
#: Python converts integers up to 4,300 digits; no scenario value needs more than this many.
MAX_INT_DIGITS = 100
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def load_scenario(path: str | Path, env: Mapping[str, str] | None = None) -> Scenario:
    """Read, interpolate and validate one scenario file."""
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError(file, None, "", "no such file") from None
    except OSError as exc:
        raise ScenarioError(file, None, "", f"cannot read the file ({exc.strerror or exc})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError(
            file, 1, "", f"larger than {MAX_FILE_BYTES // (1 << 20)} MiB: not a scenario file"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(file, line, "", f"not valid UTF-8 (byte {exc.start + 1})") from None
    return parse_scenario(text, source=str(file), env=env)


def load_scenarios(
    paths: list[str] | tuple[str, ...], env: Mapping[str, str] | None = None
) -> list[Scenario]:
    """Load several scenario files, in order."""
    return [load_scenario(p, env) for p in paths]


def parse_scenario(text: str, source: str = "<inline>", env: Mapping[str, str] | None = None) -> Scenario:
    """Validate a scenario given as YAML text."""
    data, lines = _parse_yaml(text, source)
    if not isinstance(data, dict):
        raise ScenarioError(source, 1, "", "a scenario must be a YAML mapping (name:, arrivals:, flow: ...)")
    defaulted: list[tuple[str, str]] = []
    used: dict[str, str] = {}  # VAR -> value, for each ${VAR} taken from the environment
    reading = _Recording(os.environ if env is None else env, used)
    data = _interpolate(data, (), lines, source, reading, defaulted)
    try:
        scenario = Scenario.model_validate({**data, "source": source, "env_defaults": tuple(defaulted)})
    except Invalid as exc:
        raise _hide_env_values(_every_error(exc, lines, source, data), used) from None
    return scenario


class _Recording(Mapping[str, str]):
    """The environment, noting each variable read: its value may be a secret."""

    def __init__(self, env: Mapping[str, str], used: dict[str, str]) -> None:
        self._env, self._used = env, used

    def __getitem__(self, name: str) -> str:
        value = self._env[name]
        self._used[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


def _hide_env_values(error: ScenarioError, used: Mapping[str, str]) -> ScenarioError:
    """The error with every environment value it quotes shown as ``${VAR}``: a value read from the
    environment (a secret, a token) never appears in a message."""

    def hide(problem: str) -> str:
        for name, value in sorted(used.items(), key=lambda item: -len(item[1])):
            if value:
                problem = problem.replace(value, f"${{{name}}}")
        return problem

    rest = [ScenarioError(e.path, e.line, e.field, hide(e.problem)) for e in error.also]
    return ScenarioError(error.path, error.line, error.field, hide(error.problem), also=rest)


# --- YAML with line numbers ---------------------------------------------------------


#: libyaml's parser, where PyYAML was built with it (its wheels are): ten times faster than the
#: pure-Python one, which cost ``sosim validate`` 10 ms. Its error messages are worded otherwise,
#: so text it refuses is parsed again by the pure-Python loader, whose message the user sees.
_FAST_LOADER: Callable[[str], Any] | None = getattr(yaml, "CSafeLoader", None)


def _parse_yaml(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    # Where the two disagree, the pure-Python loader decides: it refuses control characters and
    # tabs in places where libyaml lets them through.
    if _FAST_LOADER is not None and "\t" not in text and not yaml.reader.Reader.NON_PRINTABLE.search(text):
        fast = _FAST_LOADER(text)
        try:
            return _compose(fast, source)
        except (yaml.YAMLError, RecursionError):
            pass  # the pure-Python loader below says what is wrong
        finally:
            fast.dispose()
    loader: yaml.SafeLoader | None = None
    try:
        # The reader checks for control characters as it is built: inside the try.
        loader = yaml.SafeLoader(text)
        return _compose(loader, source)
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problem = f"control character U+{code:04X} is not allowed in YAML (character {exc.position + 1})"
        raise ScenarioError(source, text.count("\n", 0, exc.position) + 1, "", problem) from None
    except RecursionError:
        where: int | None = loader.line + 1 if loader is not None else None
        raise ScenarioError(source, where, "", f"nested more than {MAX_DEPTH} levels deep") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = f"YAML syntax error: {exc.problem or exc}"
        if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        raise ScenarioError(source, line, "", problem) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, None, "", f"YAML error: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _compose(loader: Any, source: str) -> tuple[Any, dict[Path_, int]]:
    """The document ``loader`` reads and the line of each of its paths (YAML's errors pass through)."""
    node = loader.get_single_node()
    if node is None:
        raise ScenarioError(source, 1, "", "the file is empty")
    lines: dict[Path_, int] = {}
    _collect_lines(node, (), lines, source, _Budget())
    return loader.construct_document(node), lines


class _Budget:
    """How many more nodes a scenario may expand to (aliases are counted each time they are used)."""

    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes = MAX_NODES


def _collect_lines(
    node: yaml.Node,
    path: Path_,
    lines: dict[Path_, int],
    source: str,
    budget: _Budget,
    active: frozenset[int] = frozenset(),
) -> None:
    budget.nodes -= 1
    if budget.nodes < 0:
        raise ScenarioError(
            source,
            node.start_mark.line + 1,
            _dotted(path),
            f"expands to more than {MAX_NODES:,} values (YAML aliases that repeat each other: "
            "a 'billion laughs' file?)",
        )
    if len(path) > MAX_DEPTH:
        raise ScenarioError(
            source,
            node.start_mark.line + 1,
            _dotted(path[:MAX_DEPTH]),
            f"nested more than {MAX_DEPTH} levels deep",
        )
    if isinstance(node, yaml.ScalarNode) and node.tag == _INT_TAG and len(node.value) > MAX_INT_DIGITS:
        raise ScenarioError(
            source,
            node.start_mark.line + 1,
            _dotted(path),
            f"a number with more than {MAX_INT_DIGITS} digits",
        )
    if isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP_TAG:
        _check_timestamp(node, path, source)
    if id(node) in active:
        raise ScenarioError(
            source,
            node.start_mark.line + 1,
            _dotted(path),
            "recursive YAML alias (an anchor contains itself)",
        )
    active = active | {id(node)}
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                raise ScenarioError(
                    source, key_node.start_mark.line + 1, _dotted((*path, key)), "duplicate key"
                )
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _collect_lines(value_node, (*path, key), lines, source, budget, active)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, (*path, index), lines, source, budget, active)


def _check_timestamp(node: yaml.ScalarNode, path: Path_, source: str) -> None:
    """A value shaped like a date that is no date (``2026-13-45``, ``25:00``): PyYAML's own
    constructor raises a bare ValueError for it, so it is tried here, where its line is known."""
    try:
        _TIMESTAMPS.construct_yaml_timestamp(node)
    except (ValueError, OverflowError) as exc:
        problem = f"{node.value!r} is not a valid date or time: {exc}"
        raise ScenarioError(source, node.start_mark.line + 1, _dotted(path), problem) from None


#: Only its timestamp constructor is used, which keeps no state.
_TIMESTAMPS = yaml.constructor.SafeConstructor()


def _line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    for end in range(len(path), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in path[:end])
        if key in lines:
            return lines[key]
    return None


def _dotted(path: Path_) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- ${ENV} interpolation -----------------------------------------------------------


def _interpolate(
    value: Any,
    path: Path_,
    lines: dict[Path_, int],
    source: str,
    env: Mapping[str, str],
    defaulted: list[tuple[str, str]],
) -> Any:
    """Replace ``${VAR}`` references; note in ``defaulted`` each (field, VAR) that took a default."""
    if isinstance(value, dict):
        return {k: _interpolate(v, (*path, str(k)), lines, source, env, defaulted) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, (*path, i), lines, source, env, defaulted) for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        return _ENV_REF.sub(lambda m: _env_value(m, path, lines, source, env, defaulted), value)
    return value


def _env_value(
    match: re.Match[str],
    path: Path_,
    lines: dict[Path_, int],
    source: str,
    env: Mapping[str, str],
    defaulted: list[tuple[str, str]],
) -> str:
    name, default = match.group(1), match.group(2)
    if name in env:
        return env[name]
    if default is not None:
        defaulted.append((_dotted(path), name))
        return default
    raise ScenarioError(
        source,
        _line_of(path, lines),
        _dotted(path),
        f"environment variable {name} is not set (export it, or write ${{{name}:-default}})",
    )


# --- validation errors to one clear line ----------------------------------------------


def _every_error(exc: Invalid, lines: dict[Path_, int], source: str, data: Any) -> ScenarioError:
    """The first error, carrying the rest (one per field, in the file's line order) in ``also``."""
    found: dict[str, ScenarioError] = {}
    for error in exc.errors():
        path = _clean_loc(error["loc"], data, error["type"])
        field = _dotted(path)
        if field not in found:  # a key and its value, or a shorthand, can put two on one field
            found[field] = ScenarioError(source, _line_of(path, lines), field, _describe(error, path, data))
    ordered = sorted(found.values(), key=lambda e: e.line if e.line is not None else 0)
    first, *rest = ordered
    return ScenarioError(source, first.line, first.field, first.problem, also=rest)


def _clean_loc(loc: tuple[int | str, ...], data: Any, kind: str) -> Path_:
    """Keep the parts of a location that index into the user's data (not the fields a shorthand,
    such as ``wait: 30s`` for ``{fixed: 30s}``, spelt out)."""
    cleaned: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
            part = str(part)  # a mapping key, even when YAML read it as a number
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif i == len(loc) - 1 and kind == "missing":
            pass
        else:
            continue
        cleaned.append(part)
    return tuple(cleaned)


def _describe(error: ErrorDetail, path: Path_, data: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1], data)
        if not allowed:
            return "unknown key"
        hint = did_you_mean(str(path[-1]), allowed) if path else ""
        return f"unknown key (allowed: {', '.join(allowed)})" + (f"; {hint}" if hint else "")
    if kind == "missing":
        return "required but missing"
    if kind == "literal_error":
        expected = str(error["ctx"].get("expected", ""))
        return f"{error['input']!r} is not allowed (allowed: {expected.replace(' or ', ', ')})"
    if kind in ("dict_type", "model_type"):
        return f"expected a mapping (key: value), got {type(error['input']).__name__}"
    return error["msg"]


def _allowed_keys(path: Path_, data: Any) -> list[str]:
    """The keys of the node at ``path`` in the user's ``data``, or [] where it is no node."""
    return keys_at(node(Scenario), path, data)


# --- from scenario to webhook -------------------------------------------------------


def payload_options(scenario: Scenario) -> PayloadOptions:
    """Turn the scenario's ``payload:`` section into render options."""
    from simulator.core.events import PayloadOptions

    spec = scenario.payload
    overrides = tuple(
        (override.event, key, value) for override in spec.overrides for key, value in override.set.items()
    )
    return PayloadOptions(
        field_value_keys=spec.field_value_keys,
        id_types=spec.id_types,
        customer_alias=spec.customer_alias,
        booleans=spec.booleans,
        field_values_on=frozenset(spec.field_values_on),
        changed_changes=spec.changed_changes,
        timestamp_digits=spec.timestamp_digits,
        header_spelling=spec.header_spelling,
        body_layout=spec.body_layout,
        overrides=overrides,
    )


def defaulted_secret(scenario: Scenario) -> str | None:
    """The variable whose ``${VAR:-default}`` default became the scenario's secret, or None."""
    if not scenario.webhook.secret:
        return None
    return next((name for field, name in scenario.env_defaults if field == "webhook.secret"), None)


def webhook_for(scenario: Scenario, secret: str | None = None) -> Webhook:
    """Build the webhook a scenario declares; ``secret`` overrides the scenario's own."""
    from simulator.core.events import Webhook

    spec = scenario.webhook
    return Webhook(
        name=spec.name,
        context_identifier=spec.context_identifier,
        secret=secret if secret is not None else spec.secret,
        netserver_version=spec.netserver_version,
        events=frozenset(spec.events or so.CHAT_EVENTS),
        headers=tuple(spec.headers.items()),
        payload=payload_options(scenario),
    )
