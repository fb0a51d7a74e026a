"""The histograms behind ``RunStats``: whole-run HDR durations and the per-second series.

Recording is on the per-attempt path of every run, so it is cheap: ``Durations`` appends a
value to a list and folds the list into sparse bins every 128 values (one ``Counter`` pass keyed
by HdrHistogram's lowest equivalent value); the HdrHistogram itself is only brought up to date,
through its public ``record_value(value, count)`` once per bin, when something reads it
(percentiles, encoding, merging).
The per-second ``CoarseHistogram`` is a fixed array of log-linear counters.
"""

from __future__ import annotations

import math
import operator
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import accumulate, repeat
from typing import Any, Final

from hdrh.histogram import HdrHistogram

US_PER_S: Final = 1_000_000
HIGHEST_US: Final = 3_600 * US_PER_S  # 1 h: anything slower is recorded as 1 h
_SIGNIFICANT_DIGITS: Final = 3
#: Values folded into the counts at a time: the pending values stay within a few KB.
FOLD_EVERY: Final = 128


def to_us(seconds: float) -> int:
    """Whole microseconds, clamped to the histograms' range (negative clock skew counts as 0)."""
    return min(max(round(seconds * US_PER_S), 0), HIGHEST_US)


def _target_count(percentile: float, count: int) -> int:
    """The rank a percentile falls on (HdrHistogram's rule, so both histograms agree)."""
    return max(int(percentile * count / 100 + 0.5), 1)


def _new_hdr() -> HdrHistogram:
    return HdrHistogram(1, HIGHEST_US, _SIGNIFICANT_DIGITS)


def _linear_bits() -> int:
    """Bits of HdrHistogram's first, linear bucket: below ``1 << bits`` every value is its own
    lowest equivalent value, and above it a value keeps its top ``bits`` bits (unit magnitude 0).
    Asked of the library's public API, at the powers of two where a bucket would begin."""
    probe = _new_hdr()
    bits = 1
    while probe.get_lowest_equivalent_value((1 << bits) + 1) == (1 << bits) + 1:
        bits += 1
    return bits


#: Above the linear bucket, a value's lowest equivalent value keeps its top bits: the bucket
#: arithmetic of HdrHistogram with a unit magnitude of 0, checked against the library below, at import.
_KEPT_BITS: Final = _linear_bits()
#: Below this, every value is its own lowest equivalent value (HdrHistogram's first, linear bucket).
_LINEAR: Final = (1 << _KEPT_BITS) + 1


def _lowest_equivalent_table(size: int) -> array[int]:
    """``_lowest_equivalent`` of every value below ``size``, one run of equal values at a time
    (about 5,000 runs below 65,536; asking HdrHistogram value by value cost 10 ms at import)."""
    table = array("I", range(min(size, 1 << _KEPT_BITS)))
    while len(table) < size:
        width = 1 << (len(table).bit_length() - _KEPT_BITS)  # the run length in this power of two
        top = 1 << len(table).bit_length()
        for low in range(len(table), top, width):
            table.extend(repeat(low, width))
    del table[size:]
    return table


#: Lag, service and latency at --max-rate reach tens of milliseconds (a session's request waits for
#: its predecessor's answer); the lowest equivalent value of any value below 65,536 us is looked up
#: here (256 KiB), in C.
_LOWEST_TABLE: Final = _lowest_equivalent_table(1 << 16)


def _lowest_equivalent(us: int) -> int:
    """HdrHistogram's ``get_lowest_equivalent_value(us)``, as bit arithmetic (2x-4x faster)."""
    shift = us.bit_length() - _KEPT_BITS
    return us if shift <= 0 else us >> shift << shift


def _check_lowest_equivalent() -> None:
    probe = _new_hdr()
    for us in (*range(0, 1 << 18, 997), (1 << 16) - 1, 1 << 16, 123_456_789, HIGHEST_US - 1, HIGHEST_US):
        if _lowest_equivalent(us) != probe.get_lowest_equivalent_value(us):
            raise RuntimeError(f"unexpected HdrHistogram bucket arithmetic at {us}")
    for us in (*range(0, len(_LOWEST_TABLE), 61), len(_LOWEST_TABLE) - 1):
        if _LOWEST_TABLE[us] != probe.get_lowest_equivalent_value(us):
            raise RuntimeError(f"unexpected HdrHistogram bucket arithmetic at {us}")


_check_lowest_equivalent()


def percentile_steps(histogram: HdrHistogram, ticks_per_half_distance: int) -> list[tuple[float, int]]:
    """(percentile level, value) as HdrHistogram's ``get_percentile_iterator`` yields them.

    The library's iterator steps through every one of the 23,552 value slots up to the largest
    value recorded, in Python: 50-100 ms at the end of a run whose latencies reach a second. Only
    the slots that hold counts can reach a level, so this visits those alone, with the library's
    own level arithmetic; at the last of them it gives one more level and then 100%, as the
    library's iterator does (tests/unit/report/test_durations.py compares the two).
    """
    total = histogram.total_count
    if not total:
        return []
    filled = [(index, count) for index, count in enumerate(histogram.counts) if count]
    value_of, highest = histogram.get_value_from_index, histogram.get_highest_equivalent_value
    steps: list[tuple[float, int]] = []
    level, running = 0.0, 0
    last = len(filled) - 1
    for number, (index, count) in enumerate(filled):
        running += count
        value = highest(value_of(index))
        reached = 100.0 * running / total
        while reached >= level:
            steps.append((level, value))
            level = _next_level(level, ticks_per_half_distance)
            if number == last:  # the library's iterator ends here: one step to 100%
                steps.append((100.0, value))
                break
    return steps


def _next_level(level: float, ticks_per_half_distance: int) -> float:
    """HdrHistogram's ``PercentileIterator.increment_iteration_level``, to the bit."""
    gap = 100.0 - level
    if gap:
        half_distance = math.pow(2, (math.log(100 / gap) / math.log(2)) + 1)
        level += 100.0 / (ticks_per_half_distance * half_distance)
    return level


class Durations:
    """An HDR histogram of durations (1 us .. 1 h, 3 significant digits) with exact mean and max.

    ``RunStats`` appends whole microseconds straight to ``pending`` (public for that hot path);
    ``_fold`` counts them into ``_bins`` (sparse, by HdrHistogram's lowest equivalent value, so at
    most one bin per HdrHistogram bucket) and keeps count, sum and max; ``_histogram`` records the
    bins into the HdrHistogram with its public ``record_value(value, count)`` when it is read.
    ``count``, ``_sum_s`` and ``_max_s`` fold first, so they are always current; :meth:`to_wire`
    and :meth:`add_wire` carry one across processes (the Locust cluster), with HdrHistogram's
    ``encode`` and ``decode_and_add``.

    Folding by lowest equivalent value, rather than calling ``record_value`` per value, keeps the
    per-attempt path in C: ``record_value`` alone costs 0.73 us a value, the whole ``record`` with
    its fold 0.42 us (``python -m bench.report``, 1e6 values of 0.2-20 ms). Reading costs
    ``record_value`` once per bin: 4 ms for the first read of those 1e6 values (0.8 ms when the
    counts were written directly), and the per-attempt figures did not change (2.17 us).
    """

    __slots__ = ("_bins", "_hdr", "_n", "_sum_us", "_top", "pending")

    def __init__(self) -> None:
        self._hdr = _new_hdr()
        # Lowest equivalent value -> count, sparse: the full layout is 23,552 slots (184 KiB a
        # histogram), and folding into it at random evicted the rest of a --max-rate run's data.
        self._bins: Counter[int] = Counter()
        #: Whole microseconds not yet counted (may lie outside the range: clamped when folded).
        self.pending: list[int] = []
        self._n = 0
        self._sum_us = 0  # whole microseconds: an exact sum, added in C
        self._top = 0.0

    def record(self, seconds: float) -> int:
        """Record a duration; return it in whole microseconds, as recorded."""
        us = to_us(seconds)
        pending = self.pending
        pending.append(us)
        if len(pending) >= FOLD_EVERY:
            self._fold()
        return us

    def _fold(self) -> None:
        """Count the pending values: count, sum, max and bins."""
        values = self.pending
        if not values:
            return
        self.pending = []
        low, high = min(values), max(values)
        if low < 0 or high > HIGHEST_US:
            values = [min(max(us, 0), HIGHEST_US) for us in values]
            high = max(values)
        self._n += len(values)
        self._sum_us += sum(values)
        self._top = max(self._top, high / US_PER_S)
        # Counted in C, with no Python step per value, unless a value is 65 ms or more.
        if high < _LINEAR:  # every value is its own lowest equivalent (all below ~2 ms)
            self._bins.update(values)
        elif high < len(_LOWEST_TABLE):
            self._bins.update(map(_LOWEST_TABLE.__getitem__, values))
        else:
            self._bins.update([_lowest_equivalent(us) for us in values])

    @property
    def _histogram(self) -> HdrHistogram:
        """The HdrHistogram with every value recorded so far (adding to it is allowed)."""
        self._fold()
        if self._bins:
            record = self._hdr.record_value
            for value, times in self._bins.items():
                record(value, times)
            self._bins = Counter()
        return self._hdr

    @property
    def count(self) -> int:
        """Durations recorded."""
        self._fold()
        return self._n

    @count.setter
    def count(self, value: int) -> None:
        self._fold()
        self._n = value

    @property
    def _sum_s(self) -> float:
        self._fold()
        return self._sum_us / US_PER_S

    @_sum_s.setter
    def _sum_s(self, value: float) -> None:
        self._fold()
        self._sum_us = round(value * US_PER_S)

    @property
    def _max_s(self) -> float:
        self._fold()
        return self._top

    @_max_s.setter
    def _max_s(self, value: float) -> None:
        self._fold()
        self._top = value

    def to_wire(self) -> list[Any] | None:
        """This histogram as plain JSON values (HdrHistogram's encoding, count, sum, max), or None."""
        if not self.count:
            return None
        return [self._histogram.encode(), self.count, self._sum_s, self._max_s]

    def add_wire(self, wire: list[Any] | None) -> None:
        """Add a histogram sent as :meth:`to_wire` (another process's), exactly."""
        if wire is None:
            return
        encoded, count, sum_s, max_s = wire
        self._histogram.decode_and_add(encoded)
        self.count += count
        self._sum_s += sum_s
        self._max_s = max(self._max_s, max_s)

    def percentile(self, percentile: float) -> float:
        """Seconds at ``percentile`` (never above the exact max), NaN when empty."""
        if not self.count:
            return math.nan
        value_us: int = self._histogram.get_value_at_percentile(percentile)
        return min(value_us / US_PER_S, self._top)

    def percentiles(self, percentiles: Sequence[float]) -> dict[float, float]:
        """Several percentiles in one pass over the histogram."""
        if not self.count:
            return dict.fromkeys(percentiles, math.nan)
        values = self._histogram.get_percentile_to_value_dict(list(percentiles))
        return {p: min(values[p] / US_PER_S, self._top) for p in percentiles}

    def distribution(self, ticks_per_half_distance: int = 5) -> list[tuple[float, float]]:
        """(percentile, seconds) steps of HdrHistogram's percentile distribution, below 100%.

        The steps halve the distance to 100% ``ticks_per_half_distance`` at a time, as
        HdrHistogram's own percentile output does, so the tail is plotted as finely as the middle.
        """
        if not self.count:
            return []
        steps: list[tuple[float, float]] = []
        for percentile, value_us in percentile_steps(self._histogram, ticks_per_half_distance):
            if percentile >= 100.0:
                break
            if steps and steps[-1][0] == percentile:
                continue
            steps.append((percentile, min(value_us / US_PER_S, self._top)))
        return steps

    @property
    def max_s(self) -> float:
        return self._max_s if self.count else math.nan

    @property
    def mean_s(self) -> float:
        return self._sum_s / self.count if self.count else math.nan

    def summary_ms(self, percentiles: Sequence[float], *, mean: bool = True) -> dict[str, Any]:
        """The JSON report's figures: count, ``p50``... and max (and mean) in ms, None when empty."""
        values = self.percentiles(percentiles)
        return {
            "count": self.count,
            **{f"p{p:g}": ms(values[p]) for p in percentiles},
            "max": ms(self.max_s),
            **({"mean": ms(self.mean_s)} if mean else {}),
        }


def number(value: float) -> float | None:
    """A figure for the JSON report: None for NaN (not measurable)."""
    return None if math.isnan(value) else value


def ms(seconds: float) -> float | None:
    """Seconds as milliseconds for the JSON reports (to the microsecond); None for NaN or infinity."""
    return round(seconds * 1000, 3) if math.isfinite(seconds) else None


# Log-linear buckets for the per-second histograms: exact below 64 us, then 32 buckets per
# power of two (about 3% precision) up to 1 h, in one fixed array of 896 counters (3.5 KB).
_COARSE_SUB_BITS: Final = 5
_COARSE_SUB: Final = 1 << _COARSE_SUB_BITS
_COARSE_EXACT: Final = 2 * _COARSE_SUB  # below this, a value's index is the value
_COARSE_SHIFT: Final = _COARSE_SUB_BITS + 1
_COARSE_SIZE: Final = ((HIGHEST_US.bit_length() - _COARSE_SUB_BITS - 1) + 2) * _COARSE_SUB


def coarse_index(us: int) -> int:
    if us < _COARSE_EXACT:
        return us
    shift = us.bit_length() - _COARSE_SHIFT
    return (shift << _COARSE_SUB_BITS) + (us >> shift)


def _coarse_table(size: int) -> array[int]:
    """``coarse_index`` of every value below ``size`` (a power of two), one run of equal indexes
    at a time: below ``_COARSE_EXACT`` a value is its index, above it each power of two holds
    ``_COARSE_SUB`` runs."""
    table = array("H", range(min(size, _COARSE_EXACT)))
    while len(table) < size:
        low = len(table)
        shift = low.bit_length() - _COARSE_SHIFT
        for start in range(low, 2 * low, 1 << shift):
            # A one-item array repeated copies in C: 9x faster than extend(repeat(...)) at import.
            table += array("H", (coarse_index(start),)) * (1 << shift)
    return table


#: ``coarse_index`` of every value below 65,536 us, looked up instead of computed: lag and service
#: times almost always fall there (at --max-rate lag reaches tens of ms), and RunStats indexes two
#: coarse histograms an attempt. 128 KiB, built in under 1 ms.
COARSE_TABLE_SIZE: Final = 1 << 16
COARSE_TABLE: Final = _coarse_table(COARSE_TABLE_SIZE)


def coarse_upper_us(index: int) -> int:
    """The highest value ``coarse_index`` maps to ``index``."""
    if index < 2 * _COARSE_SUB:
        return index
    shift = (index >> _COARSE_SUB_BITS) - 1
    low = ((index & (_COARSE_SUB - 1)) + _COARSE_SUB) << shift
    return low + (1 << shift) - 1


class CoarseHistogram:
    """A small fixed-size histogram for one second of the series (values in whole microseconds,
    already clamped to the range). ``counts`` is public because ``RunStats`` indexes it itself
    on its hot path: a method call per value measured costlier than the recording."""

    __slots__ = ("count", "counts")

    def __init__(self) -> None:
        self.counts = array("I", [0]) * _COARSE_SIZE
        self.count = 0

    def record(self, us: int) -> None:
        self.counts[coarse_index(us)] += 1
        self.count += 1

    def add(self, other: CoarseHistogram) -> None:
        """Fold another second's histogram into this one (for series coarser than a second)."""
        if other.count:
            self.counts = array("I", map(operator.add, self.counts, other.counts))
            self.count += other.count

    def to_sparse(self) -> list[int]:
        """The non-zero buckets as a flat list ``[index, count, index, count, ...]``."""
        if not self.count:
            return []
        flat: list[int] = []
        for index, count in enumerate(self.counts):
            if count:
                flat += (index, count)
        return flat

    def add_sparse(self, flat: Sequence[int]) -> None:
        """Add buckets sent as :meth:`to_sparse`."""
        counts = self.counts
        for position in range(0, len(flat), 2):
            counts[flat[position]] += flat[position + 1]
            self.count += flat[position + 1]

    def percentiles_ms(self, percentiles: Iterable[float]) -> list[float | None]:
        if not self.count:
            return [None for _ in percentiles]
        cumulative = list(accumulate(self.counts))
        return [
            coarse_upper_us(bisect_left(cumulative, _target_count(p, self.count))) / 1000 for p in percentiles
        ]
