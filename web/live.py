"""The roster while the campaign runs: events, the campaign's clock, and the coordinators' live pages.

Everything that changes the plan is an event (:class:`scheduler.events.Event`), stored as a row of
``events`` (:class:`EventRow`) with who recorded it, when, against which published version, and its
state: ``open`` until a published repair answers it (``repaired``) or a coordinator sets it aside
(``dismissed``). :func:`live_campaign` is the stored campaign with every event applied, and
:func:`cancelled_slots` the assignments of a version that open events take away: the dashboard, the
ward page, the daily report and the "Hôm nay" page show them, and recompute a day's coverage without
them (:func:`day_shortfalls`, the checker's own :func:`scheduler.verify.unfilled_slots`).

"Now" is :func:`now`: the real time in Hanoi, unless the app setting or the environment variable
``RAQUAN_NOW`` fixes it (tests, replays, the demo).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import math
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Mapped, mapped_column
from wtforms import BooleanField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional

from scheduler import clock
from scheduler.cells import CellError, format_time, parse_phone, parse_time
from scheduler.events import (
    DEMAND_FIELDS,
    KINDS,
    PERSON_KINDS,
    SLOT_KINDS,
    Event,
    EventError,
    apply_events,
    days_between,
    event_from_dict,
    event_to_dict,
)
from scheduler.model import (
    Campaign,
    MobilePoint,
    Person,
    Pool,
    PriorityGroup,
    Roster,
    StaffNeed,
    Unfilled,
)
from scheduler.problems import CampaignLoadError
from scheduler.verify import unfilled_slots
from web import store
from web.auth import role_required
from web.coordinator import (
    Page,
    _campaign_or_redirect,
    _page_number,
    _person_of,
    _slot_name,
    _username,
    _ward_name,
    blueprint,
    pool_labels,
    rule_label,
)
from web.forms import ActionForm, Form, WholeNumberField
from web.models import AssignmentRow, RosterVersion, changed_rows, db, utcnow

logger = logging.getLogger(__name__)

SOURCES = ("volunteer", "coordinator")
STATES = ("open", "repaired", "dismissed")
EVENTS_PER_PAGE = 50
REASON_MAX_CHARS = 500
MAX_DEMAND = 50  # people per shift or day a demand change may ask for
MAX_STAFF_PER_POINT = 20


class EventRow(db.Model):
    """One stored event: the event itself as JSON, and what the lists and queries need beside it."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(db.String(40))
    person_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True, index=True)
    ward_code: Mapped[str | None] = mapped_column(db.String(10), nullable=True)
    first_date: Mapped[dt.date | None] = mapped_column(db.Date, nullable=True)
    last_date: Mapped[dt.date | None] = mapped_column(db.Date, nullable=True)
    payload: Mapped[str] = mapped_column(db.Text)  # scheduler.events.event_to_dict, as JSON
    source: Mapped[str] = mapped_column(db.String(20))  # volunteer | coordinator
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(db.String(80), default="")
    # The published version it was recorded against, and the one that repaired it. Published versions are
    # never deleted; no foreign key, so that a rebuild of roster_versions by a migration leaves events alone.
    version_id: Mapped[int | None] = mapped_column(nullable=True)
    state: Mapped[str] = mapped_column(db.String(20), default="open", index=True)  # open | repaired | dismissed
    repaired_by_version_id: Mapped[int | None] = mapped_column(nullable=True)

    @property
    def event(self) -> Event:
        """The domain event, with the row's id."""
        return event_from_dict({**json.loads(self.payload), "id": self.id})


# ------------------------------------------------------------------------------------------------ the clock


def now() -> datetime:
    """The campaign's "now" (naive, Hanoi's local time): the app's ``RAQUAN_NOW``, else the environment's, else
    the real time."""
    return clock.now(current_app.config.get("RAQUAN_NOW") or None)


def today() -> date:
    return now().date()


# ------------------------------------------------------------------------------------------------ the store


def _dates_of(event: Event, campaign: Campaign | None) -> tuple[date | None, date | None]:
    """The first and last date an event touches (None when it touches no date in particular)."""
    if event.kind in PERSON_KINDS:
        last = max(event.dates)
        if event.kind == "left" and campaign is not None:
            last = max(last, campaign.end_date)
        return min(event.dates), last
    if event.point is not None:
        return event.point.date, event.point.date
    if event.point_id and campaign is not None and campaign.has("points", event.point_id):
        day = campaign.mobile_point(event.point_id).date
        return day, day
    return None, None


def _ward_of(event: Event, campaign: Campaign | None, version_id: int | None) -> str | None:
    """The ward an event is about: its own, its mobile point's, or where the person works on its first date."""
    if event.ward_code:
        return event.ward_code
    if event.point is not None:
        return event.point.ward_code
    if event.person is not None:
        return event.person.home_ward_code
    if event.point_id and campaign is not None and campaign.has("points", event.point_id):
        return campaign.mobile_point(event.point_id).ward_code
    if event.person_id and version_id is not None:
        query = select(AssignmentRow.ward_code).where(
            AssignmentRow.version_id == version_id,
            AssignmentRow.person_id == event.person_id,
            AssignmentRow.date.in_(event.dates),
        )
        if event.slot_ids:
            query = query.where(
                AssignmentRow.shift_id.in_(event.slot_ids) | AssignmentRow.mobile_point_id.in_(event.slot_ids)
            )
        return db.session.scalar(query.order_by(AssignmentRow.date).limit(1))
    return None


def _stored_campaign() -> Campaign | None:
    try:
        return store.campaign()
    except CampaignLoadError:
        return None


def record_event(event: Event, source: str, version_id: int | None = None) -> EventRow:
    """Store an event (and commit); returns its row, ``state`` open.

    Parameters
    ----------
    event
        The event; its ``recorded_by`` is stored as ``created_by`` (its ``id`` is ignored: the row's is used).
    source
        ``volunteer`` or ``coordinator``.
    version_id
        The published version it was recorded against (None: the latest published one, if any).
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    if version_id is None:
        published = store.latest_published()
        version_id = published.id if published is not None else None
    campaign = _stored_campaign()
    first, last = _dates_of(event, campaign)
    payload = event_to_dict(dataclasses.replace(event, id=None))
    try:
        row = EventRow(
            kind=event.kind,
            person_id=event.person_id or (event.person.id if event.person is not None else None),
            ward_code=_ward_of(event, campaign, version_id),
            first_date=first,
            last_date=last,
            payload=json.dumps(payload, ensure_ascii=False),
            source=source,
            created_at=utcnow(),
            created_by=event.recorded_by[:80],
            version_id=version_id,
            state="open",
        )
        db.session.add(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    logger.info("event %s (%s) recorded by %s: %s", row.id, event.kind, source, event.recorded_by)
    _replan_visits(event)
    return row


def _replan_visits(event: Event) -> None:
    """Re-plan the home-visit routes in force whose team the event takes someone from; a failure here is
    logged and never undoes the event."""
    from web import visit_plans

    try:
        visit_plans.replan_for_event(event, now())
    except Exception:
        db.session.rollback()
        logger.exception("re-planning visits after event %s failed", event.kind)


def _events_query(state: str | None):
    query = select(EventRow)
    if state is not None:
        query = query.where(EventRow.state == state)
    return query


def events_of(state: str | None = None, limit: int | None = None, offset: int = 0) -> list[EventRow]:
    """Stored events (of one state, or all), newest first."""
    query = _events_query(state).order_by(EventRow.created_at.desc(), EventRow.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def count_events(state: str | None = None) -> int:
    query = select(func.count()).select_from(EventRow)
    if state is not None:
        query = query.where(EventRow.state == state)
    return db.session.scalar(query) or 0


def open_events() -> list[EventRow]:
    """The events no published version has answered yet, newest first."""
    return events_of("open")


def domain_events(up_to: int | None = None) -> list[Event]:
    """Every event that stands (open or repaired; not dismissed), in the order recorded, as domain events.

    ``up_to``: only the events whose id is at most this one. For a repair:
    ``apply_events(store.campaign(), domain_events(), now)``.
    """
    query = select(EventRow).where(EventRow.state != "dismissed")
    if up_to is not None:
        query = query.where(EventRow.id <= up_to)
    return [row.event for row in db.session.scalars(query.order_by(EventRow.id))]


def mark_repaired(event_ids, version_id: int) -> int:
    """Mark open events as answered by a published version; returns how many changed (and commits)."""
    ids = [int(i) for i in event_ids]
    if not ids:
        return 0
    changed = changed_rows(
        update(EventRow)
        .where(EventRow.id.in_(ids), EventRow.state == "open")
        .values(state="repaired", repaired_by_version_id=version_id)
    )
    return changed


def dismiss(event_id: int) -> bool:
    """Set an open event aside (recorded by mistake, already handled); whether it was open."""
    changed = changed_rows(
        update(EventRow).where(EventRow.id == event_id, EventRow.state == "open").values(state="dismissed")
    )
    return bool(changed)


_live_lock = threading.Lock()
_live_cache: dict[tuple, Campaign] = {}
LIVE_CACHE_ENTRIES = 4  # the campaign as of now (a repair) and with every event (the pages), across a few minutes


def _applied(base: Campaign, events: list[Event], at: datetime | None) -> Campaign:
    """``base`` with ``events`` applied (as of ``at``: history left as it was); an event that no longer fits is left out."""
    try:
        return apply_events(base, events, at)
    except EventError:
        campaign = base
        for event in events:
            try:
                campaign = apply_events(campaign, [event], at)
            except EventError as error:
                logger.warning("event %s left out: %s", event.id, error)
        return campaign


def live_campaign(at: datetime | None = None) -> Campaign | None:
    """The stored campaign with every standing event applied (None when nothing is stored).

    With ``at`` (the campaign's now), an event leaves the history before it as it was, as a repair needs.
    Kept per process by data revision, newest event, number of dismissed events and ``at``. An event
    that no longer fits the stored data (a person a later import removed) is left out and logged.
    Raises :class:`CampaignLoadError` like :func:`web.store.campaign`.
    """
    base = store.campaign()
    if base is None:
        return None
    newest, dismissed = db.session.execute(
        select(func.max(EventRow.id), func.count().filter(EventRow.state == "dismissed"))
    ).one()
    if newest is None:
        return base
    if at is not None:  # slots start on whole minutes: "now" to the minute gives the same campaign
        at = at.replace(second=0, microsecond=0)
    key = (db.engine.url.render_as_string(hide_password=False), store.revision(), id(base), newest, dismissed, at)
    with _live_lock:
        cached = _live_cache.get(key)
    if cached is not None:
        return cached
    campaign = _applied(base, domain_events(), at)
    with _live_lock:
        while len(_live_cache) >= LIVE_CACHE_ENTRIES:
            del _live_cache[next(iter(_live_cache))]
        _live_cache[key] = campaign
    return campaign


def _slot_id(assignment) -> str:
    return assignment.shift_id or assignment.mobile_point_id or ""


def cancelled_slots(version_id: int) -> set[tuple[str, date, str]]:
    """(person, date, shift or mobile point) of the version's assignments that open events take away.

    An open cancellation, decline or unavailability takes the slots it names (every slot of its dates when
    it names none: a busy half-day names its shifts); an absence every slot of its dates; leaving the campaign every slot
    from its first date on.
    """
    wanted: dict[str, list[tuple[date, date, frozenset[str]]]] = defaultdict(list)
    for row in db.session.scalars(select(EventRow).where(EventRow.state == "open", EventRow.kind.in_(PERSON_KINDS))):
        event = row.event
        slots = frozenset(event.slot_ids) if event.kind in SLOT_KINDS else frozenset()
        if event.kind == "left":
            wanted[event.person_id].append((min(event.dates), date.max, slots))
        else:
            wanted[event.person_id].extend((day, day, slots) for day in event.dates)
    if not wanted:
        return set()
    result = set()
    person_ids = sorted(wanted)
    for start in range(0, len(person_ids), 500):
        rows = db.session.execute(
            select(
                AssignmentRow.person_id, AssignmentRow.date, AssignmentRow.shift_id, AssignmentRow.mobile_point_id
            ).where(
                AssignmentRow.version_id == version_id, AssignmentRow.person_id.in_(person_ids[start : start + 500])
            )
        )
        for person_id, day, shift_id, point_id in rows:
            slot = shift_id or point_id or ""
            for first, last, slots in wanted[person_id]:
                if first <= day <= last and (not slots or slot in slots):
                    result.add((person_id, day, slot))
                    break
    return result


def is_cancelled(cancelled: set, assignment) -> bool:
    return (assignment.person_id, assignment.date, _slot_id(assignment)) in cancelled


def day_campaign(campaign: Campaign, day: date) -> Campaign:
    """The campaign cut down to one day (its mobile points of that day, no pins): every coverage rule is per day."""
    return dataclasses.replace(
        campaign,
        start_date=day,
        days=1,
        mobile_points=tuple(m for m in campaign.mobile_points if m.date == day),
        pins=(),
    )


def day_shortfalls(campaign: Campaign, roster: Roster, day: date, cancelled: set) -> list[Unfilled]:
    """The coverage gaps of ``day`` with the cancelled assignments taken off (the checker's own rules)."""
    kept = [a for a in roster.assignments if a.date == day and not is_cancelled(cancelled, a)]
    return unfilled_slots(day_campaign(campaign, day), kept)


def day_roster(campaign: Campaign, roster: Roster, day: date, cancelled: set) -> Roster:
    """The roster of ``day`` as it stands: the cancelled assignments off, and the gaps recomputed."""
    kept = tuple(a for a in roster.assignments if a.date == day and not is_cancelled(cancelled, a))
    return dataclasses.replace(
        roster, assignments=kept, unfilled=tuple(unfilled_slots(day_campaign(campaign, day), kept))
    )


def unrepaired_count(version: RosterVersion | None) -> int:
    """Assignments of the version that open events take away (cancellations not yet repaired)."""
    return len(cancelled_slots(version.id)) if version is not None else 0


# ------------------------------------------------------------------------------------------------ words


def kind_label(kind: str) -> str:
    """The kind in the reader's language (the Vietnamese of :data:`scheduler.events.KINDS`)."""
    return _(KINDS[kind]) if kind in KINDS else kind


def _dates_text(dates) -> str:
    dates = sorted(dates)
    if not dates:
        return ""
    if len(dates) > 1 and dates == list(days_between(dates[0], dates[-1])):
        return f"{dates[0]:%d/%m/%Y} – {dates[-1]:%d/%m/%Y}"
    return ", ".join(f"{d:%d/%m/%Y}" for d in dates)


def describe(event: Event, campaign: Campaign | None) -> str:
    """What an event says, in a line."""
    parts = []
    if event.kind in PERSON_KINDS:
        if event.kind == "left":
            parts.append(_("từ %(date)s", date=f"{min(event.dates):%d/%m/%Y}"))
        else:
            parts.append(_dates_text(event.dates))
        if event.slot_ids:
            names = [
                _slot_name(campaign, s, None) if campaign and campaign.has("shifts", s) else s for s in event.slot_ids
            ]
            parts.append(", ".join(names))
        elif event.kind in ("cancellation", "decline", "absence", "unavailable"):
            parts.append(_("cả ngày"))
    elif event.kind == "person_added" and event.person is not None:
        person = event.person
        ward = _ward_name(campaign, person.home_ward_code) if campaign else person.home_ward_code
        parts.append(f"{person.name} ({person.id}, {pool_labels().get(person.pool.value, '')}, {ward})")
    elif event.kind == "demand_changed":
        labels = demand_labels()
        parts.append("; ".join(f"{labels.get(name, name)}: {value}" for name, value in event.demand))
    elif event.kind == "mobile_point_added" and event.point is not None:
        point = event.point
        parts.append(
            f"{point.id} {point.place}, {point.date:%d/%m/%Y} "
            f"{format_time(point.start_minute)}–{format_time(point.end_minute)}, "
            + _("%(count)s người", count=point.total_staff)
        )
    elif event.kind == "mobile_point_cancelled":
        parts.append(event.point_id or "")
    if event.reason:
        parts.append(_("lý do: %(reason)s", reason=event.reason))
    return " — ".join(p for p in parts if p)


def demand_labels() -> dict[str, str]:
    return {
        "min_support_staff": _("Số nhân sự hỗ trợ tối thiểu mỗi ca"),
        "min_telecom_staff_per_day": _("Số nhân sự viễn thông tối thiểu mỗi ngày"),
        "extra_students_on_peak": _("Số sinh viên thêm vào ngày cao điểm"),
    }


def state_labels() -> dict[str, str]:
    return {"open": _("chưa xử lý"), "repaired": _("đã sửa lịch"), "dismissed": _("đã bỏ qua")}


def source_labels() -> dict[str, str]:
    return {"volunteer": _("tình nguyện viên"), "coordinator": _("điều phối viên")}


# ------------------------------------------------------------------------------------------------ forms


def _parse_date(text: str) -> date:
    """A date typed as 2025-08-01 or 01/08/2025; ValueError with a message to show otherwise."""
    text = (text or "").strip()
    try:
        if "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(_("“%(text)s” không phải một ngày (ví dụ 01/08/2025).", text=text)) from None


class PersonEventForm(Form):
    """An absence, leaving the campaign, or new unavailability of one person."""

    kind = SelectField(
        _l("Loại"),
        choices=[
            SelectChoice("absence", _l("Vắng mặt (ốm, việc riêng)")),
            SelectChoice("left", _l("Rời chiến dịch")),
            SelectChoice("unavailable", _l("Báo bận thêm ngày")),
        ],
        default="absence",
    )
    person_id = StringField(_l("Mã người"), [InputRequired(_l("Hãy nhập mã người.")), Length(max=40)])
    first_date = StringField(_l("Từ ngày"), [InputRequired(_l("Hãy nhập ngày bắt đầu."))])
    last_date = StringField(_l("Đến ngày (bỏ trống: một ngày)"), [Optional()])
    reason = StringField(_l("Lý do"), [Optional(), Length(max=REASON_MAX_CHARS)])
    submit = SubmitField(_l("Ghi nhận vắng mặt"))


POOL_CHOICES = [
    SelectChoice(Pool.STUDENT.value, _l("Sinh viên")),
    SelectChoice(Pool.TELECOM.value, _l("Nhân sự viễn thông")),
    SelectChoice(Pool.TECHNICIAN.value, _l("Kỹ thuật viên")),
]


class PersonAddedForm(Form):
    person_id = StringField(_l("Mã người"), [InputRequired(_l("Hãy nhập mã người.")), Length(max=40)])
    name = StringField(_l("Họ và tên"), [InputRequired(_l("Hãy nhập họ và tên.")), Length(max=200)])
    pool = SelectField(_l("Nhóm"), choices=POOL_CHOICES, default=Pool.STUDENT.value)
    organisation = StringField(_l("Đơn vị (trường, doanh nghiệp, trung tâm)"), [Optional(), Length(max=200)])
    home_ward_code = SelectField(_l("Xã, phường nơi ở hoặc nơi học"), choices=[])
    phone = StringField(_l("Điện thoại"), [InputRequired(_l("Hãy nhập số điện thoại.")), Length(max=40)])
    skills = StringField(_l("Kỹ năng (cách nhau bởi dấu phẩy)"), [Optional(), Length(max=500)])
    night_eligible = BooleanField(_l("Có thể trực đêm"))
    weekly_cap_hours = WholeNumberField(_l("Số giờ tối đa mỗi tuần (bỏ trống: theo nhóm)"), [Optional()])
    submit = SubmitField(_l("Thêm người"))


class DemandForm(Form):
    ward_code = SelectField(_l("Xã, phường"), choices=[])
    min_support_staff = WholeNumberField(_l("Số nhân sự hỗ trợ tối thiểu mỗi ca"), [Optional()])
    min_telecom_staff_per_day = WholeNumberField(_l("Số nhân sự viễn thông tối thiểu mỗi ngày"), [Optional()])
    extra_students_on_peak = WholeNumberField(_l("Số sinh viên thêm vào ngày cao điểm"), [Optional()])
    reason = StringField(_l("Lý do"), [Optional(), Length(max=REASON_MAX_CHARS)])
    submit = SubmitField(_l("Đổi nhu cầu"))


PRIORITY_CHOICES = [
    SelectChoice(PriorityGroup.GENERAL.value, _l("người dân")),
    SelectChoice(PriorityGroup.ELDERLY.value, _l("người cao tuổi")),
    SelectChoice(PriorityGroup.DISABLED.value, _l("người khuyết tật")),
    SelectChoice(PriorityGroup.POOR.value, _l("hộ nghèo")),
    SelectChoice(PriorityGroup.NEAR_POOR.value, _l("hộ cận nghèo")),
]


class PointAddedForm(Form):
    point_id = StringField(_l("Mã điểm"), [InputRequired(_l("Hãy nhập mã điểm.")), Length(max=40)])
    ward_code = SelectField(_l("Xã, phường"), choices=[])
    place = StringField(_l("Địa điểm"), [InputRequired(_l("Hãy nhập địa điểm.")), Length(max=200)])
    day = StringField(_l("Ngày"), [InputRequired(_l("Hãy nhập ngày."))])
    start = StringField(_l("Từ giờ"), [InputRequired(_l("Hãy nhập giờ bắt đầu."))])
    end = StringField(_l("Đến giờ"), [InputRequired(_l("Hãy nhập giờ kết thúc."))])
    telecom = WholeNumberField(_l("Số nhân sự viễn thông"), [Optional()])
    students = WholeNumberField(_l("Số sinh viên"), [Optional()])
    technicians = WholeNumberField(_l("Số kỹ thuật viên"), [Optional()])
    priority_group = SelectField(_l("Ưu tiên"), choices=PRIORITY_CHOICES, default=PriorityGroup.GENERAL.value)
    submit = SubmitField(_l("Thêm điểm lưu động"))


class PointCancelledForm(Form):
    point_id = StringField(_l("Mã điểm"), [InputRequired(_l("Hãy nhập mã điểm.")), Length(max=40)])
    reason = StringField(_l("Lý do"), [Optional(), Length(max=REASON_MAX_CHARS)])
    submit = SubmitField(_l("Huỷ điểm lưu động"))


FORMS = {
    "vang-mat": ("person", PersonEventForm),
    "them-nguoi": ("added", PersonAddedForm),
    "nhu-cau": ("demand", DemandForm),
    "them-diem": ("point", PointAddedForm),
    "huy-diem": ("cancel_point", PointCancelledForm),
}


def _forms(campaign: Campaign, posted: str | None = None) -> dict[str, Form]:
    """The event forms of the page, each with its own prefix; only ``posted`` reads the request.

    The app's CSRF protection checks every POST for the one unprefixed ``csrf_token`` the page gives each
    form, so the prefixed forms do not carry a token of their own (it would be named ``<prefix>-csrf_token``).
    """
    wards = [SelectChoice(w.code, w.name) for w in campaign.wards]
    forms = {}
    for slug, (name, form_class) in FORMS.items():
        form = form_class(prefix=name, formdata=None if slug != posted else request.form, meta={"csrf": False})
        for field_name in ("home_ward_code", "ward_code"):
            if hasattr(form, field_name):
                getattr(form, field_name).choices = wards
        forms[name] = form
    return forms


class Invalid(ValueError):
    """A form's input that does not fit the campaign: the field and the message to show there."""

    def __init__(self, field, message: str):
        super().__init__(message)
        self.field = field


def _date_in_campaign(field, campaign: Campaign, earliest: date | None = None) -> date:
    try:
        value = _parse_date(field.data)
    except ValueError as error:
        raise Invalid(field, str(error)) from None
    if not campaign.contains_date(value):
        raise Invalid(
            field,
            _(
                "Ngày %(date)s nằm ngoài chiến dịch (%(first)s – %(last)s).",
                date=f"{value:%d/%m/%Y}",
                first=f"{campaign.start_date:%d/%m/%Y}",
                last=f"{campaign.end_date:%d/%m/%Y}",
            ),
        )
    if earliest is not None and value < earliest:
        raise Invalid(field, _("Ngày %(date)s đã qua: lịch đã qua không thay đổi.", date=f"{value:%d/%m/%Y}"))
    return value


def _person_event(form: PersonEventForm, campaign: Campaign, at: datetime) -> Event:
    person_id = form.person_id.data.strip()
    if not campaign.has("people", person_id):
        raise Invalid(form.person_id, _("Không có người mã “%(id)s” trong chiến dịch.", id=person_id))
    first = _date_in_campaign(form.first_date, campaign, at.date())
    last = first
    if form.last_date.data and form.kind.data != "left":
        last = _date_in_campaign(form.last_date, campaign, at.date())
        if last < first:
            raise Invalid(form.last_date, _("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."))
    dates = (first,) if form.kind.data == "left" else days_between(first, last)
    return Event(
        kind=form.kind.data,
        recorded_at=at,
        recorded_by=_username(),
        person_id=person_id,
        dates=dates,
        reason=form.reason.data or "",
    )


def _person_added(form: PersonAddedForm, campaign: Campaign, at: datetime) -> Event:
    person_id = form.person_id.data.strip()
    if campaign.has("people", person_id):
        raise Invalid(form.person_id, _("Mã “%(id)s” đã có người dùng; hãy chọn mã khác.", id=person_id))
    try:
        phone = parse_phone(form.phone.data)
    except (CellError, ValueError) as error:
        raise Invalid(form.phone, str(error)) from None
    cap = form.weekly_cap_hours.data
    if cap is not None and not 0 <= cap <= 168:
        raise Invalid(form.weekly_cap_hours, _("Số giờ mỗi tuần phải từ 0 đến 168."))
    person = Person(
        id=person_id,
        name=form.name.data.strip(),
        pool=Pool(form.pool.data),
        organisation=form.organisation.data or "",
        home_ward_code=form.home_ward_code.data,
        phone=phone,
        skills=frozenset(s.strip() for s in (form.skills.data or "").split(",") if s.strip()),
        weekly_cap_hours=cap,
        night_eligible=bool(form.night_eligible.data),
    )
    return Event(kind="person_added", recorded_at=at, recorded_by=_username(), person=person)


def _demand_changed(form: DemandForm, campaign: Campaign, at: datetime) -> Event:
    demand = []
    for name in DEMAND_FIELDS:
        field = getattr(form, name)
        if field.data is None:
            continue
        if not 0 <= field.data <= MAX_DEMAND:
            raise Invalid(field, _("Hãy nhập một số từ 0 đến %(max)s.", max=MAX_DEMAND))
        demand.append((name, field.data))
    if not demand:
        raise Invalid(form.min_support_staff, _("Hãy nhập ít nhất một con số cần đổi."))
    return Event(
        kind="demand_changed",
        recorded_at=at,
        recorded_by=_username(),
        ward_code=form.ward_code.data,
        demand=tuple(demand),
        reason=form.reason.data or "",
    )


def _time_of(field) -> int:
    try:
        return parse_time(field.data.strip(), allow_end_of_day=True)
    except (CellError, ValueError):
        raise Invalid(field, _("“%(text)s” không phải một giờ (ví dụ 08:00).", text=field.data)) from None


def _point_added(form: PointAddedForm, campaign: Campaign, at: datetime) -> Event:
    point_id = form.point_id.data.strip()
    if campaign.has("points", point_id):
        raise Invalid(form.point_id, _("Mã điểm “%(id)s” đã có; hãy chọn mã khác.", id=point_id))
    day = _date_in_campaign(form.day, campaign, at.date())
    start, end = _time_of(form.start), _time_of(form.end)
    if end <= start:
        raise Invalid(form.end, _("Giờ kết thúc phải sau giờ bắt đầu."))
    if datetime.combine(day, datetime.min.time()) + timedelta(minutes=start) <= at:
        raise Invalid(form.start, _("Giờ bắt đầu đã qua."))
    needs = []
    for field, pool in (
        (form.telecom, Pool.TELECOM),
        (form.students, Pool.STUDENT),
        (form.technicians, Pool.TECHNICIAN),
    ):
        if field.data is None or field.data == 0:
            continue
        if not 0 < field.data <= MAX_STAFF_PER_POINT:
            raise Invalid(field, _("Hãy nhập một số từ 0 đến %(max)s.", max=MAX_STAFF_PER_POINT))
        needs.append(StaffNeed(field.data, pool=pool))
    if not needs:
        raise Invalid(form.telecom, _("Điểm lưu động cần ít nhất một người."))
    point = MobilePoint(
        id=point_id,
        ward_code=form.ward_code.data,
        place=form.place.data.strip(),
        date=day,
        start_minute=start,
        end_minute=end,
        staff_needed=tuple(needs),
        priority_group=PriorityGroup(form.priority_group.data),
    )
    return Event(kind="mobile_point_added", recorded_at=at, recorded_by=_username(), point=point)


def _point_cancelled(form: PointCancelledForm, campaign: Campaign, at: datetime) -> Event:
    point_id = form.point_id.data.strip()
    if not campaign.has("points", point_id):
        raise Invalid(form.point_id, _("Không có điểm lưu động mã “%(id)s”.", id=point_id))
    point = campaign.mobile_point(point_id)
    if datetime.combine(point.date, datetime.min.time()) + timedelta(minutes=point.start_minute) <= at:
        raise Invalid(form.point_id, _("Điểm lưu động %(id)s đã bắt đầu hoặc đã qua.", id=point_id))
    return Event(
        kind="mobile_point_cancelled",
        recorded_at=at,
        recorded_by=_username(),
        point_id=point_id,
        reason=form.reason.data or "",
    )


BUILDERS = {
    "person": _person_event,
    "added": _person_added,
    "demand": _demand_changed,
    "point": _point_added,
    "cancel_point": _point_cancelled,
}


# ------------------------------------------------------------------------------------------------ events pages


def _entries(rows: list[EventRow], campaign: Campaign | None) -> list[dict]:
    entries = []
    for row in rows:
        try:
            event = row.event
        except EventError:
            logger.exception("stored event %s does not read", row.id)
            continue
        person = _person_of(campaign, row.person_id) if campaign and row.person_id else None
        if person is None and event.person is not None:
            person = event.person
        entries.append(
            {
                "row": row,
                "kind": kind_label(row.kind),
                "name": person.name if person else (row.person_id or ""),
                "phone": person.phone if person else "",
                "ward": _ward_name(campaign, row.ward_code) if campaign and row.ward_code else (row.ward_code or ""),
                "what": describe(event, campaign),
                "state": state_labels().get(row.state, row.state),
                "source": source_labels().get(row.source, row.source),
            }
        )
    return entries


def _events_page(forms: dict | None = None, status: int = 200):
    campaign = _campaign_or_redirect()
    try:
        live = live_campaign()
    except CampaignLoadError:
        live = campaign
    show = request.args.get("show", "open")
    state = None if show == "all" else "open"
    total = count_events(state)
    count = max(1, math.ceil(total / EVENTS_PER_PAGE))
    number = min(_page_number(), count)
    rows = events_of(state, EVENTS_PER_PAGE, (number - 1) * EVENTS_PER_PAGE)
    page = Page(_entries(rows, live), number, count, total)
    published = store.latest_published()
    return (
        render_template(
            "coordinator/events.html",
            page=page,
            show=show,
            forms=forms or _forms(live),
            open_count=count_events("open"),
            unrepaired=unrepaired_count(published),
            published=published,
            kinds=KINDS,
            action=ActionForm(),
        ),
        status,
    )


@blueprint.get("/su-kien")
@role_required("coordinator")
def events():
    """Every event that changes the plan (open first by default), newest first, and the forms to record one."""
    return _events_page()


@blueprint.get("/huy-ca")
@role_required("coordinator")
def cancellations():
    """The former list of cancellations: the events list now."""
    return redirect(url_for("coordinator.events", **request.args), 301)


@blueprint.post("/su-kien/<slug>")
@role_required("coordinator")
def record(slug: str):
    """Record one event from its form; a bad input is shown beside its field and nothing is stored."""
    if slug not in FORMS:
        abort(404)
    campaign = _campaign_or_redirect()
    live = live_campaign() or campaign
    name = FORMS[slug][0]
    forms = _forms(live, posted=slug)
    form = forms[name]
    if not form.validate_on_submit():
        flash(_("Chưa ghi nhận: hãy sửa các ô có lỗi."), "error")
        return _events_page(forms, 400)
    at = now()
    try:
        event = BUILDERS[name](form, live, at)
        apply_events(live, [event])  # the event must fit the campaign as it stands
    except Invalid as error:
        error.field.errors = [*error.field.errors, str(error)]
        flash(_("Chưa ghi nhận: %(message)s", message=str(error)), "error")
        return _events_page(forms, 400)
    except (EventError, ValueError) as error:
        flash(_("Chưa ghi nhận: %(message)s", message=str(error)), "error")
        return _events_page(forms, 400)
    row = record_event(event, "coordinator")
    flash(_("Đã ghi nhận: %(kind)s — %(what)s.", kind=kind_label(event.kind), what=describe(event, live)))
    logger.info("event %s recorded by coordinator %s", row.id, _username())
    return redirect(url_for("coordinator.events"), 303)


@blueprint.post("/su-kien/<int:event_id>/bo-qua")
@role_required("coordinator")
def dismiss_event(event_id: int):
    """Set an open event aside: it no longer counts in the views or the repairs."""
    if db.session.get(EventRow, event_id) is None:
        abort(404)
    if ActionForm().validate_on_submit():
        if dismiss(event_id):
            flash(_("Đã bỏ qua sự kiện %(id)s.", id=event_id))
        else:
            flash(_("Sự kiện %(id)s không còn mở.", id=event_id), "error")
    return redirect(url_for("coordinator.events"), 303)


# ------------------------------------------------------------------------------------------------ today


@dataclass
class SlotView:
    """One shift (or the mobile points) of one day on the "Hôm nay" page: each ward's people and gaps."""

    day: date
    title: str
    hours: str
    wards: list[dict]  # short wards first

    @property
    def short(self) -> int:
        return sum(1 for ward in self.wards if ward["gaps"])


def _shift_times(campaign: Campaign, day: date):
    for shift in campaign.shifts:
        start = datetime.combine(day, datetime.min.time()) + timedelta(minutes=shift.start_minute)
        yield shift, start, start + timedelta(minutes=shift.end_minute - shift.start_minute)


def now_and_next(campaign: Campaign, at: datetime) -> tuple[list[tuple], list[tuple]]:
    """The (date, shift) running at ``at`` and the ones starting next, within the campaign."""
    running, upcoming = [], []
    for offset in (-1, 0, 1, 2):
        day = at.date() + timedelta(days=offset)
        if not campaign.contains_date(day):
            continue
        for shift, start, end in _shift_times(campaign, day):
            if start <= at < end:
                running.append((day, shift, start))
            elif start > at:
                upcoming.append((day, shift, start))
    if upcoming:
        first = min(start for _, _, start in upcoming)
        upcoming = [item for item in upcoming if item[2] == first]
    return [(d, s) for d, s, _ in running], [(d, s) for d, s, _ in upcoming]


def _gap_reasons(gaps: list[Unfilled], cancelled_names: list[str]) -> list[str]:
    reasons = []
    for gap in gaps:
        text = _("%(rule)s: thiếu %(missing)s", rule=rule_label(gap.rule), missing=gap.missing)
        reasons.append(text)
    if gaps and cancelled_names:
        reasons.append(_("báo vắng: %(names)s", names=", ".join(cancelled_names)))
    return reasons


def _slot_view(
    campaign: Campaign, roster: Roster, day: date, shift, cancelled: set, gaps_of_day: list[Unfilled]
) -> SlotView:
    """Each ward's people on one shift of one day, the cancelled struck out, with the gaps as they stand."""
    people: dict[str, list[dict]] = defaultdict(list)
    for a in roster.assignments:
        if a.date != day or a.shift_id != shift.id:
            continue
        person = _person_of(campaign, a.person_id)
        people[a.ward_code].append(
            {
                "id": a.person_id,
                "name": person.name if person else a.person_id,
                "phone": person.phone if person else "",
                "cancelled": is_cancelled(cancelled, a),
                "covers": [_ward_name(campaign, c) for c in a.covered_ward_codes if c != a.ward_code],
            }
        )
    gaps: dict[str, list[Unfilled]] = defaultdict(list)
    for gap in gaps_of_day:
        if gap.shift_id == shift.id:
            gaps[gap.ward_code].append(gap)
    wards = []
    for place in campaign.wards:
        here = people.get(place.code, [])
        if not here and not gaps.get(place.code):
            continue
        cancelled_names = [p["name"] for p in here if p["cancelled"]]
        wards.append(
            {
                "code": place.code,
                "name": place.name,
                "people": here,
                "gaps": gaps.get(place.code, []),
                "reasons": _gap_reasons(gaps.get(place.code, []), cancelled_names),
                "cancelled": bool(cancelled_names),
            }
        )
    wards.sort(key=lambda w: (not w["gaps"], not w["cancelled"]))
    hours = f"{format_time(shift.start_minute)}–{format_time(shift.end_minute)}"
    return SlotView(day, shift.name, hours, wards)


def today_views(campaign: Campaign, roster: Roster, at: datetime, cancelled: set) -> tuple[list, list, list]:
    """(shifts now, shifts next, mobile points of today still to end) as :class:`SlotView` lists."""
    running, upcoming = now_and_next(campaign, at)
    gaps_by_day: dict[date, list[Unfilled]] = {}

    def gaps_of(day: date) -> list[Unfilled]:
        if day not in gaps_by_day:
            gaps_by_day[day] = day_shortfalls(campaign, roster, day, cancelled)
        return gaps_by_day[day]

    now_views = [_slot_view(campaign, roster, d, s, cancelled, gaps_of(d)) for d, s in running]
    next_views = [_slot_view(campaign, roster, d, s, cancelled, gaps_of(d)) for d, s in upcoming]
    points = []
    day = at.date()
    if campaign.contains_date(day):
        gaps = gaps_of(day)
        for point in sorted(campaign.mobile_points, key=lambda m: (m.start_minute, m.id)):
            end = datetime.combine(day, datetime.min.time()) + timedelta(minutes=point.end_minute)
            if point.date != day or end <= at:
                continue
            here = []
            for a in roster.assignments:
                if a.mobile_point_id == point.id and a.date == day:
                    person = _person_of(campaign, a.person_id)
                    here.append(
                        {
                            "id": a.person_id,
                            "name": person.name if person else a.person_id,
                            "phone": person.phone if person else "",
                            "cancelled": is_cancelled(cancelled, a),
                        }
                    )
            point_gaps = [g for g in gaps if g.mobile_point_id == point.id]
            points.append(
                {
                    "point": point,
                    "ward": _ward_name(campaign, point.ward_code),
                    "hours": f"{format_time(point.start_minute)}–{format_time(point.end_minute)}",
                    "people": here,
                    "gaps": point_gaps,
                    "reasons": _gap_reasons(point_gaps, [p["name"] for p in here if p["cancelled"]]),
                }
            )
        points.sort(key=lambda p: not p["gaps"])
    return now_views, next_views, points


@blueprint.get("/hom-nay")
@role_required("coordinator")
def today_page():
    """The shifts now and next with short wards first and why, open events and unrepaired cancellations,
    open incidents and the wards their technicians left uncovered (until when)."""
    _campaign_or_redirect()
    campaign = live_campaign()
    at = now()
    version = store.latest_published()
    now_views, next_views, points = [], [], []
    cancelled: set = set()
    if version is not None:
        cancelled = cancelled_slots(version.id)
        now_views, next_views, points = today_views(campaign, store.roster_of(version), at, cancelled)
    rows = open_events()
    from web import desk

    return render_template(
        "coordinator/today.html",
        incidents=desk.board_entries(campaign, desk.incidents.open_incidents(), at),
        uncovered=desk.uncovered_entries(campaign, at),
        campaign=campaign,
        version=version,
        at=at,
        in_campaign=campaign.contains_date(at.date()),
        now_views=now_views,
        next_views=next_views,
        points=points,
        events=_entries(rows[:EVENTS_PER_PAGE], campaign),
        open_count=len(rows),
        unrepaired=len(cancelled),
    )
