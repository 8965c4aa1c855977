"""The travel-time model: whole minutes, symmetric, slower in the dense core."""

from dataclasses import replace

import numpy as np
import pytest

from geo.travel import TravelModel, haversine_km, travel_matrix, travel_minutes, wards_within
from geo.units import commune_by_code, communes

HOAN_KIEM, CUA_NAM, BA_DINH = "00070", "00082", "00004"
SOC_SON = "08974"  # Xã Sóc Sơn, far north


def test_same_ward_is_zero_minutes():
    assert travel_minutes(HOAN_KIEM, HOAN_KIEM) == 0
    assert travel_minutes("70", "00070") == 0


def test_different_wards_cost_at_least_the_overhead():
    model = TravelModel()
    minutes = travel_minutes(HOAN_KIEM, CUA_NAM, model)
    assert isinstance(minutes, int)
    assert minutes >= model.overhead_minutes


def test_symmetric_inside_and_across_provinces():
    codes, matrix = travel_matrix("Hà Nội")
    assert (matrix == matrix.T).all()
    hai_phong = communes("Hải Phòng")[0].code
    assert travel_minutes(HOAN_KIEM, hai_phong) == travel_minutes(hai_phong, HOAN_KIEM)


def test_monotone_in_distance():
    model = TravelModel()
    distance_km = np.linspace(0, 80, 801)
    for speeds in ((model.speed_kmh, model.speed_kmh), (model.dense_speed_kmh, model.speed_kmh)):
        minutes = model.minutes(distance_km, *speeds)
        assert (np.diff(minutes) >= 0).all()
        assert minutes[-1] > minutes[0]


def test_monotone_in_distance_on_real_wards():
    """From Sóc Sơn to the other outer wards (same speed at both ends), farther never takes less."""
    model = TravelModel()
    origin = commune_by_code(SOC_SON)
    others = [u for u in communes("Hà Nội") if u.code != SOC_SON and not model.is_dense(u)]
    others.sort(key=lambda u: float(haversine_km(origin.lat, origin.lon, u.lat, u.lon)))
    minutes = [travel_minutes(SOC_SON, u.code, model) for u in others]
    assert minutes == sorted(minutes)
    assert minutes[-1] > minutes[0]


def test_rounds_up_to_whole_minutes():
    """At 60 km/h with no detour or overhead a km is exactly a minute."""
    model = TravelModel(detour_factor=1.0, speed_kmh=60.0, dense_speed_kmh=60.0, overhead_minutes=0.0)
    assert model.minutes(1.0, 60.0, 60.0) == 1
    assert model.minutes(1.01, 60.0, 60.0) == 2
    assert model.minutes(0.2, 60.0, 60.0) == 1
    assert model.minutes(3.0, 60.0, 60.0) == 3


def test_dense_inner_wards_are_slower_than_outer():
    model = TravelModel()
    assert model.is_dense(commune_by_code(HOAN_KIEM))
    assert not model.is_dense(commune_by_code(SOC_SON))
    no_congestion = replace(model, dense_speed_kmh=model.speed_kmh)
    assert travel_minutes(HOAN_KIEM, BA_DINH, model) > travel_minutes(HOAN_KIEM, BA_DINH, no_congestion)
    assert model.minutes(5.0, model.dense_speed_kmh, model.dense_speed_kmh) > model.minutes(
        5.0, model.speed_kmh, model.speed_kmh
    )


def test_matrix_is_computed_once_and_matches_pairwise_minutes():
    first = travel_matrix("Hà Nội")
    assert travel_matrix("Ha Noi") is first
    codes, matrix = first
    assert codes == tuple(u.code for u in communes("Hà Nội"))
    assert matrix.shape == (126, 126)
    assert np.issubdtype(matrix.dtype, np.integer)
    assert not matrix.flags.writeable
    assert (np.diag(matrix) == 0).all()
    i, j = codes.index(HOAN_KIEM), codes.index(SOC_SON)
    assert matrix[i, j] == travel_minutes(HOAN_KIEM, SOC_SON)
    other_model = replace(TravelModel(), overhead_minutes=0.0)
    assert travel_matrix("Hà Nội", other_model) is not first
    assert travel_matrix("Hà Nội", other_model)[1][i, j] < matrix[i, j]


def test_wards_within_a_limit():
    codes, matrix = travel_matrix("Hà Nội")
    row = matrix[codes.index(HOAN_KIEM)]
    reachable = wards_within(HOAN_KIEM, 25)
    assert reachable[0] == HOAN_KIEM
    assert set(reachable) == {c for c, m in zip(codes, row, strict=True) if m <= 25}
    assert [row[codes.index(c)] for c in reachable] == sorted(row[codes.index(c)] for c in reachable)
    assert wards_within(HOAN_KIEM, 0) == (HOAN_KIEM,)


def test_model_refuses_nonsense():
    with pytest.raises(ValueError):
        TravelModel(speed_kmh=0)
    with pytest.raises(ValueError):
        TravelModel(detour_factor=0.5)
    with pytest.raises(ValueError):
        TravelModel(overhead_minutes=-1)
