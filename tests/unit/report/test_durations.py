"""``Durations`` gives exactly what a plain HdrHistogram fed one value at a time gives: counts,
percentiles, distribution, the wire form the Locust cluster merges, and exact count, mean and max."""

from __future__ import annotations

from hdrh.histogram import HdrHistogram
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.report.series import (
    _LOWEST_TABLE,
    _SIGNIFICANT_DIGITS,
    HIGHEST_US,
    US_PER_S,
    Durations,
    _lowest_equivalent,
    percentile_steps,
)

PROBE = HdrHistogram(1, HIGHEST_US, _SIGNIFICANT_DIGITS)
PERCENTILES = (0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 100.0)

#: Whole microseconds of every size a fold takes a different path for: below 2,048 (the linear
#: bucket), below 65,536 (the lookup table), above it, and outside the range (clamped).
micros = st.one_of(
    st.integers(0, 2_047),
    st.integers(2_048, (1 << 16) - 1),
    st.integers(1 << 16, HIGHEST_US),
    st.integers(-10 * US_PER_S, -1),
    st.integers(HIGHEST_US + 1, 10 * HIGHEST_US),
)
batches = st.lists(st.lists(micros, max_size=400), min_size=1, max_size=4)


def _clamp(us: int) -> int:
    return min(max(us, 0), HIGHEST_US)


def _plain(values: list[int]) -> HdrHistogram:
    histogram = HdrHistogram(1, HIGHEST_US, _SIGNIFICANT_DIGITS)
    for us in values:
        assert histogram.record_value(_clamp(us))
    return histogram


def _fed(values: list[int], *, read_every: int = 0) -> Durations:
    """A Durations fed through the hot path (``pending``, as RunStats does), read now and then."""
    durations = Durations()
    for n, us in enumerate(values, 1):
        durations.pending.append(us)
        if n % 128 == 0:
            durations._fold()
        if read_every and n % read_every == 0:
            durations.percentile(50.0)
    # At most one bin per HdrHistogram bucket, whatever the values: the memory stays bounded.
    durations._fold()
    assert all(PROBE.get_lowest_equivalent_value(v) == v for v in durations._bins)
    return durations


def _assert_same(durations: Durations, plain: HdrHistogram, values: list[int]) -> None:
    clamped = [_clamp(us) for us in values]
    assert durations.count == plain.get_total_count() == len(values)
    if not values:
        assert durations.to_wire() is None
        return
    top = max(clamped) / US_PER_S
    assert durations.max_s == top
    assert durations.mean_s == sum(clamped) / US_PER_S / len(values)
    wire = durations.to_wire()
    assert wire is not None and wire[0] == plain.encode()
    expected = plain.get_percentile_to_value_dict(list(PERCENTILES))
    assert durations.percentiles(PERCENTILES) == {p: min(expected[p] / US_PER_S, top) for p in PERCENTILES}
    assert durations.percentile(99.0) == min(plain.get_value_at_percentile(99.0) / US_PER_S, top)
    steps: list[tuple[float, float]] = []
    for step in plain.get_percentile_iterator(5):
        percentile = float(step.percentile_level_iterated_to)
        if percentile >= 100.0:
            break
        if not steps or steps[-1][0] != percentile:
            steps.append((percentile, min(step.value_iterated_to / US_PER_S, top)))
    assert durations.distribution() == steps


@settings(max_examples=80, deadline=None)
@given(batches, st.sampled_from((0, 1, 77)))
def test_durations_equal_a_plain_hdrhistogram_fed_value_by_value(
    batches: list[list[int]], read_every: int
) -> None:
    """Read never, after every value, or every 77 values: the same figures and the same encoding."""
    values = [us for batch in batches for us in batch]
    _assert_same(_fed(values, read_every=read_every), _plain(values), values)


@settings(max_examples=50, deadline=None)
@given(batches)
def test_durations_merged_over_the_wire_equal_one_plain_hdrhistogram(batches: list[list[int]]) -> None:
    """Each batch recorded by another process and added with ``add_wire`` (the Locust master's
    merge), then more values recorded: the same as one HdrHistogram fed every value."""
    merged = Durations()
    for batch in batches:
        merged.add_wire(_fed(batch).to_wire())
    tail = batches[0]
    for us in tail:
        merged.pending.append(us)
    values = [us for batch in batches for us in batch] + tail
    _assert_same(merged, _plain(values), values)


def test_the_lowest_equivalent_values_are_hdrhistograms_own() -> None:
    """The lookup table and the arithmetic above it agree with HdrHistogram's public
    ``get_lowest_equivalent_value`` (the module checks a sample at import; this checks every
    table entry and the boundaries of the buckets above)."""
    assert len(_LOWEST_TABLE) == 1 << 16
    assert all(low == PROBE.get_lowest_equivalent_value(us) for us, low in enumerate(_LOWEST_TABLE))
    edges = [(1 << bit) + delta for bit in range(16, 32) for delta in (-1, 0, 1, 12_345)]
    assert all(_lowest_equivalent(us) == PROBE.get_lowest_equivalent_value(us) for us in edges)


def test_the_coarse_table_is_coarse_index_of_every_value_it_covers() -> None:
    """RunStats looks lag and service times below 65,536 us up in COARSE_TABLE (built by runs)."""
    from simulator.report.series import COARSE_TABLE, COARSE_TABLE_SIZE, coarse_index

    assert len(COARSE_TABLE) == COARSE_TABLE_SIZE == 1 << 16
    assert list(COARSE_TABLE) == [coarse_index(us) for us in range(COARSE_TABLE_SIZE)]


@settings(max_examples=80, deadline=None)
@given(batches, st.sampled_from((1, 5, 10)))
def test_percentile_steps_are_the_librarys_percentile_iterator(batches: list[list[int]], ticks: int) -> None:
    """Every step the library's iterator yields, 100% included, visiting only the filled slots."""
    plain = _plain([us for batch in batches for us in batch])
    library = [
        (step.percentile_level_iterated_to, step.value_iterated_to)
        for step in plain.get_percentile_iterator(ticks)
    ]
    assert percentile_steps(plain, ticks) == library
