"""Fixtures of the geographic layer: one Hà Nội build per session, in a temporary cache."""

import pytest

from geo import polygons


@pytest.fixture(scope="session")
def hanoi_wards(geo_cache_dir):
    """Hà Nội's 126 ward polygons, built once for the session."""
    return polygons.ward_polygons("Hà Nội")


@pytest.fixture(scope="session")
def hanoi_laea(hanoi_wards):
    """Hà Nội's polygons in an equal-area projection centred on the city (metres)."""
    lat0, lon0 = hanoi_wards["lat"].mean(), hanoi_wards["lon"].mean()
    return hanoi_wards.to_crs(f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
