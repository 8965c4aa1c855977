"""Ward polygons as SVG path data, for the web app's coverage map.

The polygons of :func:`geo.polygons.ward_polygons` are projected to a plane in
kilometres (equirectangular: longitude scaled by the cosine of the province's
middle latitude; y grows southwards, as SVG's does), simplified as one coverage
so that neighbouring wards keep a shared edge, and written as path data with
coordinates rounded to ``DECIMALS`` places (10 m). The result is plain Python
data (strings and floats), cached per province; the caller never sees shapely.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass

import numpy as np
import shapely

from geo.polygons import ward_polygons
from geo.units import find_province

logger = logging.getLogger(__name__)

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_AT_EQUATOR = 111.320
SIMPLIFY_TOLERANCE_KM = 0.15  # one raster cell of geo.polygons: smooths its staircase edges
DECIMALS = 2
MARGIN_FRACTION = 0.02

_lock = threading.Lock()
_cache: dict[str, tuple[WardShape, ...]] = {}


@dataclass(frozen=True)
class WardShape:
    """One ward on the map: its code, name, SVG path data and bounds in map units (km)."""

    code: str
    name: str
    path_d: str
    min_x: float
    min_y: float
    max_x: float
    max_y: float


@dataclass(frozen=True)
class SvgMap:
    """What a page needs to draw a map.

    Attributes
    ----------
    view_box : str
        The SVG ``viewBox`` ("min_x min_y width height") fitted to the wards drawn, with a small margin.
    wards : list of (code, name, path_d)
        One entry per ward, in code order. Rings are closed sub-paths; draw with ``fill-rule="evenodd"``.
    width, height : float
        The view box's size in map units (km), for the aspect ratio.
    """

    view_box: str
    wards: list[tuple[str, str, str]]
    width: float
    height: float


def province_shapes(province: str) -> tuple[WardShape, ...]:
    """Every ward of a province as a :class:`WardShape`, in code order (computed once per province).

    Raises
    ------
    geo.units.UnknownPlaceError
        When the province name matches nothing.
    """
    code = find_province(province).code
    with _lock:
        cached = _cache.get(code)
    if cached is not None:
        return cached
    shapes = _build(code)
    with _lock:
        _cache[code] = shapes
    return shapes


def ward_map(province: str, codes=None) -> SvgMap:
    """The SVG map of a province's wards, or of the wards in ``codes`` only, with a view box fitted to them.

    Parameters
    ----------
    province : str
        A province as :func:`geo.units.find_province` reads it ("Hà Nội", "Thành phố Hà Nội", "01").
    codes : iterable of str or None
        The ward codes to draw (codes the province does not have are ignored); None for every ward.
    """
    shapes = province_shapes(province)
    if codes is not None:
        wanted = set(codes)
        shapes = tuple(shape for shape in shapes if shape.code in wanted)
    if not shapes:
        return SvgMap(view_box="0 0 1 1", wards=[], width=1.0, height=1.0)
    min_x = min(s.min_x for s in shapes)
    min_y = min(s.min_y for s in shapes)
    max_x = max(s.max_x for s in shapes)
    max_y = max(s.max_y for s in shapes)
    margin = MARGIN_FRACTION * max(max_x - min_x, max_y - min_y, 0.1)
    width = max_x - min_x + 2 * margin
    height = max_y - min_y + 2 * margin
    view_box = f"{_number(min_x - margin)} {_number(min_y - margin)} {_number(width)} {_number(height)}"
    return SvgMap(
        view_box=view_box,
        wards=[(s.code, s.name, s.path_d) for s in shapes],
        width=round(width, DECIMALS),
        height=round(height, DECIMALS),
    )


def _build(code: str) -> tuple[WardShape, ...]:
    frame = ward_polygons(code)
    lon_min, lat_min, lon_max, lat_max = frame.total_bounds
    km_per_degree_lon = KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians((lat_min + lat_max) / 2))

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            ((coords[:, 0] - lon_min) * km_per_degree_lon, (lat_max - coords[:, 1]) * KM_PER_DEGREE_LAT)
        )

    projected = shapely.transform(frame.geometry.to_numpy(), project)
    simplified = shapely.coverage_simplify(projected, SIMPLIFY_TOLERANCE_KM)
    shapes = []
    for ward_code, name, original, geometry in zip(frame["code"], frame["name"], projected, simplified, strict=True):
        if geometry is None or geometry.is_empty:
            geometry = original  # a ward too small to survive simplification keeps its outline
        x0, y0, x1, y1 = geometry.bounds
        shapes.append(
            WardShape(
                code=str(ward_code), name=str(name), path_d=_path_data(geometry), min_x=x0, min_y=y0, max_x=x1, max_y=y1
            )
        )
    logger.info("built the SVG map of province %s: %d wards", code, len(shapes))
    return tuple(shapes)


def _path_data(geometry) -> str:
    """Path data, "M x y x y … Z" per ring (exterior and holes) of every polygon of the geometry."""
    parts = []
    for polygon in shapely.get_parts(geometry):
        if polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)[:-1]  # the closing point is implied by Z
            if len(coords) < 3:
                continue
            numbers = " ".join(f"{_number(x)} {_number(y)}" for x, y in coords)
            parts.append(f"M{numbers}Z")
    return "".join(parts)


def _number(value: float) -> str:
    """A coordinate with at most DECIMALS places and no trailing zeros ("12.3", "7", "-0.05")."""
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
