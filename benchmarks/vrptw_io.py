"""Gehring–Homberger VRPTW instances (VRPLIB format) read into the campaign's routing model.

The instances and their best-known solutions live in ``../shared/benchmarks/vrptw`` (see SOURCE.md
there). The reader is written here from the format (no ``vrplib`` package): a header of ``KEY : value``
lines, then ``NODE_COORD_SECTION``, ``DEMAND_SECTION``, ``TIME_WINDOW_SECTION`` and ``DEPOT_SECTION``,
one node per line, node 1 the depot.

The objective follows the DIMACS convention: every Euclidean distance (which is also the travel time)
is truncated to one decimal place. The campaign's routing model counts whole minutes, so here its
"minutes" are read as *tenths* of the instance's units: a distance of 12.37 becomes 123, a time window
[200, 270] becomes [2000, 2700], a service time of 90 becomes 900. The truncation is exact integer
arithmetic: ``floor(10 * sqrt(dx² + dy²)) = isqrt(100 * (dx² + dy²))`` on the integer coordinates.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scheduler.visits import RoutingProblem, Stop, Vehicle

SCALE = 10  # the routing model's unit is a tenth of the instance's
DATA = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "vrptw"
INSTANCES = ("C1_10_1", "C2_10_1", "R1_10_1", "R2_10_1", "RC1_10_1", "RC2_10_1")
_SECTIONS = ("NODE_COORD_SECTION", "DEMAND_SECTION", "TIME_WINDOW_SECTION", "DEPOT_SECTION")


class VrptwFormatError(ValueError):
    """The file is not a VRPTW instance this reader understands; the message names the line."""


@dataclass(frozen=True)
class VrptwInstance:
    """One instance as written in the file (the instance's units, node 0 the depot)."""

    name: str
    vehicles: int
    capacity: int
    service_time: int  # every customer's; the depot's is 0
    coordinates: tuple[tuple[int, int], ...]
    demands: tuple[int, ...]
    windows: tuple[tuple[int, int], ...]  # (earliest, latest) start of service

    @property
    def customers(self) -> int:
        return len(self.coordinates) - 1


def read_instance(path: Path) -> VrptwInstance:
    """Parse a VRPLIB VRPTW file with integer coordinates and a single depot (node 1)."""
    header: dict[str, str] = {}
    rows: dict[str, list[list[int]]] = {name: [] for name in _SECTIONS}
    section = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line in _SECTIONS:
            section = line
            continue
        if section is None:
            key, sep, value = line.partition(":")
            if not sep:
                raise VrptwFormatError(f"{path.name}, line {number}: expected 'KEY : value', got {line!r}")
            header[key.strip()] = value.strip()
            continue
        try:
            rows[section].append([int(field) for field in line.split()])
        except ValueError as error:
            raise VrptwFormatError(f"{path.name}, line {number}: {error}") from error
    for key in ("NAME", "DIMENSION", "VEHICLES", "CAPACITY", "SERVICE_TIME"):
        if key not in header:
            raise VrptwFormatError(f"{path.name}: no {key} in the header")
    if header.get("EDGE_WEIGHT_TYPE", "EUC_2D") != "EUC_2D":
        raise VrptwFormatError(f"{path.name}: only EUC_2D distances are read")
    size = int(header["DIMENSION"])
    depots = [row[0] for row in rows["DEPOT_SECTION"] if row[0] != -1]
    if depots != [1]:
        raise VrptwFormatError(f"{path.name}: the depot must be node 1 alone, got {depots}")

    def by_node(section: str, width: int) -> list[list[int]]:
        table = rows[section]
        if len(table) != size or [row[0] for row in table] != list(range(1, size + 1)):
            raise VrptwFormatError(f"{path.name}: {section} must list nodes 1..{size} in order")
        if any(len(row) != width + 1 for row in table):
            raise VrptwFormatError(f"{path.name}: {section} rows must have {width} values after the node")
        return [row[1:] for row in table]

    coordinates = by_node("NODE_COORD_SECTION", 2)
    demands = by_node("DEMAND_SECTION", 1)
    windows = by_node("TIME_WINDOW_SECTION", 2)
    return VrptwInstance(
        name=header["NAME"],
        vehicles=int(header["VEHICLES"]),
        capacity=int(header["CAPACITY"]),
        service_time=int(header["SERVICE_TIME"]),
        coordinates=tuple((x, y) for x, y in coordinates),
        demands=tuple(d for (d,) in demands),
        windows=tuple((a, b) for a, b in windows),
    )


def read_best_known(path: Path) -> float:
    """The ``Cost X`` line of a ``.sol`` file: the best-known total distance."""
    match = re.search(r"^Cost\s+([0-9.]+)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise VrptwFormatError(f"{path.name}: no 'Cost' line")
    return float(match.group(1))


def truncated_tenth(dx: int, dy: int) -> int:
    """The Euclidean distance truncated to one decimal, in tenths: ``floor(10 * hypot(dx, dy))``, exactly."""
    return math.isqrt(100 * (dx * dx + dy * dy))


def travel_tenths(coordinates: tuple[tuple[int, int], ...]) -> list[list[int]]:
    """The matrix of truncated distances in tenths, computed exactly on integers.

    The square root is taken in floating point and then corrected by one where it overshoots or
    undershoots the integer square root, so every entry equals :func:`truncated_tenth`.
    """
    xy = np.asarray(coordinates, dtype=np.int64)
    dx = xy[:, None, 0] - xy[None, :, 0]
    dy = xy[:, None, 1] - xy[None, :, 1]
    squared = 100 * (dx * dx + dy * dy)
    root = np.floor(np.sqrt(squared.astype(np.float64))).astype(np.int64)
    root -= root * root > squared
    root += (root + 1) * (root + 1) <= squared
    return root.tolist()


def routing_problem(instance: VrptwInstance, customers: int | None = None) -> RoutingProblem:
    """The instance as the campaign's :class:`~scheduler.visits.RoutingProblem`, in tenths of its units.

    Location 0 is the depot and location i is customer i (stop id ``"i"``, the instance's node i + 1).
    One vehicle entry stands for the whole fleet: ``count`` = VEHICLES, ``capacity`` = CAPACITY, starting
    and ending at the depot within the depot's time window. Every customer must be served.
    ``customers`` keeps only the first that many (a sub-instance, for tests).
    """
    last = instance.customers if customers is None else min(customers, instance.customers)
    coordinates = instance.coordinates[: last + 1]
    stops = tuple(
        Stop(
            id=str(i),
            location=i,
            service_minutes=instance.service_time * SCALE,
            earliest_minute=instance.windows[i][0] * SCALE,
            latest_minute=instance.windows[i][1] * SCALE,
            demand=instance.demands[i],
        )
        for i in range(1, last + 1)
    )
    depot_open, depot_close = instance.windows[0]
    fleet = Vehicle(
        id="fleet",
        start_location=0,
        end_location=0,
        start_minute=depot_open * SCALE,
        end_minute=depot_close * SCALE,
        capacity=instance.capacity,
        count=instance.vehicles,
    )
    return RoutingProblem(stops, (fleet,), travel_tenths(coordinates), serve_all=True)
