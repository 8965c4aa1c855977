"""The fast path for one empty seat: who could take it, best first, in milliseconds.

The calendar (:class:`scheduler.calendar.Calendar`) says who may take the seat without
breaking a people rule; among them, the order is a plain score a coordinator can
read: travel minutes from home, plus the hours already worked that week (load), less a
bonus for someone already working in that ward (continuity). The coordinator picks one;
the optimiser's repair (:func:`scheduler.pipeline.repair`) is the fallback when nobody
fits or several seats interact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from scheduler.calendar import Calendar
from scheduler.clock import is_history
from scheduler.model import Assignment, Campaign, Pool, ShiftKind, Unfilled

LOAD_MINUTES_PER_HOUR = 1.0  # score: one travel minute per hour already worked that week
CONTINUITY_BONUS_MINUTES = 20  # score: someone already working in the ward counts as 20 minutes nearer


@dataclass(frozen=True)
class Candidate:
    """Someone who may take the seat, with why they rank where they do."""

    person_id: str
    name: str
    pool: Pool
    travel_minutes: int
    week_minutes: int
    same_ward: bool
    score: float  # lower is better
    reason_vi: str


def _reason(ward_name: str, travel_minutes: int, week_minutes: int, same_ward: bool) -> str:
    parts = [f"cách {travel_minutes} phút", f"đã làm {week_minutes / 60:g} giờ tuần này"]
    if same_ward:
        parts.append(f"đang làm ở {ward_name}")
    return ", ".join(parts)


def candidates(
    campaign: Campaign,
    assignments,
    slot: Assignment,
    now: datetime,
    travel: Callable[[str, str], int],
    limit: int = 10,
    pool: Pool | None = None,
    calendar: Calendar | None = None,
) -> list[Candidate]:
    """Up to ``limit`` people who may take ``slot`` (an assignment whose ``person_id`` is ""), best first.

    ``pool`` narrows the seat to one pool (a telecom or technician seat). ``calendar`` is the
    roster's calendar when the caller keeps one (building it is the slow part); otherwise it is
    built from ``assignments``. Someone already on the seat is left out by the calendar itself
    (one place at a time). A slot that has started by ``now`` has no candidates.
    """
    if is_history(campaign, slot, now):
        return []
    calendar = calendar or Calendar(campaign, assignments, travel)
    ward = campaign.ward(slot.ward_code)
    day_index = (slot.date - campaign.start_date).days
    found = []
    for person in campaign.people:
        if pool is not None and person.pool is not pool:
            continue
        trial = replace(slot, person_id=person.id)
        if not calendar.fits(trial):
            continue
        minutes = travel(person.home_ward_code, slot.ward_code)
        week = calendar.week_minutes(person.id, day_index)
        same = slot.ward_code in calendar.wards.get(person.id, ())
        score = minutes + LOAD_MINUTES_PER_HOUR * week / 60 - (CONTINUITY_BONUS_MINUTES if same else 0)
        found.append(
            Candidate(
                person.id, person.name, person.pool, minutes, week, same, score, _reason(ward.name, minutes, week, same)
            )
        )
    found.sort(key=lambda c: (c.score, c.person_id))
    return found[:limit]


def seat_of(campaign: Campaign, gap: Unfilled) -> tuple[Assignment, Pool | None]:
    """The seat a gap asks for (an assignment without a person) and the pool it needs, if one.

    A missing telecom person is asked on the ward's first service shift; a missing technician of a
    service shift on that shift; a missing on-call technician at the ward itself.
    """
    from scheduler.verify import need_label

    if gap.rule == "mobile_point_staffing" and gap.mobile_point_id is not None:
        point = campaign.mobile_point(gap.mobile_point_id)
        index = next((k for k, need in enumerate(point.staff_needed) if need_label(need) == gap.need), 0)
        need = point.staff_needed[index]
        seat = Assignment("", point.ward_code, point.date, mobile_point_id=point.id, need_index=index)
        return seat, need.pool
    if gap.rule == "telecom_presence" or gap.shift_id is None:
        shift_id = campaign.demand(gap.ward_code).service_shift_ids[0]
        return Assignment("", gap.ward_code, gap.date, shift_id=shift_id), Pool.TELECOM
    if gap.rule == "oncall_24_7":
        if campaign.shift(gap.shift_id).kind is ShiftKind.ONCALL:
            seat = Assignment("", gap.ward_code, gap.date, shift_id=gap.shift_id, covered_ward_codes=(gap.ward_code,))
            return seat, Pool.TECHNICIAN
        return Assignment("", gap.ward_code, gap.date, shift_id=gap.shift_id), Pool.TECHNICIAN
    return Assignment("", gap.ward_code, gap.date, shift_id=gap.shift_id), None
