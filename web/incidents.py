"""Incidents: what wards report, who is sent, every step with its time; the data side of dispatch.

The pages (the ward's, the duty desk's, the technician's) and the API call these functions; the
ranking, the lifecycle and the figures are :mod:`scheduler.dispatch`'s.

- :class:`IncidentRow` is one incident: the ward, category, urgency, description and place, who
  reported it and when, its state, the technician sent and the time of each step. Times are the
  campaign's local time (:func:`web.live.now`, which ``RAQUAN_NOW`` can fix), like the roster's.
- :class:`IncidentStep` is its history: one row per step (reported, assigned, acknowledged, on the
  way, arrived, resolved, resolved remotely, cancelled, escalated), with who and when.
- A step is one conditional UPDATE on the state and revision the caller saw, so
  two clicks, two dispatchers or two server processes never both move an incident: the second is told
  it has already moved.
- :func:`candidates_for` asks :func:`scheduler.dispatch.candidates` with the roster in force (the
  latest published version, without the slots open events take away), the technicians already engaged
  and the call-outs recorded so far. A call-out is stored with its incident (the slot it is recorded
  as), counts as working time in every later ranking and shows in the technician's shifts.
- :func:`escalate_due` raises incidents not acknowledged within ``acknowledge_limit_minutes`` of being
  assigned, or not reached within the ward's response limit; it is run by the outbox's sender loop (any
  number of processes: each escalation is a conditional update) and when the desk's page is opened.
- :func:`tech_token` signs a link for one technician and one incident (its own salt); the technician
  acts from it without signing in, as volunteers do with their links.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Mapped, mapped_column

from scheduler import dispatch
from scheduler.model import Assignment, Campaign, Roster, ShiftKind
from scheduler.verify import resolve_travel
from web import live, store
from web.models import db, utcnow

logger = logging.getLogger(__name__)

DESCRIPTION_MAX_CHARS = 2000
PLACE_MAX_CHARS = 200
NOTE_MAX_CHARS = 500
ESCALATED = "escalated"  # a step of the history, not a state
ESCALATION_KIND = "incident-escalation"  # the outbox kind of an escalation's notice
_TOKEN_SALT = "incident-technician"
STEP_COLUMNS = {
    dispatch.ASSIGNED: "assigned_at",
    dispatch.ACKNOWLEDGED: "acknowledged_at",
    dispatch.ON_THE_WAY: "on_the_way_at",
    dispatch.ARRIVED: "arrived_at",
    dispatch.RESOLVED: "resolved_at",
    dispatch.RESOLVED_REMOTE: "resolved_at",
    dispatch.CANCELLED: "cancelled_at",
}


class IncidentRow(db.Model):
    """One incident a ward reported."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(db.String(10), index=True)
    category: Mapped[str] = mapped_column(db.String(20))
    urgent: Mapped[bool] = mapped_column(default=False)  # service at the counter is blocked
    description: Mapped[str] = mapped_column(db.Text, default="")
    place: Mapped[str] = mapped_column(db.String(PLACE_MAX_CHARS), default="")
    state: Mapped[str] = mapped_column(db.String(20), default=dispatch.REPORTED, index=True)
    reported_at: Mapped[datetime] = mapped_column(index=True)
    reported_by: Mapped[str] = mapped_column(db.String(80), default="")
    limit_minutes: Mapped[int] = mapped_column(default=30)  # the ward's response limit when reported
    technician_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True, index=True)
    from_ward_code: Mapped[str | None] = mapped_column(db.String(10), nullable=True)  # where they set out
    expected_arrival_minutes: Mapped[int | None] = mapped_column(nullable=True)  # from the assignment
    uncovered: Mapped[str] = mapped_column(db.Text, default="[]")  # JSON [[ward, minutes]] left uncovered
    callout_date: Mapped[dt.date | None] = mapped_column(db.Date, nullable=True)  # a call-out's slot
    callout_shift_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    on_the_way_at: Mapped[datetime | None] = mapped_column(nullable=True)
    arrived_at: Mapped[datetime | None] = mapped_column(nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(nullable=True)  # the latest escalation
    escalation: Mapped[str] = mapped_column(db.String(40), default="")  # standing reasons: acknowledge, arrival
    declined_by: Mapped[str] = mapped_column(db.Text, default="")  # comma-separated technicians not to offer
    revision: Mapped[int] = mapped_column(default=0)  # raised by every step
    version_id: Mapped[int | None] = mapped_column(nullable=True)  # the published version when reported
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def open(self) -> bool:
        return self.state not in dispatch.CLOSED_STATES

    @property
    def category_label(self) -> str:
        category = dispatch.CATEGORIES.get(self.category)
        return category.label_vi if category else self.category

    @property
    def uncovered_wards(self) -> list[tuple[str, int]]:
        return [(code, int(minutes)) for code, minutes in json.loads(self.uncovered or "[]")]

    @property
    def excluded(self) -> list[str]:
        return [person for person in self.declined_by.split(",") if person]

    @property
    def callout(self) -> Assignment | None:
        if self.callout_date is None or self.callout_shift_id is None or self.technician_id is None:
            return None
        campaign = store.campaign()
        oncall = (
            campaign is not None
            and campaign.has("shifts", self.callout_shift_id)
            and (campaign.shift(self.callout_shift_id).kind is ShiftKind.ONCALL)
        )
        covered = (self.ward_code,) if oncall else ()
        return Assignment(
            self.technician_id, self.ward_code, self.callout_date, self.callout_shift_id, covered_ward_codes=covered
        )

    def record(self) -> dispatch.IncidentRecord:
        """The incident as the daily report counts it."""
        return dispatch.IncidentRecord(
            ward_code=self.ward_code,
            reported_at=self.reported_at,
            limit_minutes=self.limit_minutes,
            arrived_at=self.arrived_at,
            resolved_at=self.resolved_at,
            remote=self.state == dispatch.RESOLVED_REMOTE,
            cancelled=self.state == dispatch.CANCELLED,
        )


class IncidentStep(db.Model):
    """One step of an incident's history."""

    __tablename__ = "incident_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(index=True)
    step: Mapped[str] = mapped_column(db.String(20))  # a state of scheduler.dispatch, or "escalated"
    at: Mapped[datetime]  # the campaign's local time
    by: Mapped[str] = mapped_column(db.String(80), default="")  # a username, "person:<id>" or "system"
    technician_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True)
    note: Mapped[str] = mapped_column(db.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WardCover(db.Model):
    """A technician the desk moved to answer for a ward for a while (while its own is away)."""

    __tablename__ = "ward_covers"
    id: Mapped[int] = mapped_column(primary_key=True)
    ward_code: Mapped[str] = mapped_column(db.String(10), index=True)
    person_id: Mapped[str] = mapped_column(db.String(40))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(db.String(80), default="")
    ended: Mapped[bool] = mapped_column(default=False)


class IncidentError(ValueError):
    """Input the incident store refuses: the message says which field and why (Vietnamese)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# ------------------------------------------------------------------------------------------------ reading


def get(incident_id: int) -> IncidentRow | None:
    return db.session.get(IncidentRow, incident_id)


def steps_of(incident_id: int) -> list[IncidentStep]:
    return list(
        db.session.scalars(
            select(IncidentStep).where(IncidentStep.incident_id == incident_id).order_by(IncidentStep.id)
        )
    )


def query(
    ward_code: str | None = None,
    states: Iterable[str] | None = None,
    category: str | None = None,
    first: datetime | None = None,
    last: datetime | None = None,
    technician_id: str | None = None,
):
    """A select of incidents, newest first, narrowed by the given filters (``last`` is exclusive)."""
    statement = select(IncidentRow)
    if ward_code:
        statement = statement.where(IncidentRow.ward_code == ward_code)
    if states:
        statement = statement.where(IncidentRow.state.in_(list(states)))
    if category:
        statement = statement.where(IncidentRow.category == category)
    if first is not None:
        statement = statement.where(IncidentRow.reported_at >= first)
    if last is not None:
        statement = statement.where(IncidentRow.reported_at < last)
    if technician_id:
        statement = statement.where(IncidentRow.technician_id == technician_id)
    return statement.order_by(IncidentRow.reported_at.desc(), IncidentRow.id.desc())


def open_incidents(ward_code: str | None = None) -> list[IncidentRow]:
    """Incidents not resolved or cancelled: urgent first, then oldest first."""
    open_states = [s for s in dispatch.STATES if s not in dispatch.CLOSED_STATES]
    rows = list(db.session.scalars(query(ward_code=ward_code, states=open_states)))
    return sorted(rows, key=lambda row: (not row.urgent, row.reported_at, row.id))


def engaged_incidents() -> list[IncidentRow]:
    """Open incidents with a technician on them."""
    return list(db.session.scalars(query(states=sorted(dispatch.ENGAGED_STATES))))


def callout_assignments() -> list[Assignment]:
    """Every call-out recorded (a cancelled incident's too: the person was called)."""
    rows = db.session.scalars(select(IncidentRow).where(IncidentRow.callout_date.is_not(None)))
    return [a for row in rows if (a := row.callout) is not None]


def with_callouts(roster: Roster) -> Roster:
    """``roster`` with the call-outs recorded since it was published, as assignments of their slots.

    A repair or a re-solve starts from it, so the call-outs (history by then) stay in the next version:
    recorded in the roster as the working time they are, seen by every labour rule after them.
    """
    have = set(roster.assignments)
    extra = tuple(a for a in callout_assignments() if a not in have)
    return replace(roster, assignments=roster.assignments + extra) if extra else roster


# ------------------------------------------------------------------------------------------------ writing


def default_place(campaign: Campaign, ward_code: str) -> str:
    """The ward's office: where an incident is unless the report says otherwise."""
    return f"Trụ sở UBND {campaign.ward(ward_code).name}"


def report(
    ward_code: str,
    category: str,
    urgent: bool,
    description: str,
    place: str = "",
    by: str = "",
    at: datetime | None = None,
) -> IncidentRow:
    """Store a new incident (state ``reported``) and its first step; raises :class:`IncidentError`."""
    campaign = live.live_campaign()
    if campaign is None:
        raise IncidentError("ward_code", "chưa có dữ liệu chiến dịch")
    if not campaign.has("wards", ward_code):
        raise IncidentError("ward_code", f"không có xã, phường mã '{ward_code}' trong chiến dịch")
    if category not in dispatch.CATEGORIES:
        raise IncidentError("category", f"loại sự cố không hợp lệ '{category}'")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_CHARS:
        raise IncidentError("description", f"mô tả dài quá {DESCRIPTION_MAX_CHARS} ký tự")
    place = (place or "").strip() or default_place(campaign, ward_code)
    if len(place) > PLACE_MAX_CHARS:
        raise IncidentError("place", f"địa điểm dài quá {PLACE_MAX_CHARS} ký tự")
    at = at or live.now()
    published = store.latest_published()
    row = IncidentRow(
        ward_code=ward_code,
        category=category,
        urgent=bool(urgent),
        description=description,
        place=place,
        state=dispatch.REPORTED,
        reported_at=at,
        reported_by=by,
        limit_minutes=dispatch.response_limit_minutes(campaign, ward_code, at),
        version_id=published.id if published else None,
    )
    db.session.add(row)
    db.session.flush()
    db.session.add(IncidentStep(incident_id=row.id, step=dispatch.REPORTED, at=at, by=by))
    db.session.commit()
    logger.info("incident %s reported at %s (%s, urgent=%s)", row.id, ward_code, category, urgent)
    return row


def _step(
    row_id: int,
    seen_state: str,
    seen_revision: int,
    values: dict,
    step: str,
    at: datetime,
    by: str,
    technician_id: str | None = None,
    note: str = "",
    notice: Callable[[int], object] | None = None,
) -> bool:
    """Move an incident from the state and revision the caller saw; False when it has moved since.

    ``notice(revision)`` queues the step's notice in the same transaction, so a process killed after the
    step cannot lose it.
    """
    statement = (
        update(IncidentRow)
        .where(IncidentRow.id == row_id, IncidentRow.state == seen_state, IncidentRow.revision == seen_revision)
        .values(**values, revision=seen_revision + 1, updated_at=utcnow())
    )
    try:
        changed = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
        if changed:
            db.session.add(
                IncidentStep(
                    incident_id=row_id,
                    step=step,
                    at=at,
                    by=by,
                    technician_id=technician_id,
                    note=(note or "")[:NOTE_MAX_CHARS],
                )
            )
            if notice is not None:
                notice(seen_revision + 1)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.expire_all()
    return bool(changed)


def assign(
    row: IncidentRow, candidate: dispatch.Candidate, by: str, at: datetime | None = None, seen: int | None = None
) -> bool:
    """Send ``candidate`` (a first assignment or a reassignment); queues the technician's notice.

    ``seen`` is the incident's revision the caller's page showed (default: ``row``'s). False when the
    incident moved since, or is closed.
    """
    if seen is not None and seen != row.revision:
        return False
    if not dispatch.can_move(row.state, dispatch.ASSIGNED):
        return False
    at = at or live.now()
    previous = row.technician_id
    declined = row.excluded
    if previous and previous != candidate.person_id and previous not in declined:
        declined.append(previous)  # a reassignment: the one taken off is not offered again
    callout = candidate.callout
    values = {
        "state": dispatch.ASSIGNED,
        "technician_id": candidate.person_id,
        "from_ward_code": candidate.from_ward_code,
        "expected_arrival_minutes": candidate.arrival_minutes,
        "uncovered": json.dumps([list(pair) for pair in candidate.uncovered]),
        "assigned_at": at,
        "acknowledged_at": None,
        "on_the_way_at": None,
        "arrived_at": None,
        "escalation": _without(row.escalation, "acknowledge"),
        "declined_by": ",".join(declined),
    }
    if callout is not None:
        values["callout_date"] = callout.date
        values["callout_shift_id"] = callout.shift_id
    note = candidate.reason_vi
    person_id = candidate.person_id

    def notice(revision: int) -> None:
        _queue_assignment_notice(row, person_id, revision)

    return _step(row.id, row.state, row.revision, values, dispatch.ASSIGNED, at, by, person_id, note, notice)


def move(
    row: IncidentRow, to: str, by: str, note: str = "", at: datetime | None = None, seen: int | None = None
) -> bool:
    """A step of the lifecycle other than assigning (acknowledge, on the way, arrived, resolved, cancel).

    ``seen`` is the revision the caller's page showed (default: ``row``'s); False when it moved since.
    """
    if seen is not None and seen != row.revision:
        return False
    if to == dispatch.ASSIGNED or not dispatch.can_move(row.state, to):
        return False
    at = at or live.now()
    values: dict = {"state": to, STEP_COLUMNS[to]: at}
    return _step(row.id, row.state, row.revision, values, to, at, by, row.technician_id, note)


# ------------------------------------------------------------------------------------------------ ranking


def roster_in_force() -> tuple[Campaign | None, list[Assignment]]:
    """The live campaign and the latest published roster without the slots open events take away."""
    campaign = live.live_campaign()
    version = store.latest_published()
    if campaign is None or version is None:
        return campaign, []
    roster = store.roster_of(version)
    cancelled = live.cancelled_slots(version.id)
    return campaign, [a for a in roster.assignments if not live.is_cancelled(cancelled, a)]


def engagements(
    campaign: Campaign, at: datetime, rows: Iterable[IncidentRow] | None = None
) -> list[dispatch.Engagement]:
    """The technicians taken by open incidents, and when each is expected to be free at its ward."""
    found = []
    for row in engaged_incidents() if rows is None else rows:
        if row.technician_id is None or row.state not in dispatch.ENGAGED_STATES:
            continue
        category = dispatch.CATEGORIES.get(row.category)
        service = category.service_minutes if category else 30
        if row.arrived_at is not None:
            arrive = row.arrived_at
        else:
            arrive = (row.assigned_at or at) + timedelta(minutes=row.expected_arrival_minutes or 0)
        free_at = max(arrive, at) + timedelta(minutes=service)
        found.append(dispatch.Engagement(row.technician_id, row.ward_code, free_at))
    return found


def candidates_for(row: IncidentRow, at: datetime | None = None, limit: int | None = 3) -> list[dispatch.Candidate]:
    """The ranked technicians for an incident now (the one on it now, and those who did not answer, left out)."""
    at = at or live.now()
    campaign, assignments = roster_in_force()
    if campaign is None:
        return []
    incident = dispatch.Incident(str(row.id), row.ward_code, row.category, row.urgent, row.reported_at)
    engaged = [e for e in engagements(campaign, at) if e.person_id != row.technician_id]
    exclude = set(row.excluded)
    if row.technician_id:
        exclude.add(row.technician_id)
    return dispatch.candidates(
        campaign,
        assignments,
        incident,
        at,
        resolve_travel(None),
        engagements=engaged,
        callouts=callout_assignments(),
        exclude=exclude,
        limit=limit,
    )


def candidate_by_person(row: IncidentRow, person_id: str, at: datetime | None = None) -> dispatch.Candidate | None:
    """The candidate entry of one technician for this incident (None when they may not go now)."""
    for candidate in candidates_for(row, at, limit=None):
        if candidate.person_id == person_id:
            return candidate
    return None


def auto_dispatch(row: IncidentRow) -> bool:
    """Send an urgent incident to its first candidate at once when ``auto_dispatch_urgent`` is on."""
    campaign = live.live_campaign()
    if campaign is None or not campaign.rules.auto_dispatch_urgent or not row.urgent:
        return False
    ranked = candidates_for(row, limit=1)
    return bool(ranked) and assign(row, ranked[0], "system")


# ------------------------------------------------------------------------------------------------ escalation


@dataclass(frozen=True)
class Escalation:
    incident_id: int
    reason: str  # "acknowledge" | "arrival"


def due_escalations(at: datetime, campaign: Campaign) -> list[Escalation]:
    """Open incidents past a limit that have not been escalated for that reason yet."""
    found = []
    ack_limit = timedelta(minutes=campaign.rules.acknowledge_limit_minutes)
    for row in open_incidents():
        reasons = escalation_reasons(row)
        if row.state == dispatch.ASSIGNED and row.assigned_at and at - row.assigned_at > ack_limit:
            if "acknowledge" not in reasons:
                found.append(Escalation(row.id, "acknowledge"))
        elif (
            row.state in (dispatch.REPORTED, dispatch.ASSIGNED, dispatch.ACKNOWLEDGED, dispatch.ON_THE_WAY)
            and at - row.reported_at > timedelta(minutes=row.limit_minutes)
            and "arrival" not in reasons
        ):
            found.append(Escalation(row.id, "arrival"))
    return found


def escalate_due(at: datetime | None = None) -> int:
    """Escalate every incident past a limit once per reason, queueing a notice to its technician (kind
    ``incident-escalation``); the number escalated now. Run by the sender's rounds and the desk's board."""
    campaign = live.live_campaign()
    if campaign is None:
        return 0
    at = at or live.now()
    done = 0
    for escalation in due_escalations(at, campaign):
        row = get(escalation.incident_id)
        if row is None:
            continue
        if escalation.reason == "acknowledge":
            note = f"chưa xác nhận sau {campaign.rules.acknowledge_limit_minutes} phút"
        else:
            note = f"chưa đến sau {row.limit_minutes} phút"
        reasons = escalation_reasons(row) | {escalation.reason}
        values = {"escalation": ",".join(sorted(reasons)), "escalated_at": at}

        def notice(revision: int, row: IncidentRow = row, note: str = note) -> None:
            _queue_escalation_notice(row, note, revision)

        if _step(row.id, row.state, row.revision, values, ESCALATED, at, "system", row.technician_id, note, notice):
            done += 1
            logger.warning("incident %s escalated: %s", row.id, note)
    return done


def escalation_reasons(row: IncidentRow) -> set[str]:
    """The standing escalations of an incident: "acknowledge" (until reassigned) and "arrival"."""
    return {reason for reason in (row.escalation or "").split(",") if reason}


def _without(escalation: str, reason: str) -> str:
    return ",".join(sorted({r for r in (escalation or "").split(",") if r and r != reason}))


# ------------------------------------------------------------------------------------------------ coverage


def uncovered_intervals(at: datetime) -> list[tuple[str, datetime, datetime]]:
    """(ward, from, until) of wards left with no responsible technician by incidents up to ``at``.

    From the assignment on; until the technician is back (resolution plus the trip back), or the
    estimate while they are still out; a desk's cover ends the ward's interval when it starts.
    """
    travel = resolve_travel(None)
    intervals = []
    rows = db.session.scalars(select(IncidentRow).where(IncidentRow.assigned_at.is_not(None)))
    covers = list(db.session.scalars(select(WardCover)))
    for row in rows:
        start = row.assigned_at
        assert start is not None
        for code, minutes in row.uncovered_wards:
            if row.state in dispatch.CLOSED_STATES:
                ended = row.resolved_at or row.cancelled_at or start
                back = travel(row.ward_code, row.from_ward_code or row.ward_code) if row.resolved_at else 0
                end = ended + timedelta(minutes=back)
            else:
                end = max(at, start + timedelta(minutes=minutes))
            for cover in covers:
                if cover.ward_code == code and start <= cover.start_at < end:
                    end = cover.start_at
            if start < end:
                intervals.append((code, start, end))
    return intervals


def uncovered_now(at: datetime | None = None) -> dict[str, datetime]:
    """Ward code → until when (expected) it has no responsible technician, because of incidents."""
    at = at or live.now()
    now_covered = {
        cover.ward_code
        for cover in db.session.scalars(select(WardCover).where(WardCover.ended.is_(False)))
        if cover.start_at <= at < cover.end_at
    }
    found: dict[str, datetime] = {}
    for code, start, end in uncovered_intervals(at):
        if start <= at < end and code not in now_covered:
            found[code] = max(found.get(code, end), end)
    return found


def add_cover(ward_code: str, person_id: str, minutes: int, by: str, at: datetime | None = None) -> WardCover:
    """Record that the desk moved ``person_id`` to answer for ``ward_code`` for ``minutes``."""
    at = at or live.now()
    cover = WardCover(
        ward_code=ward_code, person_id=person_id, start_at=at, end_at=at + timedelta(minutes=minutes), created_by=by
    )
    db.session.add(cover)
    db.session.commit()
    return cover


# ------------------------------------------------------------------------------------------------ notices and links


def tech_token(incident_id: int, person_id: str) -> str:
    """The signed token of one technician's page for one incident."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)
    return serializer.dumps([incident_id, person_id])


def from_tech_token(token: str, max_age_seconds: float = 7 * 86400) -> tuple[int, str] | None:
    """(incident id, person id) of a valid, unexpired technician token, or None."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)
    try:
        value = serializer.loads(token, max_age=max_age_seconds)
    except (BadSignature, ValueError, TypeError):
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
    ):
        return value[0], value[1]
    return None


def tech_path(incident_id: int, person_id: str) -> str:
    """The path of the technician's page (the blueprint ``technician`` serves it), in a request or not."""
    token = tech_token(incident_id, person_id)
    if has_request_context():
        return url_for("technician.incident", token=token)
    with current_app.test_request_context():  # the sender's loop: no request, the same route
        return url_for("technician.incident", token=token)


def notify_technician(incident_id: int) -> list[int]:
    """Queue the assigned technician's notice again (once per assignment: the same key) and commit."""
    row = get(incident_id)
    if row is None or row.technician_id is None:
        return []
    ids = _queue_assignment_notice(row, row.technician_id, row.revision)
    db.session.commit()
    return ids


def _notice_person_and_ward(row: IncidentRow, person_id: str | None):
    campaign = live.live_campaign()  # a technician added by an event is told too
    if person_id is None or campaign is None or not campaign.has("people", person_id):
        return None, None, ""
    ward = campaign.ward(row.ward_code).name if campaign.has("wards", row.ward_code) else row.ward_code
    return campaign, campaign.person(person_id), ward


def _page_link(incident_id: int, person_id: str) -> str:
    """The technician's page as an absolute link, when ``RAQUAN_PUBLIC_URL`` says where the app is served."""
    from web import outbox

    base = current_app.config.get("RAQUAN_PUBLIC_URL") or outbox._setting("RAQUAN_PUBLIC_URL")
    return f"{base.rstrip('/')}{tech_path(incident_id, person_id)}" if base else ""


def _queue_assignment_notice(row: IncidentRow, person_id: str, revision: int) -> list[int]:
    """Queue (not commit) the notice of an assignment to ``person_id``; its key is the assignment's revision."""
    from web import outbox

    campaign, person, ward = _notice_person_and_ward(row, person_id)
    if person is None:
        return []
    link = _page_link(row.id, person.id)
    urgent = "KHẨN: " if row.urgent else ""
    subject = f"{urgent}Sự cố #{row.id} tại {ward}: {row.category_label}"
    text = (
        f"{subject}.\nĐịa điểm: {row.place}.\nMô tả: {row.description or '(không có)'}\n"
        f"Hãy xác nhận trong {_ack_minutes(campaign)} phút." + (f"\nTrang xử lý: {link}" if link else "")
    )
    # The SMS puts the link first: one 160-character segment is cut at its end, never before the link.
    sms = f"{urgent}Sự cố #{row.id}" + (f": {link} -" if link else ":") + f" {ward}, {row.category_label}"
    key = f"incident:{row.id}:{revision}:{person.id}"
    return outbox.enqueue_for_person(person, "incident", key, subject, text, sms_text_vi=sms, commit=False)


def _queue_escalation_notice(row: IncidentRow, note: str, revision: int) -> list[int]:
    """Queue (not commit) the reminder to the technician of an escalated incident; its key is the escalation's."""
    from web import outbox

    _campaign, person, ward = _notice_person_and_ward(row, row.technician_id)
    if person is None:
        return []
    link = _page_link(row.id, person.id)
    subject = f"Nhắc: sự cố #{row.id} tại {ward} {note}".strip()
    text = (
        f"Sự cố #{row.id} tại {ward} ({row.category_label}) {note}. Bàn điều độ đã được báo và có thể "
        "giao cho người khác. Nếu bạn đang xử lý, hãy cập nhật ngay trên trang xử lý" + (f": {link}" if link else ".")
    )
    key = f"{ESCALATION_KIND}:{row.id}:{revision}"
    return outbox.enqueue_for_person(person, ESCALATION_KIND, key, subject, text, commit=False)


def _ack_minutes(campaign: Campaign) -> int:
    return campaign.rules.acknowledge_limit_minutes
