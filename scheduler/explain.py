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


LANGUAGES = ("vi", "en")

# What a suggestion asks for: place a free person, widen a nearby post's duty to the ward, raise a person's
# weekly cap, widen the ward's night response limit, find more people; "" for a rule without explanation.
SUGGESTION_KINDS = ("place", "widen", "cap", "limit", "people", "")

# The explanations' words, one table per language; the data (names of wards, people, shifts) stays as given.
WORDS = {
    "vi": {
        "whole_day": "cả ngày",
        "point": "điểm lưu động {id} ({place}, {start}–{end})",
        "missing": "{head}: thiếu {n} {need}",
        "nobody": " — không có {need} nào sống trong bán kính {limit} phút",
        "nearest_free": "; người gần nhất còn trống, {label}, cách {minutes} phút",
        "only_one": "{text} — người duy nhất trong bán kính {limit} phút, {label}, {phrase}",
        "all_of": "{text} — {count} người trong bán kính {limit} phút đều {phrase}",
        "count_part": "{count} người {phrase}",
        "mixed": "{text} — {count} người trong bán kính {limit} phút: {parts}",
        "free": "còn trống nhưng chưa được xếp",
        "unavailable": "đã đăng ký bận ngày hoặc ca này",
        "night": "không được làm ban đêm",
        "busy": "đang làm ở nơi khác cùng giờ",
        "daily": "đã đủ {daily} giờ trong ngày",
        "weekly_cap": "đã đủ mức trần giờ của mình tuần này",
        "weekly_hours": "đã đủ {weekly} giờ tuần này",
        "rest": "chưa đủ {rest} giờ nghỉ giữa hai ngày làm việc",
        "weekly_rest": "sẽ mất {weekly_rest} giờ nghỉ liên tục trong tuần",
        "other_ward": "là sinh viên đã hỗ trợ ở xã/phường khác",
        "no_shift": "không có ca phục vụ nào của xã/phường để xếp vào",
        "place": "xếp {name} ({abbreviation}, cách {minutes} phút) vào {where}",
        "raise_cap": "cho phép {name} ({id}) trực thêm {hours} giờ tuần {week}",
        "add_people": "thêm {n} {need} sống trong bán kính {limit} phút",
        "support_staff": "nhân sự hỗ trợ",
        "student": "sinh viên",
        "telecom": "nhân sự viễn thông",
        "technician": "kỹ thuật viên",
        "with_skill": "{need} có kỹ năng {skill}",
        "anyone_with_skill": "người có kỹ năng {skill}",
        "shift_at": "{shift} {day} tại {ward}",
        "service_shift_at": "một ca phục vụ ngày {day} tại {ward}",
        "point_short": "điểm lưu động {id}",
        "post_nearby": "; {label} đang trực tại {ward} (cách {minutes} phút) nhưng chưa được giao phụ trách xã/phường này",
        "widen_post": "giao thêm {ward} cho {label} đang trực tại {post_ward}",
        "widen_limit": "nới giới hạn phản hồi ban đêm của {ward} lên {minutes} phút",
        "unknown_rule": "{head}: quy tắc '{rule}' chưa có lời giải thích",
        "check_rule": "kiểm tra lại quy tắc này",
    },
    "en": {
        "whole_day": "whole day",
        "point": "mobile point {id} ({place}, {start}–{end})",
        "missing": "{head}: {n} {need} missing",
        "nobody": " — no {need} lives within {limit} minutes",
        "nearest_free": "; the nearest free one, {label}, is {minutes} minutes away",
        "only_one": "{text} — the only one within {limit} minutes, {label}, {phrase}",
        "all_of": "{text} — all {count} people within {limit} minutes: {phrase}",
        "count_part": "{count} {phrase}",
        "mixed": "{text} — {count} people within {limit} minutes: {parts}",
        "free": "free but not placed",
        "unavailable": "declared busy that day or shift",
        "night": "not allowed to work at night",
        "busy": "working elsewhere at the same time",
        "daily": "already at {daily} hours that day",
        "weekly_cap": "already at their own weekly cap",
        "weekly_hours": "already at {weekly} hours this week",
        "rest": "short of {rest} hours' rest between two working days",
        "weekly_rest": "would lose the {weekly_rest}-hour weekly rest",
        "other_ward": "a student already supporting another ward",
        "no_shift": "no service shift of the ward to place them in",
        "place": "place {name} ({abbreviation}, {minutes} minutes away) in {where}",
        "raise_cap": "allow {name} ({id}) {hours} more hours in week {week}",
        "add_people": "add {n} {need} living within {limit} minutes",
        "support_staff": "support staff",
        "student": "student",
        "telecom": "telecom staff",
        "technician": "technician",
        "with_skill": "{need} with the skill {skill}",
        "anyone_with_skill": "person with the skill {skill}",
        "shift_at": "{shift} {day} at {ward}",
        "service_shift_at": "a service shift on {day} at {ward}",
        "point_short": "mobile point {id}",
        "post_nearby": "; {label} is on call at {ward} ({minutes} minutes away) but not yet responsible for this ward",
        "widen_post": "give {ward} to {label}, on call at {post_ward}",
        "widen_limit": "widen the night response limit of {ward} to {minutes} minutes",
        "unknown_rule": "{head}: the rule '{rule}' has no explanation yet",
        "check_rule": "check this rule",
    },
}


def words(lang: str, key: str, **values) -> str:
    """The explanation phrase ``key`` in ``lang`` with ``values`` filled in."""
    return WORDS[lang][key].format(**values)


def counted(lang: str, count: int, need: str) -> str:
    """``need`` (a singular phrase) for ``count`` people: English adds its plural, Vietnamese has none."""
    if lang != "en" or count == 1:
        return need
    head, skill, rest = need.partition(" with the skill ")
    if head == "person":
        head = "people"
    elif not head.endswith("staff"):
        head += "s"
    return head + skill + rest


class _Text(NamedTuple):
    """One phrase in every language of :data:`LANGUAGES`; a suggestion's also says what kind of change it is."""

    vi: str
    en: str
    kind: str = ""  # a suggestion's kind, one of SUGGESTION_KINDS
    person_id: str = ""  # the person a "cap" suggestion names

    @classmethod
    def of(cls, make) -> _Text:
        """``make(lang)`` for each language."""
        return cls(*(make(lang) for lang in LANGUAGES))


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
    text_en, suggestion_en : str
        The same in English, for the app's English pages (empty for an explanation made without them).
    kind : str
        What the suggestion asks for, one of :data:`SUGGESTION_KINDS`.
    person_id : str
        The person whose weekly cap a ``"cap"`` suggestion raises ("" otherwise).
    fix : Fix or None
        That change as data, when the software can make it alone (place a free person,
        widen a post's duty); None when it needs the coordinator (more people, a limit).
    """

    unfilled: Unfilled
    text_vi: str
    suggestion_vi: str
    fix: Fix | None = None
    text_en: str = ""
    suggestion_en: str = ""
    kind: str = ""
    person_id: str = ""


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
        head = self.head(slot)
        text = _Text.of(lambda lang: words(lang, "unknown_rule", head=getattr(head, lang), rule=slot.rule))
        return _explanation(slot, text, _Text.of(lambda lang: words(lang, "check_rule")))

    def head(self, slot: Unfilled, what: _Text | None = None) -> _Text:
        where = f"{ward_name(self.campaign, slot.ward_code)}, {_day(slot.date)}"
        if what:
            return _Text.of(lambda lang: f"{where}, {getattr(what, lang)}")
        if slot.shift_id is not None:
            where += f", {_lower_first(self.campaign.shift(slot.shift_id).name)}"
        return _Text(where, where)

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

    def sentence(self, slot: Unfilled, head: _Text, need: _Text, candidates, limit: int, far) -> _Text:
        return _Text.of(
            lambda lang: self._sentence(lang, slot, getattr(head, lang), getattr(need, lang), candidates, limit, far)
        )

    def _sentence(self, lang: str, slot: Unfilled, head: str, need: str, candidates, limit: int, far) -> str:
        text = words(lang, "missing", head=head, n=slot.missing, need=counted(lang, slot.missing, need))
        if not candidates:
            text += words(lang, "nobody", need=need, limit=limit)
            if far is not None:
                text += words(lang, "nearest_free", label=_label(far[1]), minutes=far[0])
            return text
        groups = Counter(reasons[0] if reasons else "free" for _, _, reasons, _ in candidates)
        if len(groups) == 1:
            ((reason, count),) = groups.items()
            if count == 1:
                return words(
                    lang,
                    "only_one",
                    text=text,
                    limit=limit,
                    label=_label(candidates[0][1]),
                    phrase=self.phrase(lang, reason),
                )
            return words(lang, "all_of", text=text, count=count, limit=limit, phrase=self.phrase(lang, reason))
        order = {reason: index for index, reason in enumerate(("free",) + REASONS)}
        parts = [
            words(lang, "count_part", count=count, phrase=self.phrase(lang, reason))
            for reason, count in sorted(groups.items(), key=lambda item: (-item[1], order[item[0]]))
        ]
        return words(lang, "mixed", text=text, count=len(candidates), limit=limit, parts=", ".join(parts))

    def phrase(self, lang: str, reason: str) -> str:
        rules = self.rules
        return words(
            lang,
            reason,
            daily=rules.max_work_hours_per_day,
            weekly=rules.max_work_hours_per_week,
            rest=rules.min_rest_between_shifts_hours,
            weekly_rest=rules.min_weekly_rest_hours,
        )

    def place_free(self, candidates, where: _Text) -> tuple[_Text, Fix] | None:
        """Place the nearest free candidate, when there is one: the words and the fix."""
        free = next(((minutes, person, fitted) for minutes, person, reasons, fitted in candidates if not reasons), None)
        if free is None:
            return None
        minutes, person, fitted = free
        text = _Text.of(
            lambda lang: words(
                lang,
                "place",
                name=person.name,
                abbreviation=POOL_ABBREVIATIONS[person.pool],
                minutes=minutes,
                where=getattr(where, lang),
            )
        )
        return text._replace(kind="place"), Fix(fitted.assignment(person.id))

    def raise_cap(self, candidates) -> _Text | None:
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
        raise_it = _Text.of(
            lambda lang: words(lang, "raise_cap", name=person.name, id=person.id, hours=hours, week=week + 1)
        )
        return raise_it._replace(kind="cap", person_id=person.id)

    def add_people(self, slot: Unfilled, need: _Text, limit: int) -> _Text:
        more = _Text.of(
            lambda lang: words(
                lang, "add_people", n=slot.missing, need=counted(lang, slot.missing, getattr(need, lang)), limit=limit
            )
        )
        return more._replace(kind="people")

    def shift_at(self, shift_id: str, day: date, ward_code: str) -> _Text:
        shift = _lower_first(self.campaign.shift(shift_id).name)
        ward = ward_name(self.campaign, ward_code)
        return _Text.of(lambda lang: words(lang, "shift_at", shift=shift, day=_day(day), ward=ward))

    # --- the rules ---

    def service(self, slot: Unfilled) -> Explanation:
        assert slot.shift_id is not None  # support staff and on-site technicians are asked per shift
        limit = self.rules.mobile_point_travel_limit_minutes
        if slot.rule == "oncall_24_7":
            need, wanted = _pool_words(Pool.TECHNICIAN), _pool(Pool.TECHNICIAN)
        else:
            need, wanted = _Text.of(lambda lang: words(lang, "support_staff")), _anyone
        slots = [self.shift_slot(slot.date, slot.shift_id, slot.ward_code)]
        exclude = self.on_shift.get((slot.ward_code, slot.date, slot.shift_id), set())
        where = self.shift_at(slot.shift_id, slot.date, slot.ward_code)
        return self.finish(slot, self.head(slot), need, slots, limit, wanted, exclude, where)

    def telecom(self, slot: Unfilled) -> Explanation:
        limit = self.rules.mobile_point_travel_limit_minutes
        demand = next((d for d in self.campaign.demands if d.ward_code == slot.ward_code), None)
        shift_ids = demand.service_shift_ids if demand else ()
        slots = [self.shift_slot(slot.date, shift_id, slot.ward_code) for shift_id in shift_ids]
        exclude = self.in_ward.get((slot.ward_code, slot.date), set())
        ward = ward_name(self.campaign, slot.ward_code)
        where = _Text.of(lambda lang: words(lang, "service_shift_at", day=_day(slot.date), ward=ward))
        head = self.head(slot, _Text.of(lambda lang: words(lang, "whole_day")))
        return self.finish(slot, head, _pool_words(Pool.TELECOM), slots, limit, _pool(Pool.TELECOM), exclude, where)

    def mobile_point(self, slot: Unfilled) -> Explanation:
        assert slot.mobile_point_id is not None
        point = self.campaign.mobile_point(slot.mobile_point_id)
        index = next((i for i, need in enumerate(point.staff_needed) if need_label(need) == slot.need), 0)
        need = point.staff_needed[index]
        limit = self.rules.mobile_point_travel_limit_minutes
        what = _Text.of(
            lambda lang: words(
                lang,
                "point",
                id=point.id,
                place=point.place,
                start=format_time(point.start_minute),
                end=format_time(point.end_minute),
            )
        )
        return self.finish(
            slot,
            self.head(slot, what),
            _need_words(need),
            [self.point_slot(point, index)],
            limit,
            lambda person: need_matches(need, person),
            self.on_need.get((point.id, index), set()),
            _Text.of(lambda lang: words(lang, "point_short", id=point.id)),
        )

    def finish(self, slot, head: _Text, need: _Text, slots, limit, wanted, exclude, where: _Text) -> Explanation:
        candidates = self.classify(slot.ward_code, slots, limit, wanted, exclude)
        far = None if candidates else self.nearest_free_beyond(slot.ward_code, slots, limit, wanted)
        text = self.sentence(slot, head, need, candidates, limit, far)
        placed = self.place_free(candidates, where)
        if placed:
            return _explanation(slot, text, placed[0], placed[1])
        return _explanation(slot, text, self.raise_cap(candidates) or self.add_people(slot, need, limit))

    def oncall(self, slot: Unfilled) -> Explanation:
        assert slot.shift_id is not None
        campaign = self.campaign
        ward = ward_name(campaign, slot.ward_code)
        demand = next((d for d in campaign.demands if d.ward_code == slot.ward_code), None)
        limit = demand.night_response_limit_minutes if demand else self.rules.night_response_limit_minutes
        need, wanted = _pool_words(Pool.TECHNICIAN), _pool(Pool.TECHNICIAN)
        slots = [self.shift_slot(slot.date, slot.shift_id, slot.ward_code)]
        where = self.shift_at(slot.shift_id, slot.date, slot.ward_code)
        candidates = self.classify(slot.ward_code, slots, limit, wanted, set())
        far = self.nearest_free_beyond(slot.ward_code, slots, limit, wanted)
        text = self.sentence(slot, self.head(slot), need, candidates, limit, far if not candidates else None)
        posts = posts_by_distance(campaign, self.posts.get((slot.date, slot.shift_id), ()), slot.ward_code, self.travel)
        near_posts = [(minutes, a) for minutes, a in posts if minutes <= limit]
        far_posts = [(minutes, a) for minutes, a in posts if minutes > limit]
        if near_posts:  # the smallest change: widen an existing post's duty
            minutes, post = near_posts[0]
            label = _label(campaign.person(post.person_id))
            post_ward = ward_name(campaign, post.ward_code)
            said = text
            text = _Text.of(
                lambda lang: (
                    getattr(said, lang) + words(lang, "post_nearby", label=label, ward=post_ward, minutes=minutes)
                )
            )
            widened = replace(post, covered_ward_codes=tuple(sorted({*post.covered_ward_codes, slot.ward_code})))
            widen = _Text.of(lambda lang: words(lang, "widen_post", ward=ward, label=label, post_ward=post_ward))
            widen = widen._replace(kind="widen")
            return _explanation(slot, text, widen, Fix(widened, post))
        placed = self.place_free(candidates, where)
        if placed:
            return _explanation(slot, text, placed[0], placed[1])
        suggestion = self.raise_cap(candidates)
        if suggestion is None:
            widths = [minutes for minutes, _ in far_posts[:1]] + ([far[0]] if far else [])
            if widths:
                suggestion = _Text.of(lambda lang: words(lang, "widen_limit", ward=ward, minutes=min(widths)))
                suggestion = suggestion._replace(kind="limit")
        return _explanation(slot, text, suggestion or self.add_people(slot, need, limit))


def _explanation(slot: Unfilled, text: _Text, suggestion: _Text, fix: Fix | None = None) -> Explanation:
    return Explanation(slot, text.vi, suggestion.vi, fix, text.en, suggestion.en, suggestion.kind, suggestion.person_id)


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


def _pool_words(pool: Pool) -> _Text:
    return _Text.of(lambda lang: words(lang, pool.value))


def _need_words(need) -> _Text:
    if need.skill is None:
        return _pool_words(need.pool)
    if need.pool is None:
        return _Text.of(lambda lang: words(lang, "anyone_with_skill", skill=need.skill))
    pool = _pool_words(need.pool)
    return _Text.of(lambda lang: words(lang, "with_skill", need=getattr(pool, lang), skill=need.skill))


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
