"""The people's calendars: which people rules a candidate assignment would break.

This is the one place, besides the CP-SAT rules (:mod:`scheduler.solver.rules`) and the
independent checker (:mod:`scheduler.verify`), where a people rule of
:data:`scheduler.rules.RULES` is written. The greedy start, gap filling, the
explanations, the Youth Union's pin check and repair all ask it; a property test
per rule label proves it agrees with the checker.

Two layers:

- :class:`TimeBook` holds one person's intervals (absolute minutes, each on a day
  index) and answers the time rules — ``one_place_at_a_time``, ``max_daily_hours``,
  ``max_weekly_hours``, ``min_rest_between_shifts``, ``min_weekly_rest`` — with the
  exact definitions of docs/rules.md. It knows nothing of wards, so the engine's
  greedy start uses it on its workers and tasks.
- :class:`Calendar` keeps a book per person of a campaign and adds the rules about
  the person and the place: ``availability``, ``eligibility``, ``night_eligibility``,
  ``pinned`` and ``one_ward_per_student``.

Adding or removing an assignment, and asking about one, costs time in the number
of the person's assignments on the few days around it (the weekly rest looks at
most at the full weeks within the rest's reach).
"""

from __future__ import annotations

import bisect
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from scheduler import timeline
from scheduler.model import MINUTES_PER_DAY, Assignment, Campaign, Person, Pool, ShiftKind

TIME_RULES = (
    "one_place_at_a_time",
    "max_daily_hours",
    "max_weekly_hours",
    "min_rest_between_shifts",
    "min_weekly_rest",
)


@dataclass(frozen=True)
class TimeLimits:
    """The time rules' settings, in minutes, shared by every person of a campaign (or worker of a problem)."""

    daily_cap_minutes: int
    rest_minutes: int
    weekly_rest_minutes: int
    week_of_day: tuple[int, ...]  # the week of each day index of the horizon
    full_weeks: frozenset[int]  # the weeks that lie wholly in the horizon
    days_of_week: dict[int, tuple[int, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        days_of_week: dict[int, list[int]] = defaultdict(list)
        for day, week in enumerate(self.week_of_day):
            days_of_week[week].append(day)
        object.__setattr__(self, "days_of_week", {week: tuple(days) for week, days in days_of_week.items()})

    @property
    def days(self) -> int:
        return len(self.week_of_day)

    @classmethod
    def of(cls, campaign: Campaign) -> TimeLimits:
        rules = campaign.rules
        return cls(
            rules.max_work_hours_per_day * 60,
            rules.min_rest_between_shifts_hours * 60,
            rules.min_weekly_rest_hours * 60,
            tuple(campaign.week_index(d) for d in campaign.dates),
            frozenset(timeline.full_weeks(campaign)),
        )


@dataclass
class TimeBook:
    """One person's intervals by day index, with the sums the time rules need."""

    spans: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    day_minutes: Counter[int] = field(default_factory=Counter)
    week_minutes: Counter[int] = field(default_factory=Counter)  # by week index
    working_days: list[int] = field(default_factory=list)  # sorted day indexes with at least one interval

    def add(self, day: int, start: int, end: int, week: int) -> None:
        if not self.spans[day]:
            bisect.insort(self.working_days, day)
        self.spans[day].append((start, end))
        self.day_minutes[day] += end - start
        self.week_minutes[week] += end - start

    def remove(self, day: int, start: int, end: int, week: int) -> None:
        self.spans[day].remove((start, end))
        self.day_minutes[day] -= end - start
        self.week_minutes[week] -= end - start
        if not self.spans[day]:
            del self.spans[day]
            self.working_days.pop(bisect.bisect_left(self.working_days, day))

    # --- the time rules, for a candidate interval on ``day`` ---

    def breaks(
        self,
        day: int,
        start: int,
        end: int,
        limits: TimeLimits,
        weekly_cap_minutes: int,
        daily_cap_minutes: int | None = None,
        first: bool = False,
    ) -> list[str]:
        """The time rules the interval would break, in :data:`TIME_RULES` order.

        ``daily_cap_minutes`` (default: the limits') and ``weekly_cap_minutes`` are the person's own.
        With ``first``, stop after the first rule broken other than ``max_weekly_hours``.
        """
        daily_cap = limits.daily_cap_minutes if daily_cap_minutes is None else daily_cap_minutes
        checks = (
            ("one_place_at_a_time", lambda: self.overlaps(day, start, end)),
            ("max_daily_hours", lambda: self.day_minutes[day] + end - start > daily_cap),
            ("max_weekly_hours", lambda: self.week_minutes[limits.week_of_day[day]] + end - start > weekly_cap_minutes),
            ("min_rest_between_shifts", lambda: self.breaks_rest(day, start, end, limits.rest_minutes)),
            ("min_weekly_rest", lambda: self.breaks_weekly_rest(day, start, end, limits)),
        )
        broken = []
        for label, broke in checks:
            if broke():
                broken.append(label)
                if first and label != "max_weekly_hours":
                    break
        return broken

    def fits(
        self, day: int, start: int, end: int, limits: TimeLimits, weekly_cap_minutes: int, daily_cap_minutes: int
    ) -> bool:
        """Whether the interval breaks no time rule (:meth:`breaks` is empty), stopping at the first one."""
        minutes = end - start
        return (
            self.day_minutes[day] + minutes <= daily_cap_minutes
            and self.week_minutes[limits.week_of_day[day]] + minutes <= weekly_cap_minutes
            and not self.overlaps(day, start, end)
            and not self.breaks_rest(day, start, end, limits.rest_minutes)
            and not self.breaks_weekly_rest(day, start, end, limits)
        )

    def overlaps(self, day: int, start: int, end: int) -> bool:
        """Whether the interval meets one of the person's (intervals last at most a day: days d-1 .. d+1)."""
        return any(s < end and start < e for other in (day - 1, day, day + 1) for s, e in self.spans.get(other, ()))

    def _first_start(self, day: int) -> int | None:
        spans = self.spans.get(day)
        return min(s for s, _ in spans) if spans else None

    def _last_end(self, day: int) -> int | None:
        spans = self.spans.get(day)
        return max(e for _, e in spans) if spans else None

    def breaks_rest(self, day: int, start: int, end: int, rest_minutes: int) -> bool:
        """Whether the rest between ``day`` and a working day next to it would fall short."""
        own_first, own_last = self._first_start(day), self._last_end(day)
        first = start if own_first is None else min(start, own_first)
        last = end if own_last is None else max(end, own_last)
        before, after = self._last_end(day - 1), self._first_start(day + 1)
        return (before is not None and first - before < rest_minutes) or (
            after is not None and after - last < rest_minutes
        )

    def breaks_weekly_rest(self, day: int, start: int, end: int, limits: TimeLimits) -> bool:
        """Whether a full week that had its day off would lose it with this interval added.

        An interval changes the rest around days at most ``reach`` days from its own
        (intervals last at most a day), so only the full weeks of those days are looked at.
        """
        reach = math.ceil(limits.weekly_rest_minutes / MINUTES_PER_DAY) + 2
        near = range(max(0, day - reach), min(limits.days, day + reach + 1))
        weeks = sorted({limits.week_of_day[d] for d in near} & limits.full_weeks)
        if not weeks:
            return False
        losing = [w for w in weeks if not self.has_weekly_rest(w, limits, (day, start, end))]
        return any(self.has_weekly_rest(w, limits) for w in losing)

    def has_weekly_rest(self, week: int, limits: TimeLimits, extra: tuple[int, int, int] | None = None) -> bool:
        """Whether the week has a day with no start and the weekly rest from the latest end before it
        (or the horizon's start) to the earliest start after it (or the horizon's end).

        ``extra`` is an interval ``(day, start, end)`` counted as if it were in the book.
        """
        horizon_end = limits.days * MINUTES_PER_DAY
        for off in limits.days_of_week.get(week, ()):
            if off in self.spans or (extra is not None and off == extra[0]):
                continue
            before = self._latest_end_before(off)
            index = bisect.bisect_right(self.working_days, off)
            next_start = self._first_start(self.working_days[index]) if index < len(self.working_days) else None
            after = horizon_end if next_start is None else next_start
            if extra is not None:
                if extra[0] < off:
                    before = max(before, extra[2])
                else:
                    after = min(after, extra[1])
            if after - before >= limits.weekly_rest_minutes:
                return True
        return False

    def _latest_end_before(self, off: int) -> int:
        """The latest end of the intervals starting before day ``off``.

        Intervals start on their day and last at most a day, so any interval of the last
        working day j ends after every interval of a day before j - 1: j and j - 1 decide.
        """
        index = bisect.bisect_left(self.working_days, off)
        if index == 0:
            return 0  # the horizon's start
        last = self.working_days[index - 1]
        ends = [self._last_end(last)]
        if last - 1 in self.spans:
            ends.append(self._last_end(last - 1))
        return max(e for e in ends if e is not None)


def weekly_limit_minutes(campaign: Campaign, person: Person) -> int:
    """A person's weekly limit: their cap (own, student default or legal), never above the legal one."""
    return min(campaign.weekly_cap_hours(person), campaign.rules.max_work_hours_per_week) * 60


def need_matches(need, person: Person) -> bool:
    """Whether a person fills a staff need: the pool and the skill, when the need names them."""
    return (need.pool is None or person.pool is need.pool) and (need.skill is None or need.skill in person.skills)


class Calendar:
    """Every person's assignments in a campaign, asked rule by rule.

    Parameters
    ----------
    campaign
        The campaign; its pins are the assignments ``pinned`` protects.
    assignments
        The roster to start from (assignments the checker would call invalid must not be given).
    travel
        ``(code_a, code_b) -> minutes``, for the mobile points' travel limit.
    """

    def __init__(
        self,
        campaign: Campaign,
        assignments: Iterable[Assignment] = (),
        travel: Callable[[str, str], int] | None = None,
    ):
        self.campaign = campaign
        self.travel = travel
        self.limits = TimeLimits.of(campaign)
        self.books: dict[str, TimeBook] = defaultdict(TimeBook)
        self.service_wards: dict[str, Counter] = defaultdict(Counter)  # student -> ward -> service assignments
        self.wards: dict[str, Counter] = defaultdict(Counter)  # person -> ward -> assignments
        self.pin_keys = Counter(_pin_key(pin) for pin in campaign.pins)
        self._weekly_limits: dict[str, int] = {}
        self._kinds = {shift.id: shift.kind for shift in campaign.shifts}
        self._spans: dict[tuple, tuple[int, int, int]] = {}  # (date, shift, point) -> (day, start, end)
        self._nights: dict[tuple, bool] = {}
        for assignment in assignments:
            self.add(assignment)

    # --- changes ---

    def add(self, assignment: Assignment) -> None:
        day, start, end = self._span(assignment)
        self.books[assignment.person_id].add(day, start, end, self.limits.week_of_day[day])
        self.wards[assignment.person_id][assignment.ward_code] += 1
        if self._counts_for_one_ward(assignment):
            self.service_wards[assignment.person_id][assignment.ward_code] += 1

    def remove(self, assignment: Assignment) -> None:
        day, start, end = self._span(assignment)
        self.books[assignment.person_id].remove(day, start, end, self.limits.week_of_day[day])
        worked = self.wards[assignment.person_id]
        worked[assignment.ward_code] -= 1
        if not worked[assignment.ward_code]:
            del worked[assignment.ward_code]
        if self._counts_for_one_ward(assignment):
            wards = self.service_wards[assignment.person_id]
            wards[assignment.ward_code] -= 1
            if not wards[assignment.ward_code]:
                del wards[assignment.ward_code]

    # --- questions ---

    def breaks(self, assignment: Assignment, first: bool = False, check_travel: bool = True) -> list[str]:
        """The labels of the people rules adding ``assignment`` would break, in the registry's order.

        With ``first``, stop after the first label other than ``max_weekly_hours`` (the explanations
        want to know whether a weekly cap is all that stands in the way). Without ``check_travel``,
        a mobile point's travel limit is left out of ``eligibility``.
        """
        campaign = self.campaign
        person = campaign.person(assignment.person_id)
        broken = []
        if not self.available(person, assignment):
            broken.append("availability")
        if not self.eligible(person, assignment, check_travel):
            broken.append("eligibility")
        if not self.night_allowed(person, assignment):
            broken.append("night_eligibility")
        if first and broken:
            return broken[:1]
        day, start, end = self._span(assignment)
        book = self.books.get(person.id) or TimeBook()
        broken += book.breaks(day, start, end, self.limits, self.weekly_limit(person), first=first)
        if first and broken and broken[-1] != "max_weekly_hours":
            return broken
        if self.breaks_one_ward(person, assignment):
            broken.append("one_ward_per_student")
        return broken

    def fits(self, assignment: Assignment) -> bool:
        """Whether ``assignment`` breaks no people rule (:meth:`breaks` is empty), stopping at the first one."""
        person = self.campaign.person(assignment.person_id)
        if not self.available(person, assignment) or not self.eligible(person, assignment):
            return False
        if not self.night_allowed(person, assignment):
            return False
        if self.breaks_one_ward(person, assignment):
            return False
        book = self.books.get(person.id)
        if book is None:
            book = TimeBook()
        day, start, end = self._span(assignment)
        return book.fits(day, start, end, self.limits, self.weekly_limit(person), self.limits.daily_cap_minutes)

    def removal_breaks(self, assignment: Assignment) -> list[str]:
        """The labels of the people rules taking ``assignment`` away would break (a pin must stay)."""
        return ["pinned"] if _pin_key(assignment) in self.pin_keys else []

    def available(self, person: Person, assignment: Assignment) -> bool:
        """``availability``: not on an unavailable date or slot; a shift among the declared ones when there are some."""
        if assignment.date in person.unavailable_dates:
            return False
        if (assignment.date, assignment.shift_id or assignment.mobile_point_id) in person.unavailable_slots:
            return False
        return (
            assignment.shift_id is None
            or not person.available_shift_ids
            or assignment.shift_id in person.available_shift_ids
        )

    def eligible(self, person: Person, assignment: Assignment, check_travel: bool = True) -> bool:
        """``eligibility``: on call only technicians covering their own post; a mobile point's need and travel."""
        if assignment.shift_id is not None:
            if self._kinds[assignment.shift_id] is not ShiftKind.ONCALL:
                return True
            return person.pool is Pool.TECHNICIAN and assignment.ward_code in assignment.covered_ward_codes
        assert assignment.mobile_point_id is not None and assignment.need_index is not None  # not a shift: a point
        point = self.campaign.mobile_point(assignment.mobile_point_id)
        if not need_matches(point.staff_needed[assignment.need_index], person):
            return False
        if not check_travel:
            return True
        travel = self.travel or _default_travel()
        return travel(person.home_ward_code, point.ward_code) <= self.campaign.rules.mobile_point_travel_limit_minutes

    def night_allowed(self, person: Person, assignment: Assignment) -> bool:
        """``night_eligibility``: night minutes only for night-eligible people."""
        return person.night_eligible or not self._is_night(assignment)

    def breaks_one_ward(self, person: Person, assignment: Assignment) -> bool:
        """``one_ward_per_student``: a student's service shifts are all in one ward."""
        if not self._counts_for_one_ward(assignment, person):
            return False
        wards = self.service_wards.get(person.id)
        return wards is not None and any(code != assignment.ward_code for code in wards)

    def weekly_limit(self, person: Person) -> int:
        limit = self._weekly_limits.get(person.id)
        if limit is None:
            limit = self._weekly_limits[person.id] = weekly_limit_minutes(self.campaign, person)
        return limit

    def week_minutes(self, person_id: str, day_index: int) -> int:
        """Minutes the person already works in the week of a day index."""
        book = self.books.get(person_id)
        return book.week_minutes[self.limits.week_of_day[day_index]] if book else 0

    # --- helpers ---

    def _span(self, assignment: Assignment) -> tuple[int, int, int]:
        key = (assignment.date, assignment.shift_id, assignment.mobile_point_id)
        span = self._spans.get(key)
        if span is None:
            start, end = timeline.interval(self.campaign, assignment)
            span = self._spans[key] = ((assignment.date - self.campaign.start_date).days, start, end)
        return span

    def _is_night(self, assignment: Assignment) -> bool:
        key = (assignment.shift_id, assignment.mobile_point_id)
        night = self._nights.get(key)
        if night is None:
            night = self._nights[key] = timeline.is_night(self.campaign, assignment)
        return night

    def _counts_for_one_ward(self, assignment: Assignment, person: Person | None = None) -> bool:
        if assignment.shift_id is None or self._kinds[assignment.shift_id] is not ShiftKind.SERVICE:
            return False
        person = person or self.campaign.person(assignment.person_id)
        return person.pool is Pool.STUDENT


def _pin_key(assignment: Assignment) -> tuple:
    return (
        assignment.person_id,
        assignment.ward_code,
        assignment.date,
        assignment.shift_id,
        assignment.mobile_point_id,
        assignment.need_index,
    )


def _default_travel() -> Callable[[str, str], int]:
    from geo.travel import travel_minutes

    return travel_minutes
