"""Implausible official areas in the `vietnamadminunits` dataset, found and replaced by a documented rule.

The package gives some communes the official area of a same-named commune of
another province: the same short name and the same area to 0.01 km² (Xã Tân
Tiến has 207.20 km² in six provinces). Where the commune of a merged delta
province (Hưng Yên, Ninh Bình) carries the area of a large upland namesake, the
figure is about ten times what its neighbours leave room for, and the province
sums to far more than its official area (Hưng Yên 3,661 km² against 2,514.81;
Ninh Bình 5,648 km² against 3,942.62 — Nghị quyết 202/2025/QH15 of the National
Assembly, 12 June 2025, Article 1).

How much room a commune has is read from its spacing: ``s`` = the mean distance
(km) from its centroid to the centroids of the ``SPACING_NEIGHBOURS`` nearest
communes of the same province. Its *crowding* is ``area / s²`` divided by the
median of ``area / s²`` over the province's communes with a known area; about 1
for a commune of ordinary size for its spacing.

The rule. A commune's official area is implausible, and replaced, when all hold:

1. it is *shared*: a commune of another province has the same short name
   (without diacritics) and the same area to 0.01 km²;
2. it is crowded: its crowding exceeds ``CROWDING_LIMIT``;
3. the area fits a namesake better: some commune of the shared group, in
   another province, has a crowding closer to 1 (on a log scale).

The replacement is the area the spacing implies at the province's median
crowding: ``median(area / s²) * s²``. The package's figure stays in
``AdminUnit.official_area_km2`` and a short Vietnamese note says why.

Why a limit of 3 (figures of `vietnamadminunits` 1.0.4, measured over
the whole country): 313 communes in 137 groups share their area with a namesake
elsewhere. Among the 3,004 communes with a known area that no commune of another
province shares, 99.5% have a crowding below 2.5 and only 6 (0.2%) above 3 —
four of them coastal and island communes of Quảng Ninh (Xã Vĩnh Thực, Phường
Bãi Cháy, Xã Cái Chiên, Phường Hoành Bồ). Condition 1 leaves those alone however crowded
they look; a purely geometric rule would not. With the limit at 3 the rule
replaces 24 areas: 10 in Ninh Bình, 8 in Hưng Yên, and 6 in five other provinces
(each of those totals changes by 1-3%); Hà Nội keeps every figure.
"""

from __future__ import annotations

import collections
import logging
import math
import unicodedata
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)

#: Nearest communes of the same province whose mean distance is a commune's spacing.
SPACING_NEIGHBOURS = 3
#: Crowding (area / spacing², over the province median) above which a shared area is implausible.
CROWDING_LIMIT = 3.0
#: Kilometres per degree of latitude (mean; spacing needs no better).
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Correction:
    """A replaced area: the estimate used, the package's figure, and why (Vietnamese)."""

    code: str
    area_km2: float
    official_area_km2: float
    note: str


@dataclass(frozen=True)
class _Commune:
    code: str
    name: str
    short_name: str
    province: str
    province_code: str
    lat: float
    lon: float
    area_km2: float | None


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return " ".join("".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower().split())


def spacing_km(lats: list[float], lons: list[float]) -> np.ndarray:
    """Each point's mean distance (km) to its ``SPACING_NEIGHBOURS`` nearest others.

    Distances are taken in an equirectangular plane around the points' mean
    latitude, which is accurate to well under 1% across one province.
    """
    lat = np.asarray(lats, dtype=float)
    lon = np.asarray(lons, dtype=float)
    x = (lon - lon.mean()) * _KM_PER_DEGREE * math.cos(math.radians(lat.mean()))
    y = (lat - lat.mean()) * _KM_PER_DEGREE
    points = np.column_stack([x, y])
    k = min(SPACING_NEIGHBOURS, len(points) - 1)
    if k < 1:
        return np.full(len(points), np.nan)
    distances = np.asarray(cKDTree(points).query(points, k=k + 1)[0])
    return distances[:, 1:].mean(axis=1)


def implausible_areas(units) -> dict[str, Correction]:
    """The communes whose official area the rule replaces, by code.

    Parameters
    ----------
    units : iterable
        Every commune of the country (objects with code, name, short_name,
        province, province_code, lat, lon and area_km2 as read from the package).

    Returns
    -------
    dict[str, Correction]
        One entry per replaced area; communes not listed keep the package's figure.
    """
    communes = [
        _Commune(u.code, u.name, u.short_name, u.province, u.province_code, u.lat, u.lon, u.area_km2) for u in units
    ]
    by_province: dict[str, list[_Commune]] = collections.defaultdict(list)
    for unit in communes:
        by_province[unit.province_code].append(unit)
    spacing: dict[str, float] = {}
    crowding: dict[str, float] = {}
    median_density: dict[str, float] = {}
    for code, members in by_province.items():
        distances = spacing_km([u.lat for u in members], [u.lon for u in members])
        density = {u.code: u.area_km2 / d**2 for u, d in zip(members, distances, strict=True) if u.area_km2 and d > 0}
        spacing.update((u.code, float(d)) for u, d in zip(members, distances, strict=True))
        if not density:
            continue
        median_density[code] = float(np.median(list(density.values())))
        crowding.update((c, value / median_density[code]) for c, value in density.items())

    shared: dict[tuple[str, float], list[_Commune]] = collections.defaultdict(list)
    for unit in communes:
        if unit.area_km2 and unit.code in crowding:
            shared[(_fold(unit.short_name), round(unit.area_km2, 2))].append(unit)

    corrections: dict[str, Correction] = {}
    for group in shared.values():
        for unit in group:
            others = [u for u in group if u.province_code != unit.province_code]
            own = crowding[unit.code]
            if not others or own <= CROWDING_LIMIT:
                continue
            fitter = min(others, key=lambda u: abs(math.log(crowding[u.code])))
            if abs(math.log(crowding[fitter.code])) >= abs(math.log(own)):
                continue
            official_km2 = float(unit.area_km2 or 0.0)  # every member of a shared group has an area
            estimate = round(median_density[unit.province_code] * spacing[unit.code] ** 2, 2)
            note = (
                f"diện tích trong dữ liệu ({_km2(official_km2)}) trùng tên và diện tích với {fitter.name}, "
                f"{fitter.province}, và lớn gấp {_decimal(own, 1)} lần mức khoảng cách tới các xã lân cận cho thấy; "
                f"dùng ước tính {_km2(estimate)} theo khoảng cách"
            )
            corrections[unit.code] = Correction(unit.code, estimate, official_km2, note)
    return corrections


def _decimal(value: float, places: int) -> str:
    """A number as Vietnamese write it: 1234.5 → "1.234,5"."""
    return f"{value:,.{places}f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def _km2(value: float) -> str:
    """An area as Vietnamese write it: "288,36 km²"."""
    return _decimal(value, 2) + " km²"
