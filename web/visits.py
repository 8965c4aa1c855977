"""The daily list of mobile-service visits: its store, each request's history, and the plans' table.

The ward plan (III.7, III.10) has residential-group and hamlet leaders list, every day before the
cut-off (15:00 by default, the campaign's ``ward_staff_list_deadline_minute``), the people who need a
procedure done at home or at a mobile point. The pages (:mod:`web.visit_intake`, the plan pages) and
the reports call these functions; the request itself is :class:`scheduler.visits.VisitRequest`.

- :class:`VisitRequestRow` is one person on a ward's list: ``service_date`` the list it is on now,
  ``first_date`` the list it was first registered for, ``status`` waiting, done or cancelled, and a
  ``revision`` raised by every change.
- :class:`VisitStep` is its history, one row per step with who, when and the day's list it concerns:
  registered (or imported), late (registered after the cut-off, so it went to the day after), planned,
  done, not at home, needs a follow-up, rolled to the next day's list, cancelled.
- :class:`VisitPlanRow` holds each version of a ward's plan for a day (JSON), written by the plan pages.

Every write is one transaction: an import stores all its requests or none, and an outcome is one
conditional UPDATE on the request's status, list day (and the revision the caller saw, when given),
so a second tap on a team's phone records nothing twice. Times are the campaign's local time
(:func:`web.live.now`, which ``RAQUAN_NOW`` fixes), passed in by the caller.

A request not served rolls forward by itself: the list of a day holds every waiting request whose
``service_date`` is that day or earlier. A visit recorded "not at home" or "needs a follow-up" moves the
request to the next day's list (``service_date`` = day + 1) with a "rolled" step, so it shows there
with its history.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.model import PriorityGroup
from scheduler.visits import PRIORITY_RANK, SERVICES, VisitRequest, duplicates
from web.models import db, utcnow

logger = logging.getLogger(__name__)

WAITING, DONE, CANCELLED = "waiting", "done", "cancelled"
STATUSES = (WAITING, DONE, CANCELLED)
# Steps of a request's history.
REGISTERED, LATE, IMPORTED, PLANNED = "registered", "late", "imported", "planned"
NOT_HOME, FOLLOW_UP, ROLLED = "not_home", "follow_up", "rolled"
STEP_KINDS = (REGISTERED, LATE, IMPORTED, PLANNED, DONE, NOT_HOME, FOLLOW_UP, ROLLED, CANCELLED)
OUTCOMES = (DONE, NOT_HOME, FOLLOW_UP)  # what a team records for a visit
RECORDED_KINDS = (*OUTCOMES, CANCELLED)  # steps that keep a request on that day's list once recorded

NAME_MAX_CHARS = 200
PHONE_MAX_CHARS = 40
TEXT_MAX_CHARS = 200  # group name, street, procedure
NOTE_MAX_CHARS = 1000
REASON_MAX_CHARS = 500
DEFAULT_CUTOFF_MINUTE = 15 * 60


class VisitRequestRow(db.Model):
    """One person on a ward's daily list."""

    __tablename__ = "visit_requests"
    __table_args__ = (db.Index("ix_visit_requests_ward_date", "ward_code", "service_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(db.String(10))
    service_date: Mapped[dt.date] = mapped_column(db.Date)  # the list it is on now
    first_date: Mapped[dt.date] = mapped_column(db.Date)  # the list it was first registered for
    registered_at: Mapped[datetime]  # the campaign's local time
    registered_by: Mapped[str] = mapped_column(db.String(80), default="")
    full_name: Mapped[str] = mapped_column(db.String(NAME_MAX_CHARS))
    priority_group: Mapped[str] = mapped_column(db.String(20))  # a PriorityGroup value
    phone: Mapped[str] = mapped_column(db.String(PHONE_MAX_CHARS), default="")
    group_name: Mapped[str] = mapped_column(db.String(TEXT_MAX_CHARS), default="")  # tổ dân phố, thôn
    street: Mapped[str] = mapped_column(db.String(TEXT_MAX_CHARS), default="")  # street and house number
    lat: Mapped[float | None] = mapped_column(db.Float, nullable=True)
    lon: Mapped[float | None] = mapped_column(db.Float, nullable=True)
    home_visit: Mapped[bool] = mapped_column(default=True)
    service: Mapped[str] = mapped_column(db.String(20))  # a key of scheduler.visits.SERVICES
    procedure: Mapped[str] = mapped_column(db.String(TEXT_MAX_CHARS), default="")
    window_start_minute: Mapped[int]
    window_end_minute: Mapped[int]
    service_minutes: Mapped[int]
    note: Mapped[str] = mapped_column(db.Text, default="")
    status: Mapped[str] = mapped_column(db.String(20), default=WAITING)
    revision: Mapped[int] = mapped_column(default=0)  # raised by every change

    @property
    def priority(self) -> PriorityGroup:
        return PriorityGroup(self.priority_group)

    @property
    def service_label(self) -> str:
        return SERVICES[self.service][0] if self.service in SERVICES else self.service

    @property
    def address(self) -> str:
        return ", ".join(part for part in (self.street, self.group_name) if part)


class VisitStep(db.Model):
    """One step of a request's history; ``day`` is the list it concerns."""

    __tablename__ = "visit_steps"
    __table_args__ = (db.Index("ix_visit_steps_day_kind", "day", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(db.ForeignKey("visit_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]  # the campaign's local time
    by: Mapped[str] = mapped_column(db.String(80), default="")  # a username, "person:<id>" or "system"
    kind: Mapped[str] = mapped_column(db.String(20))  # one of STEP_KINDS
    day: Mapped[dt.date] = mapped_column(db.Date)
    team_id: Mapped[str | None] = mapped_column(db.String(120), nullable=True)
    note: Mapped[str] = mapped_column(db.Text, default="")


class VisitPlanRow(db.Model):
    """One version of a ward's plan of visits for a day: ``body`` is the plan as JSON."""

    __tablename__ = "visit_plans"
    __table_args__ = (db.UniqueConstraint("ward_code", "day", "version", name="uq_visit_plans_ward_day_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(db.String(10))
    day: Mapped[dt.date] = mapped_column(db.Date)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(db.String(80), default="")
    reason: Mapped[str] = mapped_column(db.Text, default="")
    body: Mapped[str] = mapped_column(db.Text, default="{}")


class VisitError(ValueError):
    """Input the store refuses: the message says which field and why (Vietnamese)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class DayEntry:
    """A request as one day's list shows it.

    ``outcome`` is what was recorded for it on that day (done, not at home, follow-up, cancelled), or
    None while it waits; ``carried_from`` is the list it was first registered for when that is earlier
    than the day ("từ ngày X"); ``duplicate_ids`` the other requests of the same person on the list.
    """

    row: VisitRequestRow
    day: date
    outcome: str | None = None
    duplicate_ids: list[int] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        """Still to be served on this day's list."""
        return self.outcome is None and self.row.status == WAITING

    @property
    def carried_from(self) -> date | None:
        return self.row.first_date if self.row.first_date < self.day else None


# ------------------------------------------------------------------------------------------------ writing


def cutoff_text(cutoff_minute: int) -> str:
    return f"{cutoff_minute // 60:02d}:{cutoff_minute % 60:02d}"


def late_note(cutoff_minute: int, service_date: date) -> str:
    """The 'late' step's note: after the cut-off, so it went to the day after."""
    return f"nộp sau {cutoff_text(cutoff_minute)}, chuyển sang ngày {service_date:%d/%m/%Y}"


def _checked(request: VisitRequest) -> VisitRequest:
    """The request, if its text fits the columns and its group is known; raises :class:`VisitError`."""
    limits = {
        "name": NAME_MAX_CHARS,
        "phone": PHONE_MAX_CHARS,
        "group_name": TEXT_MAX_CHARS,
        "street": TEXT_MAX_CHARS,
        "procedure": TEXT_MAX_CHARS,
        "note": NOTE_MAX_CHARS,
    }
    for name, limit in limits.items():
        if len(getattr(request, name) or "") > limit:
            raise VisitError(name, f"dài quá {limit} ký tự")
    if not request.name.strip():
        raise VisitError("name", "thiếu họ và tên")
    if not request.ward_code:
        raise VisitError("ward_code", "thiếu xã, phường")
    PriorityGroup(request.priority_group)  # a bad value raises ValueError
    return request


def _row(request: VisitRequest, by: str, now: datetime) -> VisitRequestRow:
    return VisitRequestRow(
        ward_code=request.ward_code,
        service_date=request.service_date,
        first_date=request.service_date,
        registered_at=now,
        registered_by=by,
        full_name=request.name.strip(),
        priority_group=PriorityGroup(request.priority_group).value,
        phone=request.phone,
        group_name=request.group_name,
        street=request.street,
        lat=request.lat,
        lon=request.lon,
        home_visit=bool(request.home_visit),
        service=request.service,
        procedure=request.procedure,
        window_start_minute=request.window_start_minute,
        window_end_minute=request.window_end_minute,
        service_minutes=request.service_minutes,
        note=request.note,
        status=WAITING,
        revision=0,
    )


def _store(
    requests: Sequence[VisitRequest], kind: str, by: str, now: datetime, late: bool, cutoff_minute: int
) -> list[int]:
    """Add the requests with their first steps in one transaction (all or none); their ids."""
    for request in requests:
        _checked(request)
    rows = [_row(request, by, now) for request in requests]
    try:
        db.session.add_all(rows)
        db.session.flush()
        for row in rows:
            db.session.add(VisitStep(request_id=row.id, at=now, by=by, kind=kind, day=row.service_date))
            if late:
                note = late_note(cutoff_minute, row.service_date)
                db.session.add(VisitStep(request_id=row.id, at=now, by=by, kind=LATE, day=row.service_date, note=note))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return [row.id for row in rows]


def add_request(
    request: VisitRequest, by: str, now: datetime, late: bool, cutoff_minute: int = DEFAULT_CUTOFF_MINUTE
) -> int:
    """Store one request on the list of ``request.service_date`` with its 'registered' step (and 'late'
    when it came after the cut-off); its id. Raises :class:`VisitError` for text too long for its column."""
    (row_id,) = _store([request], REGISTERED, by, now, late, cutoff_minute)
    logger.info("visit request %s registered at %s for %s", row_id, request.ward_code, request.service_date)
    return row_id


def import_requests(
    requests: Sequence[VisitRequest],
    by: str,
    now: datetime,
    late: bool,
    cutoff_minute: int = DEFAULT_CUTOFF_MINUTE,
) -> list[int]:
    """Store every request of an uploaded list with an 'imported' step each, all or none; their ids."""
    ids = _store(list(requests), IMPORTED, by, now, late, cutoff_minute)
    logger.info("%s visit requests imported by %s", len(ids), by)
    return ids


def _conditional(statement, steps: Iterable[VisitStep]) -> bool:
    """Run a conditional UPDATE of one request and, when it changed the row, add its steps; one transaction."""
    try:
        changed = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
        if changed:
            db.session.add_all(list(steps))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return bool(changed)


def record_outcome(
    request_id: int,
    outcome: str,
    note: str,
    by: str,
    now: datetime,
    day: date,
    team_id: str | None,
    revision: int | None = None,
) -> bool:
    """Record a visit's outcome on ``day``'s list; False when nothing was recorded.

    ``done`` closes the request; ``not_home`` and ``follow_up`` keep it waiting and move it to the next
    day's list with a 'rolled' step. Only a waiting request on that day's list (``service_date`` on or
    before ``day``) is changed, and only at ``revision`` when it is given: a second tap records nothing.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise VisitError("note", f"ghi chú dài quá {NOTE_MAX_CHARS} ký tự")
    conditions = [
        VisitRequestRow.id == request_id,
        VisitRequestRow.status == WAITING,
        VisitRequestRow.service_date <= day,
    ]
    if revision is not None:
        conditions.append(VisitRequestRow.revision == revision)
    values: dict = {"revision": VisitRequestRow.revision + 1}
    steps = [VisitStep(request_id=request_id, at=now, by=by, kind=outcome, day=day, team_id=team_id, note=note)]
    if outcome == DONE:
        values["status"] = DONE
    else:
        following = day + timedelta(days=1)
        values["service_date"] = following
        steps.append(
            VisitStep(
                request_id=request_id,
                at=now,
                by=by,
                kind=ROLLED,
                day=following,
                team_id=team_id,
                note=f"chuyển sang danh sách ngày {following:%d/%m/%Y}",
            )
        )
    statement = update(VisitRequestRow).where(*conditions).values(**values)
    recorded = _conditional(statement, steps)
    logger.info("visit request %s: %s on %s %s", request_id, outcome, day, "recorded" if recorded else "refused")
    return recorded


def cancel_request(
    request_id: int,
    by: str,
    now: datetime,
    reason: str,
    revision: int | None = None,
    day: date | None = None,
) -> bool:
    """Cancel a waiting request with a reason (required); False when it was no longer waiting (or had moved
    past ``revision``). The step is on ``day``'s list (default: its list, or today's when that is past)."""
    reason = (reason or "").strip()
    if not reason:
        raise VisitError("reason", "hãy ghi lý do huỷ")
    if len(reason) > REASON_MAX_CHARS:
        raise VisitError("reason", f"lý do dài quá {REASON_MAX_CHARS} ký tự")
    row = db.session.get(VisitRequestRow, request_id)
    if row is None:
        return False
    if day is None:
        day = max(row.service_date, now.date())
    conditions = [VisitRequestRow.id == request_id, VisitRequestRow.status == WAITING]
    if revision is not None:
        conditions.append(VisitRequestRow.revision == revision)
    statement = (
        update(VisitRequestRow).where(*conditions).values(status=CANCELLED, revision=VisitRequestRow.revision + 1)
    )
    step = VisitStep(request_id=request_id, at=now, by=by, kind=CANCELLED, day=day, note=reason)
    return _conditional(statement, [step])


def record_planned(request_id: int, by: str, now: datetime, day: date, team_id: str | None, note: str = "") -> None:
    """Add a 'planned' step (the request is in a plan for ``day``); the request itself does not change."""
    db.session.add(VisitStep(request_id=request_id, at=now, by=by, kind=PLANNED, day=day, team_id=team_id, note=note))
    db.session.commit()


# ------------------------------------------------------------------------------------------------ reading


def get(request_id: int) -> VisitRequestRow | None:
    return db.session.get(VisitRequestRow, request_id)


def history(request_id: int) -> list[VisitStep]:
    """The request's steps, oldest first."""
    return list(
        db.session.scalars(
            select(VisitStep).where(VisitStep.request_id == request_id).order_by(VisitStep.at, VisitStep.id)
        )
    )


def histories(request_ids: Iterable[int]) -> dict[int, list[VisitStep]]:
    """Request id -> its steps, oldest first (one query)."""
    ids = list(request_ids)
    found: dict[int, list[VisitStep]] = {i: [] for i in ids}
    if not ids:
        return found
    statement = select(VisitStep).where(VisitStep.request_id.in_(ids)).order_by(VisitStep.at, VisitStep.id)
    for step in db.session.scalars(statement):
        found[step.request_id].append(step)
    return found


def to_visit_request(row: VisitRequestRow, day: date) -> VisitRequest:
    """The request as the planner takes it: ``id`` is the row's id as text, on ``day``'s list."""
    return VisitRequest(
        id=str(row.id),
        ward_code=row.ward_code,
        service_date=day,
        name=row.full_name,
        priority_group=PriorityGroup(row.priority_group),
        phone=row.phone,
        group_name=row.group_name,
        street=row.street,
        home_visit=row.home_visit,
        service=row.service,
        procedure=row.procedure,
        window_start_minute=row.window_start_minute,
        window_end_minute=row.window_end_minute,
        service_minutes=row.service_minutes,
        lat=row.lat,
        lon=row.lon,
        note=row.note,
    )


def day_list(ward_code: str, day: date) -> list[DayEntry]:
    """The requests on a ward's list for ``day``.

    The waiting requests whose list is that day or an earlier one (not served then, they rolled
    forward), and those whose outcome (done, not at home, follow-up) or cancellation was recorded on that
    day. Waiting ones first, by priority group (people with disabilities, elderly, poor, near-poor,
    others), then by the day first registered and the order registered. Two requests of the same person
    (name and phone) among those not cancelled are flagged as duplicates of each other.
    """
    recorded = {
        request_id: kind
        for request_id, kind in db.session.execute(
            select(VisitStep.request_id, VisitStep.kind)
            .join(VisitRequestRow, VisitRequestRow.id == VisitStep.request_id)
            .where(VisitRequestRow.ward_code == ward_code, VisitStep.day == day, VisitStep.kind.in_(RECORDED_KINDS))
            .order_by(VisitStep.id)
        )
    }
    waiting = select(VisitRequestRow).where(
        VisitRequestRow.ward_code == ward_code,
        VisitRequestRow.status == WAITING,
        VisitRequestRow.service_date <= day,
    )
    rows = {row.id: row for row in db.session.scalars(waiting)}
    if recorded:
        more = select(VisitRequestRow).where(VisitRequestRow.id.in_([i for i in recorded if i not in rows]))
        rows.update({row.id: row for row in db.session.scalars(more)})
    entries = [DayEntry(row=row, day=day, outcome=recorded.get(row.id)) for row in rows.values()]
    live = [e for e in entries if e.outcome != CANCELLED and not (e.outcome is None and e.row.status == CANCELLED)]
    same = duplicates(to_visit_request(e.row, day) for e in live)
    for entry in entries:
        entry.duplicate_ids = sorted(int(i) for i in same.get(str(entry.row.id), []))
    entries.sort(
        key=lambda e: (
            not e.waiting,
            PRIORITY_RANK.get(e.row.priority, len(PRIORITY_RANK)),
            e.row.first_date,
            e.row.id,
        )
    )
    return entries


def waiting_count(ward_code: str | None, day: date) -> int:
    """How many people are still waiting on ``day``'s list (of one ward, or of every ward with None)."""
    statement = select(func.count()).where(VisitRequestRow.status == WAITING, VisitRequestRow.service_date <= day)
    if ward_code is not None:
        statement = statement.where(VisitRequestRow.ward_code == ward_code)
    return db.session.scalar(statement.select_from(VisitRequestRow)) or 0


def outcomes_by_group(day: date, ward_code: str | None = None) -> dict[str, dict[str, int]]:
    """Visits recorded on ``day``: priority group (its value) -> outcome -> how many, for the daily report."""
    statement = (
        select(VisitRequestRow.priority_group, VisitStep.kind, func.count())
        .join(VisitRequestRow, VisitRequestRow.id == VisitStep.request_id)
        .where(VisitStep.day == day, VisitStep.kind.in_(OUTCOMES))
        .group_by(VisitRequestRow.priority_group, VisitStep.kind)
    )
    if ward_code is not None:
        statement = statement.where(VisitRequestRow.ward_code == ward_code)
    counts: dict[str, dict[str, int]] = {}
    for group, kind, count in db.session.execute(statement):
        counts.setdefault(group, {})[kind] = count
    return counts
