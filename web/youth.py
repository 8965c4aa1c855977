"""The Youth Union's pages (Thành đoàn): students' wards and teams, pins, counts.

- ``students``: the student pool with school, home ward and team placement; filter, page, and place
  several students at once in a ward and a team (a team's ward becomes the student's preferred ward
  for the solver, see :func:`web.store.apply_youth_union`);
- ``pins``: assignments the next solve must keep (a student, a ward, a day and a service shift);
- ``counts``: students per school and per ward, placed and, in the latest published roster, assigned.

Every change raises the data revision, so :func:`web.store.campaign` applies it to the next solve.
Students' phone numbers are shown to coordinators only.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from geo.units import fold
from scheduler.calendar import Calendar
from scheduler.model import Assignment, Campaign, Person, Pool, ShiftKind
from scheduler.rules import RULES_BY_LABEL
from web import store
from web.auth import current_user, role_required
from web.models import AssignmentRow, Pin, Team, db, utcnow
from web.volunteer import day_label, shift_hours

logger = logging.getLogger(__name__)

blueprint = Blueprint("youth", __name__, url_prefix="/thanh-doan")

ROLES = ("coordinator", "youth_union")
PAGE_SIZE = 50
UNPLACED = "-"  # the ward filter's value for students not yet placed
TEAM_NAME_MAX_CHARS = 100


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


# ------------------------------------------------------------------------------------------- students


def _filters() -> dict[str, str]:
    return {name: request.values.get(name, "").strip() for name in ("q", "school", "ward", "home")}


def _filtered(students, teams: dict[str, Team], filters: dict[str, str]) -> list[Person]:
    query = fold(filters["q"])
    chosen = []
    for person in students:
        team = teams.get(person.id)
        if filters["school"] and person.organisation != filters["school"]:
            continue
        if filters["home"] and person.home_ward_code != filters["home"]:
            continue
        if filters["ward"] == UNPLACED and team is not None:
            continue
        if filters["ward"] and filters["ward"] != UNPLACED and (team is None or team.ward_code != filters["ward"]):
            continue
        if query and query not in fold(person.name) and query not in person.id.lower():
            continue
        chosen.append(person)
    return chosen


def _render_students(
    campaign: Campaign | None, errors: list[str] | None = None, status: int = 200, form: dict | None = None
):
    if campaign is None:
        return render_template("youth/students.html", campaign=None, errors=errors or []), status
    teams = _teams()
    filters = _filters()
    students = _students(campaign)
    chosen = _filtered(students, teams, filters)
    pages = max(1, math.ceil(len(chosen) / PAGE_SIZE))
    try:
        page = min(max(1, int(request.values.get("page", "1"))), pages)
    except ValueError:
        page = 1
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ward_names = {w.code: w.name for w in campaign.wards}
    rows = [
        {
            "person": p,
            "home": ward_names.get(p.home_ward_code, p.home_ward_code),
            "team": teams.get(p.id),
            "team_ward": ward_names.get(teams[p.id].ward_code, teams[p.id].ward_code) if p.id in teams else "",
        }
        for p in shown
    ]
    schools = sorted({p.organisation for p in students})
    return render_template(
        "youth/students.html",
        campaign=campaign,
        rows=rows,
        filters=filters,
        page=page,
        kept={name: value for name, value in filters.items() if value},
        pages=pages,
        total=len(chosen),
        student_count=len(students),
        placed_count=sum(1 for p in students if p.id in teams),
        schools=schools,
        wards=sorted(campaign.wards, key=lambda w: fold(w.name)),
        unplaced=UNPLACED,
        show_phones=_shows_phones(),
        errors=errors or [],
        form=form or {},
        team_max=TEAM_NAME_MAX_CHARS,
    ), status


@blueprint.get("/")
@role_required(*ROLES)
def students():
    return _render_students(_campaign_or_none())


@blueprint.post("/xep")
@role_required(*ROLES)
def place():
    """Place the selected students in a ward and a team (or clear their placement)."""
    campaign = _campaign_or_none()
    if campaign is None:
        abort(404)
    person_ids = [pid.strip() for pid in request.form.getlist("person_id") if pid.strip()]
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
    form = dict(form or {})
    if campaign is not None and "person_id" not in form:
        form["person_id"] = request.args.get("person", "").strip()
    if campaign is not None and not form.get("ward_code") and form.get("person_id"):
        team = db.session.get(Team, form["person_id"])
        form["ward_code"] = team.ward_code if team else ""
    days = [(d.isoformat(), day_label(d)) for d in campaign.dates] if campaign else []
    shifts = [(s.id, f"{s.name} ({shift_hours(s)})") for s in _service_shifts(campaign)] if campaign else []
    wards = sorted(campaign.wards, key=lambda w: fold(w.name)) if campaign else []
    return render_template(
        "youth/pins.html",
        campaign=campaign,
        rows=_pin_rows(campaign),
        days=days,
        shifts=shifts,
        wards=wards,
        errors=errors or [],
        form=form,
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
