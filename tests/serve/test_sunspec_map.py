"""Register layouts from the SunSpec JSON definitions and the raw encode/decode round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("sunspec2", reason="needs the 'serve' extra (pysunspec2)")

from packlife.serve import sunspec_map as sm


def test_offsets_match_the_published_704_map() -> None:
    # model_704.json: WSet at offset 24 (int32), WSetRvrtTms at 31 (uint32), both from ID
    lay = sm.layout(704)
    assert lay.points["WSet"].offset == 24 and lay.points["WSet"].size == 2
    assert lay.points["WSetRvrtTms"].offset == 31
    assert sm.layout(802).points["CtrlHb"].offset == 19


def test_repeating_group_adds_its_length() -> None:
    one, two = sm.layout(803, 1), sm.layout(803, 2)
    group = two.length - one.length
    assert group == 32  # model_803.json: the string group is 32 registers
    assert (
        two.points["string.1.StrSetCon"].offset == one.points["string.0.StrSetCon"].offset + group
    )


@given(st.integers(-(2**31) + 1, 2**31 - 1), st.integers(-32767, 32767))
def test_signed_round_trip(wset: int, sf: int) -> None:
    lay = sm.layout(704)
    regs = sm.encode(lay, {"WSet": wset, "WSet_SF": max(min(sf, 10), -10)})
    back = sm.decode(lay, regs)
    assert back["WSet"] == wset
    assert back["WSet_SF"] == max(min(sf, 10), -10)


def test_not_implemented_decodes_as_none_and_scaled_applies_sf() -> None:
    lay = sm.layout(802)
    values = sm.decode(lay, sm.encode(lay, {"SoC": None, "W": 1234, "W_SF": 1, "SoC_SF": -2}))
    assert values["SoC"] is None
    assert sm.scaled(values, lay, "SoC") is None
    assert sm.scaled(values, lay, "W") == pytest.approx(12340.0)


def test_wrong_register_count_is_refused() -> None:
    lay = sm.layout(713)
    with pytest.raises(ValueError, match="expected"):
        sm.decode(lay, [0] * (lay.n_registers - 1))
