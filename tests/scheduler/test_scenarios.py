"""The Hanoi and tiny scenarios: real places, realistic holes, tight far communes."""

from collections import Counter
from datetime import date

import pytest

from scheduler.model import Pool, ShiftKind
from scheduler.scenarios import (
    SCHOOLS,
    TIGHT_COMMUNES,
    distance_km,
    hanoi_scenario,
    school_wards,
    tiny_scenario,
)
from scheduler.summary import format_summary, summarise


@pytest.fixture(scope="module")
def hanoi():
    return hanoi_scenario(seed=3)


def test_hanoi_has_the_126_real_wards(hanoi):
    kinds = Counter(w.kind for w in hanoi.wards)
    assert kinds == {"Phường": 51, "Xã": 75}
    assert len(hanoi.demands) == 126
    assert hanoi.start_date == date(2025, 7, 24) and hanoi.days == 45
    assert hanoi.end_date == date(2025, 9, 6)


def test_schools_sit_at_their_real_2025_wards():
    wards = school_wards()
    assert wards["Học viện Công nghệ Bưu chính Viễn thông"].name == "Phường Hà Đông"
    assert wards["Trường Cao đẳng Công nghệ cao Hà Nội"].name == "Phường Tây Mỗ"
    assert wards["Đại học Phenikaa"].name == "Phường Yên Nghĩa"
    assert wards["Đại học FPT"].kind == "Xã"
    assert all(w.province == "Thành phố Hà Nội" for w in wards.values())


def test_students_come_from_the_ten_schools(hanoi):
    students = hanoi.people_in(Pool.STUDENT)
    assert {p.organisation for p in students} == {s.name for s in SCHOOLS}
    assert 2400 <= len(students) <= 2600
    home = school_wards()
    near_school = sum(1 for p in students if p.home_ward_code == home[p.organisation].code)
    assert near_school > len(students) // 2


def test_telecom_staff_of_four_companies_live_across_the_city(hanoi):
    telecom = hanoi.people_in(Pool.TELECOM)
    assert {p.organisation for p in telecom} == {"VNPT", "Viettel", "MobiFone", "FPT Telecom"}
    assert len({p.home_ward_code for p in telecom}) > 80


def test_far_outer_communes_are_tight(hanoi):
    """Nobody lives in the tight communes and they get more mobile points than an average ward."""
    homes = {p.home_ward_code for p in hanoi.people}
    assert not homes & set(TIGHT_COMMUNES)
    per_ward = Counter(m.ward_code for m in hanoi.mobile_points)
    average = len(hanoi.mobile_points) / len(hanoi.wards)
    assert sum(per_ward[c] for c in TIGHT_COMMUNES) / len(TIGHT_COMMUNES) > average
    centre = next(w for w in hanoi.wards if w.name == "Phường Hoàn Kiếm")
    assert all(distance_km(centre, hanoi.ward(c)) > 45 for c in TIGHT_COMMUNES)


def test_mobile_points_lean_to_outer_communes(hanoi):
    kinds = Counter(hanoi.ward(m.ward_code).kind for m in hanoi.mobile_points)
    assert 380 <= len(hanoi.mobile_points) <= 420
    assert kinds["Xã"] / 75 > 2 * kinds["Phường"] / 51
    assert all(hanoi.contains_date(m.date) for m in hanoi.mobile_points)
    assert len({m.id for m in hanoi.mobile_points}) == len(hanoi.mobile_points)


def test_availability_has_holes(hanoi):
    students = hanoi.people_in(Pool.STUDENT)
    assert all(p.unavailable_dates for p in students)
    exam = date(2025, 8, 11)  # Bách khoa's exam days
    bk = [p for p in students if p.organisation == "Đại học Bách khoa Hà Nội"]
    assert sum(exam in p.unavailable_dates for p in bk) > len(bk) // 2
    sunday_off = [p for p in students if all(d in p.unavailable_dates for d in hanoi.dates if d.weekday() == 6)]
    assert 0.15 * len(students) < len(sunday_off) < 0.4 * len(students)


def test_people_are_unique(hanoi):
    assert len({p.id for p in hanoi.people}) == len(hanoi.people)
    assert len({p.phone for p in hanoi.people}) == len(hanoi.people)
    assert all(len(p.phone) == 10 and p.phone.startswith("0") for p in hanoi.people)


def test_same_seed_same_campaign_other_seed_other_people():
    assert hanoi_scenario(seed=5) == hanoi_scenario(seed=5)
    assert hanoi_scenario(seed=5).people != hanoi_scenario(seed=6).people


def test_tiny_scenario_is_checkable_by_hand():
    tiny = tiny_scenario()
    assert [w.name for w in tiny.wards] == ["Phường Định Công", "Phường Hoàng Liệt", "Xã Bất Bạt"]
    assert Counter(p.pool for p in tiny.people) == {Pool.STUDENT: 5, Pool.TELECOM: 3, Pool.TECHNICIAN: 4}
    assert tiny.days == 3
    assert len(tiny.mobile_points) == 1
    assert {s.kind for s in tiny.shifts} == {ShiftKind.SERVICE, ShiftKind.ONCALL}


def test_summary_counts_demand_and_supply():
    summary = summarise(tiny_scenario())
    assert summary.wards_by_kind == {"Phường": 2, "Xã": 1}
    assert summary.people_by_pool == {"student": 5, "telecom": 3, "technician": 4}
    assert summary.support_slots == 3 * 2 * 2 * 3  # wards × service shifts × 2 staff × days
    assert summary.telecom_days == 3 * 3
    assert summary.oncall_shift_slots == 3 * 3 * 3  # wards × on-call shifts (trưa, tối, đêm) × days
    assert summary.wards_without_resident_telecom == 1  # only Bất Bạt: telecom staff live in the two phường
    text = format_summary(summary)
    assert "24/07/2025 – 26/07/2025" in text


def test_available_hours_are_capped_by_the_week():
    summary = summarise(tiny_scenario())
    # SV0001 caps at 16 h a week: 3 free days × 8 h = 24 h is cut to round(16 × 3/7) = 7 h;
    # the four others cap at 20 h: round(20 × 3/7) = 9 h each (SV0002's 2 free days give 16 h, still above).
    assert summary.available_hours_by_pool["student"] == 7 + 4 * 9
