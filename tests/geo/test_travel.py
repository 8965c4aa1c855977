"""The travel-time model: whole minutes, symmetric, slower in the dense core."""

import math
from dataclasses import replace

import numpy as np
import pytest

from geo.travel import (
    EARTH_RADIUS_KM,
    TravelModel,
    address_travel_minutes,
    haversine_km,
    travel_matrix,
    travel_minutes,
    wards_within,
)
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
    with pytest.raises(ValueError):
        TravelModel(stop_overhead_minutes=-0.5)
    assert TravelModel(stop_overhead_minutes=0).stop_overhead_minutes == 0


# --------------------------------------------------------------------------- between addresses of one ward

BA_VI = "09700"  # Xã Ba Vì, outer: 30 km/h
KM_PER_DEGREE = EARTH_RADIUS_KM * np.pi / 180.0  # along a meridian, on the haversine sphere


def test_address_matrix_is_symmetric_with_a_zero_diagonal():
    rng = np.random.default_rng(7)
    points = [(21.03 + 0.02 * a, 105.85 + 0.02 * b) for a, b in rng.random((30, 2))]
    minutes = address_travel_minutes(points, HOAN_KIEM)
    assert len(minutes) == 30 and all(len(row) == 30 for row in minutes)
    assert all(isinstance(m, int) for row in minutes for m in row)
    matrix = np.array(minutes)
    assert (matrix == matrix.T).all()
    assert (np.diag(matrix) == 0).all()
    assert address_travel_minutes([], HOAN_KIEM) == []


def test_every_trip_between_two_addresses_costs_the_stop_overhead():
    """Two houses 10 m apart still cost parking and finding the house; one point twice costs nothing."""
    model = TravelModel()
    here = (21.0285, 105.8542)
    next_door = (here[0] + 0.01 / KM_PER_DEGREE, here[1])
    minutes = address_travel_minutes([here, next_door, here], HOAN_KIEM, model)
    assert minutes[0][1] == minutes[1][0] == math.ceil(model.stop_overhead_minutes + 60 * 1.35 * 0.01 / 15)
    assert minutes[0][1] > model.stop_overhead_minutes
    assert minutes[0][2] == minutes[2][0] == 0
    no_overhead = replace(model, stop_overhead_minutes=0.0)
    assert address_travel_minutes([here, next_door], HOAN_KIEM, no_overhead)[0][1] == 1


def test_address_minutes_match_a_hand_computation():
    """2 km due north: 3 + 60 * 1.35 * 2 / 30 = 8.4 -> 9 minutes in Ba Vì; 3 + 10.8 = 13.8 -> 14 in Hoàn Kiếm."""
    south = (21.10, 105.40)
    north = (21.10 + 2.0 / KM_PER_DEGREE, 105.40)
    assert float(haversine_km(*south, *north)) == pytest.approx(2.0, abs=1e-9)
    assert address_travel_minutes([south, north], BA_VI)[0][1] == 9
    assert address_travel_minutes([south, north], HOAN_KIEM)[0][1] == 14
    exact = TravelModel(detour_factor=1.0, speed_kmh=60.0, stop_overhead_minutes=0.0)
    assert address_travel_minutes([south, north], BA_VI, exact)[0][1] == 2  # 2 km at 60 km/h, not 3


def test_dense_inner_wards_are_slower_between_addresses():
    points = [(21.02 + 0.004 * i, 105.85 + 0.003 * (i % 3)) for i in range(8)]
    dense = np.array(address_travel_minutes(points, HOAN_KIEM))
    outer = np.array(address_travel_minutes(points, BA_VI))
    off_diagonal = ~np.eye(8, dtype=bool)
    assert (dense[off_diagonal] >= outer[off_diagonal]).all()
    assert (dense > outer).any()
    no_congestion = replace(TravelModel(), dense_speed_kmh=TravelModel().speed_kmh)
    assert address_travel_minutes(points, HOAN_KIEM, no_congestion) == outer.tolist()


def test_farther_addresses_never_take_less():
    origin = (21.10, 105.40)
    points = [origin] + [(origin[0] + d / KM_PER_DEGREE, origin[1]) for d in np.linspace(0.05, 8, 60)]
    row = address_travel_minutes(points, BA_VI)[0][1:]
    assert row == sorted(row)
    assert row[-1] > row[0]


def test_address_matrix_refuses_bad_points():
    with pytest.raises(ValueError):
        address_travel_minutes([(21.0, 105.8), (math.nan, 105.8)], HOAN_KIEM)
    with pytest.raises(KeyError):
        address_travel_minutes([(21.0, 105.8)], "99999")


def test_the_stop_overhead_leaves_the_ward_matrix_alone():
    """Ward-to-ward minutes (the roster's travel) do not depend on the overhead between addresses."""
    _, default = travel_matrix("Hà Nội")
    _, other = travel_matrix("Hà Nội", replace(TravelModel(), stop_overhead_minutes=12.0))
    assert (default == other).all()
