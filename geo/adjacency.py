"""Which wards border which: the adjacency graph of the ward polygons.

Two wards are neighbours when their polygons share a border of positive length;
touching at a corner does not count. Border lengths are measured in km in a
Lambert azimuthal equal-area projection centred on the polygons.
"""

from __future__ import annotations

import functools
import logging

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from geo.polygons import ward_polygons
from geo.units import find_province

logger = logging.getLogger(__name__)

#: Shared borders shorter than this (km) are corner contacts or rounding noise.
MIN_SHARED_BORDER_KM = 1e-6


def graph_from_polygons(polygons: gpd.GeoDataFrame) -> nx.Graph:
    """The adjacency graph of any set of ward polygons.

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame
        One row per ward with a ``code`` column, optionally ``name``, and
        polygonal geometries in a geographic CRS (lon/lat) or any CRS pyproj
        can transform. Polygons are expected not to overlap.

    Returns
    -------
    networkx.Graph
        Nodes are the codes (attribute ``name`` when the column exists); an edge
        joins two wards whose boundaries share a length of more than
        ``MIN_SHARED_BORDER_KM``, with attribute ``shared_border_km``.
    """
    graph: nx.Graph[str] = nx.Graph()
    names = polygons["name"] if "name" in polygons else polygons["code"]
    for code, name in zip(polygons["code"], names, strict=True):
        graph.add_node(str(code), name=str(name))
    if len(polygons) < 2:
        return graph
    projected = polygons.to_crs(_equal_area_crs(polygons)).geometry.to_numpy()
    boundaries = shapely.boundary(projected)
    first, second = shapely.STRtree(projected).query(projected, predicate="intersects")
    keep = first < second
    first, second = first[keep], second[keep]
    shared_km = shapely.length(shapely.intersection(boundaries[first], boundaries[second])) / 1000.0
    codes = polygons["code"].astype(str).to_numpy()
    for i, j, length_km in zip(first, second, shared_km, strict=True):
        if length_km > MIN_SHARED_BORDER_KM:
            graph.add_edge(codes[i], codes[j], shared_border_km=float(length_km))
    return graph


def adjacency_graph(province: str) -> nx.Graph:
    """The adjacency graph of a province's wards (see :func:`geo.polygons.ward_polygons`).

    Parameters
    ----------
    province : str
        A province name or code ("Hà Nội", "Ha Noi", "01").

    Returns
    -------
    networkx.Graph
        A fresh copy (safe to modify): nodes are ward codes with a ``name``
        attribute, edges carry ``shared_border_km``.
    """
    return _province_graph(find_province(province).code).copy()


def neighbours(province: str, code: str) -> tuple[str, ...]:
    """The codes of the wards sharing a border with ward ``code``, in code order.

    Raises
    ------
    KeyError
        When ``code`` is not a ward of the province.
    """
    graph = _province_graph(find_province(province).code)
    key = str(code).strip().zfill(5)
    if key not in graph:
        raise KeyError(f"no ward with code {code!r} in province {province!r}")
    return tuple(sorted(graph.neighbors(key)))


@functools.lru_cache(maxsize=64)
def _province_graph(province_code: str) -> nx.Graph:
    graph = graph_from_polygons(ward_polygons(province_code))
    graph.graph["province_code"] = province_code
    logger.info(
        "adjacency graph of province %s: %d wards, %d borders",
        province_code,
        graph.number_of_nodes(),
        graph.number_of_edges(),
    )
    return graph


def _equal_area_crs(polygons: gpd.GeoDataFrame) -> str:
    lon_min, lat_min, lon_max, lat_max = polygons.to_crs("EPSG:4326").total_bounds
    lat0, lon0 = (lat_min + lat_max) / 2.0, (lon_min + lon_max) / 2.0
    if not (np.isfinite(lat0) and np.isfinite(lon0)):
        raise ValueError("polygons without coordinates")
    return f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
