"""Why a slot stayed unfilled, in the coordinator's words, and the smallest change that would fill it.

Everything comes from the checker's view of the roster (:mod:`scheduler.verify`),
never from the solver. For an :class:`~scheduler.model.Unfilled` slot we list the
candidates — people of the right pool or skill who live within the relevant travel
limit of the ward (the mobile-point limit for service shifts, telecom presence and
mobile points; the ward's night response limit for on-call shifts) — and classify
why each is not there, given the rest of their roster, as the people's calendar
(:mod:`scheduler.calendar`) says (the first reason in this
order; ``weekly_cap`` is followed by the next one, if any, to tell whether raising
the cap alone would do):

========================  ===============================================================
reason                    the candidate …
========================  ===============================================================
``unavailable``           declared the day (or the shift) unavailable
``night``                 is not allowed to work at night and the slot has night minutes
``busy``                  is already somewhere else at that time
``daily``                 would pass the daily hours
``weekly_hours``          would pass the legal weekly hours
``weekly_cap``            would pass their own (school, Youth Union) weekly cap, not the legal hours
``rest``                  would not have the 12 h rest between two working days
``weekly_rest``           would lose the 24 h weekly rest
``other_ward``            is a student who already supports another ward
``no_shift``              (telecom presence) the ward has no service shift to place them in
``free``                  nothing stops them: the roster simply did not use them
========================  ===============================================================

The reasons are gathered into one sentence ("3 người trong bán kính 60 phút đều đã
đủ 48 giờ tuần này") and a suggestion is drawn from the most fixable one: a free
candidate ("xếp …"), an on-call post nearby ("giao thêm …"), a weekly cap to raise
("cho phép … trực thêm 4 giờ tuần 3"), a night response limit to widen, and otherwise
more people ("thêm 1 nhân sự viễn thông sống trong bán kính 60 phút").
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from operator import itemgetter
from typing import NamedTuple

from scheduler.calendar import Calendar, need_matches
from scheduler.cells import format_time
from scheduler.model import Assignment, Campaign, Person, Pool, Roster, ShiftKind, Unfilled
from scheduler.verify import POOL_ABBREVIATIONS, Travel, need_label, resolve_travel, valid_assignments, ward_name

logger = logging.getLogger(__name__)

REASONS = (
    "unavailable",
    "night",
    "busy",
    "daily",
    "weekly_hours",
    "weekly_cap",
    "rest",
    "weekly_rest",
    "other_ward",
    "no_shift",
)


@dataclass(frozen=True)
class Explanation:
    """An unfilled slot explained.

    Attributes
    ----------
    unfilled : Unfilled
        The slot.
    text_vi : str
        What is missing and why, in one sentence.
    suggestion_vi : str
        The smallest change that would fill it.
    fix : Fix or None
        That change as data, when the software can make it alone (place a free person,
        widen a post's duty); None when it needs the coordinator (more people, a limit).
    """

    unfilled: Unfilled
    text_vi: str
    suggestion_vi: str
    fix: Fix | None = None


@dataclass(frozen=True)
class Fix:
    """A change to the roster: ``add`` in place of ``replace`` (None: a pure addition)."""

    add: Assignment
    replace: Assignment | None = None


class _Slot(NamedTuple):
    """A place and stretch of time a candidate would have to take."""

    date: date
    day: int  # days since the campaign's first day
    minutes: int
    ward_code: str
    shift_id: str | None
    mobile_point_id: str | None = None
    need_index: int | None = None
    covered: tuple[str, ...] = ()

    def assignment(self, person_id: str) -> Assignment:
        return Assignment(
            person_id, self.ward_code, self.date, self.shift_id, self.mobile_point_id, self.need_index, self.covered
        )


# The calendar's labels, as the reasons a candidate is not there.
_REASON_OF_LABEL = {
    "availability": "unavailable",
    "night_eligibility": "night",
    "one_place_at_a_time": "busy",
    "max_daily_hours": "daily",
    "min_rest_between_shifts": "rest",
    "min_weekly_rest": "weekly_rest",
    "one_ward_per_student": "other_ward",
}


class _Explainer:
    """The roster's data indexed once, so each gap is explained quickly."""

    def __init__(self, campaign: Campaign, assignments: Iterable[Assignment], travel: Travel):
        self.campaign = campaign
        self.rules = campaign.rules
        self.travel = travel
        self.assignments = valid_assignments(campaign, assignments)
        self.on_shift: dict[tuple, set[str]] = defaultdict(set)  # (ward, date, shift) -> people
        self.in_ward: dict[tuple, set[str]] = defaultdict(set)  # (ward, date) -> people at a shift or point
        self.on_need: dict[tuple, set[str]] = defaultdict(set)  # (point, need index) -> people
        self.posts: dict[tuple, list[Assignment]] = defaultdict(list)  # (date, on-call shift) -> assignments
        for a in self.assignments:
            self.in_ward[(a.ward_code, a.date)].add(a.person_id)
            if a.shift_id is not None:
                self.on_shift[(a.ward_code, a.date, a.shift_id)].add(a.person_id)
                if campaign.shift(a.shift_id).kind is ShiftKind.ONCALL:
                    self.posts[(a.date, a.shift_id)].append(a)
            else:
                self.on_need[(a.mobile_point_id, a.need_index)].add(a.person_id)
        self.calendar = Calendar(campaign, self.assignments, travel)
        self.homes: dict[str, list[Person]] = defaultdict(list)
        for person in campaign.people:
            self.homes[person.home_ward_code].append(person)
        self.nearby_cache: dict[str, list[tuple[int, str, Person]]] = {}
        self.blocker_cache: dict[tuple, tuple[str, ...]] = {}

    # --- candidates and why they are not there ---

    def nearby(self, ward_code: str) -> list[tuple[int, str, Person]]:
        """Every person with their travel minutes to the ward, nearest first."""
        if ward_code not in self.nearby_cache:
            minutes = {home: self.travel(home, ward_code) for home in self.homes}
            self.nearby_cache[ward_code] = sorted(
                ((minutes[home], p.id, p) for home, people in self.homes.items() for p in people), key=itemgetter(0, 1)
            )
        return self.nearby_cache[ward_code]

    def shift_slot(self, day: date, shift_id: str, ward_code: str) -> _Slot:
        """A service shift at the ward, or an on-call shift posted there and covering it."""
        shift = self.campaign.shift(shift_id)
        covered = (ward_code,) if shift.kind is ShiftKind.ONCALL else ()
        return _Slot(
            day, (day - self.campaign.start_date).days, shift.duration_minutes, ward_code, shift_id, covered=covered
        )

    def point_slot(self, point, need_index: int) -> _Slot:
        return _Slot(
            point.date,
            (point.date - self.campaign.start_date).days,
            point.end_minute - point.start_minute,
            point.ward_code,
            None,
            point.id,
            need_index,
        )

    def blockers(self, person: Person, slot: _Slot) -> tuple[str, ...]:
        """Why ``person`` cannot take ``slot`` on top of their roster (empty: free), from the calendar.

        The first reason in :data:`REASONS` order, and the following ones only when
        the first is ``weekly_cap`` (to tell whether raising the cap alone would do).
        """
        key = (person.id, slot)
        reasons = self.blocker_cache.get(key)
        if reasons is None:
            reasons = self.blocker_cache[key] = self._blockers(person, slot)
        return reasons

    def _blockers(self, person: Person, slot: _Slot) -> tuple[str, ...]:
        # Candidates are chosen by their pool or need; the travel limit is the explanation's radius
        # (a person beyond it is named as "the nearest free one"), so eligibility is not a reason here.
        labels = self.calendar.breaks(slot.assignment(person.id), first=True, check_travel=False)
        if not labels:
            return ()
        reasons = []
        for label in labels:
            if label == "max_weekly_hours":
                week_total = self.calendar.week_minutes(person.id, slot.day) + slot.minutes
                if week_total > self.rules.max_work_hours_per_week * 60:
                    reasons.append("weekly_hours")
                else:
                    reasons.append("weekly_cap")
            else:
                reasons.append(_REASON_OF_LABEL[label])
        if reasons[0] == "weekly_cap":
            return tuple(reasons)
        return (reasons[0],)

    # --- one gap ---

    def explain(self, slot: Unfilled) -> Explanation:
        if slot.rule == "mobile_point_staffing":
            return self.mobile_point(slot)
        if slot.rule == "telecom_presence":
            return self.telecom(slot)
        if (
            slot.rule == "oncall_24_7"
            and slot.shift_id is not None
            and self.campaign.shift(slot.shift_id).kind is ShiftKind.ONCALL
        ):
            return self.oncall(slot)
        if slot.rule in ("min_support_staff", "oncall_24_7"):
            return self.service(slot)
        return Explanation(
            slot, f"{self.head(slot)}: quy tắc '{slot.rule}' chưa có lời giải thích", "kiểm tra lại quy tắc này"
        )

    def head(self, slot: Unfilled, what: str | None = None) -> str:
        day = f"{slot.date.day:02d}/{slot.date.month:02d}"
        where = f"{ward_name(self.campaign, slot.ward_code)}, {day}"
        if what:
            where += f", {what}"
        elif slot.shift_id is not None:
            where += f", {_lower_first(self.campaign.shift(slot.shift_id).name)}"
        return where

    def classify(self, ward_code: str, slots: list[_Slot], limit: int, wanted, exclude: set[str]):
        """Candidates within ``limit`` minutes: (minutes, person, reasons, slot), the slot with the fewest reasons."""
        found: list[tuple[int, Person, tuple[str, ...], _Slot | None]] = []
        for minutes, person_id, person in self.nearby(ward_code):
            if minutes > limit:
                break
            if person_id in exclude or not wanted(person):
                continue
            if len(slots) == 1:
                found.append((minutes, person, self.blockers(person, slots[0]), slots[0]))
            elif not slots:
                found.append((minutes, person, ("no_shift",), None))
            else:
                reasons, fitted = min(((self.blockers(person, s), s) for s in slots), key=lambda pair: len(pair[0]))
                found.append((minutes, person, reasons, fitted))
        return found

    def nearest_free_beyond(self, ward_code: str, slots: list[_Slot], limit: int, wanted) -> tuple | None:
        """The nearest person beyond ``limit`` who is free for one of ``slots``: (minutes, person)."""
        for minutes, _, person in self.nearby(ward_code):
            if minutes <= limit or not wanted(person):
                continue
            if any(not self.blockers(person, s) for s in slots):
                return minutes, person
        return None

    def sentence(self, slot: Unfilled, head: str, need_vi: str, candidates, limit: int, far) -> str:
        text = f"{head}: thiếu {slot.missing} {need_vi}"
        if not candidates:
            text += f" — không có {need_vi} nào sống trong bán kính {limit} phút"
            if far is not None:
                text += f"; người gần nhất còn trống, {_label(far[1])}, cách {far[0]} phút"
            return text
        groups = Counter(reasons[0] if reasons else "free" for _, _, reasons, _ in candidates)
        if len(groups) == 1:
            ((reason, count),) = groups.items()
            if count == 1:
                return (
                    f"{text} — người duy nhất trong bán kính {limit} phút, {_label(candidates[0][1])}, "
                    f"{self.phrase(reason)}"
                )
            return f"{text} — {count} người trong bán kính {limit} phút đều {self.phrase(reason)}"
        order = {reason: index for index, reason in enumerate(("free",) + REASONS)}
        parts = [
            f"{count} người {self.phrase(reason)}"
            for reason, count in sorted(groups.items(), key=lambda item: (-item[1], order[item[0]]))
        ]
        return f"{text} — {len(candidates)} người trong bán kính {limit} phút: {', '.join(parts)}"

    def phrase(self, reason: str) -> str:
        rules = self.rules
        return {
            "free": "còn trống nhưng chưa được xếp",
            "unavailable": "đã đăng ký bận ngày hoặc ca này",
            "night": "không được làm ban đêm",
            "busy": "đang làm ở nơi khác cùng giờ",
            "daily": f"đã đủ {rules.max_work_hours_per_day} giờ trong ngày",
            "weekly_cap": "đã đủ mức trần giờ của mình tuần này",
            "weekly_hours": f"đã đủ {rules.max_work_hours_per_week} giờ tuần này",
            "rest": f"chưa đủ {rules.min_rest_between_shifts_hours} giờ nghỉ giữa hai ngày làm việc",
            "weekly_rest": f"sẽ mất {rules.min_weekly_rest_hours} giờ nghỉ liên tục trong tuần",
            "other_ward": "là sinh viên đã hỗ trợ ở xã/phường khác",
            "no_shift": "không có ca phục vụ nào của xã/phường để xếp vào",
        }[reason]

    def place_free(self, candidates, where_vi: str) -> tuple[str, Fix] | None:
        """Place the nearest free candidate, when there is one: the words and the fix."""
        for minutes, person, reasons, fitted in candidates:
            if not reasons:
                return (
                    f"xếp {person.name} ({POOL_ABBREVIATIONS[person.pool]}, cách {minutes} phút) vào {where_vi}",
                    Fix(fitted.assignment(person.id)),
                )
        return None

    def raise_cap(self, candidates) -> str | None:
        """Raise the weekly cap of the candidate held back by it alone who needs the fewest extra hours."""
        capped = []
        for minutes, person, reasons, fitted in candidates:
            if reasons == ("weekly_cap",):
                week = self.calendar.limits.week_of_day[fitted.day]
                extra = (
                    self.calendar.week_minutes(person.id, fitted.day)
                    + fitted.minutes
                    - self.calendar.weekly_limit(person)
                )
                capped.append((math.ceil(extra / 60), minutes, person.id, person, week))
        if not capped:
            return None
        hours, _, _, person, week = min(capped, key=lambda item: item[:3])
        return f"cho phép {person.name} ({person.id}) trực thêm {hours} giờ tuần {week + 1}"

    def add_people(self, slot: Unfilled, need_vi: str, limit: int) -> str:
        return f"thêm {slot.missing} {need_vi} sống trong bán kính {limit} phút"

    # --- the rules ---

    def service(self, slot: Unfilled) -> Explanation:
        assert slot.shift_id is not None  # support staff and on-site technicians are asked per shift
        limit = self.rules.mobile_point_travel_limit_minutes
        if slot.rule == "oncall_24_7":
            need_vi, wanted = Pool.TECHNICIAN.label_vi, _pool(Pool.TECHNICIAN)
        else:
            need_vi, wanted = "nhân sự hỗ trợ", _anyone
        slots = [self.shift_slot(slot.date, slot.shift_id, slot.ward_code)]
        exclude = self.on_shift.get((slot.ward_code, slot.date, slot.shift_id), set())
        return self.finish(
            slot,
            self.head(slot),
            need_vi,
            slots,
            limit,
            wanted,
            exclude,
            f"{_lower_first(self.campaign.shift(slot.shift_id).name)} {_day(slot.date)} tại "
            f"{ward_name(self.campaign, slot.ward_code)}",
        )

    def telecom(self, slot: Unfilled) -> Explanation:
        limit = self.rules.mobile_point_travel_limit_minutes
        demand = next((d for d in self.campaign.demands if d.ward_code == slot.ward_code), None)
        shift_ids = demand.service_shift_ids if demand else ()
        slots = [self.shift_slot(slot.date, shift_id, slot.ward_code) for shift_id in shift_ids]
        exclude = self.in_ward.get((slot.ward_code, slot.date), set())
        where_vi = f"một ca phục vụ ngày {_day(slot.date)} tại {ward_name(self.campaign, slot.ward_code)}"
        return self.finish(
            slot,
            self.head(slot, "cả ngày"),
            Pool.TELECOM.label_vi,
            slots,
            limit,
            _pool(Pool.TELECOM),
            exclude,
            where_vi,
        )

    def mobile_point(self, slot: Unfilled) -> Explanation:
        assert slot.mobile_point_id is not None
        point = self.campaign.mobile_point(slot.mobile_point_id)
        index = next((i for i, need in enumerate(point.staff_needed) if need_label(need) == slot.need), 0)
        need = point.staff_needed[index]
        limit = self.rules.mobile_point_travel_limit_minutes
        what = (
            f"điểm lưu động {point.id} ({point.place}, {format_time(point.start_minute)}–"
            f"{format_time(point.end_minute)})"
        )
        return self.finish(
            slot,
            self.head(slot, what),
            _need_vi(need),
            [self.point_slot(point, index)],
            limit,
            lambda person: need_matches(need, person),
            self.on_need.get((point.id, index), set()),
            f"điểm lưu động {point.id}",
        )

    def finish(self, slot, head, need_vi, slots, limit, wanted, exclude, where_vi) -> Explanation:
        candidates = self.classify(slot.ward_code, slots, limit, wanted, exclude)
        far = None if candidates else self.nearest_free_beyond(slot.ward_code, slots, limit, wanted)
        text = self.sentence(slot, head, need_vi, candidates, limit, far)
        placed = self.place_free(candidates, where_vi)
        if placed:
            return Explanation(slot, text, placed[0], placed[1])
        return Explanation(slot, text, self.raise_cap(candidates) or self.add_people(slot, need_vi, limit))

    def oncall(self, slot: Unfilled) -> Explanation:
        assert slot.shift_id is not None
        campaign = self.campaign
        ward = ward_name(campaign, slot.ward_code)
        demand = next((d for d in campaign.demands if d.ward_code == slot.ward_code), None)
        limit = demand.night_response_limit_minutes if demand else self.rules.night_response_limit_minutes
        need_vi, wanted = Pool.TECHNICIAN.label_vi, _pool(Pool.TECHNICIAN)
        slots = [self.shift_slot(slot.date, slot.shift_id, slot.ward_code)]
        where_vi = f"{_lower_first(campaign.shift(slot.shift_id).name)} {_day(slot.date)} tại {ward}"
        candidates = self.classify(slot.ward_code, slots, limit, wanted, set())
        far = self.nearest_free_beyond(slot.ward_code, slots, limit, wanted)
        text = self.sentence(slot, self.head(slot), need_vi, candidates, limit, far if not candidates else None)
        posts = posts_by_distance(campaign, self.posts.get((slot.date, slot.shift_id), ()), slot.ward_code, self.travel)
        near_posts = [(minutes, a) for minutes, a in posts if minutes <= limit]
        far_posts = [(minutes, a) for minutes, a in posts if minutes > limit]
        if near_posts:
            minutes, post = near_posts[0]
            person = campaign.person(post.person_id)
            text += (
                f"; {_label(person)} đang trực tại {ward_name(campaign, post.ward_code)} (cách {minutes} "
                "phút) nhưng chưa được giao phụ trách xã/phường này"
            )
        if near_posts:  # the smallest change: widen an existing post's duty
            minutes, post = near_posts[0]
            widened = replace(post, covered_ward_codes=tuple(sorted({*post.covered_ward_codes, slot.ward_code})))
            return Explanation(
                slot,
                text,
                f"giao thêm {ward} cho {_label(campaign.person(post.person_id))} đang "
                f"trực tại {ward_name(campaign, post.ward_code)}",
                Fix(widened, post),
            )
        placed = self.place_free(candidates, where_vi)
        if placed:
            return Explanation(slot, text, placed[0], placed[1])
        suggestion = self.raise_cap(candidates)
        if suggestion is None:
            widths = [minutes for minutes, _ in far_posts[:1]] + ([far[0]] if far else [])
            if widths:
                suggestion = f"nới giới hạn phản hồi ban đêm của {ward} lên {min(widths)} phút"
        return Explanation(slot, text, suggestion or self.add_people(slot, need_vi, limit))


def posts_by_distance(
    campaign: Campaign, posts: Iterable[Assignment], ward_code: str, travel: Travel
) -> list[tuple[int, Assignment]]:
    """Technicians' on-call posts of one date and shift with their minutes to a ward, nearest first.

    The first within the ward's night response limit is the post whose duty is widened to the
    ward — by the explanation's suggestion and by the solve's last pass alike.
    """
    return sorted(
        ((travel(a.ward_code, ward_code), a) for a in posts if campaign.person(a.person_id).pool is Pool.TECHNICIAN),
        key=lambda post: (post[0], post[1].person_id, post[1].ward_code),
    )


def _anyone(person: Person) -> bool:
    return True


def _pool(pool: Pool):
    return lambda person: person.pool is pool


def _need_vi(need) -> str:
    if need.skill is None:
        return need.pool.label_vi
    if need.pool is None:
        return f"người có kỹ năng {need.skill}"
    return f"{need.pool.label_vi} có kỹ năng {need.skill}"


def _label(person: Person) -> str:
    return f"{person.name} ({POOL_ABBREVIATIONS[person.pool]})"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _day(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}"


def explain(
    campaign: Campaign,
    roster_or_assignments: Roster | Iterable[Assignment],
    unfilled: Iterable[Unfilled],
    travel: Travel | None = None,
) -> list[Explanation]:
    """Explain each unfilled slot in Vietnamese and name the smallest change that would fill it.

    Parameters
    ----------
    campaign
        The campaign.
    roster_or_assignments
        A :class:`~scheduler.model.Roster` or its assignments: what the candidates already do.
    unfilled
        The slots to explain (normally the roster's, or :func:`scheduler.verify.unfilled_slots`).
    travel
        ``(code_a, code_b) -> minutes``; default :func:`geo.travel.travel_minutes`.

    Returns
    -------
    list of Explanation
        One per unfilled slot, in the same order.
    """
    assignments = (
        roster_or_assignments.assignments if isinstance(roster_or_assignments, Roster) else tuple(roster_or_assignments)
    )
    explainer = _Explainer(campaign, assignments, resolve_travel(travel))
    explanations = [explainer.explain(slot) for slot in unfilled]
    logger.info("explained %d unfilled slots", len(explanations))
    return explanations
