"""The scenario's validation kit: immutable nodes whose fields each name a check.

A scenario is validated once, at the edge, and every command that reads one pays for it at
start-up. pydantic did the job, but importing it and building the schema of the scenario's 30
models took about 150 ms of ``sosim validate``'s 270 ms (issue 18's target is 150 ms); this kit
imports in about 1 ms. It keeps what the scenario needs and nothing more: lax conversion of YAML's
scalars (``"5"`` is 5, ``30%`` goes through the field's own parser), limits, literals, tuples,
mappings, nested nodes, tagged unions and validators, and it reports **every** error with its
location, type and message, worded as pydantic worded them (the docs quote them).

A node is declared like a dataclass, with :func:`field` naming each field's check::

    class TopicSpec(Strict):
        id: int = field(whole(ge=1))
        weight: float = field(number(gt=0), default=1.0)

``TopicSpec(id=1)`` and ``TopicSpec.model_validate({"id": 1})`` both validate; a node accepts an
instance of its own class as it is.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar, Self, TypedDict, dataclass_transform

Loc = tuple[str | int, ...]


class ErrorDetail(TypedDict):
    """One error, in the shape of pydantic's ``errors()`` entries."""

    type: str
    loc: Loc
    msg: str
    input: Any
    ctx: dict[str, Any]


class Problem(ValueError):
    """Raised by a check: what is wrong with one value (``kind`` is the error's type)."""

    def __init__(self, kind: str, message: str, **ctx: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.ctx = ctx


class Invalid(ValueError):
    """Validation failed; ``errors()`` lists every error with its location."""

    def __init__(self, title: str, errors: list[ErrorDetail]) -> None:
        first = errors[0] if errors else None
        where = ".".join(str(part) for part in first["loc"]) if first else ""
        super().__init__(f"{title}: {len(errors)} error(s); {where}: {first['msg'] if first else ''}")
        self.title = title
        self._errors = errors

    def errors(self) -> list[ErrorDetail]:
        return list(self._errors)


class _Failed:
    """What a check returns after it has noted its errors."""


FAILED: Any = _Failed()
Errors = list[ErrorDetail]
#: A check: (value, location, error list) -> the converted value, or FAILED once it noted why.
Check = Callable[[Any, Loc, Errors], Any]


def note(errors: Errors, loc: Loc, value: Any, problem: Problem) -> Any:
    """Add ``problem`` about ``value`` at ``loc`` to ``errors``; return FAILED."""
    errors.append(
        {"type": problem.kind, "loc": loc, "msg": problem.message, "input": value, "ctx": problem.ctx}
    )
    return FAILED


def _converted(convert: Callable[[Any], Any], value: Any, loc: Loc, errors: Errors) -> Any:
    """``convert(value)``, or FAILED with what it raised noted: a Problem as it is, an Invalid's
    errors under ``loc``, any other ValueError as a value error."""
    try:
        return convert(value)
    except Problem as problem:
        return note(errors, loc, value, problem)
    except Invalid as exc:
        errors.extend({**e, "loc": (*loc, *e["loc"])} for e in exc.errors())
        return FAILED
    except ValueError as exc:
        return note(errors, loc, value, Problem("value_error", str(exc)))


def leaf(convert: Callable[[Any], Any]) -> Check:
    """A check of one value: ``convert`` returns it converted or raises ValueError (or Problem)."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        return _converted(convert, value, loc, errors)

    return check


# --- what a check holds, for the keys an unknown-key error lists --------------------

#: ("node", cls): a node's fields; ("items", check): a list's or mapping's entries; ("union",
#: checks): any of them; ("tagged", (choose, {tag: check})): the one ``choose`` picks.
Shape = tuple[str, Any]


def _shaped(check: Check, shape: Shape | None) -> Check:
    if shape is not None:
        setattr(check, "shape", shape)  # noqa: B010 -- a function's attribute, unknown to mypy
    return check


def shape_of(check: Check) -> Shape | None:
    shape: Shape | None = getattr(check, "shape", None)
    return shape


_UNKNOWN: Any = object()


def keys_at(check: Check, path: Loc, data: Any = _UNKNOWN) -> list[str]:
    """The keys the node at ``path`` under ``check`` may have ([] where there is no node).

    ``data`` is the user's value at ``check``: with it, a tagged union lists the keys of the
    branch that value chose, not of every branch.
    """
    shape = shape_of(check)
    if shape is None:
        return []
    kind, held = shape
    if kind == "tagged":
        choose, branches = held
        tag = None if data is _UNKNOWN else choose(data)
        if tag in branches:
            return keys_at(branches[tag], path, data)
        kind, held = "union", tuple(branches.values())
    if kind == "union":
        found = (key for branch in held for key in keys_at(branch, path, data))
        return list(dict.fromkeys(found))
    if not path:
        if kind == "node":
            return [name for name, f in held.model_fields.items() if not f.exclude]
        # One entry written where a list may stand (rotate_secret: {at: ..., to: ...}).
        return keys_at(held, (), data) if kind == "items" else []
    part, below = path[0], _child(data, path[0])
    if kind == "items":
        return keys_at(held, path[1:], below)
    inner = held.model_fields.get(str(part))
    return keys_at(inner.check, path[1:], below) if inner else []


def _child(data: Any, part: str | int) -> Any:
    """The user's value under ``part`` (a key as the path spells it, or an index), if there is one."""
    if isinstance(data, Mapping):
        return next((value for key, value in data.items() if key == part or str(key) == part), _UNKNOWN)
    if isinstance(data, list | tuple) and isinstance(part, int) and 0 <= part < len(data):
        return data[part]
    return _UNKNOWN


# --- scalars ------------------------------------------------------------------------


def _bound(limit: float) -> str:
    return str(int(limit)) if isinstance(limit, float) and limit.is_integer() else str(limit)


def _limits(value: float, ge: float | None, le: float | None, gt: float | None) -> None:
    if gt is not None and not value > gt:
        raise Problem("greater_than", f"Input should be greater than {_bound(gt)}", gt=gt)
    if ge is not None and not value >= ge:
        raise Problem("greater_than_equal", f"Input should be greater than or equal to {_bound(ge)}", ge=ge)
    if le is not None and not value <= le:
        raise Problem("less_than_equal", f"Input should be less than or equal to {_bound(le)}", le=le)


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Problem("float_type", "Input should be a valid number")
    try:
        if isinstance(value, str) and not value.isascii():  # float() also reads other scripts' digits
            raise ValueError(value)
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise Problem(
            "float_parsing", "Input should be a valid number, unable to parse string as a number"
        ) from None
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise Problem("finite_number", "Input should be a finite number")
    return number


def number(
    *,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    parse: Callable[[Any], Any] | None = None,
) -> Check:
    """A finite float; ``parse`` first turns the user's spelling (``30s``, ``5/s``, ``30%``) into one."""

    def convert(value: Any) -> float:
        converted = _as_float(parse(value) if parse else value)
        _limits(converted, ge, le, gt)
        return converted

    return leaf(convert)


#: A whole number in text, as pydantic read one: ASCII digits, a sign, decimal zeros ("5.0", as
#: ``${ENV}`` values may be written).
_WHOLE_TEXT = re.compile(r"([+-]?[0-9]+)(?:\.0*)?")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):  # YAML reads true and yes as booleans: no count
        raise Problem("value_error", f"expected a whole number, got {str(value).lower()}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Problem("finite_number", "Input should be a finite number")
        if not value.is_integer():
            raise Problem(
                "int_from_float", "Input should be a valid integer, got a number with a fractional part"
            )
        return int(value)
    if isinstance(value, str):
        spelled = _WHOLE_TEXT.fullmatch(value.strip())
        if spelled is None:
            raise Problem(
                "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
            )
        return int(spelled[1])
    raise Problem("int_type", "Input should be a valid integer")


def whole(*, ge: int | None = None, le: int | None = None) -> Check:
    """A whole number (``"5"`` and ``5.0`` are 5; a YAML boolean is refused)."""

    def convert(value: Any) -> int:
        converted = _as_int(value)
        _limits(converted, ge, le, None)
        return converted

    return leaf(convert)


def text(*, min_length: int = 0) -> Check:
    """A string, as YAML gives it (a number is no string)."""

    def convert(value: Any) -> str:
        if isinstance(value, bytes):  # YAML's !!binary
            try:
                value = value.decode()
            except UnicodeDecodeError:
                raise Problem(
                    "string_unicode",
                    "Input should be a valid string, unable to parse raw data as a unicode string",
                ) from None
        if not isinstance(value, str):
            raise Problem("string_type", "Input should be a valid string")
        if len(value) < min_length:
            plural = "character" if min_length == 1 else "characters"
            raise Problem("string_too_short", f"String should have at least {min_length} {plural}")
        return value

    return leaf(convert)


_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
    if isinstance(value, int | float | str):
        raise Problem("bool_parsing", "Input should be a valid boolean, unable to interpret input")
    raise Problem("bool_type", "Input should be a valid boolean")


flag: Check = leaf(_as_bool)


#: Unix times above this are milliseconds, as pydantic read them (2e10 s is the year 2603).
_MILLISECONDS_ABOVE = 2e10


def _from_unix(seconds: float) -> datetime:
    if abs(seconds) > _MILLISECONDS_ABOVE:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise Problem(
            "datetime_parsing", "Input should be a valid datetime, the timestamp is out of range"
        ) from None


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_unix(value)
    if isinstance(value, str):
        spelled = value.strip()
        seconds = _number_in(spelled)
        return _from_iso(spelled) if seconds is None else _from_unix(seconds)
    raise Problem("datetime_type", "Input should be a valid datetime")


def _number_in(spelled: str) -> float | None:
    """The number a string spells in ASCII (``"1767600000"``), or None."""
    if not spelled.isascii():
        return None
    try:
        return float(spelled)
    except ValueError:
        return None


def _from_iso(spelled: str) -> datetime:
    if len(spelled) > 10 and spelled[10] == "t":  # RFC 3339 allows a lower-case t and z
        spelled = spelled[:10] + "T" + spelled[11:]
    try:
        return datetime.fromisoformat(spelled[:-1] + "Z" if spelled.endswith("z") else spelled)
    except ValueError:
        raise Problem(
            "datetime_parsing", "Input should be a valid datetime or date, such as 2026-01-05T08:00:00Z"
        ) from None


moment: Check = leaf(_as_datetime)


def anything(value: Any, loc: Loc, errors: Errors) -> Any:
    """Any value, unchecked (a payload override's value is checked by its key)."""
    return value


def one_of(*allowed: Any) -> Check:
    """One of the ``allowed`` values (a Literal)."""
    choices = frozenset(allowed)
    expected = (
        ", ".join(repr(a) for a in allowed[:-1]) + f" or {allowed[-1]!r}"
        if len(allowed) > 1
        else repr(allowed[0])
    )

    def convert(value: Any) -> Any:
        if isinstance(value, bool) or not _hashable(value) or value not in choices:
            raise Problem("literal_error", f"Input should be {expected}", expected=expected)
        return value

    return leaf(convert)


def _hashable(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | None)


# --- containers ---------------------------------------------------------------------


def many(item: Check) -> Check:
    """A tuple of any length, from a YAML list."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        if not isinstance(value, list | tuple):
            return note(errors, loc, value, Problem("tuple_type", "Input should be a valid tuple"))
        items = [item(entry, (*loc, i), errors) for i, entry in enumerate(value)]
        return FAILED if any(entry is FAILED for entry in items) else tuple(items)

    return _shaped(check, ("items", item))


def pair(first: Check, second: Check) -> Check:
    """A tuple of exactly two (bounds)."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        if not isinstance(value, list | tuple):
            return note(errors, loc, value, Problem("tuple_type", "Input should be a valid tuple"))
        if len(value) > 2:
            problem = Problem(
                "too_long", f"Tuple should have at most 2 items after validation, not {len(value)}"
            )
            return note(errors, loc, value, problem)
        items = []
        for i, part in enumerate((first, second)):
            if i < len(value):
                items.append(part(value[i], (*loc, i), errors))
            else:
                items.append(note(errors, (*loc, i), value, Problem("missing", "Field required")))
        return FAILED if any(entry is FAILED for entry in items) else tuple(items)

    return check


def table(key: Check, value: Check) -> Check:
    """A mapping; each key and value checked, an error located at its key."""

    def check(data: Any, loc: Loc, errors: Errors) -> Any:
        if not isinstance(data, Mapping):
            return note(errors, loc, data, Problem("dict_type", "Input should be a valid dictionary"))
        result: dict[Any, Any] = {}
        failed = False
        for name, entry in data.items():
            converted_key = key(name, (*loc, name), errors)
            converted = value(entry, (*loc, name), errors)
            failed = failed or converted_key is FAILED or converted is FAILED
            if not failed:
                result[converted_key] = converted
        return FAILED if failed else result

    return _shaped(check, ("items", value))


def optional(inner: Check) -> Check:
    """``None``, or what ``inner`` accepts."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        return None if value is None else inner(value, loc, errors)

    return _shaped(check, shape_of(inner))


def tagged(choose: Callable[[Any], str | None], branches: Mapping[str, Check], unknown: Problem) -> Check:
    """One of several checks, picked by ``choose``; a value that fits none is ``unknown``."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        tag = choose(value)
        if tag is None or tag not in branches:
            return note(errors, loc, value, unknown)
        return branches[tag](value, loc, errors)

    return _shaped(check, ("tagged", (choose, dict(branches))))


def either(*checks: Check) -> Check:
    """The first of ``checks`` that accepts the value; else the last one's errors. Put the
    strictest first: ``either(text(), whole())`` keeps ``"5"`` a string."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        for candidate in checks[:-1]:
            converted = candidate(value, loc, [])
            if converted is not FAILED:
                return converted
        return checks[-1](value, loc, errors)

    return _shaped(check, ("union", checks))


def before(prepare: Callable[[Any], Any], inner: Check) -> Check:
    """``inner`` on what ``prepare`` makes of the value (a shorthand spelt out); ``prepare``
    may raise ValueError."""
    prepared = leaf(prepare)

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        ready = prepared(value, loc, errors)
        return FAILED if ready is FAILED else inner(ready, loc, errors)

    return _shaped(check, shape_of(inner))


def after(inner: Check, validate: Callable[[Any], Any]) -> Check:
    """``validate`` on what ``inner`` accepted; it may raise ValueError, or Invalid whose
    locations are relative to this value."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        converted = inner(value, loc, errors)
        return FAILED if converted is FAILED else _converted(validate, converted, loc, errors)

    return _shaped(check, shape_of(inner))


# --- nodes --------------------------------------------------------------------------


class _NoDefault:
    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


_SCALARS = (str, int, float, bool, type(None), datetime)


class Field:
    """One field of a node: its check, its default, and whether it is part of the YAML."""

    def __init__(
        self, check: Check, default: Any, default_factory: Callable[[], Any] | None, exclude: bool
    ) -> None:
        self.check = check
        self.default = default
        self.default_factory = default_factory
        self.exclude = exclude

    @property
    def required(self) -> bool:
        return self.default is NO_DEFAULT and self.default_factory is None

    def make_default(self) -> Any:
        if self.default_factory is not None:
            return self.default_factory()
        # A default that holds a mapping (a dict, or a node with one) is copied whole, so that
        # no two scenarios share one: nodes are frozen, their dicts are not.
        return self.default if isinstance(self.default, _SCALARS) else copy.deepcopy(self.default)


def field(
    check: Check,
    *,
    default: Any = NO_DEFAULT,
    default_factory: Callable[[], Any] | None = None,
    exclude: bool = False,
) -> Any:
    """Declare a node's field: its check and its default (none: the field is required)."""
    return Field(check, default, default_factory, exclude)


def node_check(method: Callable[[Any], None]) -> Callable[[Any], None]:
    """Mark a method that checks the whole node after its fields (it raises ValueError)."""
    method.__node_check__ = True  # type: ignore[attr-defined]
    return method


def node(cls: type[Strict]) -> Check:
    """A nested node: a mapping of its fields, or an instance as it is."""

    def check(value: Any, loc: Loc, errors: Errors) -> Any:
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            problem = Problem(
                "model_type", f"Input should be a valid dictionary or instance of {cls.__name__}"
            )
            return note(errors, loc, value, problem)
        return cls._build(value, loc, errors)

    return _shaped(check, ("node", cls))


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field,))
class Strict:
    """Base of every scenario node: unknown keys are errors, values are immutable."""

    model_fields: ClassVar[dict[str, Field]] = {}
    _node_checks: ClassVar[tuple[Callable[[Any], None], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(cls.model_fields)
        for name, value in list(vars(cls).items()):
            if isinstance(value, Field):
                fields[name] = value
                delattr(cls, name)  # an instance always holds its own value
        undeclared = [
            name
            for name, annotation in vars(cls).get("__annotations__", {}).items()
            if name not in fields and "ClassVar" not in str(annotation)
        ]
        if undeclared:
            raise TypeError(f"{cls.__name__}.{undeclared[0]} needs field(check, ...)")
        cls.model_fields = fields
        checks = [m for m in vars(cls).values() if getattr(m, "__node_check__", False)]
        cls._node_checks = (*cls._node_checks, *checks)

    def __init__(self, **values: Any) -> None:
        errors: Errors = []
        self._fill(values, (), errors)
        if errors:
            raise Invalid(type(self).__name__, errors)

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """Validate ``data`` (a mapping, or an instance) into a node; raise :class:`Invalid`."""
        errors: Errors = []
        built = node(cls)(data, (), errors)
        if errors:
            raise Invalid(cls.__name__, errors)
        return built  # type: ignore[no-any-return]

    @classmethod
    def _build(cls, values: Mapping[Any, Any], loc: Loc, errors: Errors) -> Any:
        built = object.__new__(cls)
        return built if built._fill(values, loc, errors) else FAILED

    def _fill(self, values: Mapping[Any, Any], loc: Loc, errors: Errors) -> bool:
        """Check ``values`` into this node's fields; note each error; True when all were good."""
        before = len(errors)
        fields = self.model_fields
        state = self.__dict__
        for name, spec in fields.items():
            if name in values:
                state[name] = spec.check(values[name], (*loc, name), errors)
            elif spec.required:
                note(errors, (*loc, name), dict(values), Problem("missing", "Field required"))
            else:
                state[name] = spec.make_default()
        for key in values:
            if key not in fields:
                note(
                    errors,
                    (*loc, key),
                    values[key],
                    Problem("extra_forbidden", "Extra inputs are not permitted"),
                )
        if len(errors) > before:
            return False
        for node_check_ in self._node_checks:
            try:
                node_check_(self)
            except ValueError as exc:
                note(errors, loc, dict(values), Problem("value_error", str(exc)))
                return False
        return True

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Self:
        """A copy with ``update``'s fields replaced, unchecked (as pydantic's model_copy)."""
        copied = object.__new__(type(self))
        copied.__dict__.update(self.__dict__)
        copied.__dict__.update(update or {})
        return copied

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._items())
        return f"{type(self).__name__}({shown})"

    def _items(self) -> Iterator[tuple[str, Any]]:
        for name in self.model_fields:
            yield name, self.__dict__[name]
