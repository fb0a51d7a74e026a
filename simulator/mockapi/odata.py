"""The ``GET /api/v1/ChatSession`` archive list: a small subset of SuperOffice's OData archive.

Pure: rows in, the ``ODataSlimResponse`` envelope out. Supported (the rest is a documented 400,
``ODataError``): ``$select`` of the columns below, ``$filter`` with ``and`` of
``column op value`` (``eq ne lt le gt ge``; ``before``/``after`` for dates; ``contains``/
``begins`` for strings), ``$orderby`` (``column [asc|desc]``, comma-separated), ``$top`` and
``$skip``. Column names follow the "ChatSession" archive provider
(docs/en/api/archive-providers/reference/chatsession.md) and match in any case. The same query
serves ``GET /api/v1/ChatTopic/{id}/Sessions`` (docs/en/api/reference/restful/rest/ChatTopic/
v1ChatTopicEntity_Sessions.md), over the topic's sessions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal
from urllib.parse import urlencode

from simulator.core.events import TICKS_PER_SECOND

ColumnType = Literal["int", "date", "string"]
Row = Mapping[str, int | str]  # a column's value: ints and date ticks as int, strings as str

#: The supported columns of the "ChatSession" archive provider, in the default $select order.
COLUMNS: Final[dict[str, ColumnType]] = {
    "chatSessionId": "int",
    "status": "int",
    "chatTopic/chatTopicId": "int",
    "rating": "int",
    "whenRequested": "date",
    "whenStarted": "date",
    "whenEnded": "date",
    "firstMessage": "string",
    "lastMessage": "string",
}
_BY_LOWER: Final = {name.lower(): name for name in COLUMNS}
_OPERATORS: Final[dict[ColumnType, frozenset[str]]] = {
    "int": frozenset({"eq", "ne", "lt", "le", "gt", "ge"}),
    "date": frozenset({"eq", "ne", "lt", "le", "gt", "ge", "before", "after"}),
    "string": frozenset({"eq", "ne", "contains", "begins"}),
}
_SUPPORTED: Final = ("$select", "$filter", "$orderby", "$top", "$skip")
_TOKEN = re.compile(r"\s*(?:'((?:[^']|'')*)'|(-?\d+)(?![\w/])|([A-Za-z_][\w/]*))")
_DAY = TICKS_PER_SECOND * 86_400
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ODataError(ValueError):
    """An OData query sosim does not support; the API answers 400 with its message."""


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``column op value`` of a ``$filter``; a date literal is a [start, end) tick span."""

    column: str
    op: str
    value: int | str | tuple[int, int]

    def matches(self, row: Row) -> bool:
        """Whether ``row`` satisfies this condition."""
        have = row[self.column]
        if isinstance(self.value, tuple):
            assert isinstance(have, int)
            return _compare_span(self.op, have, self.value)
        if isinstance(have, str):
            assert isinstance(self.value, str)
            return _compare_text(self.op, have, self.value)
        assert isinstance(self.value, int)
        return _compare(self.op, have, self.value)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed archive query."""

    select: tuple[str, ...]
    conditions: tuple[Condition, ...]
    top: int | None
    skip: int
    order: tuple[tuple[str, bool], ...] = ()  # (column, descending), the first key first


def parse_query(params: Mapping[str, str]) -> Query:
    """Parse ``$select``, ``$filter``, ``$orderby``, ``$top`` and ``$skip`` (keys already lower-cased)."""
    unknown = sorted(k for k in params if k.startswith("$") and k not in _SUPPORTED)
    if unknown:
        raise ODataError(
            f"{unknown[0]} is not supported by sosim's archive (supported: {', '.join(_SUPPORTED)})"
        )
    select = tuple(_column(name.strip()) for name in params.get("$select", "").split(",") if name.strip())
    return Query(
        select=select or tuple(COLUMNS),
        conditions=parse_filter(params.get("$filter", "")),
        top=_count(params, "$top"),
        skip=_count(params, "$skip") or 0,
        order=parse_orderby(params.get("$orderby", "")),
    )


def parse_orderby(text: str) -> tuple[tuple[str, bool], ...]:
    """Parse ``column [asc|desc], ...`` into (column, descending) keys."""
    if not text.strip():
        return ()
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words:
            raise ODataError(f"$orderby: an empty column in {text!r}")
        direction = words[1].lower() if len(words) > 1 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc"):
            raise ODataError(f"$orderby: expected 'column [asc|desc]', found {part.strip()!r}")
        keys.append((_column(words[0]), direction == "desc"))
    return tuple(keys)


def _sorted(rows: Sequence[Row], order: tuple[tuple[str, bool], ...]) -> list[Row]:
    """Rows sorted by ``order``; equal rows keep their order. Text sorts case-insensitively and an
    unset date (0) before every set one, as .NET's DateTime.MinValue does."""
    result = list(rows)
    for column, descending in reversed(order):
        result.sort(key=lambda row: _sort_key(row[column]), reverse=descending)
    return result


def _sort_key(value: int | str) -> tuple[int, str]:
    return (value, "") if isinstance(value, int) else (0, value.casefold())


def parse_filter(text: str) -> tuple[Condition, ...]:
    """Parse ``column op value [and column op value ...]``."""
    tokens = _tokens(text)
    conditions: list[Condition] = []
    at = 0
    while at < len(tokens):
        if len(tokens) - at < 3:
            raise ODataError(f"$filter: incomplete condition near {' '.join(t[1] for t in tokens[at:])!r}")
        (kind, name), (op_kind, op), (value_kind, value) = tokens[at : at + 3]
        if kind != "name":
            raise ODataError(f"$filter: expected a column name, found {name!r}")
        column = _column(name)
        ctype = COLUMNS[column]
        op = op.lower()
        if op_kind != "name" or op not in _OPERATORS[ctype]:
            raise ODataError(
                f"$filter: operator {op!r} is not supported for {column} "
                f"(supported: {', '.join(sorted(_OPERATORS[ctype]))})"
            )
        conditions.append(Condition(column, op, _literal(column, ctype, value_kind, value)))
        at += 3
        if at < len(tokens):
            if tokens[at][0] != "name" or tokens[at][1].lower() != "and":
                raise ODataError(f"$filter: only 'and' joins conditions, found {tokens[at][1]!r}")
            at += 1
            if at == len(tokens):
                raise ODataError("$filter: a condition must follow 'and'")
    return tuple(conditions)


def archive_response(
    rows: Sequence[Row],
    query: Query,
    *,
    api_root: str,
    format_date: Callable[[int], str],
    params: Mapping[str, str],
    path: str = "ChatSession",
) -> dict[str, object]:
    """The ``ODataSlimResponse``: ``odata.metadata``, ``odata.nextLink`` when rows remain, ``value``.

    ``path`` (under ``api_root``) is the list's own, for the next link: ``ChatTopic/3/Sessions``.
    """
    found = [row for row in rows if all(c.matches(row) for c in query.conditions)]
    if query.order:
        found = _sorted(found, query.order)
    end = len(found) if query.top is None else query.skip + query.top
    page = found[query.skip : end]
    value = [_project(row, query.select, format_date) for row in page]
    envelope: dict[str, object] = {"odata.metadata": f"{api_root}/archive$metadata"}
    if end < len(found):
        following = {**params, "$skip": str(end)}
        envelope["odata.nextLink"] = f"{api_root}/{path}?{urlencode(following, safe='$/,')}"
    envelope["value"] = value
    return envelope


def _project(row: Row, select: tuple[str, ...], format_date: Callable[[int], str]) -> dict[str, object]:
    out: dict[str, object] = {"PrimaryKey": row["chatSessionId"], "EntityName": "chat"}
    for column in select:
        value = row[column]
        out[column] = format_date(value) if COLUMNS[column] == "date" and isinstance(value, int) else value
    return out


def _column(name: str) -> str:
    column = _BY_LOWER.get(name.lower())
    if column is None:
        raise ODataError(f"unknown column {name!r} (supported: {', '.join(COLUMNS)})")
    return column


def _count(params: Mapping[str, str], key: str) -> int | None:
    text = params.get(key)
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise ODataError(f"{key}: {text!r} is not a non-negative integer")
    return int(text)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    at = 0
    text = text.rstrip()
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise ODataError(
                f"$filter: cannot read {text[at:].strip()!r} (parentheses and functions are not supported)"
            )
        quoted, number, name = match.groups()
        if quoted is not None:
            tokens.append(("string", quoted.replace("''", "'")))
        elif number is not None:
            tokens.append(("int", number))
        else:
            tokens.append(("name", name))
        at = match.end()
    return tokens


def _literal(column: str, ctype: ColumnType, kind: str, text: str) -> int | str | tuple[int, int]:
    if ctype == "int":
        if kind != "int":
            raise ODataError(f"$filter: {column} needs an integer, found {text!r}")
        return int(text)
    if ctype == "string":
        if kind != "string":
            raise ODataError(f"$filter: {column} needs a quoted string, found {text!r}")
        return text
    if kind != "string":
        raise ODataError(
            f"$filter: {column} needs a quoted date such as '2026-01-05' or '2026-01-05T08:00:00'"
        )
    return _date_span(column, text)


def _date_span(column: str, text: str) -> tuple[int, int]:
    """A date literal as [start, end) ticks: a whole day for a date, one tick for a date-time.

    Literals carry no zone, like the docs' examples; sosim's tenant runs on UTC.
    """
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is not None:
                raise ValueError("a zone")
            start = _ticks(moment.replace(tzinfo=UTC))
            return start, start + 1
        year, month, day = (int(part) for part in text.split("-"))  # '2021-1-1' is documented too
        start = _ticks(datetime(year, month, day, tzinfo=UTC))
    except ValueError:
        raise ODataError(
            f"$filter: {column}: {text!r} is not a date (yyyy-MM-dd or yyyy-MM-ddTHH:mm:ss, no zone)"
        ) from None
    return start, start + _DAY


def _ticks(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


def _compare(op: str, have: int, want: int) -> bool:
    return {
        "eq": have == want,
        "ne": have != want,
        "lt": have < want,
        "le": have <= want,
        "gt": have > want,
        "ge": have >= want,
    }[op]


def _compare_span(op: str, have: int, span: tuple[int, int]) -> bool:
    start, end = span
    if have <= 0:  # an unset date (0001-01-01) matches no date condition but ne
        return op == "ne"
    return {
        "eq": start <= have < end,
        "ne": not start <= have < end,
        "lt": have < start,
        "before": have < start,
        "le": have < end,
        "gt": have >= end,
        "after": have >= end,
        "ge": have >= start,
    }[op]


def _compare_text(op: str, have: str, want: str) -> bool:
    if op == "contains":
        return want.lower() in have.lower()
    if op == "begins":
        return have.lower().startswith(want.lower())
    return (have == want) if op == "eq" else (have != want)
