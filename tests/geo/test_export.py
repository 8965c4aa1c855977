"""Wards as CSV and GeoJSON, the output of ``raquan wards``."""

import csv
import io
import json

import pytest
import shapely.geometry

from geo.export import write_wards_csv, write_wards_geojson
from geo.units import UnknownPlaceError

HEADER = [
    "code",
    "name",
    "type",
    "province",
    "lat",
    "lon",
    "area_km2",
    "official_area_km2",
    "area_corrected",
    "area_note",
]


def csv_rows(province):
    stream = io.StringIO()
    count = write_wards_csv(stream, province)
    rows = list(csv.reader(io.StringIO(stream.getvalue())))
    assert count == len(rows) - 1
    return rows


@pytest.mark.parametrize("province", ["Hà Nội", "Ha Noi"])
def test_csv_for_hanoi_has_126_rows(province):
    rows = csv_rows(province)
    assert rows[0] == HEADER
    assert len(rows) == 1 + 126
    assert rows[1] == [
        "00004",
        "Phường Ba Đình",
        "Phường",
        "Thành phố Hà Nội",
        "21.0386",
        "105.838",
        "2.97",
        "2.97",
        "0",
        "",
    ]


def test_csv_nationwide_has_3321_rows_and_blank_unknown_areas():
    rows = csv_rows(None)
    assert len(rows) == 1 + 3321
    assert sum(row[6] == "" for row in rows[1:]) == 4


def test_unknown_province_is_refused():
    with pytest.raises(UnknownPlaceError):
        write_wards_csv(io.StringIO(), "Atlantis")


def test_geojson_for_hanoi_is_a_feature_collection_of_126_wards(hanoi_wards):
    stream = io.StringIO()
    assert write_wards_geojson(stream, "Ha Noi") == 126
    document = json.loads(stream.getvalue())
    assert document["type"] == "FeatureCollection"
    features = document["features"]
    assert len(features) == 126
    assert [f["properties"]["code"] for f in features] == list(hanoi_wards["code"])
    first = features[0]
    assert first["type"] == "Feature"
    assert list(first["properties"]) == HEADER
    assert first["properties"]["name"] == "Phường Ba Đình"
    assert first["properties"]["type"] == "Phường"
    assert first["properties"]["area_km2"] == 2.97
    for feature in features:
        geometry = shapely.geometry.shape(feature["geometry"])
        assert geometry.geom_type in ("Polygon", "MultiPolygon")
        assert geometry.is_valid
        for polygon in getattr(geometry, "geoms", [geometry]):
            assert polygon.exterior.is_ccw  # RFC 7946: exterior rings counter-clockwise
        lon, lat = feature["properties"]["lon"], feature["properties"]["lat"]
        assert geometry.contains(shapely.geometry.Point(lon, lat))  # lon/lat order


def test_hanoi_geojson_tiles_the_city_without_overlap_and_near_the_official_area(hanoi_wards):
    """The written file itself (rounded coordinates), not the in-memory frame: no overlaps, area within 5%."""
    import geopandas
    import shapely

    stream = io.StringIO()
    write_wards_geojson(stream, "Hà Nội")
    frame = geopandas.GeoDataFrame.from_features(json.loads(stream.getvalue())["features"], crs="EPSG:4326")
    lat0, lon0 = frame["lat"].mean(), frame["lon"].mean()
    laea = frame.to_crs(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m").geometry
    total_km2 = laea.area.sum() / 1e6
    union_km2 = shapely.union_all(laea.values).area / 1e6
    assert abs(total_km2 - 3359.8) / 3359.8 < 0.05
    assert total_km2 - union_km2 < 0.01  # overlaps would count twice in the sum
