"""Positions of home addresses inside a ward, for routing the mobile visits.

The package's data gives every ward an official centroid and an approximate polygon
(:func:`geo.polygons.ward_polygons`) but has **no position of any residential group** (tổ dân phố,
thôn) and no street geometry. An address given without coordinates is therefore placed by a
documented, deterministic approximation: the point stands for the address *text*, not for a
surveyed position, and whatever shows it (route sheet, map) flags it as approximate.

How an address is placed (:func:`approximate_location`):

1. The texts are folded (:func:`geo.units.fold`: lower case, no diacritics, single spaces), so
   "Tổ 5" and "to  5" are the same address.
2. A key ``ward code + folded text`` is hashed with SHAKE-256, whose output is read as a stream
   of uniform numbers in [0, 1): the same key always gives the same stream, on every machine and
   with every numpy version, and different keys give unrelated streams.
3. Candidate points are drawn uniformly from the polygon's bounding box (in degrees; over a
   ward's few km the distortion is negligible) and the first one inside the polygon is kept —
   rejection sampling, so different texts spread evenly over the ward. After
   ``SAMPLE_TRIES`` misses (never seen in practice) the polygon's representative point is used.
4. When the residential group's name is given separately, the group is placed first (step 3
   with the group's name as the text), and the street and house number then get a point in a
   disk of ``GROUP_RADIUS_KM`` (300 m) around it, drawn the same way and also kept inside the
   ward: the people of one group live near each other, as they do, so routes visit a group's
   people in one pass instead of zigzagging across the ward. A group with no street text stays
   at the group's point.

The ward office (:func:`office_location`) is the ward's official centroid, which the polygons
are built to contain; should it ever fall outside, the polygon's representative point stands in.

Polygons are loaded once per province and kept in the process; the shapely geometries are
prepared, so a placement or a check costs a few microseconds to tens of microseconds.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from dataclasses import dataclass

import numpy as np
import shapely

from geo.polygons import ward_polygons
from geo.travel import haversine_km
from geo.units import AdminUnit, commune_by_code, fold

logger = logging.getLogger(__name__)

#: Candidate points drawn per placement before falling back to the representative point.
SAMPLE_TRIES = 256
#: Radius around the residential group's point within which its addresses are placed.
GROUP_RADIUS_KM = 0.3
#: Kilometres per degree of latitude (mean; enough for offsets of a few hundred metres).
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320

_lock = threading.Lock()
_provinces: dict[str, dict[str, _Ward]] = {}


@dataclass(frozen=True)
class _Ward:
    """One ward's prepared polygon, its bounds (lon_min, lat_min, lon_max, lat_max) and its unit."""

    unit: AdminUnit
    geometry: shapely.Geometry
    bounds: tuple[float, float, float, float]


def approximate_location(ward_code: str, address_text: str, group_name: str = "") -> tuple[float, float]:
    """A deterministic point (lat, lon) inside the ward standing for an address given as text.

    Parameters
    ----------
    ward_code : str
        The official ward code ("00070"; leading zeros may be omitted).
    address_text : str
        The street and house number (or the whole address) as written; folded before use.
    group_name : str
        The residential group (tổ dân phố, thôn) when known separately: the group gets its own point
        and the address one within ``GROUP_RADIUS_KM`` of it (see the module's description).

    Returns
    -------
    tuple of float
        (lat, lon) in degrees, always inside the ward's polygon. Approximate: it stands for the text,
        not for a surveyed position.

    Raises
    ------
    KeyError
        When ``ward_code`` is not a ward.
    """
    ward = _ward(ward_code)
    group_key = fold(group_name)
    street_key = fold(address_text)
    if not group_key:
        lon, lat = _sample_in_ward(ward, street_key)
        return lat, lon
    group_lon, group_lat = _sample_in_ward(ward, "group\x1f" + group_key)
    if not street_key:
        return group_lat, group_lon
    lon, lat = _sample_near(ward, group_lon, group_lat, group_key + "\x1f" + street_key)
    return lat, lon


def inside_ward(ward_code: str, lat: float, lon: float, margin_km: float = 0.0) -> bool:
    """Whether (lat, lon) lies in the ward's polygon (its edge included), or within ``margin_km`` of it.

    The polygons are approximations built from the official centroids and areas, so a true address
    near a ward's edge can fall a few hundred metres outside its polygon: an importer checking given
    coordinates may pass a margin and warn rather than refuse.

    Raises
    ------
    KeyError
        When ``ward_code`` is not a ward.
    ValueError
        When ``margin_km`` is negative.
    """
    if not margin_km >= 0:
        raise ValueError(f"margin_km must not be negative, got {margin_km!r}")
    ward = _ward(ward_code)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if shapely.intersects_xy(ward.geometry, lon, lat):
        return True
    if margin_km == 0:
        return False
    nearest = shapely.get_coordinates(shapely.shortest_line(ward.geometry, shapely.Point(lon, lat)))[0]
    return float(haversine_km(lat, lon, nearest[1], nearest[0])) <= margin_km


def office_location(ward_code: str) -> tuple[float, float]:
    """The ward office's position (lat, lon): the official centroid, or the representative point if outside.

    The data has no address of the ward's office (trụ sở); the official centroid of the ward is the
    documented stand-in and the polygons are built to contain it. Routes start and end here unless
    they start at a mobile point.

    Raises
    ------
    KeyError
        When ``ward_code`` is not a ward.
    """
    ward = _ward(ward_code)
    if shapely.intersects_xy(ward.geometry, ward.unit.lon, ward.unit.lat):
        return ward.unit.lat, ward.unit.lon
    lon, lat = shapely.get_coordinates(shapely.point_on_surface(ward.geometry))[0]
    return float(lat), float(lon)


def ward_geometry(ward_code: str) -> shapely.Geometry:
    """The ward's polygon (lon/lat, EPSG:4326) from the per-province cache, for drawing it."""
    return _ward(ward_code).geometry


# --------------------------------------------------------------------------- internals


def _ward(ward_code: str) -> _Ward:
    unit = commune_by_code(ward_code)
    with _lock:
        wards = _provinces.get(unit.province_code)
    if wards is None:
        wards = _load(unit.province_code)
        with _lock:
            wards = _provinces.setdefault(unit.province_code, wards)
    return wards[unit.code]


def _load(province_code: str) -> dict[str, _Ward]:
    frame = ward_polygons(province_code)
    wards = {}
    for code, geometry in zip(frame["code"], frame.geometry, strict=True):
        shapely.prepare(geometry)
        lon_min, lat_min, lon_max, lat_max = (float(v) for v in shapely.bounds(geometry))
        wards[str(code)] = _Ward(commune_by_code(str(code)), geometry, (lon_min, lat_min, lon_max, lat_max))
    logger.info("address placement: loaded %d ward polygons of province %s", len(wards), province_code)
    return wards


def _uniforms(key: str, count: int) -> np.ndarray:
    """``count`` numbers uniform in [0, 1), a pure function of ``key`` (SHAKE-256 as the generator)."""
    digest = hashlib.shake_256(key.encode("utf-8")).digest(8 * count)
    return np.frombuffer(digest, dtype="<u8").astype(np.float64) / 2.0**64


def _first_inside(ward: _Ward, lon: np.ndarray, lat: np.ndarray) -> tuple[float, float] | None:
    hits = np.flatnonzero(shapely.intersects_xy(ward.geometry, lon, lat))
    if hits.size == 0:
        return None
    return float(lon[hits[0]]), float(lat[hits[0]])


def _sample_in_ward(ward: _Ward, text_key: str) -> tuple[float, float]:
    """(lon, lat) uniform in the ward's polygon, drawn from the stream of ``ward code + text``."""
    u = _uniforms(ward.unit.code + "\x1f" + text_key, 2 * SAMPLE_TRIES).reshape(SAMPLE_TRIES, 2)
    lon_min, lat_min, lon_max, lat_max = ward.bounds
    found = _first_inside(ward, lon_min + u[:, 0] * (lon_max - lon_min), lat_min + u[:, 1] * (lat_max - lat_min))
    if found is not None:
        return found
    logger.warning("no sample inside ward %s for %r: its representative point is used", ward.unit.code, text_key)
    lon, lat = shapely.get_coordinates(shapely.point_on_surface(ward.geometry))[0]
    return float(lon), float(lat)


def _sample_near(ward: _Ward, lon0: float, lat0: float, text_key: str) -> tuple[float, float]:
    """(lon, lat) uniform in the disk of ``GROUP_RADIUS_KM`` around (lon0, lat0), inside the ward."""
    u = _uniforms(ward.unit.code + "\x1f" + text_key, 2 * SAMPLE_TRIES).reshape(SAMPLE_TRIES, 2)
    radius_km = GROUP_RADIUS_KM * np.sqrt(u[:, 0])  # sqrt: uniform over the disk's area
    angle = 2.0 * np.pi * u[:, 1]
    km_per_degree_lon = KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(lat0))
    lon = lon0 + radius_km * np.cos(angle) / km_per_degree_lon
    lat = lat0 + radius_km * np.sin(angle) / KM_PER_DEGREE_LAT
    found = _first_inside(ward, lon, lat)
    return found if found is not None else (lon0, lat0)  # the group's point is inside the ward
