"""Write a campaign back to a directory that :func:`scheduler.loader.load_campaign` reads.

``pins.csv`` is written only when the campaign has pins (or, header only, when the
directory already holds one, so that a stale file never survives an export); the optional
``email`` column of ``people.csv`` only when someone has an address.

The output is canonical: English headers, wards by full name, dates dd/mm/yyyy,
times HH:MM, lists "a; b" in sorted order, rows sorted (wards by code, people by
id, mobile points by date, time and id). Equal campaigns give byte-identical
files, in CSV and in XLSX, and loading the files gives an equal campaign.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import tomli_w

from geo.units import commune_by_code
from scheduler import cells
from scheduler.loader import CAMPAIGN_FILE, RULE_KEYS, WEIGHT_KEYS, pin_sort_key
from scheduler.model import Campaign, Pool, ShiftKind
from scheduler.tables import (
    CAMPAIGN_TABLES,
    MOBILE_POINTS,
    OPTIONAL_TABLES,
    PEOPLE,
    PINS,
    TABLE_SUFFIXES,
    WARDS,
    TableSchema,
    write_table,
)

logger = logging.getLogger(__name__)

_POOL_COLUMNS = {Pool.STUDENT: "students_needed", Pool.TELECOM: "telecom_needed", Pool.TECHNICIAN: "technicians_needed"}


def export_campaign(campaign: Campaign, directory: Path | str, table_format: str = "csv") -> list[Path]:
    """Write ``campaign.toml`` and the three tables of a campaign (and its pins, if any) into ``directory``.

    Parameters
    ----------
    campaign
        The campaign to write.
    directory
        Created when missing; the four files are overwritten, and ``pins`` when the
        campaign has pins or the directory already has a pins file of this format.
    table_format
        ``"csv"`` or ``"xlsx"``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        When ``table_format`` is unknown, or the campaign holds what the files cannot say
        (a ward without a demand, a mobile-point need by both pool and skill, a pool or
        skill needed twice at one point, a pin at a mobile point or covering other wards).
    FileExistsError
        When the directory already holds a table in the other format, which the loader
        would refuse as ambiguous; nothing is deleted.
    """
    suffix = f".{table_format}"
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(f"table_format must be 'csv' or 'xlsx', not {table_format!r}")
    _check_representable(campaign)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for schema in CAMPAIGN_TABLES + OPTIONAL_TABLES:
        for other in TABLE_SUFFIXES:
            path = directory / f"{schema.name}{other}"
            if other != suffix and path.exists():
                raise FileExistsError(f"{path} exists; the exported {schema.name}{suffix} would sit beside it")

    written = [directory / CAMPAIGN_FILE]
    written[0].write_bytes(campaign_toml(campaign).encode("utf-8"))
    for schema, rows in (
        (WARDS, ward_rows(campaign)),
        (people_schema(campaign), people_rows(campaign)),
        (MOBILE_POINTS, mobile_point_rows(campaign)),
    ):
        path = directory / f"{schema.name}{suffix}"
        write_table(path, schema, rows)
        written.append(path)
    pins_path = directory / f"{PINS.name}{suffix}"
    if campaign.pins or pins_path.exists():
        write_table(pins_path, PINS, pin_rows(campaign))
        written.append(pins_path)
    logger.info("exported campaign %r to %s (%s)", campaign.name, directory, table_format)
    return written


def _check_representable(campaign: Campaign) -> None:
    for shift in campaign.shifts:
        if shift.duration_minutes == 24 * 60 and shift.start_minute != 0:
            raise ValueError(f"shift {shift.id}: a 24-hour shift cannot be written as start and end times")
    demanded = {demand.ward_code for demand in campaign.demands}
    missing = [ward.code for ward in campaign.wards if ward.code not in demanded]
    if missing:
        raise ValueError(f"wards without a demand cannot be written to wards.csv: {', '.join(missing)}")
    if len(demanded) != len(campaign.demands):
        raise ValueError("a ward has two demands; wards.csv holds one row per ward")
    for point in campaign.mobile_points:
        pools: set[Pool | str | None] = set()
        skills: set[Pool | str | None] = set()
        for need in point.staff_needed:
            if need.pool is not None and need.skill is not None:
                raise ValueError(f"mobile point {point.id}: a need by pool and skill together cannot be written")
            target, key = (pools, need.pool) if need.pool is not None else (skills, need.skill)
            if key in target:
                raise ValueError(f"mobile point {point.id}: {key} is needed twice")
            target.add(key)
    for pin in campaign.pins:
        if pin.shift_id is None:
            raise ValueError(f"pin of {pin.person_id}: a pin at a mobile point cannot be written to pins.csv")
        oncall = campaign.shift(pin.shift_id).kind is ShiftKind.ONCALL
        if pin.covered_ward_codes != ((pin.ward_code,) if oncall else ()):
            raise ValueError(f"pin of {pin.person_id}: pins.csv cannot say which wards a pin covers")


def campaign_toml(campaign: Campaign) -> str:
    """The text of campaign.toml: calendar, every rule and every weight explicitly, every shift."""
    rules = {}
    for key, (name, kind, _, _) in RULE_KEYS.items():
        value = getattr(campaign.rules, name)
        rules[key] = cells.format_time(value) if kind == "time" else value
    data = {
        "name": campaign.name,
        "province": campaign.province,
        "start_date": campaign.start_date.isoformat(),
        "days": campaign.days,
        "rules": rules,
        "weights": {key: getattr(campaign.weights, key) for key in WEIGHT_KEYS},
    }
    parts = ["# Chiến dịch Ra Quân — các tệp và cột: docs/data-format.md\n", tomli_w.dumps(data)]
    for shift in campaign.shifts:
        parts.append(
            "\n[[shifts]]\n"
            + tomli_w.dumps(
                {
                    "id": shift.id,
                    "name": shift.name,
                    "start": cells.format_time(shift.start_minute),
                    "end": cells.format_time(shift.end_minute),
                    "kind": shift.kind.value,
                }
            )
        )
    return "".join(parts)


class _WardNames:
    """Wards by full name: the campaign's own record, else the registry, else the code itself."""

    def __init__(self, campaign: Campaign):
        self.names = {ward.code: ward.name for ward in campaign.wards}

    def __call__(self, code: str) -> str:
        if code not in self.names:
            try:
                self.names[code] = commune_by_code(code).name
            except KeyError:
                self.names[code] = code
        return self.names[code]


def ward_rows(campaign: Campaign) -> list[dict[str, str]]:
    """The rows of wards.csv; a cell equal to the campaign rule's default is left empty."""
    rules, ward_name = campaign.rules, _WardNames(campaign)
    service = tuple(shift.id for shift in campaign.shifts if shift.kind is ShiftKind.SERVICE)
    rows = []
    for demand in sorted(campaign.demands, key=lambda d: d.ward_code):
        rows.append(
            {
                "ward": ward_name(demand.ward_code),
                "service_shifts": ""
                if demand.service_shift_ids == service
                else cells.join_list(demand.service_shift_ids),
                "min_support_staff": _unless(demand.min_support_staff, rules.min_support_staff_per_shift),
                "min_telecom_staff_per_day": _unless(demand.min_telecom_staff_per_day, rules.min_telecom_staff_per_day),
                "oncall_24_7": "" if demand.oncall_24_7 == rules.oncall_24_7 else cells.format_bool(demand.oncall_24_7),
                "night_response_limit_minutes": _unless(
                    demand.night_response_limit_minutes, rules.night_response_limit_minutes
                ),
                "peak_dates": cells.join_list(cells.format_date(d) for d in sorted(demand.peak_dates)),
                "extra_students_on_peak": _unless(demand.extra_students_on_peak, 0),
            }
        )
    return rows


def _unless(value: int, default: int) -> str:
    return "" if value == default else str(value)


def people_schema(campaign: Campaign) -> TableSchema:
    """The columns of people.csv: ``email`` only when someone has an address (it is optional)."""
    if any(person.email for person in campaign.people):
        return PEOPLE
    return dataclasses.replace(PEOPLE, columns=tuple(c for c in PEOPLE.columns if c.name != "email"))


def people_rows(campaign: Campaign) -> list[dict[str, str]]:
    """The rows of people.csv, by id."""
    rows, ward_name = [], _WardNames(campaign)
    for person in sorted(campaign.people, key=lambda p: p.id):
        rows.append(
            {
                "person_id": person.id,
                "full_name": person.name,
                "pool": person.pool.value,
                "organisation": person.organisation,
                "home_ward": ward_name(person.home_ward_code),
                "phone": person.phone,
                "skills": cells.join_list(sorted(person.skills)),
                "unavailable_dates": cells.join_list(cells.format_date(d) for d in sorted(person.unavailable_dates)),
                "available_shifts": cells.join_list(sorted(person.available_shift_ids)),
                "weekly_cap_hours": "" if person.weekly_cap_hours is None else str(person.weekly_cap_hours),
                "night_eligible": cells.format_bool(person.night_eligible),
                "preferred_wards": cells.join_list(ward_name(code) for code in person.preferred_ward_codes),
                "email": person.email,
            }
        )
    return rows


def mobile_point_rows(campaign: Campaign) -> list[dict[str, str]]:
    """The rows of mobile_points.csv, by date, start, end and id."""
    rows, ward_name = [], _WardNames(campaign)
    for point in sorted(campaign.mobile_points, key=lambda p: (p.date, p.start_minute, p.end_minute, p.id)):
        counts = {column: 0 for column in _POOL_COLUMNS.values()}
        skills: dict[str, int] = {}
        for need in point.staff_needed:
            if need.pool is not None:
                counts[_POOL_COLUMNS[need.pool]] += need.count
            else:
                assert need.skill is not None  # a staff need names a pool or a skill
                skills[need.skill] = need.count
        rows.append(
            {
                "point_id": point.id,
                "ward": ward_name(point.ward_code),
                "place": point.place,
                "date": cells.format_date(point.date),
                "start_time": cells.format_time(point.start_minute),
                "end_time": cells.format_time(point.end_minute),
                **{column: str(count) for column, count in counts.items()},
                "skills_needed": cells.join_list(f"{skill}:{count}" for skill, count in sorted(skills.items())),
                "priority_group": point.priority_group.value,
            }
        )
    return rows


def pin_rows(campaign: Campaign) -> list[dict[str, str]]:
    """The rows of pins.csv, by date, ward, shift and person."""
    ward_name = _WardNames(campaign)
    rows = []
    for pin in sorted(campaign.pins, key=pin_sort_key):
        assert pin.shift_id is not None  # _check_representable refuses a pin at a mobile point
        rows.append(
            {
                "person_id": pin.person_id,
                "ward": ward_name(pin.ward_code),
                "date": cells.format_date(pin.date),
                "shift": pin.shift_id,
            }
        )
    return rows
