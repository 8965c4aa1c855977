"""The approximate ward polygons: a tiling of the province that honours the official areas."""

import logging

import numpy as np
import pytest
import shapely

from geo import polygons
from geo.units import UnknownPlaceError, communes


def test_one_row_per_commune_in_code_order(hanoi_wards):
    assert list(hanoi_wards.columns) == ["code", "name", "kind", "province", "lat", "lon", "area_km2", "geometry"]
    assert list(hanoi_wards["code"]) == [u.code for u in communes("Hà Nội")]
    assert list(hanoi_wards["code"]) == sorted(hanoi_wards["code"])
    assert hanoi_wards.crs.to_epsg() == 4326


def test_polygons_are_valid_and_each_ward_is_one_piece(hanoi_wards):
    assert shapely.is_valid(hanoi_wards.geometry.to_numpy()).all()
    assert set(hanoi_wards.geom_type) == {"Polygon"}


def test_lon_lat_order(hanoi_wards):
    lon_min, lat_min, lon_max, lat_max = hanoi_wards.total_bounds
    assert 105.0 < lon_min < lon_max < 106.5
    assert 20.3 < lat_min < lat_max < 21.6


def test_no_overlaps(hanoi_laea):
    geometries = hanoi_laea.geometry.to_numpy()
    first, second = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    keep = first < second
    assert keep.sum() > 200  # neighbours touch
    overlap_m2 = shapely.area(shapely.intersection(geometries[first[keep]], geometries[second[keep]]))
    assert overlap_m2.max() < 1e-3  # a thousandth of a square metre


def test_no_gaps_the_union_is_the_extent(hanoi_wards):
    extent = polygons.province_extent("Hà Nội")
    union = shapely.union_all(hanoi_wards.geometry.to_numpy())
    assert shapely.area(shapely.difference(extent, union)) < 1e-12  # square degrees
    assert shapely.area(shapely.difference(union, extent)) < 1e-12
    assert all(len(part.interiors) == 0 for part in shapely.get_parts(extent))


def test_total_area_within_3_percent_of_official(hanoi_laea):
    total_km2 = hanoi_laea.area.sum() / 1e6
    assert abs(total_km2 - 3359.97) / 3359.97 < 0.03
    assert abs(total_km2 - 3359.8) / 3359.8 < 0.03


def test_every_centroid_inside_its_own_polygon(hanoi_wards):
    inside = shapely.contains_xy(hanoi_wards.geometry.to_numpy(), hanoi_wards["lon"], hanoi_wards["lat"])
    assert inside.all(), list(hanoi_wards["name"][~inside])


def test_median_relative_area_error_at_most_10_percent(hanoi_laea):
    error = (hanoi_laea.area / 1e6 - hanoi_laea["area_km2"]).abs() / hanoi_laea["area_km2"]
    assert error.median() <= 0.10
    assert error.quantile(0.9) <= 0.25


def test_build_is_deterministic(hanoi_wards):
    again = polygons._build_province("01")
    assert again.codes == tuple(hanoi_wards["code"])
    assert [shapely.to_wkb(g) for g in again.geometries] == [shapely.to_wkb(g) for g in hanoi_wards.geometry]
    assert shapely.to_wkb(again.extent) == shapely.to_wkb(polygons.province_extent("01"))


def test_voronoi_baseline_tiles_the_same_extent(hanoi_wards):
    voronoi = polygons.voronoi_polygons("Ha Noi")
    assert list(voronoi["code"]) == list(hanoi_wards["code"])
    assert shapely.contains_xy(voronoi.geometry.to_numpy(), voronoi["lon"], voronoi["lat"]).all()
    extent = polygons.province_extent("Hà Nội")
    union = shapely.union_all(voronoi.geometry.to_numpy())
    assert shapely.area(shapely.symmetric_difference(union, extent)) < 1e-6 * shapely.area(extent)


def test_unknown_province_is_refused():
    with pytest.raises(UnknownPlaceError):
        polygons.ward_polygons("Atlantis")


@pytest.fixture
def small_build(tmp_path, monkeypatch):
    """Lai Châu (38 wards) on a coarse raster in its own empty cache directory."""
    monkeypatch.setenv("RAQUAN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(polygons, "TARGET_CELLS", 20_000)
    polygons.clear_memory_cache()
    yield "12"
    polygons.clear_memory_cache()


def test_cache_builds_a_province_once(small_build, monkeypatch, caplog):
    before = polygons.build_counts["12"]
    first = polygons.ward_polygons("Lai Châu")
    assert polygons.build_counts["12"] == before + 1
    assert polygons.cache_path("12").is_file()
    polygons.ward_polygons("Lai Chau")  # in-process cache
    assert polygons.build_counts["12"] == before + 1

    polygons.clear_memory_cache()

    def no_build(code):
        raise AssertionError("rebuilt although the disk cache holds the province")

    monkeypatch.setattr(polygons, "_build_province", no_build)
    with caplog.at_level(logging.INFO, logger="geo.polygons"):
        from_disk = polygons.ward_polygons("12")
    assert any("from cache" in record.getMessage() for record in caplog.records)
    assert [shapely.to_wkb(g) for g in from_disk.geometry] == [shapely.to_wkb(g) for g in first.geometry]


def test_a_corrupt_cache_file_is_rebuilt(small_build, caplog):
    path = polygons.cache_path("12")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{not json", encoding="utf-8")
    before = polygons.build_counts["12"]
    with caplog.at_level(logging.WARNING, logger="geo.polygons"):
        wards = polygons.ward_polygons("12")
    assert polygons.build_counts["12"] == before + 1
    assert len(wards) == 38
    assert any("unreadable" in record.getMessage() for record in caplog.records)
    assert path.read_text(encoding="utf-8").startswith('{"method_version"')


def test_small_province_on_a_coarse_raster_still_tiles(small_build):
    wards = polygons.ward_polygons("12")
    geometries = wards.geometry.to_numpy()
    assert shapely.is_valid(geometries).all()
    assert shapely.contains_xy(geometries, wards["lon"], wards["lat"]).all()
    union = shapely.union_all(geometries)
    assert np.isclose(shapely.area(union), shapely.area(geometries).sum(), rtol=1e-9)
