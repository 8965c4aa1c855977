"""A coordinator's summary of a campaign: what is asked and what is on offer.

Figures only, computed from the model; no solving. Demand counts person-shifts
the hard rules ask for; supply counts the person-hours people declared, capped
by their weekly limit, so a coordinator sees at a glance where the campaign is
tight before any roster exists.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from scheduler.model import Campaign, Pool, ShiftKind


@dataclass(frozen=True)
class CampaignSummary:
    name: str
    first_day: str
    last_day: str
    days: int
    wards_by_kind: dict[str, int]
    people_by_pool: dict[str, int]
    students_by_school: dict[str, int]
    telecom_by_company: dict[str, int]
    mobile_points: int
    mobile_points_in_xa: int
    mobile_point_staff: int
    support_slots: int  # person-shifts: min support staff × service shifts × days
    telecom_days: int  # person-days: min telecom staff × days
    oncall_shift_slots: int  # ward on-call shifts if no ward were pooled
    available_hours_by_pool: dict[str, int]  # declared and capped by weekly limits
    wards_without_resident_telecom: int


def _available_hours(campaign: Campaign, pool: Pool) -> int:
    """Upper bound of hours a pool can give: each person's free days × daily limit, capped weekly."""
    daily = campaign.rules.max_work_hours_per_day
    weeks = campaign.days / 7
    total = 0
    for person in campaign.people_in(pool):
        free_days = sum(1 for d in campaign.dates if d not in person.unavailable_dates)
        total += min(free_days * daily, round(campaign.weekly_cap_hours(person) * weeks))
    return total


def summarise(campaign: Campaign) -> CampaignSummary:
    """Figures of demand and supply for one campaign."""
    service_shifts = {s.id for s in campaign.shifts if s.kind is ShiftKind.SERVICE}
    oncall_shifts = [s for s in campaign.shifts if s.kind is ShiftKind.ONCALL]
    support = sum(d.min_support_staff * len(set(d.service_shift_ids) & service_shifts) for d in campaign.demands)
    telecom = sum(d.min_telecom_staff_per_day for d in campaign.demands)
    oncall = sum(len(oncall_shifts) for d in campaign.demands if d.oncall_24_7)
    telecom_homes = {p.home_ward_code for p in campaign.people_in(Pool.TELECOM)}
    kind_of = {w.code: w.kind for w in campaign.wards}
    return CampaignSummary(
        name=campaign.name,
        first_day=campaign.start_date.strftime("%d/%m/%Y"),
        last_day=campaign.end_date.strftime("%d/%m/%Y"),
        days=campaign.days,
        wards_by_kind=dict(sorted(Counter(w.kind for w in campaign.wards).items())),
        people_by_pool={pool.value: len(campaign.people_in(pool)) for pool in Pool},
        students_by_school=dict(sorted(Counter(p.organisation for p in campaign.people_in(Pool.STUDENT)).items())),
        telecom_by_company=dict(sorted(Counter(p.organisation for p in campaign.people_in(Pool.TELECOM)).items())),
        mobile_points=len(campaign.mobile_points),
        mobile_points_in_xa=sum(1 for m in campaign.mobile_points if kind_of.get(m.ward_code) == "Xã"),
        mobile_point_staff=sum(m.total_staff for m in campaign.mobile_points),
        support_slots=support * campaign.days,
        telecom_days=telecom * campaign.days,
        oncall_shift_slots=oncall * campaign.days,
        available_hours_by_pool={pool.value: _available_hours(campaign, pool) for pool in Pool},
        wards_without_resident_telecom=sum(1 for d in campaign.demands if d.ward_code not in telecom_homes),
    )


def format_summary(summary: CampaignSummary) -> str:
    """The summary as plain Vietnamese text for the terminal."""
    pools = summary.people_by_pool
    lines = [
        summary.name,
        f"  Thời gian: {summary.first_day} – {summary.last_day} ({summary.days} ngày)",
        "  Xã/phường: "
        + ", ".join(f"{n} {kind.lower()}" for kind, n in summary.wards_by_kind.items())
        + f" (tổng {sum(summary.wards_by_kind.values())})",
        f"  Nhân sự: {pools['student']} sinh viên, {pools['telecom']} nhân sự viễn thông, "
        f"{pools['technician']} kỹ thuật viên",
    ]
    for school, n in summary.students_by_school.items():
        lines.append(f"    {school}: {n}")
    lines.append("  Doanh nghiệp: " + ", ".join(f"{c} {n}" for c, n in summary.telecom_by_company.items()))
    lines += [
        f"  Điểm lưu động: {summary.mobile_points} ({summary.mobile_points_in_xa} tại xã), "
        f"cần {summary.mobile_point_staff} lượt người",
        f"  Nhu cầu: {summary.support_slots} lượt hỗ trợ theo ca, {summary.telecom_days} ngày-người viễn thông, "
        f"{summary.oncall_shift_slots} ca trực (nếu không ghép xã)",
        "  Giờ có thể huy động: "
        + ", ".join(f"{pool} {hours}" for pool, hours in summary.available_hours_by_pool.items()),
        f"  Xã/phường không có nhân sự viễn thông cư trú: {summary.wards_without_resident_telecom}",
    ]
    return "\n".join(lines)
