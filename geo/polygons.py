"""Approximate ward polygons built from the official centroids and areas.

The dataset gives every commune a centroid and an official area but no boundary.
This module draws plausible boundaries that honour both, per province:

1. Work in a local plane in km (:class:`LocalPlane`, equirectangular around the
   province's mean centroid, scaled by the WGS 84 radii of curvature there) on a
   raster of square cells, about ``TARGET_CELLS`` cells for the province
   (0.15 km for Hà Nội).
2. The province extent is the set of cells within ``k * r_i`` of some ward
   centroid, where ``r_i = sqrt(area_i / pi)`` is the radius of a disk of the
   ward's official area (the province median area stands in for the 4 units
   without one), with its interior holes filled. ``k`` is found by bisection so
   that the extent's area equals the sum of the official areas. A ward whose
   disk would touch no other ward's even at ``ISOLATION_FACTOR`` (an island
   such as Đặc khu Bạch Long Vĩ) keeps a disk of exactly its official area.
3. Cells go to wards by a power diagram, ``argmin_i |x - p_i|^2 - w_i`` over the
   ``NEIGHBOUR_SITES`` nearest centroids on the same piece of extent (mainland or
   island). The weights are fitted so that each ward's area approaches its
   official area scaled to its piece of extent: each round changes ``w_i`` by
   the area shortfall divided by how fast the ward's area responds to its weight
   (a Jacobi step, ``FIT_STEP`` damped, over ``FIT_ITERATIONS`` rounds; the best
   round is kept), and keeps every centroid inside its own power cell.
4. The cell holding each centroid belongs to that ward, and every ward is one
   4-connected piece of cells around its centroid (stray pieces go to the
   neighbour they share the longest border with). Areas are measured after this
   step in every round, so the fit sees the wards as they will be drawn.
5. Each ward's cells become a polygon (horizontal runs of cells merged into
   rectangles, then united). Every corner of any ward is inserted into every
   boundary that passes through it, so neighbouring wards share identical
   vertices; an axis-aligned affine map takes the plane to lon/lat (EPSG:4326),
   which keeps shared vertices identical and the tiling exact.

The wards of a province tile its extent with no overlap and no gap and each
contains its own centroid. Provinces are built independently, so the extents of
two neighbouring provinces may overlap or leave gaps between them.

Built polygons are cached on disk (``RAQUAN_CACHE_DIR``, default
``~/.cache/raquan``) and in the process, so a province is computed once.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import importlib.metadata
import json
import logging
import math
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage
from scipy.spatial import cKDTree

from geo.units import AdminUnit, communes, find_province, provinces

logger = logging.getLogger(__name__)

#: Part of every cache key; change it whenever the construction changes.
METHOD_VERSION = "power-raster-2"
#: Cells of the raster for one province's total official area.
TARGET_CELLS = 150_000
#: Plain-nearest centroids among which the power diagram picks a cell's ward.
NEIGHBOUR_SITES = 24
#: Rounds of weight updates fitting the power diagram to the areas.
FIT_ITERATIONS = 80
#: Fraction of the estimated weight change applied each round.
FIT_STEP = 0.5
#: A ward whose disk of radius ``ISOLATION_FACTOR * r`` meets no other ward's is an island.
ISOLATION_FACTOR = 2.0

_WGS84_A_KM = 6378.137
_WGS84_E2 = 0.00669437999014

#: Builds actually computed in this process, per province code (for tests and diagnostics).
build_counts: collections.Counter[str] = collections.Counter()

_memory_cache: dict[tuple[str, str], _Build] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class LocalPlane:
    """An equirectangular plane in km around (``lat0``, ``lon0``).

    The scales are the WGS 84 meridional and prime-vertical radii of curvature at
    ``lat0``; the map is axis-aligned and affine, so a line of constant latitude
    stays one of constant ``y``.
    """

    lat0: float
    lon0: float
    km_per_deg_lat: float
    km_per_deg_lon: float

    @classmethod
    def around(cls, lat0: float, lon0: float) -> LocalPlane:
        """The plane centred on (``lat0``, ``lon0``) in degrees."""
        phi = math.radians(lat0)
        w = math.sqrt(1.0 - _WGS84_E2 * math.sin(phi) ** 2)
        meridional_km = _WGS84_A_KM * (1.0 - _WGS84_E2) / w**3
        prime_vertical_km = _WGS84_A_KM / w
        return cls(lat0, lon0, meridional_km * math.pi / 180.0, prime_vertical_km * math.cos(phi) * math.pi / 180.0)

    def to_km(self, lon, lat):
        """Plane coordinates (x east, y north, km) of lon/lat degrees."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        return (lon - self.lon0) * self.km_per_deg_lon, (lat - self.lat0) * self.km_per_deg_lat

    def to_lonlat(self, x_km, y_km):
        """Lon/lat degrees of plane coordinates in km."""
        x_km = np.asarray(x_km, dtype=float)
        y_km = np.asarray(y_km, dtype=float)
        return self.lon0 + x_km / self.km_per_deg_lon, self.lat0 + y_km / self.km_per_deg_lat


@dataclass(frozen=True)
class _Grid:
    """Square cells; cell (row, col) spans x0 + col*cell_km .. +cell_km, likewise y."""

    x0_km: float
    y0_km: float
    cell_km: float
    rows: int
    cols: int

    def cell_of(self, x_km, y_km):
        row = np.floor((np.asarray(y_km) - self.y0_km) / self.cell_km).astype(int)
        col = np.floor((np.asarray(x_km) - self.x0_km) / self.cell_km).astype(int)
        return row, col


@dataclass(frozen=True)
class _Build:
    """One province's polygons in lon/lat, in the order of ``codes``."""

    codes: tuple[str, ...]
    geometries: tuple[shapely.Geometry, ...]
    extent: shapely.Geometry


# --------------------------------------------------------------------------- public API


def ward_polygons(province: str | None) -> gpd.GeoDataFrame:
    """Approximate polygons of the communes of a province, one row per commune.

    Parameters
    ----------
    province : str or None
        A province as :func:`geo.units.find_province` reads it ("Hà Nội",
        "Ha Noi", "01"); None for all 34 provinces concatenated (each built on
        its own; the first nationwide call takes a few minutes).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns code, name, kind, province, lat, lon, area_km2 (official; NaN
        where unknown) and geometry (Polygon or MultiPolygon, EPSG:4326), ordered
        by code. The wards of a province tile its extent (:func:`province_extent`)
        without overlap or gap, and each contains its centroid (lon, lat).

    Raises
    ------
    geo.units.UnknownPlaceError
        When the province name matches nothing.
    """
    if province is None:
        frames = [ward_polygons(p.code) for p in provinces()]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    code = find_province(province).code
    build = _province_build(code)
    return _frame(communes(code), build.codes, build.geometries)


def province_extent(province: str) -> shapely.Geometry:
    """The province's approximate extent in lon/lat: the union of its ward polygons.

    Parameters
    ----------
    province : str
        A province name or code.

    Returns
    -------
    shapely.Geometry
        A Polygon or MultiPolygon (islands) without interior holes, EPSG:4326.
    """
    return _province_build(find_province(province).code).extent


def voronoi_polygons(province: str | None) -> gpd.GeoDataFrame:
    """The plain Voronoi baseline: cells of the centroids, clipped to the province extent.

    Computed in the same local plane as :func:`ward_polygons` and clipped to the
    same extent, it ignores the official areas; it is what the benchmark compares
    against.

    Parameters
    ----------
    province : str or None
        A province name or code; None for all provinces concatenated.

    Returns
    -------
    geopandas.GeoDataFrame
        The same columns and order as :func:`ward_polygons`.
    """
    if province is None:
        frames = [voronoi_polygons(p.code) for p in provinces()]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")
    code = find_province(province).code
    units = communes(code)
    plane = _plane_for(units)
    x, y = plane.to_km([u.lon for u in units], [u.lat for u in units])
    sites = shapely.multipoints(np.column_stack([x, y]))
    extent_km = shapely.transform(province_extent(code), lambda c: np.column_stack(plane.to_km(c[:, 0], c[:, 1])))
    cells = shapely.voronoi_polygons(sites, extend_to=shapely.box(*shapely.bounds(extent_km)), ordered=True)
    clipped = shapely.intersection(shapely.get_parts(cells), extent_km)
    geometries = [
        shapely.transform(_polygonal(g), lambda c: np.column_stack(plane.to_lonlat(c[:, 0], c[:, 1]))) for g in clipped
    ]
    return _frame(units, tuple(u.code for u in units), tuple(geometries))


def cache_dir() -> Path:
    """The directory of the on-disk cache: ``$RAQUAN_CACHE_DIR`` or ``~/.cache/raquan``."""
    return Path(os.environ.get("RAQUAN_CACHE_DIR") or "~/.cache/raquan").expanduser()


def cache_path(province: str) -> Path:
    """The cache file of one province's polygons (it may not exist yet).

    The name holds a digest of the areas the polygons are fitted to, so a change
    of any area (such as a corrected official area) rebuilds that province only.
    """
    code = find_province(province).code
    package_version = importlib.metadata.version("vietnamadminunits")
    areas = ";".join(f"{u.code}={u.area_km2}" for u in communes(code))
    digest = hashlib.sha256(areas.encode()).hexdigest()[:10]
    return cache_dir() / f"wards-{code}-{METHOD_VERSION}-vau{package_version}-a{digest}.json"


def clear_memory_cache() -> None:
    """Forget the polygons held in this process (the disk cache stays)."""
    with _lock:
        _memory_cache.clear()


# --------------------------------------------------------------------------- caching


def _province_build(code: str) -> _Build:
    path = cache_path(code)
    key = (str(path), code)
    with _lock:
        build = _memory_cache.get(key)
        if build is None:
            build = _read_cache(path)
            if build is not None and build.codes != tuple(u.code for u in communes(code)):
                logger.warning("ward polygon cache %s does not match the commune registry; rebuilding", path)
                build = None
            if build is None:
                build = _build_province(code)
                _write_cache(path, build)
            _memory_cache[key] = build
    return build


def _read_cache(path: Path) -> _Build | None:
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("method_version") != METHOD_VERSION:
            return None
        build = _Build(
            codes=tuple(payload["codes"]),
            geometries=tuple(shapely.from_wkb(bytes.fromhex(h)) for h in payload["geometries_wkb"]),
            extent=shapely.from_wkb(bytes.fromhex(payload["extent_wkb"])),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, shapely.errors.ShapelyError) as error:
        logger.warning("ignoring unreadable ward polygon cache %s: %s", path, error)
        return None
    logger.info("read ward polygons of province %s from cache %s", payload.get("province_code"), path)
    return build


def _write_cache(path: Path, build: _Build) -> None:
    payload = {
        "method_version": METHOD_VERSION,
        "province_code": path.name.split("-")[1],
        "codes": list(build.codes),
        "geometries_wkb": [shapely.to_wkb(g, hex=True) for g in build.geometries],
        "extent_wkb": shapely.to_wkb(build.extent, hex=True),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, prefix=path.name, suffix=".tmp", delete=False
        ) as handle:
            json.dump(payload, handle)
        os.replace(handle.name, path)
    except OSError as error:
        logger.warning("could not write ward polygon cache %s: %s", path, error)
        return
    logger.info("wrote ward polygon cache %s", path)


# --------------------------------------------------------------------------- construction


def _build_province(code: str) -> _Build:
    started = time.perf_counter()
    units = communes(code)
    plane = _plane_for(units)
    x, y = plane.to_km([u.lon for u in units], [u.lat for u in units])
    sites = np.column_stack([x, y])
    areas = _official_or_median_areas(units)
    cell_km = math.sqrt(areas.sum() / TARGET_CELLS)
    while True:
        grid, extent = _extent_mask(sites, areas, cell_km)
        rows, cols = grid.cell_of(sites[:, 0], sites[:, 1])
        if len(set(zip(rows.tolist(), cols.tolist(), strict=True))) == len(units):
            break
        cell_km *= 0.8  # two centroids share a cell: refine
        logger.info("province %s: two centroids share a cell, refining to %.3f km", code, cell_km)
    labels = _fit_wards(extent, grid, sites, areas, rows, cols)

    shapes = _polygonize_labels(labels, len(units))
    extent_shape = _cells_to_polygon(labels >= 0)
    vertices = _vertex_index([*shapes, extent_shape])
    to_lonlat = _grid_to_lonlat(grid, plane)
    geometries = tuple(shapely.transform(_with_vertices(s, vertices), to_lonlat) for s in shapes)
    extent_lonlat = shapely.transform(_with_vertices(extent_shape, vertices), to_lonlat)

    build_counts[code] += 1
    logger.info(
        "built %d ward polygons of province %s on %d cells of %.3f km in %.1f s",
        len(units),
        code,
        int((labels >= 0).sum()),
        cell_km,
        time.perf_counter() - started,
    )
    return _Build(codes=tuple(u.code for u in units), geometries=geometries, extent=extent_lonlat)


def _plane_for(units: tuple[AdminUnit, ...]) -> LocalPlane:
    return LocalPlane.around(float(np.mean([u.lat for u in units])), float(np.mean([u.lon for u in units])))


def _official_or_median_areas(units: tuple[AdminUnit, ...]) -> np.ndarray:
    known = [u.area_km2 for u in units if u.area_km2]
    median_km2 = float(np.median(known))
    return np.array([u.area_km2 if u.area_km2 else median_km2 for u in units], dtype=float)


def _extent_mask(sites: np.ndarray, areas: np.ndarray, cell_km: float) -> tuple[_Grid, np.ndarray]:
    """The grid and the province extent on it: disks of radius k*r_i, holes filled."""
    radius = np.sqrt(areas / math.pi)
    isolated = _isolated(sites, radius)
    k_max = 3.0
    while True:
        margin_km = k_max * radius.max() + 2 * cell_km
        x0, y0 = sites.min(axis=0) - margin_km
        x1, y1 = sites.max(axis=0) + margin_km
        grid = _Grid(
            float(x0), float(y0), cell_km, int(math.ceil((y1 - y0) / cell_km)), int(math.ceil((x1 - x0) / cell_km))
        )
        scaled = _scaled_distance(grid, sites[~isolated], radius[~isolated], k_max)
        islands = _scaled_distance(grid, sites[isolated], radius[isolated], 1.0) <= 1.0
        rows, cols = grid.cell_of(sites[:, 0], sites[:, 1])
        mask = functools.partial(_filled_extent, scaled, islands, rows, cols)
        target_cells = areas.sum() / cell_km**2
        if mask(k_max).sum() >= target_cells:
            break
        k_max *= 2.0
    low, high = 0.0, k_max
    for _ in range(40):
        middle = 0.5 * (low + high)
        if mask(middle).sum() < target_cells:
            low = middle
        else:
            high = middle
        if high - low < 1e-4:
            break
    extent = mask(high)
    logger.debug("extent factor k=%.4f, %d island wards", high, int(isolated.sum()))
    return grid, extent


def _filled_extent(scaled: np.ndarray, islands: np.ndarray, rows: np.ndarray, cols: np.ndarray, k: float) -> np.ndarray:
    """Cells within k radii of a ward, the island wards' disks and every centroid's cell, holes filled."""
    cells = (scaled <= k) | islands
    cells[rows, cols] = True
    return ndimage.binary_fill_holes(cells)


def _isolated(sites: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Wards whose disk of radius ISOLATION_FACTOR*r meets no other ward's such disk."""
    if len(sites) < 2:
        return np.zeros(len(sites), dtype=bool)
    tree = cKDTree(sites)
    reach = ISOLATION_FACTOR * radius
    isolated = np.ones(len(sites), dtype=bool)
    for i, j in tree.query_pairs(2 * reach.max()):
        if np.hypot(*(sites[i] - sites[j])) <= reach[i] + reach[j]:
            isolated[i] = isolated[j] = False
    return isolated


def _scaled_distance(grid: _Grid, sites: np.ndarray, radius: np.ndarray, reach: float) -> np.ndarray:
    """Per cell, min over sites of distance/r_i, computed up to ``reach`` (inf beyond)."""
    scaled = np.full((grid.rows, grid.cols), np.inf)
    for (x, y), r in zip(sites, radius, strict=True):
        span = reach * r + grid.cell_km
        row0 = max(int((y - span - grid.y0_km) // grid.cell_km), 0)
        row1 = min(int((y + span - grid.y0_km) // grid.cell_km) + 1, grid.rows)
        col0 = max(int((x - span - grid.x0_km) // grid.cell_km), 0)
        col1 = min(int((x + span - grid.x0_km) // grid.cell_km) + 1, grid.cols)
        dy = grid.y0_km + (np.arange(row0, row1) + 0.5) * grid.cell_km - y
        dx = grid.x0_km + (np.arange(col0, col1) + 0.5) * grid.cell_km - x
        window = np.hypot(dy[:, None], dx[None, :]) / r
        np.minimum(scaled[row0:row1, col0:col1], window, out=scaled[row0:row1, col0:col1])
    return scaled


def _fit_wards(
    extent: np.ndarray, grid: _Grid, sites: np.ndarray, areas: np.ndarray, site_rows: np.ndarray, site_cols: np.ndarray
) -> np.ndarray:
    """Ward index per cell (-1 outside): a power diagram whose weights fit the areas.

    Each round raises the weight of every ward short of its target area and
    lowers the others by ``FIT_STEP`` times the shortfall over the ward's area
    response (:func:`_border_coupling`), then keeps every centroid inside its own
    power cell. Areas are those of the connected wards (:func:`_connect_wards`).
    The round with the lowest mean relative error wins; where official areas
    contradict the centroids (a large ward whose centroid sits among small ones)
    later rounds can be worse than earlier ones.
    """
    cell_rows, cell_cols = np.nonzero(extent)
    centres = np.column_stack(
        [grid.x0_km + (cell_cols + 0.5) * grid.cell_km, grid.y0_km + (cell_rows + 0.5) * grid.cell_km]
    )
    n = len(sites)
    k = min(NEIGHBOUR_SITES, n)
    tree = cKDTree(sites)
    distance, nearest = tree.query(centres, k=k)
    nearest = nearest.reshape(len(centres), k).astype(np.int32)
    squared = (np.asarray(distance).reshape(len(centres), k) ** 2).astype(np.float32)
    site_distance, site_nearest = tree.query(sites, k=k)
    site_nearest = site_nearest.reshape(n, k)
    site_squared = np.asarray(site_distance).reshape(n, k) ** 2
    # Each connected piece of the extent (the mainland, an island) is shared
    # only among the wards whose centroids lie on it.
    pieces, _ = ndimage.label(extent)
    site_piece = pieces[site_rows, site_cols]
    squared[site_piece[nearest] != pieces[cell_rows, cell_cols][:, None]] = np.inf
    site_squared[site_piece[site_nearest] != site_piece[:, None]] = np.inf
    cell_area = grid.cell_km**2
    piece_area = np.bincount(pieces.ravel())[site_piece] * cell_area
    piece_official = np.bincount(site_piece, weights=areas)[site_piece]
    target = areas * piece_area / piece_official

    def labels_for(weights: np.ndarray) -> np.ndarray:
        power = squared - weights.astype(np.float32)[nearest]
        choice = np.argmin(power, axis=1)[:, None]
        labels = np.full(extent.shape, -1, dtype=np.int32)
        labels[cell_rows, cell_cols] = np.take_along_axis(nearest, choice, axis=1)[:, 0]
        labels[site_rows, site_cols] = np.arange(n)
        return labels

    def evaluate(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        labels = _connect_wards(labels_for(weights), site_rows, site_cols)
        got = np.bincount(labels[labels >= 0], minlength=n) * cell_area
        return labels, got, float(np.mean(np.abs(got - target) / target))

    weights = _keep_sites_in_cells(areas / math.pi, site_nearest, site_squared, areas)
    index = np.full(extent.shape, -1, dtype=np.int64)
    index[cell_rows, cell_cols] = np.arange(len(cell_rows))
    touching = np.concatenate(
        [
            np.column_stack([index[:, :-1].ravel(), index[:, 1:].ravel()]),
            np.column_stack([index[:-1, :].ravel(), index[1:, :].ravel()]),
        ]
    )
    touching = touching[(touching >= 0).all(axis=1)]
    site_distance_km = np.hypot(*(sites[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))

    labels, got, error = evaluate(weights)
    best_labels, best_error = labels, error
    for _ in range(FIT_ITERATIONS):
        owner = labels[cell_rows, cell_cols]
        coupling = _border_coupling(owner[touching], site_distance_km, grid.cell_km)
        growth = np.maximum(coupling.sum(axis=1), 1.0)
        weights = weights + FIT_STEP * (target - got) / growth
        weights = _keep_sites_in_cells(weights, site_nearest, site_squared, areas)
        labels, got, error = evaluate(weights)
        if error < best_error:
            best_labels, best_error = labels, error
    logger.debug("power diagram fitted: mean relative area error %.4f", best_error)
    return best_labels


def _border_coupling(touching_owners: np.ndarray, distance_km: np.ndarray, cell_km: float) -> np.ndarray:
    """``len_ij / (2 d_ij)``: how fast ward i's area moves per unit of weight difference with j.

    Raising ``w_i`` by one km² moves its border with neighbour j by ``1 / (2 d_ij)``
    km. ``touching_owners`` holds the wards of each pair of edge-adjacent cells;
    border lengths are counted on the raster, where a staircase is on average
    4/pi longer than the line it follows.
    """
    n = len(distance_km)
    a, b = touching_owners[:, 0], touching_owners[:, 1]
    border = a != b
    counts = np.bincount(a[border] * n + b[border], minlength=n * n).reshape(n, n)
    length_km = (counts + counts.T) * cell_km * math.pi / 4
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(length_km > 0, length_km / (2 * distance_km), 0.0)


def _keep_sites_in_cells(
    weights: np.ndarray, nearest: np.ndarray, squared: np.ndarray, areas: np.ndarray
) -> np.ndarray:
    """Weights with ``w_i >= w_j - d_ij^2`` for near sites, so each site lies in its own power cell.

    Each violated pair is put right by raising ``w_i`` and lowering ``w_j``, the
    larger ward taking the larger share (a change of weight costs it less
    relative area), repeated until no pair is violated by more than a millionth
    of a km².
    """
    weights = weights.copy()
    rows = np.arange(len(weights))
    for _ in range(10 * len(weights)):
        excess = weights[nearest] - squared - weights[:, None]
        worst = np.argmax(excess, axis=1)
        violation = excess[rows, worst]
        violated = violation > 1e-6
        if not violated.any():
            break
        inside, outside = rows[violated], nearest[rows[violated], worst[violated]]
        share = areas[inside] / (areas[inside] + areas[outside])
        np.add.at(weights, inside, share * violation[violated])
        np.add.at(weights, outside, (share - 1.0) * violation[violated])
    return weights


def _connect_wards(labels: np.ndarray, site_rows: np.ndarray, site_cols: np.ndarray) -> np.ndarray:
    """Keep each ward's 4-connected piece around its centroid; give stray pieces to neighbours."""
    labels = labels.copy()
    stray = -2
    for ward, window in enumerate(ndimage.find_objects(labels + 1)):
        if window is None:
            continue
        pieces, count = ndimage.label(labels[window] == ward)
        if count < 2:
            continue
        own = pieces[site_rows[ward] - window[0].start, site_cols[ward] - window[1].start]
        labels[window][(pieces > 0) & (pieces != own)] = stray
    while (labels == stray).any():
        pieces, count = ndimage.label(labels == stray)
        padded = np.pad(labels, 1, constant_values=-1)
        piece_parts, neighbour_parts = [], []
        rows, cols = np.nonzero(pieces)
        for d_row, d_col in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            neighbour = padded[rows + 1 + d_row, cols + 1 + d_col]
            keep = neighbour >= 0
            piece_parts.append(pieces[rows, cols][keep])
            neighbour_parts.append(neighbour[keep])
        piece_ids = np.concatenate(piece_parts)
        neighbour_labels = np.concatenate(neighbour_parts)
        if len(piece_ids) == 0:
            raise RuntimeError("stray cells without a neighbouring ward")
        pairs, counts = np.unique(np.column_stack([piece_ids, neighbour_labels]), axis=0, return_counts=True)
        # per piece, the neighbour with the longest shared border (lowest index on ties)
        order = np.lexsort((pairs[:, 1], -counts, pairs[:, 0]))
        pairs = pairs[order]
        first = np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]
        new_owner = np.full(count + 1, -2, dtype=np.int64)
        new_owner[pairs[first, 0]] = pairs[first, 1]
        labels[rows, cols] = new_owner[pieces[rows, cols]]
    return labels


# --------------------------------------------------------------------------- polygons


def _polygonize_labels(labels: np.ndarray, count: int) -> list[shapely.Geometry]:
    """Each ward's cells as a polygon in grid units (x = column, y = row)."""
    shapes = []
    for ward, window in enumerate(ndimage.find_objects(labels + 1, max_label=count)):
        shapes.append(_cells_to_polygon(labels[window] == ward, window[0].start, window[1].start))
    return shapes


def _cells_to_polygon(mask: np.ndarray, row0: int = 0, col0: int = 0) -> shapely.Geometry:
    """Union of the cells of a boolean mask; horizontal runs become rectangles first."""
    padded = np.zeros((mask.shape[0], mask.shape[1] + 2), dtype=np.int8)
    padded[:, 1:-1] = mask
    step = np.diff(padded, axis=1)
    run_rows, run_starts = np.nonzero(step == 1)
    _, run_ends = np.nonzero(step == -1)
    rectangles = shapely.box(run_starts + col0, run_rows + row0, run_ends + col0, run_rows + row0 + 1)
    return shapely.simplify(shapely.union_all(rectangles), 0.0)


def _vertex_index(shapes: list[shapely.Geometry]) -> tuple[dict[float, np.ndarray], dict[float, np.ndarray]]:
    """All corners, grouped by row (sorted x) and by column (sorted y)."""
    corners = np.unique(np.concatenate([shapely.get_coordinates(s) for s in shapes]), axis=0)
    by_row = {y: np.sort(corners[corners[:, 1] == y, 0]) for y in np.unique(corners[:, 1])}
    by_col = {x: np.sort(corners[corners[:, 0] == x, 1]) for x in np.unique(corners[:, 0])}
    return by_row, by_col


def _with_vertices(shape: shapely.Geometry, vertices) -> shapely.Geometry:
    """The shape with every known corner lying on its boundary inserted as a vertex."""
    by_row, by_col = vertices

    def ring(coords: np.ndarray) -> np.ndarray:
        out = [coords[:1]]
        for (xa, ya), (xb, yb) in zip(coords[:-1], coords[1:], strict=True):
            if ya == yb:
                line = by_row[ya]
                inside = line[(line > min(xa, xb)) & (line < max(xa, xb))]
                inside = inside if xb > xa else inside[::-1]
                out.append(np.column_stack([inside, np.full(len(inside), ya)]))
            else:
                line = by_col[xa]
                inside = line[(line > min(ya, yb)) & (line < max(ya, yb))]
                inside = inside if yb > ya else inside[::-1]
                out.append(np.column_stack([np.full(len(inside), xa), inside]))
            out.append(np.array([[xb, yb]]))
        return np.concatenate(out)

    parts = []
    for polygon in shapely.get_parts(shape):
        shell = ring(np.asarray(polygon.exterior.coords))
        holes = [ring(np.asarray(h.coords)) for h in polygon.interiors]
        parts.append(shapely.Polygon(shell, holes))
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def _grid_to_lonlat(grid: _Grid, plane: LocalPlane):
    def transform(coords: np.ndarray) -> np.ndarray:
        x_km = grid.x0_km + coords[:, 0] * grid.cell_km
        y_km = grid.y0_km + coords[:, 1] * grid.cell_km
        return np.column_stack(plane.to_lonlat(x_km, y_km))

    return transform


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a clipping result (drops stray lines and points)."""
    parts = [p for p in shapely.get_parts(geometry) if isinstance(p, shapely.Polygon) and not p.is_empty]
    if len(parts) == 1:
        return parts[0]
    return shapely.MultiPolygon(parts)


def _frame(
    units: tuple[AdminUnit, ...], codes: tuple[str, ...], geometries: tuple[shapely.Geometry, ...]
) -> gpd.GeoDataFrame:
    if tuple(u.code for u in units) != codes:
        raise RuntimeError("ward polygon cache does not match the commune registry")
    data = {
        "code": [u.code for u in units],
        "name": [u.name for u in units],
        "kind": [u.kind for u in units],
        "province": [u.province for u in units],
        "lat": [u.lat for u in units],
        "lon": [u.lon for u in units],
        "area_km2": [np.nan if u.area_km2 is None else u.area_km2 for u in units],
    }
    return gpd.GeoDataFrame(data, geometry=list(geometries), crs="EPSG:4326")
