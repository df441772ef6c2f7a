"""Disposition policy: file validation, grades, quarantine reasons."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from packlife.errors import DataFileError
from packlife.grading.policy import Measurements, decide, disposition_of, load_policy

TODAY = dt.date(2026, 11, 24)


def traced(**kw: object) -> Measurements:
    base: dict[str, object] = {"manufacture_date": dt.date(2015, 1, 1), "cycle_count": 800}
    return Measurements(**(base | kw))  # type: ignore[arg-type]


def test_default_policy_loads_and_orders_grades() -> None:
    pol = load_policy()
    assert [g.name for g in pol.grades] == ["A", "B", "C"]


@pytest.mark.parametrize(
    ("soh", "grade"), [(0.92, "A"), (0.80, "A"), (0.75, "B"), (0.65, "C"), (0.55, "recycle")]
)
def test_grade_by_soh(soh: float, grade: str) -> None:
    got, reasons = decide(traced(soh=soh), load_policy(), TODAY)
    assert got == grade
    assert any(f"{soh:.3f}" in r for r in reasons)


def test_resistance_growth_downgrades_with_reason() -> None:
    grade, reasons = decide(traced(soh=0.9, resistance_growth=1.7), load_policy(), TODAY)
    assert grade == "B"
    assert "resistance growth 1.70 > 1.50 (grade A maximum)" in reasons


def test_soh_margin_uses_uncertainty(tmp_path: Path) -> None:
    text = Path(load_policy.__globals__["DEFAULT_POLICY_PATH"]).read_text()
    path = tmp_path / "p.toml"
    path.write_text(text.replace("soh_sigma_margin = 0.0", "soh_sigma_margin = 2.0"))
    m = traced(soh=0.82, soh_uncertainty=0.02)
    assert decide(m, load_policy(), TODAY)[0] == "A"
    assert decide(m, load_policy(path), TODAY)[0] == "B"  # 0.82 − 2·0.02 = 0.78 < 0.80


@pytest.mark.parametrize(
    ("kw", "needle"),
    [
        ({"min_cell_voltage_v": 1.9}, "1.900 V below the minimum 2.500 V"),
        ({"fault_codes": ["P0A7F_OVERTEMP"]}, "matches quarantine list entry 'OVERTEMP'"),
        ({"thermal_event_history": True}, "thermal event"),
        ({"damage_noted": "swollen cell 3"}, "swollen cell 3"),
        ({"calendar_limit_years": 10.0}, "calendar age 11.9 years beyond the maker's limit 10.0"),
        ({"cycle_count": None}, "IEC 63338: cycle_count"),
    ],
)
def test_quarantine_reasons(kw: dict[str, object], needle: str) -> None:
    grade, reasons = decide(traced(soh=0.95, **kw), load_policy(), TODAY)
    assert grade == "quarantine"
    assert any(needle in r for r in reasons), reasons


def test_no_soh_is_ungraded() -> None:
    assert decide(traced(), load_policy(), TODAY)[0] == "ungraded"


def test_bad_policy_file_names_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('id = "x"\n[[grades]]\nname = "A"\nmin_soh = 1.5\n')
    with pytest.raises(DataFileError) as exc:
        load_policy(path)
    msg = str(exc.value)
    assert "bad.toml" in msg and "grades.0.min_soh" in msg and "safety" in msg


@pytest.mark.parametrize(
    ("grade", "disposition"),
    [
        ("A", "repurpose"),
        ("C", "repurpose_low_duty"),
        ("recycle", "recycle"),
        ("quarantine", "quarantine"),
        ("ungraded", "retest"),
        (None, "retest"),
    ],
)
def test_dispositions(grade: str | None, disposition: str) -> None:
    assert disposition_of(grade, load_policy()) == disposition


GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "recycle": 3}


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.3, 1.05),
    st.floats(0.0, 0.2),
    st.one_of(st.none(), st.floats(1.0, 4.0)),
    st.one_of(st.none(), st.floats(0.0, 200.0)),
)
def test_better_soh_never_gives_a_worse_grade(
    soh: float, gain: float, growth: float | None, imbalance: float | None
) -> None:
    pol = load_policy()
    worse = decide(traced(soh=soh, resistance_growth=growth, imbalance_mv=imbalance), pol, TODAY)
    better = decide(
        traced(soh=soh + gain, resistance_growth=growth, imbalance_mv=imbalance), pol, TODAY
    )
    assert GRADE_ORDER[better[0]] <= GRADE_ORDER[worse[0]]
    assert worse[1] and better[1]  # every decision has reasons
