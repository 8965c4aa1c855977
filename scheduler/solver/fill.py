"""Fill the gaps the cluster solves left, with anyone in the city who is free.

Cluster models only see the people allocated to their cluster. After they are
solved, an unfilled slot may still have someone elsewhere who could take it
without breaking any people rule. This pass walks the gaps in date order and
adds the nearest such person, checking each addition against the same rules
the independent checker applies (docs/rules.md): availability, eligibility,
night work, one place at a time, daily and weekly hours, rest between days and
a day off each full week.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

from scheduler.model import Assignment, Campaign, Person, Pool, ShiftKind
from scheduler.timeline import interval, night_minutes, slot_minutes

logger = logging.getLogger(__name__)


@dataclass
class _Book:
    """One person's assignments as intervals by date."""

    spans: dict = field(default_factory=lambda: defaultdict(list))  # date -> [(start, end)]

    def minutes_on(self, day: date) -> int:
        return sum(end - start for start, end in self.spans.get(day, ()))


class GapFiller:
    def __init__(self, campaign: Campaign, assignments, travel: Callable[[str, str], int]):
        self.campaign = campaign
        self.travel = travel
        self.books: dict[str, _Book] = defaultdict(_Book)
        for a in assignments:
            self.books[a.person_id].spans[a.date].append(interval(campaign, a))
        self.added: list[Assignment] = []

    def _week_days(self, day: date) -> list[date]:
        week = self.campaign.week_index(day)
        first = self.campaign.start_date + timedelta(days=7 * week)
        return [first + timedelta(days=i) for i in range(7)]

    def fits(self, person: Person, assignment: Assignment) -> bool:
        """Whether adding the assignment keeps every people rule for this person."""
        campaign, rules = self.campaign, self.campaign.rules
        day = assignment.date
        if day in person.unavailable_dates:
            return False
        if (assignment.shift_id is not None and person.available_shift_ids
                and assignment.shift_id not in person.available_shift_ids):
            return False
        start_minute, end_minute = slot_minutes(campaign, assignment)
        if not person.night_eligible and night_minutes(campaign, start_minute, end_minute) > 0:
            return False
        book = self.books[person.id]
        start, end = interval(campaign, assignment)
        for other_day in (day - timedelta(days=1), day, day + timedelta(days=1)):
            for s, e in book.spans.get(other_day, ()):
                if s < end and start < e:
                    return False
        if book.minutes_on(day) + end - start > rules.max_work_hours_per_day * 60:
            return False
        weekly_cap = min(campaign.weekly_cap_hours(person), rules.max_work_hours_per_week) * 60
        week_days = self._week_days(day)
        if sum(book.minutes_on(d) for d in week_days) + end - start > weekly_cap:
            return False
        rest = rules.min_rest_between_shifts_hours * 60
        before = book.spans.get(day - timedelta(days=1), ())
        after = book.spans.get(day + timedelta(days=1), ())
        if before and start - max(e for _, e in before) < rest:
            return False
        if after and min(s for s, _ in after) - end < rest:
            return False
        if self.campaign.week_index(day) < self.campaign.days // 7:
            book.spans[day].append((start, end))
            try:
                return self._has_day_off(book, week_days)
            finally:
                book.spans[day].remove((start, end))
        return True

    def _has_day_off(self, book: _Book, week_days: list[date]) -> bool:
        weekly_rest = self.campaign.rules.min_weekly_rest_hours * 60
        for day in week_days:
            if book.spans.get(day):
                continue
            before = book.spans.get(day - timedelta(days=1), ())
            after = book.spans.get(day + timedelta(days=1), ())
            if not before or not after or min(s for s, _ in after) - max(e for _, e in before) >= weekly_rest:
                return True
        return False

    def add(self, assignment: Assignment) -> None:
        self.books[assignment.person_id].spans[assignment.date].append(interval(self.campaign, assignment))
        self.added.append(assignment)

    def try_fill(self, candidates, make: Callable[[Person], Assignment], ward: str, missing: int) -> int:
        """Add up to ``missing`` of the nearest candidates who fit; returns how many were added."""
        filled = 0
        for person in sorted(candidates, key=lambda p: (self.travel(p.home_ward_code, ward), p.id)):
            if filled >= missing:
                break
            assignment = make(person)
            if self.fits(person, assignment):
                self.add(assignment)
                filled += 1
        return filled


def fill_gaps(campaign: Campaign, assignments: list[Assignment], unfilled, travel) -> list[Assignment]:
    """Assignments that close gaps with people free anywhere; the input is not changed."""
    filler = GapFiller(campaign, assignments, travel)
    rules = campaign.rules
    technicians = campaign.people_in(Pool.TECHNICIAN)
    telecom = campaign.people_in(Pool.TELECOM)
    oncall_ids = {s.id for s in campaign.shifts if s.kind is ShiftKind.ONCALL}
    for slot in sorted(unfilled, key=lambda u: (u.date, u.ward_code, u.rule, u.shift_id or "")):
        ward, day = slot.ward_code, slot.date
        if slot.rule == "oncall_24_7" and slot.shift_id in oncall_ids:
            limit = campaign.demand(ward).night_response_limit_minutes
            near = [p for p in technicians if travel(p.home_ward_code, ward) <= limit]
            filler.try_fill(near, lambda p: Assignment(p.id, ward, day, shift_id=slot.shift_id,
                                                       covered_ward_codes=(ward,)), ward, 1)
        elif slot.rule == "oncall_24_7":
            filler.try_fill(technicians, lambda p: Assignment(p.id, ward, day, shift_id=slot.shift_id), ward, 1)
        elif slot.rule == "min_support_staff":
            filler.try_fill(campaign.people, lambda p: Assignment(p.id, ward, day, shift_id=slot.shift_id),
                            ward, slot.missing)
        elif slot.rule == "telecom_presence":
            for shift_id in campaign.demand(ward).service_shift_ids:
                if filler.try_fill(telecom, lambda p: Assignment(p.id, ward, day, shift_id=shift_id), ward, 1):
                    break
        elif slot.rule == "mobile_point_staffing":
            point = campaign.mobile_point(slot.mobile_point_id)
            for k, need in enumerate(point.staff_needed):
                have = sum(1 for a in assignments + filler.added
                           if a.mobile_point_id == point.id and a.need_index == k)
                if have >= need.count:
                    continue
                matching = [p for p in campaign.people
                            if (need.pool is None or p.pool is need.pool)
                            and (need.skill is None or need.skill in p.skills)
                            and travel(p.home_ward_code, ward) <= rules.mobile_point_travel_limit_minutes]
                filler.try_fill(matching, lambda p: Assignment(p.id, ward, day, mobile_point_id=point.id,
                                                               need_index=k), ward, need.count - have)
    logger.info("gap filling added %d assignments", len(filler.added))
    return filler.added
