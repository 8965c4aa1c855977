"""The wards as CSV or GeoJSON, written to a text stream (``raquan wards``)."""

from __future__ import annotations

import csv
import json
import logging
from typing import TextIO

import numpy as np
import shapely

from geo.polygons import ward_polygons
from geo.units import communes

logger = logging.getLogger(__name__)

#: ``area_km2`` is the area the project uses; ``official_area_km2`` the package's figure; where an implausible
#: official area was replaced (:mod:`geo.area_check`), ``area_corrected`` is 1 and ``area_note`` says why.
CSV_HEADER = (
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
)
#: Decimal places of GeoJSON coordinates (1e-7 degree is about 1 cm).
GEOJSON_DECIMALS = 7


def write_wards_csv(stream: TextIO, province: str | None = None) -> int:
    """Write the communes as CSV: a header row, then one row per commune in code order.

    Unknown areas are blank; ``area_corrected`` is 1 where the official area was
    replaced by an estimate (``official_area_km2`` keeps the package's figure), else 0.

    Parameters
    ----------
    stream : TextIO
        Where to write (``sys.stdout`` from the CLI).
    province : str or None
        A province name or code; None for all 3,321 communes of Vietnam.

    Returns
    -------
    int
        The number of communes written.

    Raises
    ------
    geo.units.UnknownPlaceError
        When the province name matches nothing.
    """
    units = communes(province)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for unit in units:
        writer.writerow(
            (
                unit.code,
                unit.name,
                unit.kind,
                unit.province,
                unit.lat,
                unit.lon,
                _blank_if_none(unit.area_km2),
                _blank_if_none(unit.official_area_km2),
                int(unit.area_corrected),
                unit.area_note or "",
            )
        )
    logger.info("wrote %d communes as CSV", len(units))
    return len(units)


def _blank_if_none(value: float | None) -> float | str:
    return "" if value is None else value


def write_wards_geojson(stream: TextIO, province: str | None = None) -> int:
    """Write the approximate ward polygons as an RFC 7946 GeoJSON FeatureCollection.

    Coordinates are lon/lat (WGS 84) rounded to ``GEOJSON_DECIMALS`` places,
    outer rings counter-clockwise. Each feature's ``id`` is the ward code and
    its properties are those of the CSV (areas and note null where unknown or
    not corrected, ``area_corrected`` a boolean).

    Parameters
    ----------
    stream : TextIO
        Where to write.
    province : str or None
        A province name or code; None for the whole country (the first call
        builds every province's polygons, which takes a few minutes).

    Returns
    -------
    int
        The number of features written.

    Raises
    ------
    geo.units.UnknownPlaceError
        When the province name matches nothing.
    """
    wards = ward_polygons(province)
    units = {unit.code: unit for unit in communes(province)}
    features = []
    for row in wards.itertuples(index=False):
        geometry = shapely.orient_polygons(row.geometry, exterior_cw=False)
        geometry = shapely.transform(geometry, lambda coords: np.round(coords, GEOJSON_DECIMALS))
        area_km2 = None if np.isnan(row.area_km2) else float(row.area_km2)
        unit = units[row.code]
        features.append(
            {
                "type": "Feature",
                "id": row.code,
                "properties": {
                    "code": row.code,
                    "name": row.name,
                    "type": row.kind,
                    "province": row.province,
                    "lat": float(row.lat),
                    "lon": float(row.lon),
                    "area_km2": area_km2,
                    "official_area_km2": unit.official_area_km2,
                    "area_corrected": unit.area_corrected,
                    "area_note": unit.area_note,
                },
                "geometry": shapely.geometry.mapping(geometry),
            }
        )
    json.dump({"type": "FeatureCollection", "features": features}, stream, ensure_ascii=False)
    stream.write("\n")
    logger.info("wrote %d ward polygons as GeoJSON", len(features))
    return len(features)
