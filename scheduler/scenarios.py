"""Realistic campaign scenarios, built from a seed.

``hanoi_scenario(seed)`` is the bundled Hanoi campaign: the 126 real wards,
about 2,500 students of ten real IT schools (each school at its real 2025 ward,
converted offline from its pre-2025 address), about 300 telecom staff, about
250 technicians and about 400 mobile points. ``tiny_scenario()`` is three wards
and a dozen people, small enough to check by hand. ``province_scenario(name, seed)``
is the same campaign in any province, its pools sized from its communes by rates
derived from Hà Nội (Hà Nội itself gives ``hanoi_scenario``), and
``country_scenario(seed)`` one per province of the country.

Everything random comes from one ``random.Random(seed)`` (for another province, one
seeded by its code and the seed), and every collection
is built in a fixed order, so the same seed gives the same campaign (and the
exporter writes the same bytes).
"""

from __future__ import annotations

import functools
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from geo import units
from scheduler.model import (
    Campaign,
    CampaignRules,
    MobilePoint,
    Person,
    Pool,
    PriorityGroup,
    Shift,
    ShiftKind,
    StaffNeed,
    Ward,
    WardDemand,
)
from scheduler.visits import SERVICES, VisitRequest

logger = logging.getLogger(__name__)

CAMPAIGN_START = date(2025, 7, 24)  # Directive 11/CT-UBND, 24/07/2025
CAMPAIGN_DAYS = 45
PROVINCE = "Thành phố Hà Nội"


@dataclass(frozen=True)
class School:
    """An IT school that sends students, with its pre-2025 address."""

    name: str
    legacy_address: str
    students: int  # how many of its students volunteer
    weekly_cap_hours: int  # set by the school or the Youth Union
    exam_dates: tuple[date, ...] = ()  # days most of its students sit exams


def _days(first: date, count: int) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range(count))


SCHOOLS = (
    School(
        "Đại học Bách khoa Hà Nội", "Phường Bách Khoa, Quận Hai Bà Trưng, Hà Nội", 420, 20, _days(date(2025, 8, 11), 3)
    ),
    School(
        "Học viện Công nghệ Bưu chính Viễn thông",
        "Phường Mộ Lao, Quận Hà Đông, Hà Nội",
        330,
        20,
        _days(date(2025, 8, 4), 2),
    ),
    School(
        "Trường Đại học Công nghệ – ĐHQGHN",
        "Phường Dịch Vọng Hậu, Quận Cầu Giấy, Hà Nội",
        280,
        16,
        _days(date(2025, 8, 18), 3),
    ),
    School("Đại học Công nghiệp Hà Nội", "Phường Minh Khai, Quận Bắc Từ Liêm, Hà Nội", 330, 24, ()),
    School("Trường Cao đẳng Công nghệ cao Hà Nội", "Phường Tây Mỗ, Quận Nam Từ Liêm, Hà Nội", 160, 24, ()),
    School(
        "Đại học Giao thông Vận tải", "Phường Láng Thượng, Quận Đống Đa, Hà Nội", 240, 20, _days(date(2025, 8, 25), 2)
    ),
    School("Đại học Thủy lợi", "Phường Trung Liệt, Quận Đống Đa, Hà Nội", 200, 20, ()),
    School("Đại học FPT", "Xã Thạch Hòa, Huyện Thạch Thất, Hà Nội", 260, 24, _days(date(2025, 8, 28), 2)),
    School("Đại học Phenikaa", "Phường Yên Nghĩa, Quận Hà Đông, Hà Nội", 160, 20, ()),
    School("Học viện Nông nghiệp Việt Nam", "Thị trấn Trâu Quỳ, Huyện Gia Lâm, Hà Nội", 120, 16, ()),
)

TELECOM_COMPANIES = (("VNPT", 90), ("Viettel", 100), ("MobiFone", 60), ("FPT Telecom", 50))
SERVICE_CENTRE_PREFIX = "Trung tâm Phục vụ hành chính công"
SERVICE_CENTRE = f"{SERVICE_CENTRE_PREFIX} Thành phố Hà Nội"

# Far outer communes where the scenario keeps supply deliberately tight: nobody
# lives there and mobile points are more frequent.
TIGHT_COMMUNES = ("09676", "09634", "09700", "09664")  # Bất Bạt, Cổ Đô, Ba Vì, Vật Lại

SKILLS_BY_POOL = {
    Pool.STUDENT: ("vneid", "ihanoi", "dich_vu_cong", "ai_co_ban"),
    Pool.TELECOM: ("vneid", "ihanoi", "sim_chinh_chu", "chu_ky_so", "mang"),
    Pool.TECHNICIAN: ("mang", "may_tinh", "mot_cua_dien_tu", "chu_ky_so"),
}

_FAMILY = (
    "Nguyễn",
    "Trần",
    "Lê",
    "Phạm",
    "Hoàng",
    "Vũ",
    "Võ",
    "Phan",
    "Đặng",
    "Bùi",
    "Đỗ",
    "Hồ",
    "Ngô",
    "Dương",
    "Lý",
    "Đinh",
    "Trịnh",
    "Mai",
    "Tạ",
    "Lương",
)
_MIDDLE = (
    "Văn",
    "Thị",
    "Đức",
    "Minh",
    "Thu",
    "Ngọc",
    "Quang",
    "Hữu",
    "Thanh",
    "Thúy",
    "Xuân",
    "Hoài",
    "Tuấn",
    "Kim",
    "Bảo",
    "Gia",
)
_GIVEN = (
    "An",
    "Anh",
    "Bình",
    "Châu",
    "Chi",
    "Dũng",
    "Duy",
    "Giang",
    "Hà",
    "Hải",
    "Hạnh",
    "Hiếu",
    "Hoa",
    "Hùng",
    "Huy",
    "Hương",
    "Khánh",
    "Lan",
    "Linh",
    "Long",
    "Mai",
    "Minh",
    "Nam",
    "Ngân",
    "Nhung",
    "Phong",
    "Phương",
    "Quân",
    "Quang",
    "Sơn",
    "Tâm",
    "Thảo",
    "Trang",
    "Trung",
    "Tú",
    "Tuấn",
    "Việt",
    "Yến",
    "Đạt",
    "Thắng",
)
_MOBILE_PREFIXES = (
    "086",
    "096",
    "097",
    "098",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "088",
    "091",
    "094",
    "081",
    "082",
    "083",
    "084",
    "085",
    "089",
    "090",
    "093",
    "070",
    "076",
    "077",
    "078",
    "079",
)
_PLACES = (
    "Nhà văn hóa thôn {n}",
    "Nhà văn hóa tổ dân phố số {n}",
    "Trường tiểu học {w}",
    "Trạm y tế {w}",
    "Sân chợ {w}",
    "Điểm sinh hoạt cộng đồng khu {n}",
    "Hội trường UBND {w}",
)
_SLOTS = ((8 * 60, 11 * 60), (14 * 60, 17 * 60), (18 * 60, 20 * 60 + 30))


def hanoi_shifts() -> tuple[Shift, ...]:
    """Service shifts staffed on site, and on-call shifts for the rest of the 24 hours.

    During service hours the 24/7 rule is met by a technician on the ward's
    service shift; outside them by the on-call shifts, which may be pooled
    across nearby wards within the response limit.
    """
    return (
        Shift("sang", "Ca sáng", 7 * 60 + 30, 11 * 60 + 30, ShiftKind.SERVICE),
        Shift("truc_trua", "Trực trưa", 11 * 60 + 30, 13 * 60 + 30, ShiftKind.ONCALL),
        Shift("chieu", "Ca chiều", 13 * 60 + 30, 17 * 60 + 30, ShiftKind.SERVICE),
        Shift("truc_toi", "Trực tối", 17 * 60 + 30, 23 * 60 + 30, ShiftKind.ONCALL),
        Shift("truc_dem", "Trực đêm", 23 * 60 + 30, 31 * 60 + 30, ShiftKind.ONCALL),
    )


def _ward(unit: units.AdminUnit) -> Ward:
    return Ward(
        code=unit.code,
        name=unit.name,
        kind=unit.kind,
        province=unit.province,
        lat=unit.lat,
        lon=unit.lon,
        area_km2=unit.area_km2,
    )


def distance_km(a: Ward | units.AdminUnit, b: Ward | units.AdminUnit) -> float:
    """Great-circle distance between two centroids, in km."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class _PeopleFactory:
    """Names, ids and unique phone numbers drawn from one random stream."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.phones: set[str] = set()
        self.counters: dict[str, int] = {}

    def next_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]:04d}"

    def name(self) -> str:
        rng = self.rng
        return f"{rng.choice(_FAMILY)} {rng.choice(_MIDDLE)} {rng.choice(_GIVEN)}"

    def phone(self) -> str:
        while True:
            number = self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**7):07d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def skills(self, pool: Pool, low: int, high: int) -> frozenset[str]:
        choices = SKILLS_BY_POOL[pool]
        return frozenset(self.rng.sample(choices, self.rng.randint(low, min(high, len(choices)))))

    def holes(self, dates: tuple[date, ...], count: int) -> set[date]:
        """``count`` of ``dates`` drawn at random, at most a third of them (a short campaign)."""
        return set(self.rng.sample(dates, min(count, len(dates) // 3)))


def _near(rng: random.Random, origin: Ward, wards: list[Ward], spread_km: float) -> Ward:
    """A ward drawn with weight falling off with distance from ``origin``."""
    weights = [math.exp(-distance_km(origin, w) / spread_km) for w in wards]
    return rng.choices(wards, weights=weights)[0]


def school_wards(schools: tuple[School, ...] = SCHOOLS) -> dict[str, Ward]:
    """Each school's 2025 ward, converted offline from its pre-2025 address."""
    return {school.name: _ward(units.convert_legacy_address(school.legacy_address)) for school in schools}


@dataclass(frozen=True)
class _StudentGroup:
    """Students who volunteer together: a school's, or the province's by the rule of :func:`province_scenario`.

    ``home`` draws where one student sets out from; ``preferred`` is the ward a student may ask for,
    given that home.
    """

    organisation: str
    count: int
    weekly_cap_hours: int
    exam_dates: tuple[date, ...]
    home: Callable[[], Ward]
    preferred: Callable[[Ward], str]


def _school_group(rng: random.Random, school: School, school_ward: Ward, homes: list[Ward], scale: float):
    """A school's students: most set out from the school's ward, some from home near it."""

    def home() -> Ward:
        return school_ward if rng.random() < 0.7 else _near(rng, school_ward, homes, 6.0)

    return _StudentGroup(
        school.name,
        round(school.students * scale),
        school.weekly_cap_hours,
        school.exam_dates,
        home,
        lambda _home: school_ward.code,
    )


def _students(factory: _PeopleFactory, dates: tuple[date, ...], groups: list[_StudentGroup]) -> list[Person]:
    rng = factory.rng
    people = []
    for group in groups:
        for _ in range(group.count):
            home = group.home()
            unavailable = factory.holes(dates, rng.randint(1, 4))
            if group.exam_dates and rng.random() < 0.8:
                unavailable.update(d for d in group.exam_dates if d in dates)
            if rng.random() < 0.25:  # weekends with the family
                unavailable.update(d for d in dates if d.weekday() == 6)
            shifts: frozenset[str] = frozenset()
            if rng.random() < 0.3:
                shifts = frozenset({rng.choice(("sang", "chieu"))})
            people.append(
                Person(
                    id=factory.next_id("SV"),
                    name=factory.name(),
                    pool=Pool.STUDENT,
                    organisation=group.organisation,
                    home_ward_code=home.code,
                    phone=factory.phone(),
                    skills=factory.skills(Pool.STUDENT, 1, 3),
                    unavailable_dates=frozenset(unavailable),
                    available_shift_ids=shifts,
                    weekly_cap_hours=group.weekly_cap_hours,
                    night_eligible=False,
                    preferred_ward_codes=(group.preferred(home),) if rng.random() < 0.4 else (),
                )
            )
    return people


def _telecom(
    factory: _PeopleFactory,
    dates: tuple[date, ...],
    companies: tuple[tuple[str, int], ...],
    home: Callable[[], Ward],
) -> list[Person]:
    rng = factory.rng
    people = []
    for company, count in companies:
        for _ in range(count):
            ward = home()
            people.append(
                Person(
                    id=factory.next_id("VT"),
                    name=factory.name(),
                    pool=Pool.TELECOM,
                    organisation=company,
                    home_ward_code=ward.code,
                    phone=factory.phone(),
                    skills=factory.skills(Pool.TELECOM, 2, 4),
                    unavailable_dates=frozenset(factory.holes(dates, rng.randint(2, 6))),
                    available_shift_ids=frozenset(),
                    weekly_cap_hours=None,
                    night_eligible=rng.random() < 0.2,
                    preferred_ward_codes=(ward.code,) if rng.random() < 0.5 else (),
                )
            )
    return people


def _technicians(
    factory: _PeopleFactory, dates: tuple[date, ...], count: int, home: Callable[[], Ward], centre: str
) -> list[Person]:
    rng = factory.rng
    people = []
    for _ in range(count):
        ward = home()
        people.append(
            Person(
                id=factory.next_id("KT"),
                name=factory.name(),
                pool=Pool.TECHNICIAN,
                organisation=centre,
                home_ward_code=ward.code,
                phone=factory.phone(),
                skills=factory.skills(Pool.TECHNICIAN, 2, 4),
                unavailable_dates=frozenset(factory.holes(dates, rng.randint(0, 3))),
                available_shift_ids=frozenset(),
                weekly_cap_hours=None,
                night_eligible=rng.random() < 0.85,
                preferred_ward_codes=(),
            )
        )
    return people


def _mobile_points(
    rng: random.Random, wards: list[Ward], dates: tuple[date, ...], count: int, weights: list[float]
) -> list[MobilePoint]:
    """``count`` mobile points over ``dates``, each in a ward drawn by ``weights``, ids ``LD0001``… by date."""
    groups = (
        PriorityGroup.ELDERLY,
        PriorityGroup.DISABLED,
        PriorityGroup.POOR,
        PriorityGroup.NEAR_POOR,
        PriorityGroup.GENERAL,
    )
    points: list[MobilePoint] = []
    taken = set()
    while len(points) < count:
        ward = rng.choices(wards, weights=weights)[0]
        day = rng.choice(dates)
        start, end = rng.choice(_SLOTS)
        if (ward.code, day, start) in taken:
            continue
        taken.add((ward.code, day, start))
        needs = [StaffNeed(1, pool=Pool.TELECOM), StaffNeed(rng.randint(1, 3), pool=Pool.STUDENT)]
        if rng.random() < 0.15:
            needs.append(StaffNeed(1, pool=Pool.TECHNICIAN))
        if rng.random() < 0.3:
            needs.append(StaffNeed(1, skill="chu_ky_so"))
        place = rng.choice(_PLACES).format(n=rng.randint(1, 12), w=ward.name.split(" ", 1)[1])
        points.append(
            MobilePoint(
                id="LD",
                ward_code=ward.code,
                place=place,
                date=day,
                start_minute=start,
                end_minute=end,
                staff_needed=tuple(needs),
                priority_group=rng.choices(groups, weights=(4, 2, 2, 1, 1))[0],
            )
        )
    points.sort(key=lambda p: (p.date, p.start_minute, p.ward_code))
    return [
        MobilePoint(
            id=f"LD{i + 1:04d}",
            ward_code=p.ward_code,
            place=p.place,
            date=p.date,
            start_minute=p.start_minute,
            end_minute=p.end_minute,
            staff_needed=p.staff_needed,
            priority_group=p.priority_group,
        )
        for i, p in enumerate(points)
    ]


def _peak_dates(dates: tuple[date, ...]) -> frozenset[date]:
    """The first week of the campaign and every Monday: the city's peak periods."""
    return frozenset(d for i, d in enumerate(dates) if i < 7 or d.weekday() == 0)


def demo_volunteers_toml(campaign: Campaign, seed: int = 1) -> str:
    """A ``[volunteers]`` table for a generated campaign: the coordinators' hotline and, for each ward, its
    office (``Trụ sở UBND …``) and a contact with an invented mobile number, drawn from ``seed``.

    The scenario's people and numbers are made up; this gives the demo's shift cards someone to call."""
    factory = _PeopleFactory(random.Random(f"volunteers-{seed}"))
    factory.phones.update(person.phone for person in campaign.people)
    lines = [
        "[volunteers]",
        'hotline_name = "Tổ điều phối chiến dịch (số minh hoạ)"',
        f'hotline_phone = "{factory.phone()}"',
    ]
    for ward in campaign.wards:
        lines += [
            "",
            "[[volunteers.wards]]",
            f'ward = "{ward.code}"',
            f'office = "Trụ sở UBND {ward.name}"',
            f'contact = "{factory.name()}, Văn phòng UBND"',
            f'phone = "{factory.phone()}"',
        ]
    return "\n".join(lines) + "\n"


def moved_to(campaign: Campaign, start: date) -> Campaign:
    """The same campaign starting on ``start``: every date in it shifted by the same number of days.

    The start date, people's unavailable dates and slots, the wards' peak dates, the mobile points'
    dates and the pins move together, so the campaign keeps its structure (a replay of the 2025
    scenario on upcoming dates, for the demo). Weekdays move with the dates unless the shift is a
    whole number of weeks.
    """
    delta = start - campaign.start_date
    if not delta:
        return campaign

    def days(dates):
        return frozenset(d + delta for d in dates)

    people = tuple(
        replace(
            p,
            unavailable_dates=days(p.unavailable_dates),
            unavailable_slots=frozenset((d + delta, slot) for d, slot in p.unavailable_slots),
        )
        for p in campaign.people
    )
    demands = tuple(replace(d, peak_dates=days(d.peak_dates)) for d in campaign.demands)
    points = tuple(replace(m, date=m.date + delta) for m in campaign.mobile_points)
    pins = tuple(replace(a, date=a.date + delta) for a in campaign.pins)
    return replace(campaign, start_date=start, people=people, demands=demands, mobile_points=points, pins=pins)


def _campaign_dates(days: int) -> tuple[date, ...]:
    return tuple(CAMPAIGN_START + timedelta(days=i) for i in range(days))


def _demands(wards: list[Ward], rules: CampaignRules, dates: tuple[date, ...]) -> tuple[WardDemand, ...]:
    """Every ward's demand: the directive's minimum, a night response limit of 30 minutes in a phường
    and 45 elsewhere, one more student on the peak dates."""
    peaks = _peak_dates(dates)
    return tuple(
        WardDemand(
            ward_code=w.code,
            service_shift_ids=("sang", "chieu"),
            min_support_staff=rules.min_support_staff_per_shift,
            min_telecom_staff_per_day=rules.min_telecom_staff_per_day,
            oncall_24_7=rules.oncall_24_7,
            night_response_limit_minutes=rules.night_response_limit_minutes if w.kind == "Phường" else 45,
            peak_dates=peaks,
            extra_students_on_peak=1,
        )
        for w in wards
    )


def _campaign_name(days: int, short_name: str) -> str:
    return f"{days} ngày đêm ra quân hỗ trợ chuyển đổi số tại các xã, phường — {short_name} 2025"


def _hanoi(seed: int, scale: float, technicians: int, mobile_points: int, days: int) -> Campaign:
    """The Hanoi campaign over ``days`` days from the directive's start (see :func:`hanoi_scenario`)."""
    rng = random.Random(seed)
    factory = _PeopleFactory(rng)
    rules = CampaignRules()
    wards = [_ward(u) for u in units.communes(PROVINCE)]
    dates = _campaign_dates(days)
    homes = [w for w in wards if w.code not in TIGHT_COMMUNES]
    schools = school_wards()
    groups = [_school_group(rng, school, schools[school.name], homes, scale) for school in SCHOOLS]
    # Staff live across the city, a little more often in the denser phường.
    telecom_weights = [2.0 if w.kind == "Phường" else 1.0 for w in homes]
    companies = tuple((company, round(count * scale)) for company, count in TELECOM_COMPANIES)
    people = (
        _students(factory, dates, groups)
        + _telecom(factory, dates, companies, lambda: rng.choices(homes, weights=telecom_weights)[0])
        + _technicians(factory, dates, technicians, lambda: rng.choice(homes), SERVICE_CENTRE)
    )
    # Outer communes (xã) get three times the weight of phường, the tight ones five times.
    point_weights = [5.0 if w.code in TIGHT_COMMUNES else 3.0 if w.kind == "Xã" else 1.0 for w in wards]
    points = _mobile_points(rng, wards, dates, mobile_points, point_weights)
    campaign = Campaign(
        name=_campaign_name(days, "Hà Nội"),
        province=PROVINCE,
        start_date=CAMPAIGN_START,
        days=days,
        shifts=hanoi_shifts(),
        rules=rules,
        wards=tuple(wards),
        demands=_demands(wards, rules, dates),
        people=tuple(people),
        mobile_points=tuple(points),
    )
    logger.info(
        "Hanoi scenario seed %d: %d wards, %d people, %d mobile points", seed, len(wards), len(people), len(points)
    )
    return campaign


def hanoi_scenario(
    seed: int = 1, scale: float = 1.0, technicians: int = 250, mobile_points: int = 400, start: date | None = None
) -> Campaign:
    """The Hanoi campaign of Directive 11/CT-UBND with a synthetic but realistic workforce.

    Parameters
    ----------
    seed
        Seed of the one random stream; equal seeds give equal campaigns.
    scale
        Multiplies the number of students and telecom staff (1.0: about 2,500 and 300).
    technicians
        Size of the service centre's technician pool.
    mobile_points
        Number of mobile service points over the campaign.
    start
        Move the campaign to start on this date (:func:`moved_to`); None keeps the 2025 dates.
    """
    campaign = _hanoi(seed, scale, technicians, mobile_points, CAMPAIGN_DAYS)
    return campaign if start is None else moved_to(campaign, start)


def tiny_scenario(start: date | None = None) -> Campaign:
    """Three wards of Hà Nội over three days and twelve people: checkable by hand (``start``: see
    :func:`moved_to`; None keeps the 2025 dates).

    Định Công and Hoàng Liệt are neighbouring inner wards; Bất Bạt is a far
    outer commune where only one student lives and no telecom staff, so its
    telecom presence depends on a long trip. Ward demand is the directive's minimum (2 support staff per
    service shift, 1 telecom staff per day, a technician on call around the
    clock); one mobile point in Bất Bạt needs a telecom staff and a student.
    """
    ward_units = [
        units.find_commune(name, PROVINCE) for name in ("Phường Định Công", "Phường Hoàng Liệt", "Xã Bất Bạt")
    ]
    wards = tuple(_ward(u) for u in ward_units)
    dinh_cong, hoang_liet, bat_bat = (w.code for w in wards)
    rules = CampaignRules()
    start = CAMPAIGN_START
    demands = tuple(
        WardDemand(
            ward_code=w.code,
            service_shift_ids=("sang", "chieu"),
            min_support_staff=2,
            min_telecom_staff_per_day=1,
            oncall_24_7=True,
            night_response_limit_minutes=30 if w.kind == "Phường" else 45,
            peak_dates=frozenset({start}),
            extra_students_on_peak=1,
        )
        for w in wards
    )
    college = "Trường Cao đẳng Công nghệ cao Hà Nội"

    def person(pid, name, pool, org, home, phone, **extra):
        return Person(id=pid, name=name, pool=pool, organisation=org, home_ward_code=home, phone=phone, **extra)

    people = (
        person(
            "SV0001",
            "Nguyễn Văn An",
            Pool.STUDENT,
            college,
            dinh_cong,
            "0912000001",
            skills=frozenset({"vneid"}),
            weekly_cap_hours=16,
        ),
        person(
            "SV0002",
            "Trần Thị Bình",
            Pool.STUDENT,
            college,
            dinh_cong,
            "0912000002",
            skills=frozenset({"ihanoi"}),
            unavailable_dates=frozenset({start + timedelta(days=1)}),
        ),
        person(
            "SV0003",
            "Lê Minh Châu",
            Pool.STUDENT,
            college,
            hoang_liet,
            "0912000003",
            available_shift_ids=frozenset({"sang"}),
        ),
        person(
            "SV0004",
            "Phạm Thu Dung",
            Pool.STUDENT,
            college,
            hoang_liet,
            "0912000004",
            preferred_ward_codes=(hoang_liet,),
        ),
        person(
            "SV0005",
            "Hoàng Đức Giang",
            Pool.STUDENT,
            "Đại học FPT",
            bat_bat,
            "0912000005",
            skills=frozenset({"vneid", "dich_vu_cong"}),
        ),
        person(
            "VT0001",
            "Vũ Ngọc Hà",
            Pool.TELECOM,
            "MobiFone",
            dinh_cong,
            "0903000001",
            skills=frozenset({"vneid", "sim_chinh_chu"}),
            night_eligible=True,
        ),
        person(
            "VT0002", "Đặng Quang Hải", Pool.TELECOM, "VNPT", hoang_liet, "0913000002", skills=frozenset({"chu_ky_so"})
        ),
        person(
            "VT0003",
            "Bùi Thanh Hương",
            Pool.TELECOM,
            "Viettel",
            dinh_cong,
            "0983000003",
            unavailable_dates=frozenset({start + timedelta(days=2)}),
        ),
        person(
            "KT0001",
            "Đỗ Hữu Khánh",
            Pool.TECHNICIAN,
            SERVICE_CENTRE,
            dinh_cong,
            "0904000001",
            skills=frozenset({"mang"}),
            night_eligible=True,
        ),
        person(
            "KT0002", "Ngô Xuân Lan", Pool.TECHNICIAN, SERVICE_CENTRE, hoang_liet, "0904000002", night_eligible=True
        ),
        person(
            "KT0003", "Dương Văn Long", Pool.TECHNICIAN, SERVICE_CENTRE, dinh_cong, "0904000003", night_eligible=False
        ),
        person(
            "KT0004",
            "Lý Thị Mai",
            Pool.TECHNICIAN,
            SERVICE_CENTRE,
            hoang_liet,
            "0904000004",
            night_eligible=True,
            unavailable_dates=frozenset({start}),
        ),
    )
    points = (
        MobilePoint(
            id="LD0001",
            ward_code=bat_bat,
            place="Nhà văn hóa thôn 3",
            date=start + timedelta(days=1),
            start_minute=8 * 60,
            end_minute=11 * 60,
            staff_needed=(StaffNeed(1, pool=Pool.TELECOM), StaffNeed(1, pool=Pool.STUDENT)),
            priority_group=PriorityGroup.ELDERLY,
        ),
    )
    campaign = Campaign(
        name="Tiny: ba xã phường, ba ngày",
        province=PROVINCE,
        start_date=start,
        days=3,
        shifts=hanoi_shifts(),
        rules=rules,
        wards=wards,
        demands=demands,
        people=people,
        mobile_points=points,
    )
    return campaign if start is None else moved_to(campaign, start)


# --- Any province, and the country -------------------------------------------------------------------

# Universities with IT programmes outside Hà Nội, by province code, each at its pre-2025 address as the
# school publishes it (on its website, named in the comment), converted offline to its 2025 commune
# like the Hanoi SCHOOLS. How many students volunteer is invented, as for Hanoi.
PROVINCE_SCHOOLS: dict[str, tuple[School, ...]] = {
    "31": (
        # 484 Lạch Tray, Phường Kênh Dương, Quận Lê Chân (vimaru.edu.vn)
        School("Trường Đại học Hàng hải Việt Nam", "Phường Kênh Dương, Quận Lê Chân, Hải Phòng", 300, 20),
    ),
    "33": (
        # Xã Dân Tiến, Huyện Khoái Châu (utehy.edu.vn)
        School("Trường Đại học Sư phạm Kỹ thuật Hưng Yên", "Xã Dân Tiến, Huyện Khoái Châu, Hưng Yên", 300, 20),
    ),
    "19": (
        # Đường Z115, Xã Quyết Thắng, Thành phố Thái Nguyên (ictu.edu.vn)
        School(
            "Trường Đại học Công nghệ Thông tin và Truyền thông – Đại học Thái Nguyên",
            "Xã Quyết Thắng, Thành phố Thái Nguyên, Thái Nguyên",
            350,
            20,
        ),
    ),
    "40": (
        # 182 Lê Duẩn, Phường Bến Thủy, Thành phố Vinh (vinhuni.edu.vn)
        School("Trường Đại học Vinh", "Phường Bến Thủy, Thành phố Vinh, Nghệ An", 300, 20),
    ),
    "46": (
        # 77 Nguyễn Huệ, Phường Phú Nhuận, Thành phố Huế (husc.edu.vn)
        School("Trường Đại học Khoa học – Đại học Huế", "Phường Phú Nhuận, Thành phố Huế, Thừa Thiên Huế", 250, 20),
    ),
    "48": (
        # 54 Nguyễn Lương Bằng, Phường Hòa Khánh Bắc, Quận Liên Chiểu (dut.udn.vn)
        School("Trường Đại học Bách khoa – Đại học Đà Nẵng", "Phường Hòa Khánh Bắc, Quận Liên Chiểu, Đà Nẵng", 350, 20),
        # 254 Nguyễn Văn Linh, Phường Thạc Gián, Quận Thanh Khê (duytan.edu.vn)
        School("Trường Đại học Duy Tân", "Phường Thạc Gián, Quận Thanh Khê, Đà Nẵng", 300, 24),
        # 470 Trần Đại Nghĩa, Phường Hòa Quý, Quận Ngũ Hành Sơn (vku.udn.vn)
        School(
            "Trường Đại học Công nghệ Thông tin và Truyền thông Việt – Hàn",
            "Phường Hòa Quý, Quận Ngũ Hành Sơn, Đà Nẵng",
            300,
            20,
        ),
    ),
    "79": (
        # 268 Lý Thường Kiệt, Phường 14, Quận 10 (hcmut.edu.vn)
        School("Trường Đại học Bách khoa – ĐHQG-HCM", "Phường 14, Quận 10, Thành phố Hồ Chí Minh", 450, 20),
        # 227 Nguyễn Văn Cừ, Phường 4, Quận 5 (hcmus.edu.vn)
        School("Trường Đại học Khoa học Tự nhiên – ĐHQG-HCM", "Phường 4, Quận 5, Thành phố Hồ Chí Minh", 350, 20),
        # Khu phố 6, Phường Linh Trung, Thành phố Thủ Đức (uit.edu.vn)
        School(
            "Trường Đại học Công nghệ Thông tin – ĐHQG-HCM",
            "Phường Linh Trung, Thành phố Thủ Đức, Thành phố Hồ Chí Minh",
            400,
            20,
        ),
        # 1 Võ Văn Ngân, Phường Linh Chiểu, Thành phố Thủ Đức (hcmute.edu.vn)
        School(
            "Trường Đại học Sư phạm Kỹ thuật Thành phố Hồ Chí Minh",
            "Phường Linh Chiểu, Thành phố Thủ Đức, Thành phố Hồ Chí Minh",
            350,
            24,
        ),
    ),
    "92": (
        # Khu II, đường 3/2, Phường Xuân Khánh, Quận Ninh Kiều (en.ctu.edu.vn/introduction/campuses-of-ctu.html)
        School("Trường Đại học Cần Thơ", "Phường Xuân Khánh, Quận Ninh Kiều, Cần Thơ", 400, 20),
    ),
}

# The rates every province is sized by, all derived from Hà Nội's pools (see _rates).
HANOI_CODE = "01"
REFERENCE_AREA_KM2 = 25.0  # about the median commune of Hà Nội (24.7 km²)
STAFF_KIND_WEIGHT = {"Phường": 1.0, "Xã": 1.2, "Đặc khu": 1.5}  # rural communes: more hamlets, longer trips
POINT_KIND_WEIGHT = {"Phường": 1.0, "Xã": 3.0, "Đặc khu": 3.0}  # as Hà Nội's mobile points: xã three times
URBAN_STUDENT_SHARE = 0.3  # students of the province's own colleges, from its most urban phường
MIN_TECHNICIANS_PER_CLUSTER = 5  # 24 h a day for one commune at 8 h a day and 48 h a week, with days off
SERVICE_HOURS_PER_WARD_DAY = 8  # a technician on each of the two four-hour service shifts
ONCALL_HOURS_PER_CLUSTER_DAY = 16  # the three on-call shifts of a cluster


def _area_factor(area_km2: float | None, exponent: float, low: float, high: float) -> float:
    area = area_km2 if area_km2 else REFERENCE_AREA_KM2
    return min(high, max(low, (area / REFERENCE_AREA_KM2) ** exponent))


def staff_weight(ward: Ward | units.AdminUnit) -> float:
    """How many students and telecom staff a commune draws, relative to a Hà Nội commune of median size:
    its type's weight times (area / 25 km²)^0.25, the area factor kept within 0.6–2."""
    return STAFF_KIND_WEIGHT.get(ward.kind, 1.2) * _area_factor(ward.area_km2, 0.25, 0.6, 2.0)


def point_weight(ward: Ward | units.AdminUnit) -> float:
    """How many mobile points a commune gets: its type's weight (xã and đặc khu three times a phường)
    times (area / 25 km²)^0.5, the area factor kept within 0.5–3."""
    return POINT_KIND_WEIGHT.get(ward.kind, 3.0) * _area_factor(ward.area_km2, 0.5, 0.5, 3.0)


def oncall_clusters(wards: list[Ward], rules: CampaignRules | None = None) -> list[tuple[str, ...]]:
    """The on-call clusters the solver will make of ``wards`` (its default cluster size and the
    scenario's night response limits: the campaign's in a phường, 45 minutes elsewhere)."""
    from geo.travel import province_travel
    from scheduler.settings import SolveSettings
    from scheduler.solver.clusters import build_clusters

    rules = rules or CampaignRules()
    if not wards:
        return []
    travel = province_travel(wards[0].province)
    limits = {w.code: rules.night_response_limit_minutes if w.kind == "Phường" else 45 for w in wards}
    clusters = build_clusters([w.code for w in wards], limits, travel, SolveSettings().max_cluster_size)
    return [cluster.wards for cluster in clusters]


def _technician_hours(clusters: list[tuple[str, ...]]) -> list[int]:
    return [SERVICE_HOURS_PER_WARD_DAY * len(c) + ONCALL_HOURS_PER_CLUSTER_DAY for c in clusters]


@dataclass(frozen=True)
class ProvinceRates:
    """Pools per unit of weight, derived from the Hà Nội scenario's pools over Hà Nội's communes."""

    students_per_staff_weight: float
    telecom_per_staff_weight: float
    points_per_point_weight: float  # over 45 days
    technicians_per_hour: float  # per hour a day of technician demand (service + on-call)


@functools.lru_cache(maxsize=1)
def province_rates() -> ProvinceRates:
    """The rates of :func:`province_scenario`: Hà Nội's ~2,500 students, 300 telecom staff, 400 mobile
    points and 250 technicians over its communes' weights and its technician demand hours."""
    wards = [_ward(u) for u in units.communes(HANOI_CODE)]
    staff = sum(staff_weight(w) for w in wards)
    points = sum(point_weight(w) for w in wards)
    hours = sum(_technician_hours(oncall_clusters(wards)))
    return ProvinceRates(
        students_per_staff_weight=sum(s.students for s in SCHOOLS) / staff,
        telecom_per_staff_weight=sum(count for _, count in TELECOM_COMPANIES) / staff,
        points_per_point_weight=400 / points,
        technicians_per_hour=250 / hours,
    )


def _spread(rng: random.Random, count: int, clusters: list[tuple[Ward, ...]], shares: list[int]) -> list[Ward]:
    """``count`` homes: each cluster's share of them in its own communes (drawn by staff weight), shuffled."""
    homes = []
    for members, share in zip(clusters, shares, strict=True):
        weights = [staff_weight(w) for w in members]
        homes.extend(rng.choices(members, weights=weights, k=share))
    rng.shuffle(homes)
    assert len(homes) == count
    return homes


def province_scenario(
    province: str, seed: int = 1, days: int = CAMPAIGN_DAYS, scale: float = 1.0, start: date | None = None
) -> Campaign:
    """The campaign in any province: its real communes, the same shifts, rules and demand as Hà Nội,
    and pools sized from its communes by rates derived from Hà Nội.

    Hà Nội itself is :func:`hanoi_scenario` (over ``days`` days). Elsewhere, with the commune weights
    :func:`staff_weight` (type and area) and :func:`point_weight`, and the rates of :func:`province_rates`:

    - **students**: rate × Σ staff weights × ``scale``. The province's universities of
      :data:`PROVINCE_SCHOOLS` send their (invented) numbers first, set out like Hà Nội's (70% from the
      school's commune, the rest from home near it); the rest follow the rule: 30% are students of the
      province's own colleges and set out from its phường, the most urban (smallest) first (weight
      1/area), and 70% are students home for the summer, in every commune by staff weight.
    - **telecom staff**: rate × Σ staff weights × ``scale``, split among the four companies as in Hà
      Nội (90:100:60:50); **technicians**: per on-call cluster, rate × its demand hours a day (8 per
      commune for the service shifts, 16 for the cluster's on-call shifts) rounded up, at least 5 (a
      cluster of four communes asks 48 hours a day, 336 a week: 7.35 technicians at Hà Nội's rate, whose
      48-hour weeks leave no room for days off; 8 do). Both live spread over the on-call
      clusters the solver will make (:func:`oncall_clusters`), each cluster with its share of them
      (technicians by its demand hours, telecom staff by its communes' staff weight), so every cluster
      can be staffed however rural the province.
    - **mobile points**: rate × Σ point weights × ``days`` / 45, ids ``LD0001``… in the campaign.

    Person ids (``SV0001``, ``VT0001``, ``KT0001``…) and invented phone numbers are unique within the
    campaign; each province is its own campaign, so ids repeat between provinces.

    Raises
    ------
    geo.units.UnknownPlaceError
        When ``province`` names no province (the error suggests the closest names).
    """
    prov = units.find_province(province)
    if prov.code == HANOI_CODE:
        campaign = _hanoi(seed, scale, 250, 400, days)
        return campaign if start is None else moved_to(campaign, start)
    rates = province_rates()
    rng = random.Random(f"{prov.code}-{seed}")
    factory = _PeopleFactory(rng)
    rules = CampaignRules()
    wards = [_ward(u) for u in units.communes(prov.code)]
    by_code = {w.code: w for w in wards}
    dates = _campaign_dates(days)
    clusters = [tuple(by_code[c] for c in cluster) for cluster in oncall_clusters(wards, rules)]
    staff_total = sum(staff_weight(w) for w in wards)

    # Students: the province's universities first, then the rule.
    schools = PROVINCE_SCHOOLS.get(prov.code, ())
    located = school_wards(schools)
    groups = [_school_group(rng, school, located[school.name], wards, scale) for school in schools]
    rest = max(0, round(rates.students_per_staff_weight * staff_total * scale) - sum(g.count for g in groups))
    urban = [w for w in wards if w.kind == "Phường"] or wards
    urban_weights = [1.0 / (w.area_km2 or REFERENCE_AREA_KM2) for w in urban]
    home_weights = [staff_weight(w) for w in wards]
    colleges = round(rest * URBAN_STUDENT_SHARE)
    union = "Thành đoàn" if prov.name.startswith("Thành phố") else "Tỉnh đoàn"
    groups.append(
        _StudentGroup(
            f"Các trường đại học, cao đẳng tại {prov.short_name}",
            colleges,
            20,
            (),
            lambda: rng.choices(urban, weights=urban_weights)[0],
            lambda home: home.code,
        )
    )
    groups.append(
        _StudentGroup(
            f"Sinh viên về địa phương dịp hè – {union} {prov.short_name}",
            rest - colleges,
            20,
            (),
            lambda: rng.choices(wards, weights=home_weights)[0],
            lambda home: home.code,
        )
    )

    # Telecom staff and technicians, spread over the on-call clusters.
    telecom_count = round(rates.telecom_per_staff_weight * staff_total * scale)
    companies = tuple(
        zip(
            (name for name, _ in TELECOM_COMPANIES),
            _split(telecom_count, [count for _, count in TELECOM_COMPANIES]),
            strict=True,
        )
    )
    cluster_staff = [sum(staff_weight(w) for w in members) for members in clusters]
    telecom_homes = iter(_spread(rng, telecom_count, clusters, _split(telecom_count, cluster_staff)))
    tech_shares = [
        max(MIN_TECHNICIANS_PER_CLUSTER, math.ceil(rates.technicians_per_hour * hours))
        for hours in _technician_hours([tuple(w.code for w in c) for c in clusters])
    ]
    technician_homes = iter(_spread(rng, sum(tech_shares), clusters, tech_shares))
    people = (
        _students(factory, dates, groups)
        + _telecom(factory, dates, companies, lambda: next(telecom_homes))
        + _technicians(
            factory, dates, sum(tech_shares), lambda: next(technician_homes), f"{SERVICE_CENTRE_PREFIX} {prov.name}"
        )
    )
    point_weights = [point_weight(w) for w in wards]
    point_count = round(rates.points_per_point_weight * sum(point_weights) * days / CAMPAIGN_DAYS)
    points = _mobile_points(rng, wards, dates, point_count, point_weights)
    campaign = Campaign(
        name=_campaign_name(days, prov.short_name),
        province=prov.name,
        start_date=CAMPAIGN_START,
        days=days,
        shifts=hanoi_shifts(),
        rules=rules,
        wards=tuple(wards),
        demands=_demands(wards, rules, dates),
        people=tuple(people),
        mobile_points=tuple(points),
    )
    logger.info(
        "%s scenario seed %d: %d wards, %d people, %d mobile points",
        prov.short_name,
        seed,
        len(wards),
        len(people),
        len(points),
    )
    return campaign if start is None else moved_to(campaign, start)


def country_scenario(
    seed: int = 1, days: int = CAMPAIGN_DAYS, scale: float = 1.0, provinces: list[str] | None = None
) -> list[Campaign]:
    """One :func:`province_scenario` per province, in province-code order: all 34, or those named in
    ``provinces`` (names or codes, any spelling :func:`geo.units.find_province` reads)."""
    if provinces is None:
        chosen = list(units.provinces())
    else:
        codes = {units.find_province(name).code for name in provinces}
        chosen = [p for p in units.provinces() if p.code in codes]
    return [province_scenario(p.code, seed=seed, days=days, scale=scale) for p in chosen]


# --- The daily visit lists ---------------------------------------------------------------------------

# Who is on a list: (group, share of the list, chance of needing a visit at home).
_VISIT_GROUPS = (
    (PriorityGroup.ELDERLY, 45, 0.75),
    (PriorityGroup.DISABLED, 15, 0.9),
    (PriorityGroup.POOR, 12, 0.5),
    (PriorityGroup.NEAR_POOR, 10, 0.45),
    (PriorityGroup.GENERAL, 18, 0.35),
)
_VISIT_SERVICES = (("vneid", 30), ("ihanoi", 22), ("procedure", 28), ("other", 20))
_VISIT_WINDOWS = (((8 * 60, 11 * 60 + 30), 35), ((13 * 60 + 30, 17 * 60), 30), ((8 * 60, 17 * 60), 35))
_PROCEDURES = (
    "Đăng ký thường trú",
    "Đăng ký tạm trú",
    "Đăng ký khai sinh",
    "Đăng ký khai tử",
    "Cấp phiếu lý lịch tư pháp",
    "Xác nhận tình trạng hôn nhân",
    "Cấp đổi giấy phép lái xe",
    "Cấp lại thẻ bảo hiểm y tế",
    "Trợ cấp xã hội hằng tháng cho người cao tuổi",
    "Chứng thực bản sao điện tử từ bản chính",
)
_HAMLETS = (
    "Đông",
    "Đoài",
    "Thượng",
    "Hạ",
    "Trung",
    "Bắc",
    "Nam",
    "Đình",
    "Chùa",
    "Mới",
    "Phú Mỹ",
    "An Thịnh",
    "Đồng Tâm",
    "Yên Thái",
    "Vĩnh Lộc",
    "Tân Phong",
)
_HAMLET_PARTS = ("Giữa", "Trại", "Ao", "Đình", "Chợ", "Đồng", "Bến", "Cầu")
_STREETS = (
    "Định Công",
    "Giải Phóng",
    "Kim Giang",
    "Tân Mai",
    "Minh Khai",
    "Trương Định",
    "Lĩnh Nam",
    "Nguyễn Trãi",
    "Khương Trung",
    "Tam Trinh",
    "Lê Trọng Tấn",
    "Quang Trung",
)
_VISIT_NOTES = (
    "Đi lại khó khăn, gọi trước khi đến",
    "Nhà trong ngõ hẹp, gửi xe đầu ngõ",
    "Người nhà ở cùng hỗ trợ",
    "Cần mang theo căn cước của người dân",
    "Điện thoại cũ, có thể cần đổi máy",
)


def _visit_weight(ward: Ward, median_area_km2: float) -> float:
    """How much of the day's lists a ward has: outer communes (xã) more, and larger ones more."""
    area = ward.area_km2 if ward.area_km2 else median_area_km2
    return (1.5 if ward.kind != "Phường" else 1.0) * area**0.4


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders): whole counts that sum to ``total``."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    counts = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def daily_visit_requests(campaign: Campaign, day: date, seed: int, total: int = 2000) -> tuple[VisitRequest, ...]:
    """Realistic daily lists of people to visit, for every ward of ``campaign``, about ``total`` in all.

    Outer communes (xã) have more people on their lists than inner phường, by kind and area; the
    elderly are the largest group; about two requests in three need a visit at home (more among the
    disabled and the elderly); about half need VNeID or iHanoi (a telecom staff member); windows are
    the morning (08:00–11:30), the afternoon (13:30–17:00) or the whole day. Addresses are text
    (residential group or hamlet, street and house number), with no coordinates: the geographic
    layer places them. The same ``campaign``, ``day`` and ``seed`` give the same lists; ids are
    ``"<ward code>-<yyyymmdd>-<nnn>"``.
    """
    rng = random.Random(f"visits-{seed}-{day.isoformat()}")
    factory = _PeopleFactory(rng)
    wards = list(campaign.wards)
    if not wards or total <= 0:
        return ()
    areas = sorted(w.area_km2 for w in wards if w.area_km2)
    median_area_km2 = areas[len(areas) // 2] if areas else 5.0
    weights = [_visit_weight(w, median_area_km2) * rng.uniform(0.7, 1.3) for w in wards]
    groups = [group for group, _, _ in _VISIT_GROUPS]
    home_share = {group: share for group, _, share in _VISIT_GROUPS}
    requests: list[VisitRequest] = []
    for ward, count in zip(wards, _split(total, weights), strict=True):
        inner = ward.kind == "Phường"
        place = ward.name.split(" ", 1)[1] if " " in ward.name else ward.name
        if inner:
            residential = [f"Tổ dân phố số {n}" for n in range(1, rng.randint(12, 40) + 1)]
            streets = [place, *rng.sample(_STREETS, 3)]
        else:
            residential = [f"Thôn {name}" for name in rng.sample(_HAMLETS, rng.randint(6, 12))]
        for n in range(1, count + 1):
            group = rng.choices(groups, weights=[weight for _, weight, _ in _VISIT_GROUPS])[0]
            service = rng.choices([s for s, _ in _VISIT_SERVICES], weights=[w for _, w in _VISIT_SERVICES])[0]
            (start, end) = rng.choices([w for w, _ in _VISIT_WINDOWS], weights=[w for _, w in _VISIT_WINDOWS])[0]
            house = rng.randint(1, 120)
            if inner:
                street = rng.choice(streets)
                street_text = (
                    f"Số {house} ngõ {rng.randint(2, 300)} phố {street}"
                    if rng.random() < 0.7
                    else f"Số {house} phố {street}"
                )
            else:
                street_text = f"Số nhà {house}, xóm {rng.choice(_HAMLET_PARTS)}"
            requests.append(
                VisitRequest(
                    id=f"{ward.code}-{day:%Y%m%d}-{n:03d}",
                    ward_code=ward.code,
                    service_date=day,
                    name=factory.name(),
                    priority_group=group,
                    phone=factory.phone(),
                    group_name=rng.choice(residential),
                    street=street_text,
                    home_visit=rng.random() < home_share[group],
                    service=service,
                    procedure=rng.choice(_PROCEDURES) if service == "procedure" else "",
                    window_start_minute=start,
                    window_end_minute=end,
                    service_minutes=max(5, SERVICES[service][1] + rng.choice((-5, 0, 0, 0, 5, 10))),
                    note=rng.choice(_VISIT_NOTES) if rng.random() < 0.2 else "",
                )
            )
    logger.info("visit lists for %s, seed %d: %d requests in %d wards", day, seed, len(requests), len(wards))
    return tuple(requests)


SCENARIOS = {"hanoi": hanoi_scenario, "tiny": tiny_scenario}
