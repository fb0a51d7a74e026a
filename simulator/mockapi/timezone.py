"""``SO-TimeZone``: API dates in the zone a caller asks for, with the offset when it asks for that.

As SuperOffice/SDK-Doc ``NetServer.Web.Services/Reference/WebAPI/Headers/SO-Timezone.md``
describes it:

* Without the header, dates are in the tenant's base time zone, without a zone suffix. sosim's
  tenant's base zone is UTC.
* ``SO-TimeZone: US-NY`` (a code, or its id ``460``) converts them to that zone, still without a
  suffix. ``SO-TimeZone: US-NY, includeTZOffset`` appends the offset without a colon:
  ``2018-12-24T07:34:45-0500``.
* Created and Updated dates "are always UTC": the header does not convert them, and with
  ``includeTZOffset`` they are tagged as UTC (``Z``). sosim counts ``ChatMessage.WhenPosted``
  among them, since its docs call it a UTC timestamp.
* Unset dates (``0001-01-01T00:00:00``) stay as they are.

A zone the page does not list, or another option, is a 400 (the docs do not say what
NetServer answers). Pure: it rewrites a response payload built by :mod:`simulator.mockapi.shapes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.mockapi.shapes import UNSET_DATE, UTC_DATE_KEYS, ZONED_DATE_KEYS
from simulator.superoffice import facts as so

__all__ = ["TimeZoneError", "TimeZoneRequest", "in_time_zone", "parse_time_zone"]

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,7})?")
_BY_ID: Final = {str(zone_id): code for code, (zone_id, _) in so.TIME_ZONES.items()}


class TimeZoneError(ValueError):
    """An ``SO-TimeZone`` value sosim cannot honour; the API answers 400 with its message."""


@dataclass(frozen=True, slots=True)
class TimeZoneRequest:
    """What an ``SO-TimeZone`` header asks for."""

    code: str  # the SuperOffice zone code, e.g. US-NY
    zone: tzinfo
    include_offset: bool = False


def parse_time_zone(value: str) -> TimeZoneRequest:
    """Parse ``CODE`` or ``ID``, optionally followed by ``, includeTZOffset`` (any case)."""
    name, *options = (part.strip() for part in value.split(","))
    code = _BY_ID.get(name, name.upper())
    if code not in so.TIME_ZONES:
        listed = ", ".join(f"{c} ({i})" for c, (i, _) in so.TIME_ZONES.items())
        raise TimeZoneError(f"{so.HEADER_TIME_ZONE}: unknown time zone {name!r} (sosim knows {listed})")
    unknown = [o for o in options if o.lower() != so.TIME_ZONE_INCLUDE_OFFSET.lower()]
    if unknown:
        raise TimeZoneError(
            f"{so.HEADER_TIME_ZONE}: unknown option {unknown[0]!r} (supported: {so.TIME_ZONE_INCLUDE_OFFSET})"
        )
    try:
        zone = ZoneInfo(so.TIME_ZONES[code][1])
    except ZoneInfoNotFoundError:  # no time-zone database on this machine (pip install tzdata)
        raise TimeZoneError(f"{so.HEADER_TIME_ZONE}: the rules of {code} are not installed") from None
    return TimeZoneRequest(code, zone, bool(options))


def in_time_zone(payload: Any, request: TimeZoneRequest) -> Any:
    """The payload with every date in the requested zone (a new object; the input is not changed)."""
    if isinstance(payload, list):
        return [in_time_zone(item, request) for item in payload]
    if not isinstance(payload, dict):
        return payload
    out: dict[str, Any] = {}
    for key, item in payload.items():
        if isinstance(item, str) and key in ZONED_DATE_KEYS:
            out[key] = _convert(item, request)
        elif isinstance(item, str) and key in UTC_DATE_KEYS:
            out[key] = item + "Z" if request.include_offset and item != UNSET_DATE else item
        else:
            out[key] = in_time_zone(item, request)
    return out


def _convert(text: str, request: TimeZoneRequest) -> str:
    """One base-zone (UTC) date as the requested zone writes it; the fraction is kept."""
    match = _DATE.fullmatch(text)
    if match is None or text == UNSET_DATE:
        return text
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC).astimezone(request.zone)
    local = moment.strftime("%Y-%m-%dT%H:%M:%S") + (match.group(7) or "")
    return local + moment.strftime("%z") if request.include_offset else local
