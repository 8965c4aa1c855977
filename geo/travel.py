"""Travel time between wards, in whole minutes.

The model is deliberately simple and documented, not a road network:

``minutes(a, b) = 0`` for the same ward, otherwise

    ceil(overhead_minutes + 60 * detour_factor * distance_km * (1 / (2 v_a) + 1 / (2 v_b)))

where ``distance_km`` is the great-circle (haversine) distance between the two
centroids and ``v_a``, ``v_b`` the speeds at each end: half the trip is driven at
the speed of the ward it starts in, half at the speed of the ward it ends in.
A ward is *dense inner* (slow traffic) when it is a phường smaller than
``dense_max_area_km2`` — in Hà Nội the 22 phường of the old core districts
(Hoàn Kiếm, Ba Đình, Đống Đa, Hai Bà Trưng, Cầu Giấy, Thanh Xuân and their
neighbours). Every other ward, including units of unknown area, drives at
``speed_kmh``. The fixed ``overhead_minutes`` covers getting going, parking and
finding the venue.

Between home addresses inside one ward (the mobile visits), the same motorbike
model gives ``0`` from a point to itself, otherwise

    ceil(stop_overhead_minutes + 60 * detour_factor * distance_km / v)

where ``distance_km`` is the haversine distance between the two addresses and
``v`` the ward's speed (``dense_speed_kmh`` in a dense inner ward, else
``speed_kmh``): the whole trip stays in the ward. ``stop_overhead_minutes``
(3 minutes) covers parking and finding the house in the alleys.

The scheduler receives plain ints and ward codes from here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo.units import AdminUnit, commune_by_code, communes, find_province

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius
_ROUNDING_SLACK_MINUTES = 1e-9  # keeps 12.000000000001 at 12 when rounding up


@dataclass(frozen=True)
class TravelModel:
    """Constants of the travel-time model; all must be positive.

    Attributes
    ----------
    detour_factor : float
        Road distance over straight-line distance (1.35: typical of a city grid
        with a river and ring roads).
    speed_kmh : float
        Door-to-door speed by motorbike outside the dense core (30 km/h).
    dense_speed_kmh : float
        Speed in dense inner wards (15 km/h: congested streets, one-way alleys).
    dense_max_area_km2 : float
        A phường with an official area below this is dense inner (5 km²).
    overhead_minutes : float
        Fixed cost of any trip between two different wards (10 minutes).
    stop_overhead_minutes : float
        Fixed cost of any trip between two different addresses of one ward: parking, finding the
        house (3 minutes; :func:`address_travel_minutes`).
    """

    detour_factor: float = 1.35
    speed_kmh: float = 30.0
    dense_speed_kmh: float = 15.0
    dense_max_area_km2: float = 5.0
    overhead_minutes: float = 10.0
    stop_overhead_minutes: float = 3.0

    def __post_init__(self):
        for field_name in ("detour_factor", "speed_kmh", "dense_speed_kmh", "dense_max_area_km2"):
            if not getattr(self, field_name) > 0:
                raise ValueError(f"TravelModel.{field_name} must be positive, got {getattr(self, field_name)!r}")
        for field_name in ("overhead_minutes", "stop_overhead_minutes"):
            if not getattr(self, field_name) >= 0:
                raise ValueError(f"TravelModel.{field_name} must not be negative, got {getattr(self, field_name)!r}")
        if self.detour_factor < 1:
            raise ValueError(f"TravelModel.detour_factor must be at least 1, got {self.detour_factor!r}")

    def is_dense(self, unit: AdminUnit) -> bool:
        """Whether the ward is dense inner: a phường with a known area below ``dense_max_area_km2``."""
        return unit.kind == "Phường" and unit.area_km2 is not None and unit.area_km2 < self.dense_max_area_km2

    def speed_of(self, unit: AdminUnit) -> float:
        """The speed in km/h of trips starting or ending in this ward."""
        return self.dense_speed_kmh if self.is_dense(unit) else self.speed_kmh

    def minutes(self, distance_km, speed_a_kmh, speed_b_kmh):
        """Whole minutes for trips between different wards ``distance_km`` apart (arrays allowed).

        Parameters
        ----------
        distance_km : float or numpy.ndarray
            Straight-line distance between the centroids.
        speed_a_kmh, speed_b_kmh : float or numpy.ndarray
            The speeds at the two ends (:meth:`speed_of`).

        Returns
        -------
        numpy.ndarray or numpy.int64
            ``ceil(overhead + 60 * detour * distance * (1/(2 v_a) + 1/(2 v_b)))``.
        """
        driving_hours = (
            self.detour_factor
            * np.asarray(distance_km, dtype=float)
            * (0.5 / np.asarray(speed_a_kmh, dtype=float) + 0.5 / np.asarray(speed_b_kmh, dtype=float))
        )
        raw = self.overhead_minutes + 60.0 * driving_hours
        return np.ceil(raw - _ROUNDING_SLACK_MINUTES).astype(np.int64)


def haversine_km(lat_a, lon_a, lat_b, lon_b):
    """Great-circle distance in km between points in degrees (arrays broadcast)."""
    phi_a, phi_b = np.radians(lat_a), np.radians(lat_b)
    half_dphi = (phi_b - phi_a) / 2.0
    half_dlambda = np.radians(np.asarray(lon_b) - np.asarray(lon_a)) / 2.0
    h = np.sin(half_dphi) ** 2 + np.cos(phi_a) * np.cos(phi_b) * np.sin(half_dlambda) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def travel_minutes(code_a: str, code_b: str, model: TravelModel = TravelModel()) -> int:
    """Whole minutes to travel from ward ``code_a`` to ward ``code_b`` (0 for the same ward).

    Parameters
    ----------
    code_a, code_b : str
        Official ward codes, anywhere in Vietnam ("00004").
    model : TravelModel
        The model's constants.

    Returns
    -------
    int
        Symmetric in ``code_a`` and ``code_b``.

    Raises
    ------
    KeyError
        When a code is not a ward.
    """
    unit_a, unit_b = commune_by_code(code_a), commune_by_code(code_b)
    if unit_a.code == unit_b.code:
        return 0
    if unit_a.province_code == unit_b.province_code:  # the cached matrix, so both always agree
        _, minutes = _travel_matrix(unit_a.province_code, model)
        index = _code_index(unit_a.province_code, model)
        return int(minutes[index[unit_a.code], index[unit_b.code]])
    distance_km = haversine_km(unit_a.lat, unit_a.lon, unit_b.lat, unit_b.lon)
    return int(model.minutes(distance_km, model.speed_of(unit_a), model.speed_of(unit_b)))


def address_travel_minutes(
    points: Sequence[tuple[float, float]], ward_code: str, model: TravelModel = TravelModel()
) -> list[list[int]]:
    """Whole minutes by motorbike between addresses of one ward, every pair.

    Parameters
    ----------
    points : sequence of (lat, lon)
        The addresses (and the ward office or mobile point) in degrees.
    ward_code : str
        The ward they lie in; its speed applies to every trip (:meth:`TravelModel.speed_of`).
    model : TravelModel
        The model's constants.

    Returns
    -------
    list of list of int
        ``minutes[i][j] = ceil(stop_overhead + 60 * detour * haversine_km(i, j) / speed)``, and 0 when
        points i and j are the same point (so on the diagonal). Symmetric.

    Raises
    ------
    KeyError
        When ``ward_code`` is not a ward.
    ValueError
        When a coordinate is not a finite number.
    """
    speed_kmh = model.speed_of(commune_by_code(ward_code))
    if len(points) == 0:
        return []
    coordinates = np.asarray(points, dtype=float).reshape(len(points), 2)
    if not np.isfinite(coordinates).all():
        raise ValueError("address_travel_minutes: every point needs a finite latitude and longitude")
    lat, lon = coordinates[:, 0], coordinates[:, 1]
    distance_km = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    raw = model.stop_overhead_minutes + 60.0 * model.detour_factor * distance_km / speed_kmh
    minutes = np.ceil(raw - _ROUNDING_SLACK_MINUTES).astype(np.int64)
    same_point = (lat[:, None] == lat[None, :]) & (lon[:, None] == lon[None, :])
    minutes[same_point] = 0
    return minutes.tolist()


def travel_matrix(province: str, model: TravelModel = TravelModel()) -> tuple[tuple[str, ...], np.ndarray]:
    """All travel minutes between the wards of a province, computed once per province and model.

    Parameters
    ----------
    province : str
        A province name or code ("Hà Nội", "Ha Noi", "01").
    model : TravelModel
        The model's constants.

    Returns
    -------
    codes : tuple of str
        The ward codes in code order.
    minutes : numpy.ndarray
        Read-only int64 array, ``minutes[i, j] == travel_minutes(codes[i], codes[j], model)``;
        the same object on every call with the same province and model.
    """
    return _travel_matrix(find_province(province).code, model)


def wards_within(code: str, limit_minutes: int, model: TravelModel = TravelModel()) -> tuple[str, ...]:
    """The wards of the same province reachable from ``code`` in at most ``limit_minutes``.

    The ward itself (0 minutes) is included; the result is ordered by travel
    time, then by code.

    Raises
    ------
    KeyError
        When ``code`` is not a ward.
    """
    unit = commune_by_code(code)
    codes, minutes = travel_matrix(unit.province_code, model)
    row = minutes[codes.index(unit.code)]
    reachable = [i for i in np.flatnonzero(row <= limit_minutes)]
    reachable.sort(key=lambda i: (int(row[i]), codes[i]))
    return tuple(codes[i] for i in reachable)


def province_travel(province: str, model: TravelModel = TravelModel()):
    """A fast ``(code_a, code_b) -> minutes`` for wards of one province, read from its cached matrix.

    For hot loops (allocation, solving, checking) where :func:`travel_minutes`'s
    lookups of both wards would dominate. Raises KeyError for a ward outside the province.
    """
    code = find_province(province).code
    _, minutes = _travel_matrix(code, model)
    index = _code_index(code, model)

    def travel(code_a: str, code_b: str) -> int:
        return int(minutes[index[code_a], index[code_b]])

    return travel


@functools.lru_cache(maxsize=64)
def _code_index(province_code: str, model: TravelModel) -> dict[str, int]:
    codes, _ = _travel_matrix(province_code, model)
    return {code: i for i, code in enumerate(codes)}


@functools.lru_cache(maxsize=64)
def _travel_matrix(province_code: str, model: TravelModel) -> tuple[tuple[str, ...], np.ndarray]:
    units = communes(province_code)
    lat = np.array([u.lat for u in units])
    lon = np.array([u.lon for u in units])
    speed = np.array([model.speed_of(u) for u in units])
    distance_km = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    minutes = model.minutes(distance_km, speed[:, None], speed[None, :])
    np.fill_diagonal(minutes, 0)
    minutes.setflags(write=False)
    logger.info("travel matrix of province %s: %d wards", province_code, len(units))
    return tuple(u.code for u in units), minutes
