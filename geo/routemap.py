"""A team's route drawn on its ward, as a self-contained SVG for the printed route sheet.

The drawing needs no map library and no network resource: the ward's polygon
(:func:`geo.addresses.ward_geometry`), the base (ward office or mobile point) as a black square,
the stops as white numbered circles joined in order by a line from the base and back, and a
legend. Where circles would overlap (the people of one residential group live close together) a
circle moves to the nearest free spot and a thin leader line joins it to a dot at its true place. A stop placed from its address text (:mod:`geo.addresses`) has a dashed outline, so the
map reads the same in black-and-white print.

Projection: equirectangular around the ward, as :mod:`geo.svgmap` draws the city — longitude
scaled by the cosine of the middle latitude, y growing southwards — then scaled so the drawing is
``MAP_WIDTH`` units wide whatever the ward's size, which keeps circles and text the same size on
the sheet. The SVG has ``width="100%"`` and a fitted ``viewBox``: it fills the width of an A4 page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import shapely

from geo.addresses import ward_geometry
from geo.svgmap import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_AT_EQUATOR, _number, _path_data
from geo.units import commune_by_code

#: Width of the map in SVG units; the height follows the ward's shape.
MAP_WIDTH = 1000.0
#: Blank border around the ward and the points, in SVG units.
MARGIN = 40.0
STOP_RADIUS = 15.0
BASE_HALF_SIDE = 13.0
FONT_SIZE = 16.0
TITLE_HEIGHT = 40.0
LEGEND_ROW_HEIGHT = 30.0
#: The legend's three lines: the base, a stop, an approximate position.
LEGEND = ("Trụ sở / điểm xuất phát", "Điểm thăm (số thứ tự)", "Vị trí ước lượng")


def route_map_svg(
    ward_code: str,
    base: tuple[float, float],
    stops: Sequence[tuple[float, float, str, bool]],
    title: str = "",
    legend: tuple[str, str, str] = LEGEND,
) -> str:
    """The SVG of a route: the ward, the base, the numbered stops in order, a legend.

    Parameters
    ----------
    ward_code : str
        The ward drawn.
    base : (lat, lon)
        Where the route starts and ends (the ward office or the mobile point).
    stops : sequence of (lat, lon, label, approximate)
        The visits in route order; ``label`` is written in the circle (the order number, "1", "2", …;
        an empty label is replaced by the 1-based position), ``approximate`` draws a dashed outline.
    title : str
        A heading above the map (escaped).
    legend : three str
        The legend's lines (Vietnamese by default; the web app may pass translated ones).

    Returns
    -------
    str
        A complete ``<svg>`` element, UTF-8 text without an XML declaration, ready to inline in HTML.

    Raises
    ------
    KeyError
        When ``ward_code`` is not a ward.
    ValueError
        When a coordinate is not a finite number.
    """
    unit = commune_by_code(ward_code)
    geometry = ward_geometry(unit.code)
    points = [(float(base[0]), float(base[1]))] + [(float(s[0]), float(s[1])) for s in stops]
    if not all(math.isfinite(lat) and math.isfinite(lon) for lat, lon in points):
        raise ValueError("route_map_svg: every point needs a finite latitude and longitude")

    lon_min, lat_min, lon_max, lat_max = (float(v) for v in shapely.bounds(geometry))
    lon_min = min([lon_min] + [lon for _, lon in points])
    lon_max = max([lon_max] + [lon for _, lon in points])
    lat_min = min([lat_min] + [lat for lat, _ in points])
    lat_max = max([lat_max] + [lat for lat, _ in points])
    km_per_degree_lon = KM_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians((lat_min + lat_max) / 2))
    width_km = max((lon_max - lon_min) * km_per_degree_lon, 0.1)
    height_km = max((lat_max - lat_min) * KM_PER_DEGREE_LAT, 0.1)
    scale = (MAP_WIDTH - 2 * MARGIN) / max(width_km, height_km)  # units per km
    map_height = height_km * scale + 2 * MARGIN
    top = TITLE_HEIGHT if title else 0.0

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            (
                MARGIN + (coords[:, 0] - lon_min) * km_per_degree_lon * scale,
                top + MARGIN + (lat_max - coords[:, 1]) * KM_PER_DEGREE_LAT * scale,
            )
        )

    def xy(lat: float, lon: float) -> tuple[str, str]:
        x, y = project(np.array([[lon, lat]]))[0]
        return _number(x), _number(y)

    parts = []
    if title:
        parts.append(
            f'<text x="{_number(MARGIN)}" y="{_number(TITLE_HEIGHT * 0.7)}" font-size="{_number(FONT_SIZE * 1.25)}" '
            f'font-weight="bold">{escape(title)}</text>'
        )
    ward_path = _path_data(shapely.transform(geometry, project))
    parts.append(
        f'<path class="ward" d="{ward_path}" fill="#eeeeee" stroke="#000000" stroke-width="2" fill-rule="evenodd">'
        f"<title>{escape(unit.name)}</title></path>"
    )
    route = " ".join(",".join(xy(lat, lon)) for lat, lon in points + points[:1])
    parts.append(
        f'<polyline class="route" points="{route}" fill="none" stroke="#444444" stroke-width="3" '
        'stroke-linejoin="round"/>'
    )
    base_x, base_y = project(np.array([[points[0][1], points[0][0]]]))[0]
    parts.append(_base_square(base_x, base_y))
    placed: list[tuple[float, float]] = [(base_x, base_y)]
    for position, (lat, lon, label, approximate) in enumerate(stops, start=1):
        true_x, true_y = project(np.array([[lon, lat]]))[0]
        x, y = _free_spot(true_x, true_y, placed, top, top + map_height)
        placed.append((x, y))
        text = label.strip() or str(position)
        dash = ' stroke-dasharray="5 4"' if approximate else ""
        leader = ""
        if (x, y) != (true_x, true_y):  # moved off a neighbour: a thin line and a dot mark the true place
            leader = (
                f'<line class="leader" x1="{_number(true_x)}" y1="{_number(true_y)}" x2="{_number(x)}" '
                f'y2="{_number(y)}" stroke="#000000" stroke-width="1"/>'
                f'<circle class="place" cx="{_number(true_x)}" cy="{_number(true_y)}" r="3" fill="#000000"/>'
            )
        cx, cy = _number(x), _number(y)
        parts.append(
            f'<g class="stop{" approximate" if approximate else ""}">{leader}'
            f'<circle class="marker" cx="{cx}" cy="{cy}" r="{_number(STOP_RADIUS)}" fill="#ffffff" stroke="#000000" '
            f'stroke-width="2.5"{dash}/>'
            f'<text x="{cx}" y="{cy}" font-size="{_number(FONT_SIZE)}" font-weight="bold" text-anchor="middle" '
            f'dominant-baseline="central">{escape(text)}</text></g>'
        )

    legend_top = top + map_height
    parts.append(_legend(legend, legend_top))
    total_height = legend_top + 3 * LEGEND_ROW_HEIGHT + MARGIN / 2
    label = quoteattr(title or unit.name)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_number(MAP_WIDTH)} {_number(total_height)}" '
        f'width="100%" role="img" aria-label={label} font-family="sans-serif">' + "".join(parts) + "</svg>"
    )


def _free_spot(x: float, y: float, placed: list[tuple[float, float]], top: float, bottom: float) -> tuple[float, float]:
    """(x, y) itself when no marker drawn so far overlaps it, else the nearest free spot on a spiral around it.

    Stops of one residential group lie within a few hundred metres, so their circles would hide each
    other's numbers; a moved circle keeps a leader line to its true place.
    """
    clearance = 2 * STOP_RADIUS + 1

    def free(px: float, py: float) -> bool:
        return all((px - qx) ** 2 + (py - qy) ** 2 >= clearance**2 for qx, qy in placed)

    if free(x, y):
        return x, y
    for step in range(1, 400):
        radius = clearance * (1 + step / 8)
        angle = step * 2.399963  # the golden angle: successive tries spread around the place
        px = min(max(x + radius * math.cos(angle), STOP_RADIUS), MAP_WIDTH - STOP_RADIUS)
        py = min(max(y + radius * math.sin(angle), top + STOP_RADIUS), bottom - STOP_RADIUS)
        if free(px, py):
            return px, py
    return x, y


def _base_square(x: float, y: float) -> str:
    side = 2 * BASE_HALF_SIDE
    return (
        f'<rect class="base" x="{_number(x - BASE_HALF_SIDE)}" y="{_number(y - BASE_HALF_SIDE)}" '
        f'width="{_number(side)}" height="{_number(side)}" fill="#000000" stroke="#ffffff" stroke-width="2"/>'
    )


def _legend(lines: tuple[str, str, str], top: float) -> str:
    """Three rows: a square, a circle, a dashed circle, each with its words."""
    x = MARGIN + STOP_RADIUS
    text_x = _number(x + 2 * STOP_RADIUS)
    rows = []
    for row, words in enumerate(lines):
        y = top + (row + 0.5) * LEGEND_ROW_HEIGHT
        if row == 0:
            symbol = _base_square(x, y)
        else:
            dash = ' stroke-dasharray="5 4"' if row == 2 else ""
            symbol = (
                f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(STOP_RADIUS * 0.8)}" fill="#ffffff" '
                f'stroke="#000000" stroke-width="2.5"{dash}/>'
            )
        rows.append(
            f'{symbol}<text x="{text_x}" y="{_number(y)}" font-size="{_number(FONT_SIZE)}" '
            f'dominant-baseline="central">{escape(words)}</text>'
        )
    return '<g class="legend">' + "".join(rows) + "</g>"
