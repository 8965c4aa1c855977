"""The duty desk (Bàn điều độ): incidents on one board, who to send, and the coordinators' incident log.

- ``desk`` at ``/dieu-do/`` (roles ``dispatcher`` and ``coordinator``): the board of open incidents,
  urgent first, with the minutes since each was reported against its limit, its state, the technician
  and its escalations; an incident's page with its timeline, the ranked candidates
  (:func:`web.incidents.candidates_for`, reasons in words) and the desk's steps (assign, reassign,
  record a step the technician phoned in, cancel with a reason); the wards left uncovered by
  technicians away at incidents, and the page to move a nearby technician on duty to cover one.
- ``/dieu-phoi/su-co`` (on the coordinator blueprint): every incident with filters, paged, and its
  XLSX export with the time of every step.

Every step posts the incident's revision the page showed, so a page left open while the incident
moved is told so instead of undoing someone else's step (:mod:`web.incidents`).

The board runs :func:`web.incidents.escalate_due` when it loads, as the sender loop
(:func:`web.outbox.sender_round`) does every round.
"""

from __future__ import annotations

import io
import logging
import math
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.routing import BuildError
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from scheduler import dispatch
from scheduler.formulas import text_only
from scheduler.model import Campaign, Pool
from scheduler.verify import resolve_travel, responsible_wards
from web import incident_words, incidents, live
from web.auth import current_user, role_required
from web.coordinator import XLSX_MIMETYPE, Page, _page_number, page_url
from web.coordinator import blueprint as coordinator_blueprint
from web.forms import Form, WholeNumberField
from web.models import db

logger = logging.getLogger(__name__)

blueprint = Blueprint("desk", __name__, url_prefix="/dieu-do")

DESK_ROLES = ("dispatcher", "coordinator")
BOARD_REFRESH_SECONDS = 30
LOG_PER_PAGE = 50
MAX_COVER_MINUTES = 12 * 60
COVER_SUGGESTIONS = 8


# ------------------------------------------------------------------------------------------------ forms


class AssignForm(Form):
    person_id = HiddenField(validators=[DataRequired(), Length(max=40)])
    seen = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Giao"))


class StepForm(Form):
    to = HiddenField(validators=[DataRequired(), Length(max=20)])
    seen = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Ghi nhận"))


class CancelForm(Form):
    reason = StringField(_l("Lý do huỷ"), validators=[DataRequired(), Length(max=incidents.NOTE_MAX_CHARS)])
    seen = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Huỷ sự cố"))


class CoverForm(Form):
    person_id = HiddenField(validators=[DataRequired(), Length(max=40)])
    minutes = WholeNumberField(
        _l("Trực thay trong (phút)"), validators=[InputRequired(), NumberRange(min=1, max=MAX_COVER_MINUTES)]
    )
    submit = SubmitField(_l("Điều đến trực thay"))


# ------------------------------------------------------------------------------------------------ words


def state_labels() -> dict[str, str]:
    """The lifecycle's states, and the escalation step, in the reader's language."""
    return {state: incident_words.state_label(state) for state in (*dispatch.STATES, incidents.ESCALATED)}


def category_labels() -> dict[str, str]:
    return {code: incident_words.category_label(code) for code in dispatch.CATEGORIES}


def tier_labels() -> dict[str, str]:
    return {
        "responsible": _("Đang phụ trách xã, phường này"),
        "on_duty": _("Đang trực nơi khác"),
        "call_out": _("Gọi ngoài ca"),
    }


def escalation_labels() -> dict[str, str]:
    return {"acknowledge": _("chưa xác nhận"), "arrival": _("chưa có người đến")}


def step_action_labels() -> dict[str, str]:
    """The steps the desk records on a technician's behalf (when they phone in)."""
    return {
        dispatch.ACKNOWLEDGED: _("Đã nhận (báo qua điện thoại)"),
        dispatch.ON_THE_WAY: _("Đang đến"),
        dispatch.ARRIVED: _("Đã đến nơi"),
        dispatch.RESOLVED: _("Đã xử lý xong"),
        dispatch.RESOLVED_REMOTE: _("Đã xử lý qua điện thoại"),
    }


# ------------------------------------------------------------------------------------------------ helpers


def _username() -> str:
    user = current_user()
    return user.username if user else ""


def _live_campaign() -> Campaign:
    campaign = live.live_campaign()
    if campaign is None:
        flash(_("Chưa có dữ liệu chiến dịch."), "error")
        abort(redirect(url_for("public.home")))
    return campaign


def _ward_name(campaign: Campaign | None, code: str | None) -> str:
    if not code:
        return ""
    return campaign.ward(code).name if campaign is not None and campaign.has("wards", code) else code


def _person(campaign: Campaign | None, person_id: str | None):
    if not person_id or campaign is None or not campaign.has("people", person_id):
        return None
    return campaign.person(person_id)


def _incident_or_404(incident_id: int) -> incidents.IncidentRow:
    row = incidents.get(incident_id)
    if row is None:
        abort(404)
    return row


def _seen(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (rounded down, never negative)."""
    return max(0, int((end - start).total_seconds() // 60))


def tech_link(row: incidents.IncidentRow) -> str | None:
    """The technician's page for this incident (absolute), or None when nobody is sent or no page serves it."""
    if row.technician_id is None:
        return None
    try:
        path = incidents.tech_path(row.id, row.technician_id)
    except BuildError:
        return None
    return request.url_root.rstrip("/") + path


@dataclass
class BoardEntry:
    """One open incident as the board shows it."""

    row: incidents.IncidentRow
    ward: str
    category: str
    state: str
    technician: str
    phone: str
    minutes: int  # since reported
    late: bool  # past its limit with nobody there
    escalations: list[str]


def board_entries(campaign: Campaign | None, rows: list[incidents.IncidentRow], at: datetime) -> list[BoardEntry]:
    """The open incidents (already urgent first, oldest first) with what the board shows of each."""
    states, categories, reasons = state_labels(), category_labels(), escalation_labels()
    entries = []
    for row in rows:
        person = _person(campaign, row.technician_id)
        minutes = minutes_between(row.reported_at, at)
        entries.append(
            BoardEntry(
                row=row,
                ward=_ward_name(campaign, row.ward_code),
                category=categories.get(row.category, row.category_label),
                state=states.get(row.state, row.state),
                technician=person.name if person else (row.technician_id or ""),
                phone=person.phone if person else "",
                minutes=minutes,
                late=row.arrived_at is None and minutes > row.limit_minutes,
                escalations=[reasons.get(r, r) for r in sorted(incidents.escalation_reasons(row))],
            )
        )
    return entries


def uncovered_entries(campaign: Campaign | None, at: datetime) -> list[dict]:
    """The wards left with no responsible technician now, soonest back last, with who is away."""
    away: dict[str, list[str]] = {}
    for row in incidents.engaged_incidents():
        person = _person(campaign, row.technician_id)
        for code, _minutes in row.uncovered_wards:
            away.setdefault(code, []).append(person.name if person else (row.technician_id or ""))
    found = []
    for code, until in sorted(incidents.uncovered_now(at).items(), key=lambda item: (item[1], item[0])):
        found.append(
            {
                "code": code,
                "name": _ward_name(campaign, code),
                "until": until,
                "minutes": max(1, math.ceil((until - at).total_seconds() / 60)),
                "away": away.get(code, []),
            }
        )
    return found


@blueprint.get("/")
@role_required(*DESK_ROLES)
def board():
    """Open incidents, urgent first, with their minutes against the limit, escalations first in the alert."""
    campaign = live.live_campaign()
    at = live.now()
    incidents.escalate_due(at)
    entries = board_entries(campaign, incidents.open_incidents(), at)
    unacknowledged = sum(1 for e in entries if "acknowledge" in incidents.escalation_reasons(e.row))
    not_arrived = sum(1 for e in entries if "arrival" in incidents.escalation_reasons(e.row))
    day_start = datetime.combine(at.date(), datetime.min.time())
    closed_today = board_entries(
        campaign,
        list(
            db.session.scalars(
                incidents.query(states=sorted(dispatch.CLOSED_STATES), first=day_start, last=at + timedelta(seconds=1))
            )
        ),
        at,
    )
    return render_template(
        "desk/board.html",
        at=at,
        entries=entries,
        unacknowledged=unacknowledged,
        not_arrived=not_arrived,
        uncovered=uncovered_entries(campaign, at),
        closed_today=closed_today,
        refresh_seconds=BOARD_REFRESH_SECONDS,
    )


# ------------------------------------------------------------------------------------------------ one incident


def _timeline(campaign: Campaign | None, row: incidents.IncidentRow) -> list[dict]:
    labels = state_labels()
    steps = []
    for step in incidents.steps_of(row.id):
        person = _person(campaign, step.technician_id)
        by = step.by
        if by.startswith("person:"):
            who = _person(campaign, by.removeprefix("person:"))
            by = who.name if who else by
        elif by == "system":
            by = _("hệ thống")
        steps.append(
            {
                "step": step.step,
                "label": labels.get(step.step, step.step),
                "at": step.at,
                "by": by,
                "technician": person.name if person else (step.technician_id or ""),
                "note": step.note,
            }
        )
    return steps


@blueprint.get("/su-co/<int:incident_id>")
@role_required(*DESK_ROLES)
def incident(incident_id: int):
    """One incident: what and where, its timeline, the ranked candidates and the desk's steps."""
    row = _incident_or_404(incident_id)
    campaign = live.live_campaign()
    at = live.now()
    show_all = request.args.get("tat-ca") == "1"
    candidates = incidents.candidates_for(row, at, limit=None if show_all else 3) if row.open else []
    person = _person(campaign, row.technician_id)
    moves = [to for to in step_action_labels() if row.technician_id is not None and dispatch.can_move(row.state, to)]
    return render_template(
        "desk/incident.html",
        row=row,
        at=at,
        ward=_ward_name(campaign, row.ward_code),
        category=category_labels().get(row.category, row.category_label),
        state=state_labels().get(row.state, row.state),
        minutes=minutes_between(row.reported_at, at),
        technician=person,
        from_ward=_ward_name(campaign, row.from_ward_code),
        link=tech_link(row),
        timeline=_timeline(campaign, row),
        candidates=candidates,
        show_all=show_all,
        tiers=tier_labels(),
        escalations=[escalation_labels().get(r, r) for r in sorted(incidents.escalation_reasons(row))],
        moves=moves,
        move_labels=step_action_labels(),
        assign_form=AssignForm(),
        step_form=StepForm(),
        cancel_form=CancelForm(),
        can_cancel=dispatch.can_move(row.state, dispatch.CANCELLED),
        ward_name=lambda code: _ward_name(campaign, code),
    )


def _moved_since() -> None:
    flash(_("Sự cố đã thay đổi từ lúc bạn mở trang (người khác vừa cập nhật). Hãy xem lại rồi làm tiếp."), "error")


@blueprint.post("/su-co/<int:incident_id>/giao")
@role_required(*DESK_ROLES)
def assign(incident_id: int):
    """Send one candidate (a first assignment or a reassignment), from the revision the page showed."""
    row = _incident_or_404(incident_id)
    form = AssignForm()
    back = redirect(url_for("desk.incident", incident_id=incident_id), 303)
    if not form.validate_on_submit():
        flash(_("Chưa giao: yêu cầu không hợp lệ, hãy tải lại trang."), "error")
        return back
    seen = _seen(form.seen.data)
    if seen is None or seen != row.revision or not row.open:
        _moved_since()
        return back
    candidate = incidents.candidate_by_person(row, form.person_id.data)
    if candidate is None:
        flash(_("Người này không còn giao được cho sự cố này (đã bận, hết ca hoặc vướng quy tắc nghỉ)."), "error")
        return back
    if not incidents.assign(row, candidate, _username(), seen=seen):
        _moved_since()
        return back
    flash(_("Đã giao sự cố #%(id)s cho %(name)s.", id=incident_id, name=candidate.name))
    logger.info("incident %s assigned to %s by %s", incident_id, candidate.person_id, _username())
    return back


@blueprint.post("/su-co/<int:incident_id>/buoc")
@role_required(*DESK_ROLES)
def step(incident_id: int):
    """Record a step the technician phoned in (received, on the way, arrived, resolved)."""
    row = _incident_or_404(incident_id)
    form = StepForm()
    back = redirect(url_for("desk.incident", incident_id=incident_id), 303)
    if not form.validate_on_submit() or form.to.data not in step_action_labels():
        flash(_("Chưa ghi nhận: yêu cầu không hợp lệ, hãy tải lại trang."), "error")
        return back
    seen = _seen(form.seen.data)
    if seen is None or not incidents.move(
        row, form.to.data, _username(), note=_("ghi nhận tại bàn điều độ"), seen=seen
    ):
        _moved_since()
        return back
    flash(_("Đã ghi nhận: %(step)s.", step=state_labels()[form.to.data]))
    return back


@blueprint.post("/su-co/<int:incident_id>/huy")
@role_required(*DESK_ROLES)
def cancel(incident_id: int):
    """Cancel an incident, with the reason in its history."""
    row = _incident_or_404(incident_id)
    form = CancelForm()
    back = redirect(url_for("desk.incident", incident_id=incident_id), 303)
    if not form.validate_on_submit():
        flash(_("Chưa huỷ: hãy ghi lý do huỷ."), "error")
        return back
    seen = _seen(form.seen.data)
    if seen is None or not incidents.move(row, dispatch.CANCELLED, _username(), note=form.reason.data, seen=seen):
        _moved_since()
        return back
    flash(_("Đã huỷ sự cố #%(id)s.", id=incident_id))
    return back


# ------------------------------------------------------------------------------------------------ covering a ward


def cover_suggestions(campaign: Campaign, ward_code: str, at: datetime, limit: int = COVER_SUGGESTIONS) -> list[dict]:
    """Technicians on duty now and free, nearest to ``ward_code`` first (travel minutes from their post)."""
    _campaign, assignments = incidents.roster_in_force()
    worked = assignments + incidents.callout_assignments()
    travel = resolve_travel(None)
    busy = {e.person_id for e in incidents.engagements(campaign, at)}
    found = []
    for person_id, assignment in dispatch.on_duty(campaign, worked, at).items():
        if person_id in busy:
            continue
        person = campaign.person(person_id)
        wards = responsible_wards(campaign, assignment, travel)
        found.append(
            {
                "person": person,
                "post": _ward_name(campaign, assignment.ward_code),
                "travel_minutes": travel(assignment.ward_code, ward_code),
                "wards": [_ward_name(campaign, code) for code in wards if code != ward_code],
            }
        )
    found.sort(key=lambda item: (item["travel_minutes"], item["person"].id))
    return found[:limit]


@blueprint.route("/xa/<ward_code>/truc-thay", methods=["GET", "POST"])
@role_required(*DESK_ROLES)
def cover(ward_code: str):
    """Move a nearby technician on duty to answer for a ward left uncovered, for a while."""
    campaign = _live_campaign()
    if not campaign.has("wards", ward_code):
        abort(404)
    at = live.now()
    until = incidents.uncovered_now(at).get(ward_code)
    form = CoverForm()
    if request.method == "GET" and until is not None:
        form.minutes.data = max(1, math.ceil((until - at).total_seconds() / 60))
    suggestions = cover_suggestions(campaign, ward_code, at)
    if request.method == "POST":
        allowed = {item["person"].id for item in cover_suggestions(campaign, ward_code, at, limit=len(campaign.people))}
        if form.validate_on_submit() and form.person_id.data in allowed:
            person = campaign.person(form.person_id.data)
            incidents.add_cover(ward_code, person.id, form.minutes.data, _username(), at)
            flash(
                _(
                    "%(name)s trực thay %(ward)s trong %(minutes)s phút.",
                    name=person.name,
                    ward=_ward_name(campaign, ward_code),
                    minutes=form.minutes.data,
                )
            )
            return redirect(url_for("desk.board"), 303)
        flash(
            _(
                "Chưa điều được: hãy chọn một kỹ thuật viên đang trực và số phút từ 1 đến %(max)s.",
                max=MAX_COVER_MINUTES,
            ),
            "error",
        )
    return render_template(
        "desk/cover.html",
        ward=_ward_name(campaign, ward_code),
        ward_code=ward_code,
        until=until,
        at=at,
        suggestions=suggestions,
        form=form,
    )


# ------------------------------------------------------------------------------------------------ the daily report


@dataclass
class DayIncidents:
    """The response figures of one day: per ward that had incidents or went uncovered, and for the city."""

    wards: list[dict]  # {"code", "name", "figures": IncidentFigures, "uncovered_minutes"}
    city: dispatch.IncidentFigures
    city_uncovered_minutes: int


def day_incidents(campaign: Campaign | None, day: date, at: datetime) -> DayIncidents:
    """Incidents reported on ``day`` and the minutes wards were left uncovered that day up to ``at``.

    The figures are :func:`scheduler.dispatch.incident_figures` (an incident not reached yet counts as late
    once past its limit at ``at``, or at the day's end for a past day) and
    :func:`scheduler.dispatch.uncovered_minutes` over :func:`web.incidents.uncovered_intervals`.
    """
    start = datetime.combine(day, datetime.min.time())
    end = start + timedelta(days=1)
    as_of = min(at, end)
    rows = list(db.session.scalars(incidents.query(first=start, last=end)))
    records: dict[str, list[dispatch.IncidentRecord]] = {}
    for row in rows:
        records.setdefault(row.ward_code, []).append(row.record())
    uncovered = dispatch.uncovered_minutes(incidents.uncovered_intervals(as_of), start, max(start, as_of))
    wards = []
    for code in sorted(set(records) | {code for code, minutes in uncovered.items() if minutes}):
        wards.append(
            {
                "code": code,
                "name": _ward_name(campaign, code),
                "figures": dispatch.incident_figures(records.get(code, []), as_of),
                "uncovered_minutes": uncovered.get(code, 0),
            }
        )
    wards.sort(key=lambda ward: ward["name"])
    city = dispatch.incident_figures([record for found in records.values() for record in found], as_of)
    return DayIncidents(wards, city, sum(uncovered.values()))


# ------------------------------------------------------------------------------------------------ the log


@dataclass
class LogFilters:
    """The incident log's filters, read from the query string (bad values are ignored)."""

    ward_code: str = ""
    state: str = ""
    category: str = ""
    first: date | None = None
    last: date | None = None
    technician_id: str = ""
    urgent: bool = False

    @classmethod
    def from_args(cls, campaign: Campaign | None) -> LogFilters:
        args = request.args
        ward = args.get("ward", "")
        technician = args.get("technician", "")
        return cls(
            ward_code=ward if campaign is not None and campaign.has("wards", ward) else "",
            state=args.get("state", "") if args.get("state", "") in dispatch.STATES else "",
            category=args.get("category", "") if args.get("category", "") in dispatch.CATEGORIES else "",
            first=_date(args.get("from", "")),
            last=_date(args.get("to", "")),
            technician_id=technician if campaign is not None and campaign.has("people", technician) else "",
            urgent=args.get("urgent") == "1",
        )

    def statement(self):
        statement = incidents.query(
            ward_code=self.ward_code or None,
            states=[self.state] if self.state else None,
            category=self.category or None,
            first=datetime.combine(self.first, datetime.min.time()) if self.first else None,
            last=datetime.combine(self.last + timedelta(days=1), datetime.min.time()) if self.last else None,
            technician_id=self.technician_id or None,
        )
        if self.urgent:
            statement = statement.where(incidents.IncidentRow.urgent.is_(True))
        return statement

    def args(self) -> dict:
        """The filters as query arguments (for the export link)."""
        values = {
            "ward": self.ward_code,
            "state": self.state,
            "category": self.category,
            "from": self.first.isoformat() if self.first else "",
            "to": self.last.isoformat() if self.last else "",
            "technician": self.technician_id,
            "urgent": "1" if self.urgent else "",
        }
        return {key: value for key, value in values.items() if value}


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _log_row(campaign: Campaign | None, row: incidents.IncidentRow) -> dict:
    person = _person(campaign, row.technician_id)
    return {
        "row": row,
        "ward": _ward_name(campaign, row.ward_code),
        "category": category_labels().get(row.category, row.category_label),
        "state": state_labels().get(row.state, row.state),
        "technician": person.name if person else (row.technician_id or ""),
        "arrival_minutes": minutes_between(row.reported_at, row.arrived_at) if row.arrived_at else None,
        "resolution_minutes": minutes_between(row.reported_at, row.resolved_at) if row.resolved_at else None,
    }


@coordinator_blueprint.get("/su-co")
@role_required(*DESK_ROLES)
def incident_log():
    """Every incident, newest first, filtered by ward, state, category, dates, technician and urgency; paged."""
    campaign = live.live_campaign()
    filters = LogFilters.from_args(campaign)
    statement = filters.statement()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    count = max(1, math.ceil(total / LOG_PER_PAGE))
    number = min(_page_number(), count)
    rows = db.session.scalars(statement.offset((number - 1) * LOG_PER_PAGE).limit(LOG_PER_PAGE))
    page = Page([_log_row(campaign, row) for row in rows], number, count, total)
    technicians = sorted(campaign.people_in(Pool.TECHNICIAN), key=lambda p: p.name) if campaign else []
    return render_template(
        "desk/log.html",
        page=page,
        filters=filters,
        wards=campaign.wards if campaign else [],
        technicians=technicians,
        states=state_labels(),
        categories=category_labels(),
        export_args=filters.args(),
        page_url=page_url,
    )


LOG_HEADINGS = (
    "Mã sự cố",
    "Mã xã, phường",
    "Xã, phường",
    "Loại sự cố",
    "Khẩn",
    "Trạng thái",
    "Mô tả",
    "Địa điểm",
    "Người báo",
    "Báo lúc",
    "Giới hạn (phút)",
    "Mã kỹ thuật viên",
    "Kỹ thuật viên",
    "Giao lúc",
    "Nhận lúc",
    "Lên đường lúc",
    "Đến lúc",
    "Xử lý xong lúc",
    "Huỷ lúc",
    "Báo động gần nhất lúc",
    "Phút đến nơi",
    "Phút xử lý",
    "Đến muộn",
)
STEP_HEADINGS = ("Mã sự cố", "Bước", "Lúc", "Người ghi", "Mã kỹ thuật viên", "Ghi chú")


def write_log_xlsx(campaign: Campaign | None, rows: list[incidents.IncidentRow], path: Path) -> None:
    """The incidents (one row each, every step's time) and their full history (one row per step) as a workbook."""
    import openpyxl
    from openpyxl.styles import Font

    states = dispatch.STATE_LABELS_VI | {incidents.ESCALATED: incident_words.ESCALATED_LABEL}
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sự cố"
    sheet.append(LOG_HEADINGS)
    for row in rows:
        person = _person(campaign, row.technician_id)
        arrival = minutes_between(row.reported_at, row.arrived_at) if row.arrived_at else None
        resolution = minutes_between(row.reported_at, row.resolved_at) if row.resolved_at else None
        sheet.append(
            (
                row.id,
                row.ward_code,
                _ward_name(campaign, row.ward_code),
                row.category_label,
                "có" if row.urgent else "không",
                states.get(row.state, row.state),
                row.description,
                row.place,
                row.reported_by,
                row.reported_at,
                row.limit_minutes,
                row.technician_id or "",
                person.name if person else "",
                row.assigned_at,
                row.acknowledged_at,
                row.on_the_way_at,
                row.arrived_at,
                row.resolved_at,
                row.cancelled_at,
                row.escalated_at,
                arrival,
                resolution,
                "có" if arrival is not None and arrival > row.limit_minutes else "",
            )
        )
    steps = workbook.create_sheet("Các bước")
    steps.append(STEP_HEADINGS)
    ids = [row.id for row in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        history = db.session.scalars(
            select(incidents.IncidentStep)
            .where(incidents.IncidentStep.incident_id.in_(chunk))
            .order_by(incidents.IncidentStep.incident_id, incidents.IncidentStep.id)
        )
        for step in history:
            steps.append(
                (
                    step.incident_id,
                    states.get(step.step, step.step),
                    step.at,
                    step.by,
                    step.technician_id or "",
                    step.note,
                )
            )
    for each in (sheet, steps):
        for cell in each[1]:
            cell.font = Font(bold=True)
        for column in each.iter_cols(min_row=2):
            for cell in column:
                if isinstance(cell.value, datetime):
                    cell.number_format = "dd/mm/yyyy hh:mm"
        each.freeze_panes = "A2"
        text_only(each)
    workbook.save(path)


@coordinator_blueprint.get("/su-co.xlsx")
@role_required(*DESK_ROLES)
def incident_log_xlsx():
    """The filtered incident log as a workbook: every incident with every step's time, and the full history."""
    campaign = live.live_campaign()
    filters = LogFilters.from_args(campaign)
    rows = list(db.session.scalars(filters.statement()))
    with tempfile.TemporaryDirectory(prefix="raquan-export-") as scratch:
        path = Path(scratch) / "su-co.xlsx"
        write_log_xlsx(campaign, rows, path)
        content = path.read_bytes()
    name = f"nhat-ky-su-co-{live.today().isoformat()}.xlsx"
    return send_file(io.BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)
