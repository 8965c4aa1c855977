"""The Youth Union's pages (Thành đoàn): students' wards and teams, the wards' needs, pins, counts.

- ``students`` (the Youth Union's landing page): what they may do, the student pool with school, home ward and
  team placement; search by name (accents optional), student code or phone; filter, page, and place many
  students at once in a ward and a team, all or none (a team's ward becomes the student's preferred ward for
  the solver, see :func:`web.store.apply_youth_union`). A student the people rules keep out of the ward
  (pinned elsewhere, busy every day, not registered for any of its shifts) is refused with the reason;
- ``needs``: each ward's seats students can take (the checker's shortfall rules asked of an empty roster),
  those the roster in force leaves empty, the students working there, placed and pinned;
- ``pins``: assignments the next solve must keep (a student, a ward, a day and a service shift), with a
  search for the student;
- ``counts``: students per school and per ward, placed and, in the latest published roster, assigned.

Every change raises the data revision, so :func:`web.store.campaign` applies it to the next solve.
Students' phone numbers are shown to coordinators only (anyone here may search by a number they know).
"""

from __future__ import annotations

import logging
import math
import re
import threading
import weakref
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from geo.travel import travel_minutes
from geo.units import fold
from scheduler.calendar import Calendar
from scheduler.model import Assignment, Campaign, Person, Pool, Roster, ShiftKind, Unfilled
from scheduler.report import missing_by_ward_and_day
from scheduler.rules import RULES_BY_LABEL
from scheduler.verify import shortfall_min_support_staff, shortfall_mobile_point_staffing
from web import live, store
from web.auth import current_user, role_required
from web.coordinator import rule_words
from web.models import AssignmentRow, Pin, RosterVersion, Team, db, utcnow
from web.numbers import number
from web.volunteer import day_label, shift_hours

logger = logging.getLogger(__name__)

blueprint = Blueprint("youth", __name__, url_prefix="/thanh-doan")

ROLES = ("coordinator", "youth_union")
PAGE_SIZE = 50
UNPLACED = "-"  # the ward filter's value for students not yet placed
TEAM_NAME_MAX_CHARS = 100
SEARCH_RESULTS_MAX = 20  # students listed by the pin page's search
PHONE_DIGITS_MIN = 4  # a query of at least this many digits is also looked up in phone numbers


def _campaign_or_none() -> Campaign | None:
    return store.campaign()


def _maybe(getter, key):
    """``getter(key)``, or None when the campaign has no such thing (e.g. after a new import)."""
    try:
        return getter(key)
    except KeyError:
        return None


def _students(campaign: Campaign) -> tuple[Person, ...]:
    return campaign.people_in(Pool.STUDENT)


def _teams() -> dict[str, Team]:
    return {team.person_id: team for team in db.session.scalars(select(Team))}


def _username() -> str:
    user = current_user()
    return user.username if user else ""


def _shows_phones() -> bool:
    user = current_user()
    return user is not None and user.role == "coordinator"


def _wards_by_name(campaign: Campaign):
    return sorted(campaign.wards, key=lambda w: fold(w.name))


# ------------------------------------------------------------------------------------------- search


_kept_lock = threading.Lock()
_kept_values: dict[str, tuple] = {}


def _kept(kind: str, campaign: Campaign, compute, key: tuple = ()):
    """``compute()``, kept per process for the last campaign object and ``key`` of each ``kind``.

    :func:`web.store.campaign` and :func:`web.live.live_campaign` hand out the same object until the data
    revision (every placement and pin raises it) or the events change.
    """
    with _kept_lock:
        kept = _kept_values.get(kind)
        if kept is not None and kept[0]() is campaign and kept[1] == key:
            return kept[2]
    value = compute()
    with _kept_lock:
        _kept_values[kind] = (weakref.ref(campaign), key, value)
    return value


def folded_names(campaign: Campaign) -> dict[str, str]:
    """Each person's name folded for the search (no accents, lower case), by id."""
    return _kept("folded names", campaign, lambda: {p.id: fold(p.name) for p in campaign.people})


def _phone_digits(text: str) -> str:
    """The digits of a phone number in the national form (``+84 912…`` → ``0912…``)."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class StudentQuery:
    """What was typed in a search field: a name (accents and letter case optional), a student code or a phone.

    A name matches when the typed text is part of it, or when each typed word begins a word of it
    ("nguyen van a" and "an nguyen" both find "Nguyễn Văn An").
    """

    phrase: str
    words: tuple[str, ...]
    digits: str

    @classmethod
    def of(cls, text: str) -> StudentQuery:
        phrase = fold(text or "")
        only_phone = re.fullmatch(r"[\d\s+().-]+", text or "") is not None
        digits = _phone_digits(text) if only_phone else ""
        return cls(phrase, tuple(phrase.split()), digits if len(digits) >= PHONE_DIGITS_MIN else "")

    def __bool__(self) -> bool:
        return bool(self.phrase)

    def matches(self, person: Person, folded_name: str | None = None) -> bool:
        """Whether the person is found (``folded_name``: their name already folded)."""
        if not self.phrase:
            return True
        name = fold(person.name) if folded_name is None else folded_name
        if self.phrase in name or self.phrase in person.id.lower():
            return True
        if self.digits and self.digits in _phone_digits(person.phone):
            return True
        name_words = name.split()
        return all(any(word.startswith(typed) for word in name_words) for typed in self.words)


def find_students(campaign: Campaign, text: str) -> list[Person]:
    """The students ``text`` finds (see :class:`StudentQuery`), those whose name contains it first."""
    query = StudentQuery.of(text)
    if not query:
        return []
    names = folded_names(campaign)
    found = [p for p in _students(campaign) if query.matches(p, names[p.id])]
    return sorted(found, key=lambda p: (query.phrase not in names[p.id], names[p.id], p.id))


# ------------------------------------------------------------------------------------------- the wards' needs


def is_student_seat(slot: Unfilled) -> bool:
    """Whether a student can take an empty seat: a support seat of a service shift (``min_support_staff``, any
    pool) or a mobile point's place for a student (``mobile_point_staffing`` with the student pool)."""
    return slot.rule == "min_support_staff" or (
        slot.rule == "mobile_point_staffing" and slot.need == Pool.STUDENT.value
    )


def asked_student_seats(campaign: Campaign) -> list[Unfilled]:
    """Every seat a student can take that the rules ask for: the checker's shortfalls of an empty roster
    (kept per campaign object, see :func:`_kept`)."""

    def compute() -> list[Unfilled]:
        asked = shortfall_min_support_staff(campaign, ()) + shortfall_mobile_point_staffing(campaign, ())
        return [slot for slot in asked if is_student_seat(slot)]

    return _kept("asked seats", campaign, compute)


@dataclass(frozen=True)
class WardNeed:
    """One ward's seats for students over the campaign, the roster in force and the Youth Union's work there.

    Seats are person-shifts: a ward with two service shifts of two support staff asks four seats a day.
    """

    code: str
    name: str
    per_day: int  # support seats asked on a campaign day (the most of any day)
    asked: int  # seats asked over the campaign: support seats and mobile points' places for students
    mobile: int  # of which at mobile points
    missing: int | None  # seats the roster in force leaves empty (None: no roster published)
    missing_ahead: int | None  # of which from today on
    short_days_ahead: int  # days from today on with an empty seat
    students: int  # students with work there in the roster in force
    student_shifts: int  # their assignments there
    placed: int  # students the Youth Union placed in the ward
    pinned: int  # students pinned there
    by_day: dict = field(default_factory=dict, compare=False)  # day -> (asked, missing or None)

    @property
    def short(self) -> bool:
        return bool(self.missing_ahead)


def ward_needs(
    campaign: Campaign, roster: Roster | None, cancelled: set, teams: dict[str, Team], today: date
) -> dict[str, WardNeed]:
    """Per ward code, in the campaign's order: its :class:`WardNeed`.

    ``roster`` is the published version's (None: nothing published), ``cancelled`` the slots open events take
    away from it (:func:`web.live.cancelled_slots`). The empty seats are the roster's gaps as the checker
    stored them, as the coordinator's figures count them, except on the days with a slot taken away, which
    the checker's shortfall rules count again without it (as :func:`web.live.day_shortfalls` does).
    """
    students = {p.id for p in _students(campaign)}
    asked: Counter = Counter()
    support: Counter = Counter()
    mobile: Counter = Counter()
    for seat in asked_student_seats(campaign):
        asked[(seat.ward_code, seat.date)] += seat.missing
        if seat.rule == "min_support_staff":
            support[(seat.ward_code, seat.date)] += seat.missing
        else:
            mobile[seat.ward_code] += seat.missing
    missing: Counter = Counter()
    working: dict[str, set[str]] = defaultdict(set)
    shifts: Counter = Counter()
    if roster is not None:
        touched = {day for _person, day, _slot in cancelled}
        gaps = [slot for slot in roster.unfilled if slot.date not in touched]
        kept: dict[date, list[Assignment]] = defaultdict(list)
        for a in roster.assignments:
            if a.date in touched and not live.is_cancelled(cancelled, a):
                kept[a.date].append(a)
        for day in sorted(touched):
            one_day = live.day_campaign(campaign, day)
            gaps.extend(shortfall_min_support_staff(one_day, kept[day]))
            gaps.extend(shortfall_mobile_point_staffing(one_day, kept[day]))
        missing = Counter(missing_by_ward_and_day(replace(roster, unfilled=tuple(filter(is_student_seat, gaps)))))
        for a in roster.assignments:
            if a.person_id in students and not (cancelled and live.is_cancelled(cancelled, a)):
                working[a.ward_code].add(a.person_id)
                shifts[a.ward_code] += 1
    placed = Counter(team.ward_code for pid, team in teams.items() if pid in students)
    pinned: dict[str, set[str]] = defaultdict(set)
    for pin in campaign.pins:
        if pin.person_id in students:
            pinned[pin.ward_code].add(pin.person_id)
    needs = {}
    published = roster is not None
    dates = campaign.dates
    ahead = [day for day in dates if day >= today]
    for ward in campaign.wards:
        by_day = {day: (asked[(ward.code, day)], missing[(ward.code, day)] if published else None) for day in dates}
        needs[ward.code] = WardNeed(
            code=ward.code,
            name=ward.name,
            per_day=max((support[(ward.code, day)] for day in dates), default=0),
            asked=sum(value for value, _missing in by_day.values()),
            mobile=mobile[ward.code],
            missing=sum(missing[(ward.code, day)] for day in dates) if published else None,
            missing_ahead=sum(missing[(ward.code, day)] for day in ahead) if published else None,
            short_days_ahead=sum(1 for day in ahead if missing[(ward.code, day)]),
            students=len(working[ward.code]),
            student_shifts=shifts[ward.code],
            placed=placed[ward.code],
            pinned=len(pinned[ward.code]),
            by_day=by_day,
        )
    return needs


@dataclass(frozen=True)
class InForce:
    """The roster in force: the latest published version's roster on the live campaign, less the slots open
    events take away (``cancelled``); ``version`` and ``roster`` are None when nothing is published."""

    campaign: Campaign
    version: RosterVersion | None
    roster: Roster | None
    cancelled: set

    @classmethod
    def now(cls, campaign: Campaign) -> InForce:
        version = store.latest_published()
        if version is None:
            return cls(campaign, None, None, set())
        live_campaign = live.live_campaign() or campaign
        return cls(live_campaign, version, store.roster_of(version), live.cancelled_slots(version.id))

    def needs(self, teams: dict[str, Team]) -> dict[str, WardNeed]:
        """:func:`ward_needs` of the roster in force, kept for the campaign object (``teams`` are part of its data
        revision), the version, the slots taken away and the day."""
        today = live.today()
        key = (self.version.id if self.version else None, frozenset(self.cancelled), today)
        return _kept(
            "ward needs",
            self.campaign,
            lambda: ward_needs(self.campaign, self.roster, self.cancelled, teams, today),
            key,
        )

    def working_wards(self, person_ids: set[str]) -> dict[str, Counter]:
        """Per person of ``person_ids``: their assignments per ward."""
        wards: dict[str, Counter] = defaultdict(Counter)
        for a in self.roster.assignments if self.roster is not None else ():
            if a.person_id in person_ids and not (self.cancelled and live.is_cancelled(self.cancelled, a)):
                wards[a.person_id][a.ward_code] += 1
        return wards


def need_option(ward, need: WardNeed | None) -> str:
    """A ward in a chooser: its name and, when known, how many seats it lacks and how many students are placed."""
    if need is None:
        return ward.name
    if need.missing_ahead is None:
        return _(
            "%(ward)s — cần %(asked)s lượt, đã xếp %(placed)s",
            ward=ward.name,
            asked=number(need.asked),
            placed=number(need.placed),
        )
    if not need.missing_ahead:
        return _("%(ward)s — đủ người, đã xếp %(placed)s", ward=ward.name, placed=number(need.placed))
    return _(
        "%(ward)s — thiếu %(missing)s lượt, đã xếp %(placed)s",
        ward=ward.name,
        missing=number(need.missing_ahead),
        placed=number(need.placed),
    )


# ------------------------------------------------------------------------------------------- students


def _filters() -> dict[str, str]:
    """The students page's filters; ``dat`` is the ward being staffed (students nearest to it first)."""
    return {name: request.values.get(name, "").strip() for name in ("q", "school", "ward", "home", "dat")}


def _filtered(campaign: Campaign, teams: dict[str, Team], filters: dict[str, str]) -> list[Person]:
    query = StudentQuery.of(filters["q"])
    names = folded_names(campaign) if query else {}
    chosen = []
    for person in _students(campaign):
        team = teams.get(person.id)
        if filters["school"] and person.organisation != filters["school"]:
            continue
        if filters["home"] and person.home_ward_code != filters["home"]:
            continue
        if filters["ward"] == UNPLACED and team is not None:
            continue
        if filters["ward"] and filters["ward"] != UNPLACED and (team is None or team.ward_code != filters["ward"]):
            continue
        if query and not query.matches(person, names[person.id]):
            continue
        chosen.append(person)
    return chosen


def _render_students(
    campaign: Campaign | None, errors: list[str] | None = None, status: int = 200, form: dict | None = None
):
    if campaign is None:
        return render_template("youth/students.html", campaign=None, errors=errors or []), status
    form = form or {}
    teams = _teams()
    filters = _filters()
    ward_names = {w.code: w.name for w in campaign.wards}
    if filters["dat"] not in ward_names:
        filters["dat"] = ""
    target = filters["dat"] or form.get("ward_code", "")
    students = _students(campaign)
    chosen = _filtered(campaign, teams, filters)
    travel = {}
    if filters["dat"]:
        travel = {p.id: travel_minutes(p.home_ward_code, filters["dat"]) for p in chosen}
        chosen.sort(key=lambda p: travel[p.id])
    pages = max(1, math.ceil(len(chosen) / PAGE_SIZE))
    try:
        page = min(max(1, int(request.values.get("page", "1"))), pages)
    except ValueError:
        page = 1
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    in_force = InForce.now(campaign)
    needs = in_force.needs(teams)
    working = in_force.working_wards({p.id for p in shown})
    selected = form.get("selected")
    if selected is None:
        selected = {p.id for p in shown} if request.args.get("chon") == "all" else set()
    rows = [
        {
            "person": p,
            "home": ward_names.get(p.home_ward_code, p.home_ward_code),
            "team": teams.get(p.id),
            "team_ward": ward_names.get(teams[p.id].ward_code, teams[p.id].ward_code) if p.id in teams else "",
            "working": [(ward_names.get(code, code), count) for code, count in sorted(working[p.id].items())],
            "travel": travel.get(p.id),
            "checked": p.id in selected,
            "problems": form.get("problems", {}).get(p.id, []),
        }
        for p in shown
    ]
    schools = sorted({p.organisation for p in students}, key=fold)
    wards = _wards_by_name(campaign)
    kept = {name: value for name, value in filters.items() if value}
    return render_template(
        "youth/students.html",
        campaign=campaign,
        rows=rows,
        filters=filters,
        page=page,
        kept=kept,
        pages=pages,
        total=len(chosen),
        student_count=len(students),
        placed_count=sum(1 for p in students if p.id in teams),
        short_wards=sum(1 for need in needs.values() if need.short),
        version=in_force.version,
        schools=schools,
        wards=wards,
        ward_options=[(w.code, need_option(w, needs.get(w.code))) for w in wards],
        target_need=needs.get(target) if target in ward_names else None,
        target=target if target in ward_names else "",
        unplaced=UNPLACED,
        show_phones=_shows_phones(),
        errors=errors or [],
        form=form,
        team_max=TEAM_NAME_MAX_CHARS,
    ), status


@blueprint.get("/")
@role_required(*ROLES)
def students():
    return _render_students(_campaign_or_none())


def placement_problems(
    campaign: Campaign, ward_code: str, person_ids: Iterable[str], today: date | None = None
) -> dict[str, list[str]]:
    """Why each student cannot be placed in the ward, for those who cannot (empty when all can).

    A placement makes the ward the student's preferred ward, so it must leave them at least one of the
    ward's service shifts from ``today`` on (every day once the campaign is over) that the people rules
    allow, asked of the calendar with their pins: not pinned in another ward (``one_ward_per_student``),
    not busy every remaining day, registered for one of the ward's shifts.
    """
    days = [day for day in campaign.dates if today is None or day >= today] or list(campaign.dates)
    ward = campaign.ward(ward_code)
    demand = _maybe(campaign.demand, ward_code)
    shift_ids = demand.service_shift_ids if demand is not None else ()
    person_ids = list(person_ids)
    pins_of: dict[str, list[Assignment]] = defaultdict(list)
    for pin in campaign.pins:
        pins_of[pin.person_id].append(pin)
    calendar = Calendar(campaign, [pin for pid in person_ids for pin in pins_of.get(pid, ())])
    problems: dict[str, list[str]] = {}
    for pid in person_ids:
        person = campaign.person(pid)
        if not shift_ids:
            problems[pid] = [_("%(ward)s không có ca hỗ trợ nào để xếp sinh viên.", ward=ward.name)]
            continue
        probe = Assignment(pid, ward_code, campaign.start_date, shift_id=shift_ids[0])
        if calendar.breaks_one_ward(person, probe):
            other = sorted({pin.ward_code for pin in pins_of[pid] if pin.ward_code != ward_code})
            names = ", ".join(getattr(_maybe(campaign.ward, code), "name", code) for code in other)
            problems[pid] = [
                _(
                    "%(name)s (%(id)s) đã được ghim ở %(wards)s; mỗi sinh viên chỉ hỗ trợ một xã/phường. "
                    "Bỏ ghim trước khi xếp vào %(ward)s.",
                    name=person.name,
                    id=pid,
                    wards=names,
                    ward=ward.name,
                )
            ]
            continue
        broken: Counter = Counter()
        fits = False
        for day in days:
            for shift_id in shift_ids:
                labels = calendar.breaks(Assignment(pid, ward_code, day, shift_id=shift_id))
                if not labels:
                    fits = True
                    break
                broken.update(labels)
            if fits:
                break
        if fits:
            continue
        if all(day in person.unavailable_dates for day in days):
            reason = _("%(name)s (%(id)s) bận mọi ngày còn lại của chiến dịch.", name=person.name, id=pid)
        elif person.available_shift_ids and not person.available_shift_ids & set(shift_ids):
            registered = ", ".join(
                sorted(getattr(_maybe(campaign.shift, sid), "name", sid) for sid in person.available_shift_ids)
            )
            reason = _(
                "%(name)s (%(id)s) chỉ đăng ký %(shifts)s; %(ward)s không có ca đó.",
                name=person.name,
                id=pid,
                shifts=registered,
                ward=ward.name,
            )
        else:
            rules = ", ".join(rule_words(label) for label, _count in broken.most_common())
            reason = _(
                "%(name)s (%(id)s) không nhận được ca nào của %(ward)s: %(rules)s.",
                name=person.name,
                id=pid,
                ward=ward.name,
                rules=rules,
            )
        problems[pid] = [reason]
    return problems


@blueprint.post("/xep")
@role_required(*ROLES)
def place():
    """Place the selected students in a ward and a team (or clear their placement): all of them or none."""
    campaign = _campaign_or_none()
    if campaign is None:
        abort(404)
    person_ids = list(dict.fromkeys(pid.strip() for pid in request.form.getlist("person_id") if pid.strip()))
    ward_code = request.form.get("ward_code", "").strip()
    team_name = " ".join(request.form.get("team", "").split())
    clearing = request.form.get("action") == "clear"
    form = {"ward_code": ward_code, "team": team_name, "selected": set(person_ids)}
    students = {p.id: p for p in _students(campaign)}
    errors = []
    if not person_ids:
        errors.append(_("Chưa chọn sinh viên nào."))
    unknown = [pid for pid in person_ids if pid not in students]
    if unknown:
        errors.append(_("Không có sinh viên mã %(ids)s trong chiến dịch.", ids=", ".join(unknown[:10])))
    if not clearing:
        if not ward_code:
            errors.append(_("Hãy chọn xã/phường."))
        elif ward_code not in {w.code for w in campaign.wards}:
            errors.append(_("Xã/phường mã %(code)s không thuộc chiến dịch.", code=ward_code))
        if len(team_name) > TEAM_NAME_MAX_CHARS:
            errors.append(_("Tên đội dài quá %(n)d ký tự.", n=TEAM_NAME_MAX_CHARS))
    if not errors and not clearing:
        # the people rules as they stand now: the events (an absence, someone who left) taken into account
        problems = placement_problems(live.live_campaign() or campaign, ward_code, person_ids, live.today())
        if problems:
            form["problems"] = problems
            errors.append(
                _(
                    "Chưa xếp ai: %(n)s trong %(total)s sinh viên đã chọn không xếp được vào %(ward)s. "
                    "Bỏ chọn họ hoặc chọn xã/phường khác.",
                    n=number(len(problems)),
                    total=number(len(person_ids)),
                    ward=campaign.ward(ward_code).name,
                )
            )
            errors.extend(reason for pid in person_ids for reason in problems.get(pid, ()))
    if errors:
        return _render_students(campaign, errors, 400, form)
    try:
        if clearing:
            db.session.execute(delete(Team).where(Team.person_id.in_(person_ids)))
        else:
            for pid in person_ids:
                db.session.merge(
                    Team(
                        person_id=pid, ward_code=ward_code, team=team_name, updated_at=utcnow(), updated_by=_username()
                    )
                )
        store.bump_revision()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if clearing:
        message = _("Đã bỏ xếp %(n)d sinh viên.", n=len(person_ids))
    else:
        message = _("Đã xếp %(n)d sinh viên vào %(ward)s.", n=len(person_ids), ward=campaign.ward(ward_code).name)
    flash(message, "ok")
    logger.info("%s placed %d students (ward %s, clear=%s)", _username(), len(person_ids), ward_code, clearing)
    kept = {k: v for k, v in _filters().items() if v}
    if request.form.get("page"):
        kept["page"] = request.form["page"]
    return redirect(url_for("youth.students", **kept))


@blueprint.get("/nhu-cau")
@role_required(*ROLES)
def needs():
    """Each ward's seats for students, those the roster in force leaves empty, and the Youth Union's work there."""
    campaign = _campaign_or_none()
    if campaign is None:
        return render_template("youth/needs.html", campaign=None)
    teams = _teams()
    in_force = InForce.now(campaign)
    today = live.today()
    by_ward = in_force.needs(teams)
    version = in_force.version
    only_short = request.args.get("thieu") == "1"
    shown = sorted(
        (need for need in by_ward.values() if need.short or not only_short),
        key=lambda n: (-(n.missing_ahead or 0), -(n.missing or 0), fold(n.name)),
    )
    chosen = by_ward.get(request.args.get("ward", ""))
    days = []
    if chosen is not None:
        days = [(day_label(day), asked, missing, day < today) for day, (asked, missing) in chosen.by_day.items()]
    totals = {
        "asked": sum(n.asked for n in by_ward.values()),
        "missing_ahead": None if version is None else sum(n.missing_ahead or 0 for n in by_ward.values()),
        "placed": sum(n.placed for n in by_ward.values()),
        "short": sum(1 for n in by_ward.values() if n.short),
    }
    return render_template(
        "youth/needs.html",
        campaign=campaign,
        version=version,
        needs=shown,
        ward_count=len(by_ward),
        only_short=only_short,
        chosen=chosen,
        days=days,
        today=day_label(today),
        totals=totals,
    )


# ------------------------------------------------------------------------------------------- pins


def _service_shifts(campaign: Campaign):
    return [s for s in campaign.shifts if s.kind is ShiftKind.SERVICE]


def _pin_rows(campaign: Campaign | None) -> list[dict]:
    pins = list(db.session.scalars(select(Pin).order_by(Pin.date, Pin.ward_code, Pin.shift_id, Pin.person_id)))
    rows = []
    for pin in pins:
        person = _maybe(campaign.person, pin.person_id) if campaign else None
        ward = _maybe(campaign.ward, pin.ward_code) if campaign else None
        shift = _maybe(campaign.shift, pin.shift_id) if campaign and pin.shift_id else None
        rows.append(
            {
                "pin": pin,
                "name": person.name if person else "",
                "school": person.organisation if person else "",
                "ward": ward.name if ward else pin.ward_code,
                "day": day_label(pin.date),
                "shift": f"{shift.name} ({shift_hours(shift)})" if shift else (pin.shift_id or ""),
            }
        )
    return rows


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def pin_problems(campaign: Campaign, person_id: str, ward_code: str, day: date | None, shift_id: str) -> list[str]:
    """Why a pin cannot be kept by the solver (empty when it can)."""
    problems = []
    person = _maybe(campaign.person, person_id)
    if person is None or person.pool is not Pool.STUDENT:
        problems.append(_("Không có sinh viên mã “%(id)s” trong chiến dịch.", id=person_id))
    ward_known = _maybe(campaign.ward, ward_code) is not None
    if not ward_known:
        problems.append(_("Hãy chọn một xã/phường của chiến dịch."))
    if day is None or not campaign.contains_date(day):
        problems.append(_("Hãy chọn một ngày trong chiến dịch."))
    shift = _maybe(campaign.shift, shift_id)
    if shift is None or shift.kind is not ShiftKind.SERVICE:
        problems.append(_("Hãy chọn một ca hỗ trợ của chiến dịch."))
    elif ward_known and shift.id not in campaign.demand(ward_code).service_shift_ids:
        problems.append(_("%(ward)s không có ca %(shift)s.", ward=campaign.ward(ward_code).name, shift=shift.name))
    if problems:
        return problems
    existing = list(db.session.scalars(select(Pin).where(Pin.person_id == person_id)))
    if any(pin.date == day for pin in existing):
        problems.append(_("%(name)s đã được ghim ngày %(day)s.", name=person.name, day=day_label(day)))
    # The people rules, as the solver will keep them: the calendar of the student's other pins decides.
    kept = [
        Assignment(pin.person_id, pin.ward_code, pin.date, shift_id=pin.shift_id)
        for pin in existing
        if _maybe(campaign.shift, pin.shift_id)
        and _maybe(campaign.ward, pin.ward_code)
        and campaign.contains_date(pin.date)
    ]
    calendar = Calendar(campaign, kept)
    for label in calendar.breaks(Assignment(person_id, ward_code, day, shift_id=shift_id)):
        if label == "availability":
            if day in person.unavailable_dates:
                problems.append(_("%(name)s đã đăng ký bận ngày %(day)s.", name=person.name, day=day_label(day)))
            else:
                problems.append(_("%(name)s không đăng ký làm %(shift)s.", name=person.name, shift=shift.name))
        elif label == "one_ward_per_student":
            other_wards = sorted({pin.ward_code for pin in kept if pin.ward_code != ward_code})
            names = ", ".join(getattr(_maybe(campaign.ward, c), "name", c) for c in other_wards)
            problems.append(
                _(
                    "%(name)s đã được ghim ở %(wards)s; mỗi sinh viên chỉ làm ở một xã/phường.",
                    name=person.name,
                    wards=names,
                )
            )
        elif label == "max_weekly_hours":
            problems.append(
                _(
                    "Các ca đã ghim của %(name)s trong tuần này vượt %(hours)d giờ mỗi tuần.",
                    name=person.name,
                    hours=calendar.weekly_limit(person) // 60,
                )
            )
        elif label != "one_place_at_a_time" or not any(pin.date == day for pin in existing):
            problems.append(_("Ghim này trái quy tắc: %(rule)s.", rule=RULES_BY_LABEL[label].name_vi))
    return problems


def _render_pins(
    campaign: Campaign | None, errors: list[str] | None = None, status: int = 200, form: dict | None = None
):
    """The pin page: the search for a student (``q``), the pin form (``person`` prefills it) and the pins."""
    form = dict(form or {})
    if campaign is not None and "person_id" not in form:
        form["person_id"] = request.args.get("person", "").strip()
    if campaign is not None and not form.get("ward_code") and form.get("person_id"):
        team = db.session.get(Team, form["person_id"])
        form["ward_code"] = team.ward_code if team else ""
    days = [(d.isoformat(), day_label(d)) for d in campaign.dates] if campaign else []
    shifts = [(s.id, f"{s.name} ({shift_hours(s)})") for s in _service_shifts(campaign)] if campaign else []
    wards = _wards_by_name(campaign) if campaign else []
    query = request.args.get("q", "").strip()
    found, found_total, chosen, ward_options = [], 0, None, []
    if campaign is not None:
        teams = _teams()
        ward_names = {w.code: w.name for w in campaign.wards}
        matches = find_students(campaign, query)
        found_total = len(matches)
        found = [
            {
                "person": p,
                "home": ward_names.get(p.home_ward_code, p.home_ward_code),
                "team_ward": ward_names.get(teams[p.id].ward_code, "") if p.id in teams else "",
            }
            for p in matches[:SEARCH_RESULTS_MAX]
        ]
        person = _maybe(campaign.person, form.get("person_id", ""))
        if person is not None and person.pool is Pool.STUDENT:
            team = teams.get(person.id)
            chosen = {
                "person": person,
                "home": ward_names.get(person.home_ward_code, person.home_ward_code),
                "team_ward": ward_names.get(team.ward_code, "") if team else "",
            }
        needs = InForce.now(campaign).needs(teams)
        ward_options = [(w.code, need_option(w, needs.get(w.code))) for w in wards]
    return render_template(
        "youth/pins.html",
        campaign=campaign,
        rows=_pin_rows(campaign),
        days=days,
        shifts=shifts,
        wards=wards,
        ward_options=ward_options,
        errors=errors or [],
        form=form,
        query=query,
        found=found,
        found_total=found_total,
        found_max=SEARCH_RESULTS_MAX,
        chosen=chosen,
        show_phones=_shows_phones(),
    ), status


@blueprint.get("/ghim")
@role_required(*ROLES)
def pins():
    return _render_pins(_campaign_or_none())


@blueprint.post("/ghim")
@role_required(*ROLES)
def add_pin():
    campaign = _campaign_or_none()
    if campaign is None:
        abort(404)
    form = {name: request.form.get(name, "").strip() for name in ("person_id", "ward_code", "date", "shift_id")}
    day = _parse_day(form["date"])
    errors = pin_problems(campaign, form["person_id"], form["ward_code"], day, form["shift_id"])
    if errors:
        return _render_pins(campaign, errors, 400, form)
    try:
        db.session.add(
            Pin(
                person_id=form["person_id"],
                ward_code=form["ward_code"],
                date=day,
                shift_id=form["shift_id"],
                created_by=_username(),
            )
        )
        store.bump_revision()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    flash(
        _(
            "Đã ghim %(name)s ở %(ward)s, %(day)s, %(shift)s. Lần xếp lịch sau sẽ giữ phân công này.",
            name=campaign.person(form["person_id"]).name,
            ward=campaign.ward(form["ward_code"]).name,
            day=day_label(day),
            shift=campaign.shift(form["shift_id"]).name,
        ),
        "ok",
    )
    return redirect(url_for("youth.pins"))


@blueprint.post("/ghim/<int:pin_id>/xoa")
@role_required(*ROLES)
def delete_pin(pin_id: int):
    pin = db.session.get(Pin, pin_id)
    if pin is None:
        abort(404)
    try:
        db.session.delete(pin)
        store.bump_revision()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    flash(_("Đã bỏ ghim."), "ok")
    return redirect(url_for("youth.pins"))


# ------------------------------------------------------------------------------------------- counts


def student_counts(campaign: Campaign, version_id: int | None) -> dict:
    """Students per school and per ward: in the pool, placed by the Youth Union, assigned in a version."""
    students = {p.id: p for p in _students(campaign)}
    teams = {pid: team for pid, team in _teams().items() if pid in students}
    per_school = defaultdict(lambda: {"students": 0, "placed": 0, "assigned": 0, "shifts": 0})
    per_ward = defaultdict(lambda: {"placed": 0, "teams": set(), "assigned": 0, "shifts": 0})
    for person in students.values():
        per_school[person.organisation]["students"] += 1
    for pid, team in teams.items():
        per_school[students[pid].organisation]["placed"] += 1
        per_ward[team.ward_code]["placed"] += 1
        if team.team:
            per_ward[team.ward_code]["teams"].add(team.team)
    if version_id is not None:
        rows = db.session.execute(
            select(AssignmentRow.person_id, AssignmentRow.ward_code, func.count())
            .where(AssignmentRow.version_id == version_id)
            .group_by(AssignmentRow.person_id, AssignmentRow.ward_code)
        )
        schools_seen: Counter = Counter()
        for pid, ward_code, count in rows:
            if pid not in students:
                continue
            per_ward[ward_code]["assigned"] += 1
            per_ward[ward_code]["shifts"] += int(count)
            school = students[pid].organisation
            per_school[school]["shifts"] += int(count)
            schools_seen[pid] += 1
            if schools_seen[pid] == 1:
                per_school[school]["assigned"] += 1
    return {"schools": dict(per_school), "wards": dict(per_ward)}


@blueprint.get("/so-luong")
@role_required(*ROLES)
def counts():
    campaign = _campaign_or_none()
    if campaign is None:
        return render_template("youth/counts.html", campaign=None)
    version = store.latest_published()
    figures = student_counts(campaign, version.id if version else None)
    schools = sorted(figures["schools"].items(), key=lambda item: fold(item[0]))
    ward_names = {w.code: w.name for w in campaign.wards}
    wards = sorted(
        ((code, ward_names.get(code, code), values) for code, values in figures["wards"].items()),
        key=lambda item: fold(item[1]),
    )
    totals = {
        key: sum(values[key] for _school, values in schools) for key in ("students", "placed", "assigned", "shifts")
    }
    return render_template(
        "youth/counts.html", campaign=campaign, version=version, schools=schools, wards=wards, totals=totals
    )
