"""How a campaign is solved: a validated dataclass, loadable from ``[solver]`` in campaign.toml; and what the
volunteers' pages say beside the roster (contacts, ward offices, what to bring): ``[volunteers]``.

Every caller (the command line, the web app's jobs, the benchmarks) builds one of
these and hands it to :func:`scheduler.pipeline.solve`; no caller keeps its own
solver flags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Any

# [solver] key -> (field, kind, minimum, maximum)
SOLVER_KEYS: dict[str, tuple[type, float, float]] = {
    "time_limit_seconds": (float, 0.5, 24 * 3600),
    "processes": (int, 1, 64),
    "cp_sat_workers": (int, 1, 64),
    "seed": (int, 0, 2**31 - 1),
    "repair": (bool, 0, 1),
    "fill_gaps": (bool, 0, 1),
    "max_cluster_size": (int, 1, 50),
    "cluster_work": (float, 0, 3600),
}


@dataclass(frozen=True)
class SolveSettings:
    """The solve's settings.

    Attributes
    ----------
    time_limit_seconds
        The whole solve, checking and explaining included, ends by then.
    processes
        Cluster models solved at once, each in its own process.
    cp_sat_workers
        CP-SAT's search workers inside each cluster model.
    seed
        The random seed of the greedy starts and of CP-SAT.
    repair
        Solve short clusters again with the nearest idle people of the pools they lack.
    fill_gaps
        Close leftover gaps with anyone free in the city, then apply every fix the explanations name.
    max_cluster_size
        Most wards in one cluster (one on-call post, one model).
    cluster_work
        0 (the default): each cluster's search runs by the clock, for its share of the time limit. Above 0:
        each cluster's search is bounded by this much work instead (units of about a second of one core:
        ruin-and-recreate rounds and CP-SAT's deterministic time), so the same campaign, seed and settings give
        the same roster on any machine, under any load and with any number of processes or Dask workers
        (with ``cp_sat_workers = 1``). The time limit then only stops work that runs too long, and the
        result counts the solves it stopped (``figures["clock_stopped"]``: those are not reproducible).
    """

    time_limit_seconds: float = 30.0
    processes: int = 2
    cp_sat_workers: int = 1
    seed: int = 0
    repair: bool = True
    fill_gaps: bool = True
    max_cluster_size: int = 4
    cluster_work: float = 0.0

    def __post_init__(self) -> None:
        for name, (kind, low, high) in SOLVER_KEYS.items():
            value = getattr(self, name)
            if kind is bool:
                if not isinstance(value, bool):
                    raise ValueError(f"solver.{name} must be true or false")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)):
                raise ValueError(f"solver.{name} must be a {'whole ' if kind is int else ''}number")
            if not low <= value <= high:
                raise ValueError(f"solver.{name} must be between {low:g} and {high:g}")

    def with_changes(self, **changes: Any) -> SolveSettings:
        """A copy with the given fields changed (None values are ignored), validated again."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def settings_from_table(table: Any) -> tuple[SolveSettings, list[tuple[str, str]]]:
    """``[solver]`` of campaign.toml as settings, and the problems found as (key, message) pairs.

    Unknown keys and bad values are problems; the other keys keep their defaults.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(table, dict):
        return SolveSettings(), [("solver", "'solver' phải là một bảng [solver]")]
    values: dict[str, Any] = {}
    names = {f.name for f in fields(SolveSettings)}
    for key, value in table.items():
        if key not in names:
            problems.append(
                (f"solver.{key}", f"khoá không được hỗ trợ '{key}'; các khoá của [solver]: {', '.join(SOLVER_KEYS)}")
            )
            continue
        try:
            SolveSettings(**{key: value})
        except (ValueError, TypeError) as error:
            problems.append((f"solver.{key}", str(error)))
            continue
        values[key] = value
    return SolveSettings(**values), problems


# ------------------------------------------------------------------------------------------- [volunteers]

#: What to bring, by key of ``[volunteers.bring]``: everyone, then each pool, then each kind of slot.
BRING_KEYS = ("everyone", "student", "telecom", "technician", "service", "oncall", "mobile_point")
#: The defaults a campaign's ``[volunteers.bring]`` replaces key by key (an empty list clears one).
DEFAULT_BRING: dict[str, tuple[str, ...]] = {
    "everyone": ("Căn cước công dân (CCCD)", "Điện thoại đã sạc đầy pin"),
    "student": ("Thẻ sinh viên",),
    "telecom": ("Thẻ nhân viên",),
    "technician": ("Thẻ nhân viên", "Dụng cụ kỹ thuật"),
    "service": (),
    "oncall": (),
    "mobile_point": ("Sạc dự phòng", "Mũ, áo mưa và nước uống"),
}
VOLUNTEER_KEYS = ("hotline_name", "hotline_phone", "bring", "wards")
WARD_CONTACT_KEYS = ("ward", "office", "contact", "phone")
MAX_BRING_ITEMS = 20


@dataclass(frozen=True)
class WardContact:
    """A ward's office address and the person volunteers call there (every field but the ward optional)."""

    ward_code: str
    office: str = ""  # the ward office's address as people write it
    contact: str = ""  # who answers, e.g. "Chị Lan, Văn phòng UBND phường"
    phone: str = ""  # digits only, see parse_contact_phone


@dataclass(frozen=True)
class VolunteerSettings:
    """What the volunteers' pages say beside the roster: ``[volunteers]`` in campaign.toml.

    Attributes
    ----------
    hotline_name, hotline_phone
        The coordinators' contact, on every shift card and under "Quên mã?" (empty: none given).
    bring
        What to bring, per key of :data:`BRING_KEYS`.
    wards
        Ward code -> its office address and contact.
    """

    hotline_name: str = ""
    hotline_phone: str = ""
    bring: tuple[tuple[str, tuple[str, ...]], ...] = tuple(DEFAULT_BRING.items())
    wards: tuple[tuple[str, WardContact], ...] = ()

    def bring_for(self, pool: str, kind: str) -> tuple[str, ...]:
        """What to bring to one slot: everyone's items, the pool's (``student``…), the slot kind's
        (``service``, ``oncall``, ``mobile_point``), each once, in that order."""
        items = dict(self.bring)
        found: list[str] = []
        for key in ("everyone", pool, kind):
            for item in items.get(key, ()):
                if item not in found:
                    found.append(item)
        return tuple(found)

    def ward(self, ward_code: str) -> WardContact | None:
        """The ward's office and contact, or None when the campaign gives none."""
        return dict(self.wards).get(ward_code)


def parse_contact_phone(text: str) -> str:
    """A contact's phone number as digits: a landline or a mobile (``024 3825 6789``, ``+84 912 345 678``),
    a 1800/1900 line or a short public number (``1022``).

    Spaces, dots, dashes and brackets may separate the digits; ``+84`` (or ``84`` before a number that would
    otherwise be too long) stands for the leading 0. Raises ValueError with the reason in Vietnamese.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("số điện thoại không được để trống")
    bad = [ch for ch in text if not (ch.isascii() and ch.isdigit()) and ch not in " .-()+"]
    if bad:
        raise ValueError(f"số điện thoại '{text[:40]}' có ký tự không hợp lệ '{bad[0]}'")
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if text.strip().startswith("+"):
        if not digits.startswith("84"):
            raise ValueError(f"số điện thoại '{text[:40]}' không phải số Việt Nam (+84)")
        digits = "0" + digits[2:].removeprefix("0")
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    national = digits.startswith("0") and len(digits) in (10, 11)
    toll_free = digits[:4] in ("1800", "1900") and len(digits) in (8, 10)
    short = digits.startswith("1") and len(digits) in (3, 4)
    if not (national or toll_free or short):
        raise ValueError(
            f"số điện thoại '{text[:40]}' không hợp lệ: cần số cố định hoặc di động (10–11 chữ số bắt đầu bằng 0), "
            "số 1800/1900 hoặc số ngắn như 1022"
        )
    return digits


def _free_text(value: Any, what: str) -> str:
    from scheduler.cells import CellError, clean, parse_free_text

    if not isinstance(value, str):
        raise ValueError(f"{what} phải là chuỗi trong dấu nháy, không phải {value!r}")
    text = clean(value)
    if not text:
        raise ValueError(f"{what} không được để trống")
    try:
        return parse_free_text(text, what)
    except CellError as error:
        raise ValueError(str(error)) from None


def volunteer_settings_from_table(
    table: Any, ward_code: Callable[[str], str] | None
) -> tuple[VolunteerSettings, list[tuple[str, str]]]:
    """``[volunteers]`` of campaign.toml as settings, and the problems found as (key, message) pairs.

    ``ward_code`` turns a ward as written into its code within the campaign's province (raising ValueError
    with the reason); None when the province could not be read, and then ``[[volunteers.wards]]`` is not
    checked. A bad key keeps its default.
    """
    problems: list[tuple[str, str]] = []
    if not isinstance(table, dict):
        return VolunteerSettings(), [("volunteers", "'volunteers' phải là một bảng [volunteers]")]
    values: dict[str, Any] = {}
    for key in table:
        if key not in VOLUNTEER_KEYS:
            problems.append(
                (
                    f"volunteers.{key}",
                    f"khoá không được hỗ trợ '{key}'; các khoá của [volunteers]: {', '.join(VOLUNTEER_KEYS)}",
                )
            )
    if "hotline_name" in table:
        try:
            values["hotline_name"] = _free_text(table["hotline_name"], "tên đầu mối liên hệ")
        except ValueError as error:
            problems.append(("volunteers.hotline_name", str(error)))
    if "hotline_phone" in table:
        try:
            values["hotline_phone"] = parse_contact_phone(table["hotline_phone"])
        except ValueError as error:
            problems.append(("volunteers.hotline_phone", str(error)))
    if "bring" in table:
        values["bring"] = _read_bring(table["bring"], problems)
    if "wards" in table and ward_code is not None:
        values["wards"] = _read_ward_contacts(table["wards"], ward_code, problems)
    return VolunteerSettings(**values), problems


def _read_bring(value: Any, problems: list[tuple[str, str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    bring = dict(DEFAULT_BRING)
    if not isinstance(value, dict):
        problems.append(("volunteers.bring", "'bring' phải là một bảng [volunteers.bring]"))
        return tuple(bring.items())
    for key, items in value.items():
        where = f"volunteers.bring.{key}"
        if key not in BRING_KEYS:
            problems.append(
                (where, f"khoá không được hỗ trợ '{key}'; các khoá của [volunteers.bring]: {', '.join(BRING_KEYS)}")
            )
            continue
        if not isinstance(items, list) or len(items) > MAX_BRING_ITEMS:
            problems.append((where, f'phải là danh sách ["...", "..."] tối đa {MAX_BRING_ITEMS} món'))
            continue
        try:
            parsed = [_free_text(item, "món cần mang") for item in items]
        except ValueError as error:
            problems.append((where, str(error)))
            continue
        bring[key] = tuple(dict.fromkeys(parsed))
    return tuple(bring.items())


def _read_ward_contacts(
    value: Any, ward_code: Callable[[str], str], problems: list[tuple[str, str]]
) -> tuple[tuple[str, WardContact], ...]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.append(
            ("volunteers.wards", "mỗi xã, phường là một bảng [[volunteers.wards]] với ward, office, contact, phone")
        )
        return ()
    found: dict[str, tuple[int, WardContact]] = {}
    for number, item in enumerate(value, 1):
        where = f"volunteers.wards[{number}]"
        ok = True
        for key in item:
            if key not in WARD_CONTACT_KEYS:
                problems.append(
                    (f"{where}.{key}", f"khoá không được hỗ trợ '{key}'; các khoá: {', '.join(WARD_CONTACT_KEYS)}")
                )
                ok = False
        fields_: dict[str, str] = {}
        for key, parse in (
            ("ward", lambda v: ward_code(_free_text(v, "xã/phường"))),
            ("office", lambda v: _free_text(v, "địa chỉ trụ sở")),
            ("contact", lambda v: _free_text(v, "người liên hệ")),
            ("phone", parse_contact_phone),
        ):
            if key not in item:
                continue
            try:
                fields_[key] = parse(item[key])
            except ValueError as error:
                problems.append((f"{where}.{key}", str(error)))
                ok = False
        if "ward" not in item:
            problems.append((f"{where}.ward", f"mục thứ {number} thiếu khoá 'ward'"))
            ok = False
        if not ok:
            continue
        code = fields_.pop("ward")
        if code in found:
            problems.append((f"{where}.ward", f"xã/phường này đã có ở mục thứ {found[code][0]}"))
            continue
        found[code] = (number, WardContact(code, **fields_))
    return tuple((code, contact) for code, (_number, contact) in found.items())
