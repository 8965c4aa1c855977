"""Home addresses placed inside their ward: deterministic, spread over it, grouped by residential group."""

import math

import numpy as np
import pytest
import shapely

from geo import addresses
from geo.addresses import GROUP_RADIUS_KM, approximate_location, inside_ward, office_location
from geo.travel import haversine_km
from geo.units import commune_by_code, communes

HOAN_KIEM = "00070"  # Phường Hoàn Kiếm, dense inner, 1.9 km²
HA_DONG = "09556"  # Phường Hà Đông, 9 km²
BA_VI = "09700"  # Xã Ba Vì, outer, 81 km²
MINH_CHAU = "09661"  # Xã Minh Châu, an island in the Red River
WARDS = (HOAN_KIEM, HA_DONG, BA_VI, MINH_CHAU)


@pytest.fixture(scope="module")
def polygon_of(hanoi_wards):
    """The ward's polygon read straight from geo.polygons, independently of geo.addresses' cache."""
    by_code = dict(zip(hanoi_wards["code"], hanoi_wards.geometry, strict=True))
    return by_code.__getitem__


def addresses_of(count: int) -> list[str]:
    return [f"Số {i}, ngõ {i % 17} phố Hàng {('Bạc', 'Đào', 'Gai')[i % 3]}" for i in range(count)]


@pytest.mark.parametrize("ward", WARDS)
def test_every_address_lies_inside_its_ward(ward, polygon_of):
    polygon = polygon_of(ward)
    points = [approximate_location(ward, text) for text in addresses_of(300)]
    grouped = [approximate_location(ward, text, f"Tổ dân phố {i % 12}") for i, text in enumerate(addresses_of(300))]
    for lat, lon in points + grouped:
        assert shapely.intersects_xy(polygon, lon, lat)
        assert inside_ward(ward, lat, lon)


def test_the_same_folded_text_gives_the_same_point():
    first = approximate_location(HA_DONG, "Số 12, ngõ 5 Phố Quang Trung", "Tổ 3")
    assert approximate_location(HA_DONG, "số 12,  ngõ 5 phố quang trung", "TỔ 3") == first
    assert approximate_location(HA_DONG, "So 12, ngo 5 pho Quang Trung", "To 3") == first
    assert approximate_location("9556", "Số 12, ngõ 5 Phố Quang Trung", "Tổ 3") == first
    assert approximate_location(HA_DONG, "Số 13, ngõ 5 Phố Quang Trung", "Tổ 3") != first


def test_points_do_not_depend_on_the_process_cache():
    """Reloading the polygons (as a new process would) places every address at the same point again."""
    before = [approximate_location(BA_VI, text) for text in addresses_of(50)]
    addresses._provinces.clear()
    assert [approximate_location(BA_VI, text) for text in addresses_of(50)] == before


def test_the_same_text_in_another_ward_is_placed_in_that_ward():
    text = "Số 1 đường Lê Lợi"
    a, b = approximate_location(HOAN_KIEM, text), approximate_location(HA_DONG, text)
    assert inside_ward(HOAN_KIEM, *a) and not inside_ward(HOAN_KIEM, *b)
    assert inside_ward(HA_DONG, *b)


@pytest.mark.parametrize("ward", (HA_DONG, BA_VI))
def test_different_texts_spread_evenly_over_the_ward(ward, polygon_of):
    """400 texts: all distinct, and the share west of the centroid matches the share of the area there."""
    polygon = polygon_of(ward)
    points = np.array([approximate_location(ward, text) for text in addresses_of(400)])
    assert len({tuple(p) for p in points}) == 400
    lon_min, lat_min, lon_max, lat_max = polygon.bounds
    split = polygon.centroid.x
    west = shapely.intersection(polygon, shapely.box(lon_min, lat_min, split, lat_max))
    area_share = west.area / polygon.area
    point_share = float(np.mean(points[:, 1] < split))
    assert abs(point_share - area_share) < 0.08  # about three standard deviations of 400 draws


def test_people_of_one_group_live_near_its_point():
    for group in ("Thôn Đông", "Thôn Tây", "Tổ 7"):
        group_lat, group_lon = approximate_location(BA_VI, "", group)
        assert inside_ward(BA_VI, group_lat, group_lon)
        members = [approximate_location(BA_VI, text, group) for text in addresses_of(40)]
        distances_km = [float(haversine_km(group_lat, group_lon, lat, lon)) for lat, lon in members]
        assert max(distances_km) <= GROUP_RADIUS_KM * 1.01
        assert len(set(members)) == 40
    # two groups of a large commune are (almost always) far apart; these two are
    east, west = approximate_location(BA_VI, "", "Thôn Đông"), approximate_location(BA_VI, "", "Thôn Tây")
    assert float(haversine_km(*east, *west)) > 2 * GROUP_RADIUS_KM


def test_a_group_near_the_edge_keeps_its_people_inside(polygon_of):
    """In the small inner ward many group disks cross its edge; every address still lies inside."""
    polygon = polygon_of(HOAN_KIEM)
    crossing = 0
    for group in range(40):
        group_lat, group_lon = approximate_location(HOAN_KIEM, "", f"Tổ {group}")
        edge_km = shapely.distance(polygon.exterior, shapely.Point(group_lon, group_lat)) * 104  # km at 21° N
        crossing += edge_km < GROUP_RADIUS_KM
        for text in addresses_of(10):
            assert shapely.intersects_xy(polygon, *reversed(approximate_location(HOAN_KIEM, text, f"Tổ {group}")))
    assert crossing > 0


def test_inside_ward_checks_given_coordinates(polygon_of):
    unit = commune_by_code(HOAN_KIEM)
    assert inside_ward(HOAN_KIEM, unit.lat, unit.lon)
    ha_dong = commune_by_code(HA_DONG)
    assert not inside_ward(HOAN_KIEM, ha_dong.lat, ha_dong.lon)
    assert not inside_ward(HOAN_KIEM, 10.7769, 106.7009)  # Hồ Chí Minh City
    assert not inside_ward(HOAN_KIEM, math.nan, unit.lon)
    assert not inside_ward(HOAN_KIEM, unit.lon, unit.lat)  # swapped
    with pytest.raises(KeyError):
        inside_ward("99999", unit.lat, unit.lon)
    with pytest.raises(ValueError):
        inside_ward(HOAN_KIEM, unit.lat, unit.lon, margin_km=-1)


def test_a_margin_accepts_points_just_outside_the_edge(polygon_of):
    """A point 200 m east of the ward's easternmost vertex: outside, but within a 0.5 km margin."""
    polygon = polygon_of(HOAN_KIEM)
    coords = shapely.get_coordinates(polygon)
    lon, lat = coords[np.argmax(coords[:, 0])]
    lon_outside = lon + 0.2 / (111.32 * math.cos(math.radians(lat)))
    assert not inside_ward(HOAN_KIEM, lat, lon_outside)
    assert inside_ward(HOAN_KIEM, lat, lon_outside, margin_km=0.5)
    assert not inside_ward(HOAN_KIEM, lat, lon_outside, margin_km=0.1)


def test_the_office_is_the_official_centroid_inside_the_ward(polygon_of):
    for unit in communes("Hà Nội"):
        lat, lon = office_location(unit.code)
        assert shapely.intersects_xy(polygon_of(unit.code), lon, lat)
        assert (lat, lon) == (unit.lat, unit.lon)


def test_polygons_are_loaded_once_per_province():
    approximate_location(HOAN_KIEM, "a")
    wards = addresses._provinces["01"]
    approximate_location(BA_VI, "b")
    inside_ward(HA_DONG, 21.0, 105.8)
    assert addresses._provinces["01"] is wards
    assert len(wards) == 126


def test_an_unknown_ward_raises():
    with pytest.raises(KeyError):
        approximate_location("99999", "Số 1")
    with pytest.raises(KeyError):
        office_location("99999")


def test_without_a_sample_inside_the_representative_point_stands_in(monkeypatch, polygon_of, caplog):
    monkeypatch.setattr(addresses, "SAMPLE_TRIES", 0)
    lat, lon = approximate_location(BA_VI, "Số 1")
    expected_lon, expected_lat = shapely.get_coordinates(shapely.point_on_surface(polygon_of(BA_VI)))[0]
    assert (lat, lon) == pytest.approx((expected_lat, expected_lon))
    assert inside_ward(BA_VI, lat, lon)
    assert "representative point" in caplog.text
