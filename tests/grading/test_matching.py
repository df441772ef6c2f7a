"""Module matching: exact pairing never worse than sort-and-chunk; brute force on small sets."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.errors import DataFileError
from packlife.grading.matching import (
    Modules,
    describe_groups,
    group_cost,
    match_pairs_optimal,
    match_sort_chunk,
    read_modules_csv,
)


def _mods(caps: list[float], res: list[float]) -> Modules:
    return Modules([f"m{k}" for k in range(len(caps))], np.asarray(caps), np.asarray(res))


def _all_pairings(items: list[int]) -> list[list[list[int]]]:
    if len(items) < 2:
        return [[]]
    first, rest = items[0], items[1:]
    out = []
    for k, other in enumerate(rest):
        for tail in _all_pairings(rest[:k] + rest[k + 1 :]):
            out.append([[first, other], *tail])
    return out


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.tuples(st.floats(20, 40), st.floats(2, 8)), min_size=2, max_size=8).filter(
        lambda x: len(x) % 2 == 0
    )
)
def test_optimal_pairs_equal_brute_force(pairs: list[tuple[float, float]]) -> None:
    m = _mods([p[0] for p in pairs], [p[1] for p in pairs])
    best = min(
        sum(group_cost(m, g) for g in pairing) for pairing in _all_pairings(list(range(len(pairs))))
    )
    got = match_pairs_optimal(m)
    assert sorted(k for g in got for k in g) == list(range(len(pairs)))
    assert sum(group_cost(m, g) for g in got) == pytest.approx(best, abs=1e-6)
    base = sum(group_cost(m, g) for g in match_sort_chunk(m, 2))
    assert sum(group_cost(m, g) for g in got) <= base + 1e-9


def test_odd_count_leaves_one_out_and_spreads_are_reported() -> None:
    m = _mods([30.0, 30.1, 25.0, 25.2, 40.0], [5.0, 5.0, 6.0, 6.1, 3.0])
    groups = match_pairs_optimal(m)
    assert len(groups) == 2
    desc = describe_groups(m, groups)
    spreads = sorted(round(float(d["capacity_spread_ah"]), 3) for d in desc)  # type: ignore[arg-type]
    assert spreads == [0.1, 0.2]


def test_sort_chunk_groups_of_three() -> None:
    m = _mods([1, 9, 2, 8, 3, 7, 5], [1, 1, 1, 1, 1, 1, 1])
    groups = match_sort_chunk(m, 3)
    assert [sorted(m.capacity_ah[g].tolist()) for g in groups] == [[1, 2, 3], [5, 7, 8]]
    assert list(itertools.chain(*groups)).count(1) <= 1


def test_read_modules_csv_errors(tmp_path: Path) -> None:
    p = tmp_path / "mods.csv"
    p.write_text("serial,capacity_ah\nA,30\n")
    with pytest.raises(DataFileError, match="'dcir_mohm' is missing"):
        read_modules_csv(p)
    p.write_text("serial,capacity_ah,dcir_mohm\nA,30,5\nA,31,x\n")
    with pytest.raises(DataFileError) as exc:
        read_modules_csv(p)
    assert "duplicate serials: A" in str(exc.value) and "row 2" in str(exc.value)


def test_eis_resistance_column_is_used_and_named(tmp_path: Path) -> None:
    from packlife.grading.matching import read_modules_csv

    p = tmp_path / "m.csv"
    p.write_text("serial,capacity_ah,r0_mohm\nA,30,1.2\nB,29,1.4\n")
    mods = read_modules_csv(p)
    assert mods.resistance_column == "r0_mohm"
    assert mods.dcir_mohm.tolist() == [1.2, 1.4]
