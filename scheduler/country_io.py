"""A country directory: one campaign directory per province, listed by ``country.toml``.

Layout::

    DIR/country.toml          [country] name, seed, provinces (the subdirectories, in province-code order);
                              optionally [solver], the same keys as campaign.toml's, for the whole country
    DIR/01-ha-noi/            an ordinary campaign directory (campaign.toml, wards, people, mobile_points)
    DIR/33-hung-yen/
    …

Each subdirectory is named ``<province code>-<ascii slug of its short name>``. :func:`export_country` writes
the layout, :func:`is_country_dir` and :func:`province_dirs` read it, :func:`check_country` checks every
province (all of them, even when one fails) and names the province with each problem.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo import units
from scheduler.export import export_campaign
from scheduler.loader import load_campaign_report
from scheduler.model import Campaign
from scheduler.problems import CheckReport, Problem
from scheduler.settings import SolveSettings, settings_from_table

logger = logging.getLogger(__name__)

COUNTRY_FILE = "country.toml"
# The whole country's solve: 34 provinces, about 3,321 communes, 26 times Hà Nội. On this project's
# reference machine (2 cores) Hà Nội reaches about 99% coverage in 30–60 s of its own; 900 s gives every
# province about that share when the provinces' clusters run two at a time, and a cluster of more cores
# finishes sooner. `raquan solve --time-limit` overrides it.
COUNTRY_TIME_LIMIT_SECONDS = 900
_DIRECTORY_NAME = re.compile(r"^(\d{2})-[a-z0-9-]+$")


class CountryDirError(ValueError):
    """A country directory that cannot be read: the message (in Vietnamese) names the file or directory."""


@dataclass(frozen=True)
class Country:
    """What ``country.toml`` says: the name, the seed the scenario was drawn from, the provinces'
    directories (in province-code order) and the country's ``[solver]`` settings."""

    name: str
    seed: int | None
    provinces: tuple[Path, ...]
    solver: SolveSettings
    has_solver_table: bool


def province_dir_name(province: str) -> str:
    """``"33-hung-yen"`` for Hưng Yên: the province's code and the ASCII slug of its short name."""
    found = units.find_province(province)
    return f"{found.code}-{units.fold(found.short_name).replace(' ', '-')}"


def province_of_dir(directory: Path | str) -> units.Province | None:
    """The province a directory's name starts with (its code), or None."""
    match = _DIRECTORY_NAME.match(Path(directory).name)
    if not match:
        return None
    try:
        return units.find_province(match.group(1))
    except units.UnknownPlaceError:
        return None


def country_toml(name: str, seed: int, provinces: Sequence[str], time_limit_seconds: float) -> str:
    """The text of ``country.toml``."""
    listed = ",\n".join(f'    "{p}"' for p in provinces)
    return (
        "# Ra Quân: một chiến dịch mỗi tỉnh, thành phố — các tệp và cột: docs/data-format.md\n"
        "[country]\n"
        f'name = "{name}"\n'
        f"seed = {seed}\n"
        f"provinces = [\n{listed},\n]\n"
        "\n"
        "[solver]\n"
        f"time_limit_seconds = {time_limit_seconds:g}\n"
    )


def export_country(campaigns: Sequence[Campaign], out: Path | str, seed: int, table_format: str = "csv") -> list[Path]:
    """Write a country directory: one campaign directory per campaign and ``country.toml`` listing them.

    Parameters
    ----------
    campaigns
        One campaign per province (in any order; the directories are listed in province-code order).
    out
        The country directory, created when missing.
    seed
        The scenario's seed, recorded in ``[country]``.
    table_format
        ``"csv"`` or ``"xlsx"``, as :func:`scheduler.export.export_campaign` takes.

    Returns
    -------
    list of Path
        ``country.toml`` and the province directories written.

    Raises
    ------
    ValueError
        When two campaigns are of one province, or as :func:`~scheduler.export.export_campaign` raises.
    """
    out = Path(out)
    named = sorted(((province_dir_name(c.province), c) for c in campaigns), key=lambda pair: pair[0])
    names = [name for name, _ in named]
    if len(set(names)) != len(names):
        raise ValueError("two campaigns of one province: " + ", ".join(n for n in names if names.count(n) > 1))
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, campaign in named:
        export_campaign(campaign, out / name, table_format=table_format)
        written.append(out / name)
    title = "45 ngày đêm ra quân hỗ trợ chuyển đổi số tại các xã, phường — cả nước 2025"
    if campaigns and len({c.days for c in campaigns}) == 1:
        title = title.replace("45", str(campaigns[0].days), 1)
    (out / COUNTRY_FILE).write_bytes(country_toml(title, seed, names, COUNTRY_TIME_LIMIT_SECONDS).encode("utf-8"))
    logger.info("exported %d provinces to %s", len(named), out)
    return [out / COUNTRY_FILE, *written]


def is_country_dir(path: Path | str) -> bool:
    """Whether ``path`` is a country directory: a directory holding ``country.toml``."""
    return (Path(path) / COUNTRY_FILE).is_file()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CountryDirError(f"{path}: không có tệp {COUNTRY_FILE}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CountryDirError(f"{path}: không đọc được TOML ({error})") from None


def read_country(path: Path | str) -> Country:
    """Read ``country.toml`` and find its provinces' directories.

    Raises
    ------
    CountryDirError
        When ``country.toml`` is missing or unreadable, ``[country]`` or its ``provinces`` list is missing or
        malformed, a listed directory is missing (named) or listed twice, or ``[solver]`` has a bad key or value.
    """
    root = Path(path)
    file = root / COUNTRY_FILE
    data = _read_toml(file)
    table = data.get("country")
    if not isinstance(table, dict):
        raise CountryDirError(f"{file}: thiếu bảng [country]")
    listed = table.get("provinces")
    if not isinstance(listed, list) or not listed or not all(isinstance(p, str) and p for p in listed):
        raise CountryDirError(f'{file}: [country] provinces phải là danh sách tên thư mục, ví dụ ["01-ha-noi"]')
    twice = sorted({p for p in listed if listed.count(p) > 1})
    if twice:
        raise CountryDirError(f"{file}: thư mục được kê hai lần: {', '.join(twice)}")
    missing = [p for p in listed if not (root / p).is_dir()]
    if missing:
        raise CountryDirError(f"{file}: không có thư mục tỉnh đã kê: {', '.join(missing)}")
    seed = table.get("seed")
    solver = data.get("solver")
    settings = SolveSettings()
    if solver is not None:
        settings, problems = settings_from_table(solver)
        if problems:
            raise CountryDirError(f"{file}: " + "; ".join(f"{key}: {message}" for key, message in problems))
    ordered = sorted(listed, key=lambda p: (_DIRECTORY_NAME.match(p) is None, p))
    return Country(
        name=str(table.get("name", "")),
        seed=seed if isinstance(seed, int) and not isinstance(seed, bool) else None,
        provinces=tuple(root / p for p in ordered),
        solver=settings,
        has_solver_table=solver is not None,
    )


def province_dirs(path: Path | str) -> list[Path]:
    """The province directories of a country directory, in province-code order.

    Raises
    ------
    CountryDirError
        As :func:`read_country` (a listed directory that is missing is named).
    """
    return list(read_country(path).provinces)


@dataclass(frozen=True)
class ProvinceCheck:
    """One province's check: its directory, its name as shown, the campaign (None when it does not load)
    and the report; :meth:`prefix` names the province before a problem."""

    directory: Path
    label: str
    campaign: Campaign | None
    report: CheckReport

    def prefix(self, problem: Problem) -> str:
        return f"[{self.label}] {problem}"


@dataclass(frozen=True)
class CountryCheck:
    """Every province of a country directory checked."""

    country: Country
    provinces: tuple[ProvinceCheck, ...]

    @property
    def ok(self) -> bool:
        return all(p.report.ok for p in self.provinces)

    @property
    def error_count(self) -> int:
        return sum(p.report.error_count for p in self.provinces)


def _label(directory: Path) -> str:
    province = province_of_dir(directory)
    name = province.short_name if province else directory.name
    return f"{name} · {directory.name}"


def check_country(path: Path | str) -> CountryCheck:
    """Check every province of a country directory; one that fails does not stop the others.

    A province directory whose campaign is of another province than its name says is an error of that
    province (``campaign.toml``, key ``province``).

    Raises
    ------
    CountryDirError
        When ``country.toml`` itself cannot be read (see :func:`read_country`).
    """
    country = read_country(path)
    checks = []
    for directory in country.provinces:
        campaign, report = load_campaign_report(directory)
        expected = province_of_dir(directory)
        if campaign is not None and expected is not None:
            actual = units.find_province(campaign.province)
            if actual.code != expected.code:
                problem = Problem(
                    "campaign.toml",
                    None,
                    "province",
                    f"thư mục {directory.name} là của {expected.name} nhưng chiến dịch là của {actual.name}",
                )
                report = CheckReport(errors=(problem,), warnings=report.warnings, notes=report.notes)
                campaign = None
        checks.append(ProvinceCheck(directory, _label(directory), campaign, report))
        logger.info("checked %s: %d errors", directory.name, report.error_count)
    return CountryCheck(country, tuple(checks))
