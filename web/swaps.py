"""Volunteers' self-service within the rules: busy days ahead, shifts offered or swapped, the coordinator's approval.

- **Busy days** (``/ca-truc/doi-ca``): a volunteer marks days or half-days they cannot work, ahead and within
  the campaign. Each mark is an event of kind ``unavailable`` recorded by the volunteer
  (:func:`web.live.record_event`), so the next solve and repair see it the way they see every other
  unavailability (:func:`scheduler.events.apply_events`); a mark is taken back by setting its event aside.
  A day on which the volunteer has a shift in force is refused: that shift is offered, swapped or reported
  ("Tôi không thể đến") instead.
- **Offers and swaps** (:class:`web.models.SwapRequest`): a volunteer offers one of their upcoming shifts to
  anyone who may take it or to a named colleague, or asks a named colleague to exchange it for one of theirs.
  The colleague accepts on their own pages or through a signed link sent through the outbox.
- **The check** (:func:`check_change`): every change is asked of the people's calendar
  (:class:`scheduler.calendar.Calendar`: ``removal_breaks`` for the shifts given, ``breaks`` for the shifts
  taken, for both people) against the roster in force (the latest published version without the slots open
  events take away, with the call-outs), and of the checker's coverage rules for the days it touches (no
  gap the roster did not have). Refusals name the rule in words (:func:`problem_text`).
- **Approval** (``/dieu-phoi/doi-ca``): the coordinator approves or refuses each accepted request, or the
  setting ``swaps_auto_approve`` lets a request that passes the check through at once. Applying one makes a
  version of kind ``repair`` from the published one with the assignments exchanged, checked again by the
  checker, published, and the two people told through the outbox (:func:`apply_request`).
- **Stale requests**: a waiting request checked against an older published version is checked again when the
  pages list it (:func:`refresh`); if the rules no longer allow it, it goes ``stale`` with the reasons.

Every change of a request's state is one conditional UPDATE from the state seen, so a second click, or a
second server process, finds it changed and does nothing.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select, update

from scheduler.calendar import Calendar
from scheduler.candidates import candidates
from scheduler.changes import RosterChanges
from scheduler.clock import is_history
from scheduler.events import Event, days_between
from scheduler.model import Assignment, Campaign
from scheduler.verify import unfilled_slots, valid_assignments
from web import incidents, live, notices, outbox, repairs, store, volunteer
from web.auth import role_required
from web.coordinator import _person_of, _username, _ward_name, rule_labels, rule_words
from web.forms import ActionForm
from web.models import (
    SWAP_WAITING,
    AssignmentRow,
    RosterVersion,
    Setting,
    SwapRequest,
    changed_rows,
    db,
    utcnow,
)

logger = logging.getLogger(__name__)

blueprint = Blueprint("swaps", __name__)

AUTO_APPROVE_KEY = "swaps_auto_approve"  # a row of ``settings``: "1" lets a request that passes the check through
NOTE_MAX_CHARS = 300
REASON_MAX_CHARS = 300
BUSY_MAX_DAYS = 45  # one mark covers at most this many days
NOON_MINUTE = 12 * 60  # a half-day: the slots starting before noon, or from noon on
PARTS = ("day", "morning", "afternoon")
COLLEAGUES_SHOWN = 40
CANDIDATES_SHOWN = 20
SHIFTS_CHECKED = 20  # a colleague's upcoming shifts checked for a swap
OFFERS_SHOWN = 20
RECENT_SHOWN = 50
TOKEN_SALT = "raquan-swap"
TOKEN_MAX_AGE_SECONDS = 14 * 86400


# ------------------------------------------------------------------------------------------------ the roster in force


@dataclass
class InForce:
    """The live campaign, the latest published version and its assignments in force (open events' slots taken
    away, the call-outs added)."""

    campaign: Campaign
    version: RosterVersion
    assignments: list[Assignment]
    _keys: set | None = None

    def of(self, person_ids) -> list[Assignment]:
        wanted = set(person_ids)
        return [a for a in self.assignments if a.person_id in wanted]

    def has(self, assignment: Assignment) -> bool:
        if self._keys is None:
            self._keys = set(self.assignments)
        return assignment in self._keys


def in_force() -> InForce | None:
    """The roster in force now (None while nothing is published): as :func:`web.incidents.roster_in_force` makes it,
    with the call-outs; only the assignments of people with open events are looked up among the cancelled slots."""
    campaign = live.live_campaign()
    version = store.latest_published()
    if campaign is None or version is None:
        return None
    roster = store.roster_of(version)
    cancelled = live.cancelled_slots(version.id)
    people = {person_id for person_id, _day, _slot in cancelled}
    assignments = [a for a in roster.assignments if a.person_id not in people or not live.is_cancelled(cancelled, a)]
    have = set(assignments)
    extra = [a for a in incidents.callout_assignments() if a not in have]
    return InForce(campaign, version, assignments + extra, have | set(extra))


def now() -> datetime:
    """The campaign's "now" as the volunteers' pages see it."""
    return volunteer.now()


# ------------------------------------------------------------------------------------------------ the check


@dataclass(frozen=True)
class Problem:
    """Why a change is refused: a rule's label (or ``started``, ``gone``, ``unknown``, ``moved``, ``coordinator``),
    whom or where it concerns, and the coordinator's words when they refused it."""

    rule: str
    person_id: str = ""
    ward_code: str = ""
    day: str = ""  # ISO date
    text: str = ""


def change_of(row: SwapRequest, taker: str | None = None) -> tuple[list[Assignment], list[Assignment]]:
    """(assignments taken off, assignments put on) of a request; ``taker`` for an offer still open to anyone."""
    give = repairs.assignment_of_key(row.give_key)
    if row.kind == "swap":
        take = repairs.assignment_of_key(row.take_key or "")
        return [give, take], [replace(give, person_id=take.person_id), replace(take, person_id=give.person_id)]
    to = taker or row.to_person_id
    if not to:
        return [give], []
    return [give], [replace(give, person_id=to)]


def check_change(state: InForce, remove, add, at: datetime, travel) -> list[Problem]:
    """The reasons the rules refuse taking ``remove`` off and putting ``add`` on the roster in force (none: allowed).

    The people's calendar answers for every person touched (the pins of the shifts given, every people rule
    of the shifts taken, with their other work in force); the checker's coverage rules for the days touched
    (a gap the roster did not have refuses the change). A shift that has started, or that is no longer in
    force, refuses it too.
    """
    campaign = state.campaign
    problems: list[Problem] = []
    for a in (*remove, *add):
        if not campaign.has("people", a.person_id):
            return [Problem("unknown", a.person_id)]
        try:
            started = is_history(campaign, a, at)
        except KeyError:
            return [Problem("gone", a.person_id)]
        if started:
            return [Problem("started", a.person_id, a.ward_code, a.date.isoformat())]
    gone = [a for a in remove if not state.has(a)]
    if gone:
        return [Problem("gone", a.person_id, a.ward_code, a.date.isoformat()) for a in gone]
    people = {a.person_id for a in (*remove, *add)}
    calendar = Calendar(campaign, [a for a in state.of(people) if a not in remove], travel)
    for a in remove:
        problems += [
            Problem(label, a.person_id, a.ward_code, a.date.isoformat()) for label in calendar.removal_breaks(a)
        ]
    for a in add:
        problems += [Problem(label, a.person_id, a.ward_code, a.date.isoformat()) for label in calendar.breaks(a)]
        calendar.add(a)
    if problems or not add:
        return problems
    removed = set(remove)
    for day in sorted({a.date for a in (*remove, *add)}):
        of_day = [a for a in state.assignments if a.date == day]
        after = [a for a in of_day if a not in removed] + [a for a in add if a.date == day]
        day_campaign = live.day_campaign(campaign, day)
        before = unfilled_slots(day_campaign, valid_assignments(campaign, of_day), travel)
        later = unfilled_slots(day_campaign, valid_assignments(campaign, after), travel)
        problems += [Problem(u.rule, "", u.ward_code, u.date.isoformat()) for u in repairs.new_gaps(before, later)]
    return problems


def check_request(state: InForce, row: SwapRequest, at: datetime, taker: str | None = None) -> list[Problem]:
    """:func:`check_change` of a request (an offer still open to anyone: only the giving side)."""
    remove, add = change_of(row, taker)
    return check_change(state, remove, add, at, repairs.travel_of(state.campaign))


def _name(campaign: Campaign | None, person_id: str) -> str:
    person = _person_of(campaign, person_id) if campaign and person_id else None
    return person.name if person else person_id


def problem_text(campaign: Campaign | None, problem: Problem) -> str:
    """One reason a change is refused, in plain words."""
    name = _name(campaign, problem.person_id)
    day = f"{date.fromisoformat(problem.day):%d/%m/%Y}" if problem.day else ""
    if problem.rule == "coordinator":
        return _("Điều phối viên không duyệt: %(reason)s", reason=problem.text or _("không nêu lý do"))
    if problem.rule == "started":
        return _("Ca ngày %(day)s đã bắt đầu hoặc đã qua: lịch đã qua không thay đổi.", day=day)
    if problem.rule == "gone":
        return _("Ca ngày %(day)s của %(name)s không còn trong lịch đang áp dụng.", day=day, name=name)
    if problem.rule == "unknown":
        return _("Không có người mã “%(id)s” trong chiến dịch.", id=problem.person_id)
    if problem.rule == "moved":
        return _("Đã có lịch khác được công bố trong lúc duyệt; hãy duyệt lại.")
    if problem.rule == "pinned":
        return _("Ca ngày %(day)s của %(name)s đã được Thành đoàn ghim, không nhường hay đổi được.", day=day, name=name)
    if problem.rule in rule_labels():
        ward = _ward_name(campaign, problem.ward_code) if campaign else problem.ward_code
        return _(
            "%(ward)s sẽ thiếu người ngày %(day)s — quy tắc “%(rule)s”.",
            ward=ward,
            day=day,
            rule=rule_words(problem.rule),
        )
    return _(
        "%(name)s không nhận được ca ngày %(day)s — quy tắc “%(rule)s”.",
        name=name,
        day=day,
        rule=rule_words(problem.rule),
    )


def _reasons_json(problems: list[Problem]) -> str:
    return json.dumps([asdict(p) for p in problems], ensure_ascii=False)


def stored_problems(row: SwapRequest) -> list[Problem]:
    """The reasons stored with a refused or stale request."""
    try:
        values = json.loads(row.reasons or "[]")
        return [Problem(**value) for value in values if isinstance(value, dict)]
    except (TypeError, ValueError):
        return []


# ------------------------------------------------------------------------------------------------ settings


def auto_approve() -> bool:
    """Whether a request that passes the check is applied without the coordinator (``swaps_auto_approve``)."""
    setting = db.session.get(Setting, AUTO_APPROVE_KEY)
    return setting is not None and setting.value == "1"


def set_auto_approve(on: bool) -> None:
    try:
        setting = db.session.get(Setting, AUTO_APPROVE_KEY)
        if setting is None:
            db.session.add(Setting(key=AUTO_APPROVE_KEY, value="1" if on else "0"))
        else:
            setting.value = "1" if on else "0"
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


# ------------------------------------------------------------------------------------------------ requests


class Refused(ValueError):
    """A request that cannot be made or answered: the problems say why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.rule for p in problems))


def get(request_id: int) -> SwapRequest | None:
    db.session.expire_all()
    return db.session.get(SwapRequest, request_id)


def _set_state(row_id: int, seen: tuple[str, ...], **values) -> bool:
    """Move a request from one of the ``seen`` states, in one conditional UPDATE; whether this call moved it."""
    return bool(
        changed_rows(update(SwapRequest).where(SwapRequest.id == row_id, SwapRequest.state.in_(seen)).values(**values))
    )


def waiting_for(give: Assignment) -> SwapRequest | None:
    """The waiting request that gives this assignment away, if there is one."""
    return db.session.scalar(
        select(SwapRequest).where(SwapRequest.give_key == repairs.change_key(give), SwapRequest.state.in_(SWAP_WAITING))
    )


def create(
    kind: str, give: Assignment, to_person_id: str | None = None, take: Assignment | None = None, note: str = ""
) -> SwapRequest:
    """Store a request (offer to anyone, offer to a named colleague, or a swap for ``take``) once the rules allow
    it, and tell the named colleague; raises :class:`Refused` otherwise."""
    state = in_force()
    if state is None:
        raise Refused([Problem("gone", give.person_id)])
    if kind not in ("offer", "swap") or (kind == "swap" and take is None):
        raise ValueError(f"not a request: {kind}")
    if waiting_for(give) is not None or (take is not None and waiting_for(take) is not None):
        raise Refused([Problem("busy_request", give.person_id)])
    to = take.person_id if take is not None else to_person_id
    if to == give.person_id:
        raise Refused([Problem("self", give.person_id)])
    row = SwapRequest(
        kind=kind,
        state="open",
        from_person_id=give.person_id,
        give_key=repairs.change_key(give),
        to_person_id=to or None,
        take_key=repairs.change_key(take) if take is not None else None,
        note=note[:NOTE_MAX_CHARS],
        reasons="",
        version_id=state.version.id,
        created_at=utcnow(),
        decided_by="",
    )
    problems = check_request(state, row, now())
    if problems:
        raise Refused(problems)
    try:
        db.session.add(row)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    logger.info("swap request %s (%s) by %s to %s", row.id, kind, give.person_id, to or "anyone")
    if to:
        _notify_ask(row, state.campaign)
    return row


def accept(row: SwapRequest, person_id: str) -> str:
    """The colleague ``person_id`` accepts: ``accepted`` (waiting for the coordinator), ``approved`` (applied at
    once by the setting), or raises :class:`Refused` (a named request then goes stale with the reasons)."""
    if row.state != "open":
        raise Refused([Problem("answered")])
    if person_id == row.from_person_id or (row.to_person_id and row.to_person_id != person_id):
        raise Refused([Problem("not_yours")])
    state = in_force()
    if state is None:
        raise Refused([Problem("gone", row.from_person_id)])
    problems = check_request(state, row, now(), taker=person_id)
    if problems:
        if row.to_person_id:
            _go_stale(row, ("open",), problems, state.campaign)
        raise Refused(problems)
    moved = changed_rows(
        update(SwapRequest)
        .where(
            SwapRequest.id == row.id,
            SwapRequest.state == "open",
            or_(SwapRequest.to_person_id.is_(None), SwapRequest.to_person_id == person_id),
        )
        .values(state="accepted", to_person_id=person_id, accepted_at=utcnow(), version_id=state.version.id)
    )
    if not moved:
        raise Refused([Problem("answered")])
    logger.info("swap request %s accepted by %s", row.id, person_id)
    if auto_approve():
        problems = apply_request(row.id, "tự động")
        return "stale" if problems else "approved"
    return "accepted"


def decline(row: SwapRequest, person_id: str) -> bool:
    """The named colleague says no; whether this call did it."""
    if row.to_person_id != person_id:
        return False
    done = _set_state(row.id, ("open",), state="declined", decided_at=utcnow(), decided_by=person_id[:80])
    if done:
        _notify_outcome(row, "declined", [])
    return done


def withdraw(row: SwapRequest, person_id: str) -> bool:
    """The requester takes a waiting request back; whether this call did it."""
    if row.from_person_id != person_id:
        return False
    return _set_state(row.id, SWAP_WAITING, state="withdrawn", decided_at=utcnow(), decided_by=person_id[:80])


def refuse(row: SwapRequest, by: str, reason: str) -> bool:
    """The coordinator refuses a waiting request, with their reason; whether this call did it."""
    problems = [Problem("coordinator", text=reason[:REASON_MAX_CHARS])]
    done = _set_state(
        row.id, SWAP_WAITING, state="refused", reasons=_reasons_json(problems), decided_at=utcnow(), decided_by=by[:80]
    )
    if done:
        _notify_outcome(row, "refused", problems)
    return done


def _go_stale(row: SwapRequest, seen: tuple[str, ...], problems: list[Problem], campaign) -> bool:
    done = _set_state(row.id, seen, state="stale", reasons=_reasons_json(problems), decided_at=utcnow(), decided_by="")
    if done:
        logger.info("swap request %s stale: %s", row.id, ", ".join(p.rule for p in problems))
        _notify_outcome(row, "stale", problems, campaign)
    return done


def refresh(rows) -> None:
    """Check again the waiting requests checked against an older published version, or whose shift has started:
    those the rules no longer allow go stale with the reasons, the others are marked checked against the latest."""
    rows = [r for r in rows if r.state in SWAP_WAITING]
    if not rows:
        return
    state = in_force()
    if state is None:
        return
    at = now()
    for row in rows:
        started = False
        try:
            for a in sum(change_of(row), []):
                started = started or is_history(state.campaign, a, at)
        except (KeyError, ValueError):
            started = True
        if row.version_id == state.version.id and not started:
            continue
        problems = check_request(state, row, at)
        if problems:
            _go_stale(row, (row.state,), problems, state.campaign)
        else:
            changed_rows(
                update(SwapRequest)
                .where(SwapRequest.id == row.id, SwapRequest.state == row.state)
                .values(version_id=state.version.id)
            )
    db.session.expire_all()


APPLYING_TIMEOUT = timedelta(minutes=5)  # longer than any approval takes: its process is gone


def recover_applying(older_than: timedelta = APPLYING_TIMEOUT) -> int:
    """Requests left ``applying`` by a process that died while applying them: ``approved`` when the published
    roster holds their exchange (the version was published before the process died), else back to ``accepted``
    for the coordinator to approve again. Returns how many were recovered."""
    cutoff = utcnow() - older_than
    stuck = list(
        db.session.scalars(
            select(SwapRequest).where(
                SwapRequest.state == "applying",
                (SwapRequest.decided_at.is_(None)) | (SwapRequest.decided_at < cutoff),
            )
        )
    )
    if not stuck:
        return 0
    published = store.latest_published()
    held = set(store.roster_of(published).assignments) if published is not None else set()
    recovered = 0
    for row in stuck:
        try:
            remove, add = change_of(row)
        except (KeyError, ValueError):
            remove, add = [], [None]
        done = published is not None and all(a in held for a in add) and not any(a in held for a in remove)
        if done:
            moved = _set_state(row.id, ("applying",), state="approved", applied_version_id=published.id)
        else:
            moved = _set_state(row.id, ("applying",), state="accepted", decided_at=None)
        if moved:
            logger.warning("swap request %s was left applying; now %s", row.id, "approved" if done else "accepted")
            recovered += 1
    db.session.expire_all()
    return recovered


def _violation_key(v) -> tuple:
    return (v.rule, v.person_id, v.ward_code, v.date, v.shift_id, v.mobile_point_id)


def apply_request(request_id: int, by: str) -> list[Problem]:
    """Apply an accepted request: a new published version with the exchange, its two people told; the problems
    when the rules no longer allow it (the request then goes stale). A request that is not ``accepted`` any more
    (applied, refused, or being applied by another click) is left alone: ``[Problem("answered")]``."""
    if not _set_state(request_id, ("accepted",), state="applying", decided_at=utcnow()):
        return [Problem("answered")]
    row = get(request_id)
    try:
        version, problems = _publish_exchange(row, by)
    except Exception:
        _set_state(request_id, ("applying",), state="accepted")
        raise
    if problems:
        _go_stale(row, ("applying",), problems, None)
        return problems
    _set_state(
        request_id,
        ("applying",),
        state="approved",
        applied_version_id=version.id,
        decided_at=utcnow(),
        decided_by=by[:80],
    )
    logger.info("swap request %s applied by %s as version %s", request_id, by, version.id)
    return []


def _publish_exchange(row: SwapRequest, by: str) -> tuple[RosterVersion | None, list[Problem]]:
    """The published version with the request's exchange, made and published (see :func:`apply_request`)."""
    from scheduler.solver.fill import roster_order

    state = in_force()
    if state is None:
        return None, [Problem("gone", row.from_person_id)]
    at = now()
    campaign = state.campaign
    travel = repairs.travel_of(campaign)
    remove, add = change_of(row)
    problems = check_change(state, remove, add, at, travel)
    if problems:
        return None, problems
    published = state.version
    base = incidents.with_callouts(store.roster_of(published))
    assignments = list(base.assignments)
    for a in remove:
        assignments.remove(a)
    assignments.extend(add)
    ordered = tuple(sorted(assignments, key=roster_order))
    touched = {a.person_id for a in (*remove, *add)}
    known = {_violation_key(v) for v in repairs.people_violations(campaign, base.assignments, touched, travel)}
    violations = repairs.people_violations(campaign, ordered, touched, travel)
    broken = [v for v in violations if _violation_key(v) not in known]
    if broken:  # the checker, independent of the calendar, has the last word
        return None, [Problem(v.rule, v.person_id or "", v.ward_code or "", v.date.isoformat()) for v in broken]
    days = {a.date for a in (*remove, *add)}
    gaps = repairs.gaps_after_edit(campaign, base.unfilled, ordered, days, travel)
    report = repairs.edited_report(campaign, ordered, violations, gaps, travel)
    edited = replace(base, assignments=ordered, unfilled=tuple(gaps), objective=report.objective)
    explanations = repairs._reused_explanations(campaign, published, edited, report.unfilled, travel)
    changes = RosterChanges(tuple(add), tuple(remove))  # the exchange is all that differs from the published roster
    summary = repairs.summary_of(changes, base.unfilled, report.unfilled)
    version = store.store_roster(
        edited,
        report,
        explanations,
        store.revision(),
        parent_id=published.id,
        kind="repair",
        change_summary=f"Đổi ca theo yêu cầu #{row.id}: {summary}",
    )
    latest = store.latest_published()
    if latest is None or latest.id != published.id or not store.publish_once(version.id, by):
        store.delete_draft(version.id)
        return None, [Problem("moved")]
    outbox.enqueue_version_notices(version.id, published.id)
    return version, []


# ------------------------------------------------------------------------------------------------ notices


def request_token(request_id: int, person_id: str) -> str:
    """The signed token of the colleague's answer page for one request."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)
    return serializer.dumps([request_id, person_id, volunteer.generation(person_id)])


def from_request_token(token: str) -> tuple[int, str] | None:
    """(request id, person id) of a valid, unexpired token whose person's links are not revoked; None otherwise."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)
    try:
        value = serializer.loads(token, max_age=TOKEN_MAX_AGE_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[1], str)):
        return None
    request_id, person_id, generation = value
    if not isinstance(request_id, int) or isinstance(request_id, bool) or generation != volunteer.generation(person_id):
        return None
    return request_id, person_id


def answer_path(request_id: int, person_id: str) -> str:
    """The path of the colleague's answer page (signed), in a request or not."""
    token = request_token(request_id, person_id)
    if has_request_context():
        return url_for("swaps.answer_link", token=token)
    with current_app.test_request_context():
        return url_for("swaps.answer_link", token=token)


def _absolute(path: str) -> str:
    base = current_app.config.get("RAQUAN_PUBLIC_URL") or outbox._setting("RAQUAN_PUBLIC_URL")
    if base:
        return f"{base.rstrip('/')}{path}"
    return f"{request.host_url.rstrip('/')}{path}" if has_request_context() else ""


def _notify_ask(row: SwapRequest, campaign: Campaign) -> None:
    """Tell the named colleague what is asked, with the signed link to answer."""
    person = _person_of(campaign, row.to_person_id or "")
    giver = _person_of(campaign, row.from_person_id)
    if person is None or giver is None:
        return
    give = repairs.assignment_of_key(row.give_key)
    link = _absolute(answer_path(row.id, person.id))
    if row.kind == "swap":
        take = repairs.assignment_of_key(row.take_key or "")
        subject = f"{giver.name} muốn đổi ca với bạn"
        what = f"{giver.name} muốn nhận ca {notices.slot_text(campaign, take)} của bạn và đổi cho bạn ca " + (
            f"{notices.slot_text(campaign, give)}."
        )
    else:
        subject = f"{giver.name} muốn nhường ca cho bạn"
        what = f"{giver.name} muốn nhường cho bạn ca {notices.slot_text(campaign, give)}."
    text = what + (f"\nTrả lời tại: {link}" if link else "\nTrả lời tại trang Ca trực của tôi.")
    sms = f"Doi ca: {link} - {what}" if link else what
    outbox.enqueue_for_person(person, "swap", f"swap:{row.id}:ask:{person.id}", subject, text, sms_text_vi=sms)


def _notify_outcome(row: SwapRequest, outcome: str, problems: list[Problem], campaign=None) -> None:
    """Tell the requester (and the colleague, once they accepted) that a request was declined, refused or went stale."""
    campaign = campaign or live.live_campaign()
    if campaign is None:
        return
    give = repairs.assignment_of_key(row.give_key)
    slot = notices.slot_text(campaign, give)
    words = {
        "declined": f"Yêu cầu nhường/đổi ca {slot} không được đồng ý.",
        "refused": f"Yêu cầu nhường/đổi ca {slot} không được điều phối viên duyệt.",
        "stale": f"Yêu cầu nhường/đổi ca {slot} không còn thực hiện được vì lịch đã thay đổi.",
    }[outcome]
    reasons = "; ".join(_vietnamese(problem_text, campaign, p) for p in problems)
    text = words + (f" Lý do: {reasons}" if reasons else "") + " Ca của bạn giữ nguyên."
    people = [row.from_person_id] + ([row.to_person_id] if row.to_person_id and outcome != "declined" else [])
    for person_id in people:
        person = _person_of(campaign, person_id)
        if person is not None:
            key = f"swap:{row.id}:{outcome}:{person_id}"
            outbox.enqueue_for_person(person, "swap", key, "Yêu cầu đổi ca", text, sms_text_vi=text)


def _vietnamese(function, *args) -> str:
    """``function(*args)`` in Vietnamese (notices are written in Vietnamese whatever the page's language)."""
    from flask_babel import force_locale

    if not has_request_context():
        with current_app.test_request_context(), force_locale("vi"):
            return function(*args)
    with force_locale("vi"):
        return function(*args)


# ------------------------------------------------------------------------------------------------ words


def state_labels() -> dict[str, str]:
    return {
        "open": _("chờ đồng nghiệp trả lời"),
        "accepted": _("chờ điều phối viên duyệt"),
        "applying": _("đang cập nhật lịch"),
        "approved": _("đã duyệt, lịch đã cập nhật"),
        "refused": _("không được duyệt"),
        "stale": _("không còn thực hiện được"),
        "withdrawn": _("đã rút lại"),
        "declined": _("đồng nghiệp không đồng ý"),
    }


def refusal_text(problem: Problem, campaign) -> str:
    """A refusal of a request or an answer, the request-level reasons included."""
    if problem.rule == "answered":
        return _("Yêu cầu này đã được trả lời hoặc xử lý.")
    if problem.rule == "not_yours":
        return _("Yêu cầu này không dành cho bạn.")
    if problem.rule == "busy_request":
        return _("Ca này đã có một yêu cầu nhường hoặc đổi đang chờ.")
    if problem.rule == "self":
        return _("Hãy chọn một đồng nghiệp khác.")
    return problem_text(campaign, problem)


def slot_view(campaign: Campaign | None, a: Assignment) -> dict:
    """One shift of a request, ready to show."""
    times = volunteer._times(campaign, a.date, a.shift_id, a.mobile_point_id)
    return {
        "assignment": a,
        "day": volunteer.day_label(a.date),
        "hours": times["hours"],
        "title": times["title"],
        "ward": _ward_name(campaign, a.ward_code) if campaign else a.ward_code,
        "place": times["place"],
    }


def request_view(row: SwapRequest, campaign: Campaign | None) -> dict:
    """A request as the pages show it."""
    give = repairs.assignment_of_key(row.give_key)
    take = repairs.assignment_of_key(row.take_key) if row.take_key else None
    return {
        "row": row,
        "kind": _("Đổi ca cho nhau") if row.kind == "swap" else _("Nhường ca"),
        "from": _name(campaign, row.from_person_id),
        "to": _name(campaign, row.to_person_id) if row.to_person_id else _("bất kỳ ai phù hợp"),
        "give": slot_view(campaign, give),
        "take": slot_view(campaign, take) if take else None,
        "state": state_labels().get(row.state, row.state),
        "reasons": [refusal_text(p, campaign) for p in stored_problems(row)],
    }


# ------------------------------------------------------------------------------------------------ busy days


def busy_slots(campaign: Campaign, part: str, dates) -> tuple[str, ...]:
    """The slots of a half-day (none: the whole day): the shifts, and the mobile points of those dates, starting
    before noon (``morning``) or from noon on (``afternoon``)."""
    if part == "day":
        return ()
    morning = part == "morning"
    days = set(dates)
    shifts = [s.id for s in campaign.shifts if (s.start_minute < NOON_MINUTE) == morning]
    points = [m.id for m in campaign.mobile_points if m.date in days and (m.start_minute < NOON_MINUTE) == morning]
    return tuple(shifts + points)


def busy_rows(person_id: str) -> list:
    """The person's busy marks still standing (not set aside), from today on, first date first."""
    return list(
        db.session.scalars(
            select(live.EventRow)
            .where(
                live.EventRow.person_id == person_id,
                live.EventRow.kind == "unavailable",
                live.EventRow.source == "volunteer",
                live.EventRow.state != "dismissed",
                live.EventRow.last_date >= now().date(),
            )
            .order_by(live.EventRow.first_date, live.EventRow.id)
        )
    )


def mark_busy(person_id: str, first: date, last: date, part: str, reason: str = "") -> list[str]:
    """Record busy days (an ``unavailable`` event by the volunteer); the reasons it is refused, none when recorded."""
    state = in_force()
    campaign = state.campaign if state else live.live_campaign()
    if campaign is None:
        return [_("Chưa có dữ liệu chiến dịch.")]
    today = now().date()
    errors = []
    for day in (first, last):
        if not campaign.contains_date(day):
            errors.append(
                _(
                    "Ngày %(date)s nằm ngoài chiến dịch (%(first)s – %(last)s).",
                    date=f"{day:%d/%m/%Y}",
                    first=f"{campaign.start_date:%d/%m/%Y}",
                    last=f"{campaign.end_date:%d/%m/%Y}",
                )
            )
        elif day < today:
            errors.append(_("Ngày %(date)s đã qua: lịch đã qua không thay đổi.", date=f"{day:%d/%m/%Y}"))
    if errors:
        return errors
    if last < first:
        return [_("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.")]
    dates = days_between(first, last)
    if len(dates) > BUSY_MAX_DAYS:
        return [_("Mỗi lần đánh dấu tối đa %(days)s ngày.", days=BUSY_MAX_DAYS)]
    slots = busy_slots(campaign, part, dates)
    mine = state.of([person_id]) if state else []
    clashes = [a for a in mine if a.date in dates and (not slots or (a.shift_id or a.mobile_point_id) in slots)]
    if clashes:
        days = ", ".join(sorted({f"{a.date:%d/%m/%Y}" for a in clashes}))
        return [
            _(
                "Bạn có ca vào %(days)s: hãy nhường hoặc đổi ca đó, hoặc báo “Tôi không thể đến”, rồi đánh dấu bận.",
                days=days,
            )
        ]
    event = Event(
        kind="unavailable",
        recorded_at=live.now(),
        recorded_by=person_id,
        person_id=person_id,
        dates=dates,
        slot_ids=slots,
        reason=reason[:REASON_MAX_CHARS],
    )
    row = live.record_event(event, source="volunteer")
    logger.info("busy days %s by %s: %s..%s %s", row.id, person_id, first, last, part)
    return []


def unmark_busy(event_id: int, person_id: str) -> bool:
    """Take back one of the person's own busy marks (its event set aside); whether this call did it."""
    return bool(
        changed_rows(
            update(live.EventRow)
            .where(
                live.EventRow.id == event_id,
                live.EventRow.person_id == person_id,
                live.EventRow.kind == "unavailable",
                live.EventRow.source == "volunteer",
                live.EventRow.state != "dismissed",
            )
            .values(state="dismissed")
        )
    )


def busy_view(row, campaign: Campaign | None) -> dict:
    event = row.event
    part = _("cả ngày")
    if event.slot_ids and campaign is not None:
        starts = [s.start_minute for s in campaign.shifts if s.id in event.slot_ids]
        part = _("buổi sáng") if starts and max(starts) < NOON_MINUTE else _("buổi chiều và tối")
    first, last = row.first_date, row.last_date
    when = (
        volunteer.day_label(first) if first == last else f"{volunteer.day_label(first)} – {volunteer.day_label(last)}"
    )
    return {"row": row, "when": when, "part": part, "reason": event.reason}


# ------------------------------------------------------------------------------------------------ the volunteer's pages


def _person_or_redirect() -> str:
    person_id = volunteer._signed_in_person_id()
    if person_id is None:
        abort(redirect(url_for("volunteer.lookup")))
    return person_id


def _waiting_rows(person_id: str) -> list[SwapRequest]:
    return list(
        db.session.scalars(
            select(SwapRequest)
            .where(
                SwapRequest.state.in_(SWAP_WAITING),
                or_(SwapRequest.from_person_id == person_id, SwapRequest.to_person_id == person_id),
            )
            .order_by(SwapRequest.id)
        )
    )


def open_offers_for(state: InForce, person_id: str, at: datetime) -> list[SwapRequest]:
    """The offers open to anyone that the rules let ``person_id`` take, newest first."""
    rows = db.session.scalars(
        select(SwapRequest)
        .where(
            SwapRequest.state == "open",
            SwapRequest.kind == "offer",
            SwapRequest.to_person_id.is_(None),
            SwapRequest.from_person_id != person_id,
        )
        .order_by(SwapRequest.id.desc())
        .limit(OFFERS_SHOWN * 3)
    )
    travel = repairs.travel_of(state.campaign)
    found = []
    for row in rows:
        remove, add = change_of(row, taker=person_id)
        if not check_change(state, remove, add, at, travel):
            found.append(row)
        if len(found) >= OFFERS_SHOWN:
            break
    return found


@blueprint.get("/ca-truc/doi-ca")
def index():
    """The volunteer's requests, what is asked of them, the offers they may take, and their busy days."""
    person_id = _person_or_redirect()
    state = in_force()
    campaign = state.campaign if state else live.live_campaign()
    refresh(_waiting_rows(person_id))
    mine = list(
        db.session.scalars(
            select(SwapRequest)
            .where(SwapRequest.from_person_id == person_id)
            .order_by(SwapRequest.id.desc())
            .limit(RECENT_SHOWN)
        )
    )
    asked = list(
        db.session.scalars(
            select(SwapRequest)
            .where(SwapRequest.to_person_id == person_id, SwapRequest.from_person_id != person_id)
            .order_by(SwapRequest.id.desc())
            .limit(RECENT_SHOWN)
        )
    )
    offers = open_offers_for(state, person_id, now()) if state else []
    return render_template(
        "swaps/index.html",
        asked=[request_view(r, campaign) for r in asked],
        mine=[request_view(r, campaign) for r in mine],
        offers=[request_view(r, campaign) for r in offers],
        busy=[busy_view(r, campaign) for r in busy_rows(person_id)],
        campaign=campaign,
        today=now().date(),
        parts=part_labels(),
        reason_max=REASON_MAX_CHARS,
        action=ActionForm(),
    )


def part_labels() -> dict[str, str]:
    return {
        "day": _("Cả ngày"),
        "morning": _("Buổi sáng (ca bắt đầu trước 12:00)"),
        "afternoon": _("Buổi chiều và tối (ca bắt đầu từ 12:00)"),
    }


def _own_assignment(assignment_id: int, person_id: str, state: InForce) -> Assignment:
    row = db.session.get(AssignmentRow, assignment_id)
    if row is None or row.version_id != state.version.id:
        abort(404)
    if row.person_id != person_id:
        abort(403)
    return store.assignment_of(
        row.person_id,
        row.ward_code,
        row.date,
        row.shift_id,
        row.mobile_point_id,
        row.need_index,
        row.covered_ward_codes,
    )


def _colleagues(state: InForce, give: Assignment, at: datetime) -> list[dict]:
    """People of the giver's pool with upcoming shifts in force: those working in the same ward first."""
    campaign = state.campaign
    pool = campaign.person(give.person_id).pool
    same_pool = {p.id for p in campaign.people if p.pool is pool and p.id != give.person_id}
    today = at.date()
    wards: dict[str, set[str]] = {}
    for a in state.assignments:
        if a.person_id not in same_pool or a.date < today or (a.date == today and is_history(campaign, a, at)):
            continue
        wards.setdefault(a.person_id, set()).add(a.ward_code)
    found = [
        {"id": pid, "name": campaign.person(pid).name, "same_ward": give.ward_code in codes}
        for pid, codes in wards.items()
    ]
    found.sort(key=lambda c: (not c["same_ward"], c["name"], c["id"]))
    return found[:COLLEAGUES_SHOWN]


_calendar_lock = threading.Lock()
_pool_calendars: OrderedDict = OrderedDict()
POOL_CALENDARS = 3  # the calendars of one pool's work in force, kept per process for the ranked lists


def pool_calendar(state: InForce, pool, travel) -> Calendar:
    """The calendar of the pool's work in force (for :func:`scheduler.candidates.candidates`), kept per process by
    database, published version, the campaign's data and events, and pool; treat it as read-only."""
    key = (
        db.engine.url.render_as_string(hide_password=False),
        state.version.id,
        state.version.created_at,
        repairs.campaign_state(),
        pool,
    )
    with _calendar_lock:
        calendar = _pool_calendars.get(key)
    if calendar is None:
        campaign = state.campaign
        people = {p.id for p in campaign.people if p.pool is pool}
        calendar = Calendar(campaign, [a for a in state.assignments if a.person_id in people], travel)
        with _calendar_lock:
            _pool_calendars[key] = calendar
            while len(_pool_calendars) > POOL_CALENDARS:
                _pool_calendars.popitem(last=False)
    return calendar


def _swap_options(state: InForce, give: Assignment, colleague: str, at: datetime) -> list[dict]:
    """The colleague's upcoming shifts in force, each with whether a swap for it passes the rules and why not."""
    campaign = state.campaign
    travel = repairs.travel_of(campaign)
    theirs = sorted(
        (a for a in state.of([colleague]) if not is_history(campaign, a, at)),
        key=lambda a: (a.date, a.shift_id or "", a.mobile_point_id or ""),
    )[:SHIFTS_CHECKED]
    options = []
    for take in theirs:
        if (take.date, take.shift_id, take.mobile_point_id, take.ward_code) == (
            give.date,
            give.shift_id,
            give.mobile_point_id,
            give.ward_code,
        ):
            continue
        remove = [give, take]
        add = [replace(give, person_id=colleague), replace(take, person_id=give.person_id)]
        problems = check_change(state, remove, add, at, travel)
        options.append(
            {
                "slot": slot_view(campaign, take),
                "key": repairs.change_key(take),
                "problems": [problem_text(campaign, p) for p in problems],
            }
        )
    return options


@blueprint.get("/ca-truc/doi-ca/ca/<int:assignment_id>")
def shift(assignment_id: int):
    """One of the volunteer's upcoming shifts: offer it (to anyone who may take it, or to a named colleague) or
    swap it for one of a colleague's shifts that the rules allow."""
    person_id = _person_or_redirect()
    state = in_force()
    if state is None:
        abort(404)
    give = _own_assignment(assignment_id, person_id, state)
    at = now()
    campaign = state.campaign
    waiting = waiting_for(give)
    problems = check_change(state, [give], [], at, repairs.travel_of(campaign))
    pool = campaign.person(person_id).pool
    ranked = []
    if not problems and waiting is None:
        travel = repairs.travel_of(campaign)
        seat = replace(give, person_id="")
        calendar = pool_calendar(state, pool, travel)
        ranked = candidates(campaign, (), seat, at, travel, limit=CANDIDATES_SHOWN, pool=pool, calendar=calendar)
    colleague = (request.args.get("voi") or "").strip()[:40]
    options = []
    if colleague and not problems and waiting is None:
        if not campaign.has("people", colleague) or colleague == person_id:
            abort(404)
        options = _swap_options(state, give, colleague, at)
    return render_template(
        "swaps/shift.html",
        assignment_id=assignment_id,
        give=slot_view(campaign, give),
        waiting=request_view(waiting, campaign) if waiting else None,
        problems=[problem_text(campaign, p) for p in problems],
        candidates=ranked,
        colleagues=_colleagues(state, give, at) if not problems and waiting is None else [],
        colleague=colleague,
        colleague_name=_name(campaign, colleague) if colleague else "",
        options=options,
        note_max=NOTE_MAX_CHARS,
        action=ActionForm(),
    )


def _flash_refused(refused: Refused, campaign) -> None:
    for problem in refused.problems:
        flash(refusal_text(problem, campaign), "error")


@blueprint.post("/ca-truc/doi-ca/ca/<int:assignment_id>")
def ask(assignment_id: int):
    """Make a request for one of the volunteer's shifts: ``kind`` offer (``to`` empty: anyone) or swap (``take``)."""
    person_id = _person_or_redirect()
    if not ActionForm().validate_on_submit():
        abort(400)
    state = in_force()
    if state is None:
        abort(404)
    give = _own_assignment(assignment_id, person_id, state)
    kind = request.form.get("kind", "")
    note = " ".join(request.form.get("note", "").split())[:NOTE_MAX_CHARS]
    take = None
    to = (request.form.get("to") or "").strip()[:40] or None
    if kind == "swap":
        try:
            take = repairs.assignment_of_key(request.form.get("take", ""))
        except ValueError:
            abort(400)
        to = take.person_id
    elif kind != "offer":
        abort(400)
    if to is not None and not state.campaign.has("people", to):
        abort(400)
    back = url_for("swaps.shift", assignment_id=assignment_id)
    try:
        create(kind, give, to, take, note)
    except Refused as refused:
        _flash_refused(refused, state.campaign)
        return redirect(back, 303)
    if kind == "swap" or to:
        flash(
            _(
                "Đã gửi yêu cầu tới %(name)s. Bạn vẫn giữ ca cho đến khi yêu cầu được duyệt.",
                name=_name(state.campaign, to),
            ),
            "ok",
        )
    else:
        flash(_("Đã nhường ca cho bất kỳ ai phù hợp. Bạn vẫn giữ ca cho đến khi có người nhận và được duyệt."), "ok")
    return redirect(url_for("swaps.index"), 303)


def _answered(row: SwapRequest, person_id: str, choice: str, campaign):
    if choice == "decline":
        if decline(row, person_id):
            flash(_("Đã từ chối yêu cầu."), "ok")
        else:
            flash(_("Yêu cầu này đã được trả lời hoặc xử lý."), "error")
        return
    try:
        outcome = accept(row, person_id)
    except Refused as refused:
        flash(_("Chưa nhận được ca:"), "error")
        _flash_refused(refused, campaign)
        return
    if outcome == "approved":
        flash(_("Đã đổi ca: lịch mới đã được công bố."), "ok")
    elif outcome == "stale":
        flash(_("Lịch đã thay đổi nên yêu cầu không còn thực hiện được."), "error")
    else:
        flash(_("Đã đồng ý. Yêu cầu đang chờ điều phối viên duyệt."), "ok")


@blueprint.post("/ca-truc/doi-ca/<int:request_id>/tra-loi")
def answer(request_id: int):
    """The signed-in colleague answers a request (``answer`` accept or decline), or takes an open offer."""
    person_id = _person_or_redirect()
    if not ActionForm().validate_on_submit():
        abort(400)
    row = get(request_id)
    if row is None:
        abort(404)
    choice = request.form.get("answer", "")
    if choice not in ("accept", "decline"):
        abort(400)
    _answered(row, person_id, choice, live.live_campaign())
    return redirect(url_for("swaps.index"), 303)


@blueprint.post("/ca-truc/doi-ca/<int:request_id>/rut-lai")
def take_back(request_id: int):
    """The requester withdraws a waiting request."""
    person_id = _person_or_redirect()
    if not ActionForm().validate_on_submit():
        abort(400)
    row = get(request_id)
    if row is None:
        abort(404)
    if withdraw(row, person_id):
        flash(_("Đã rút lại yêu cầu."), "ok")
    else:
        flash(_("Yêu cầu này đã được trả lời hoặc xử lý."), "error")
    return redirect(url_for("swaps.index"), 303)


def _linked(token: str) -> tuple[SwapRequest, str]:
    found = from_request_token(token)
    if found is None:
        abort(404)
    row = get(found[0])
    if row is None or row.to_person_id != found[1]:
        abort(404)
    return row, found[1]


@blueprint.get("/ca-truc/doi-ca/y/<token>")
def answer_link(token: str):
    """The colleague's answer page from the signed link in their notice: the request, and two buttons."""
    row, _person_id = _linked(token)
    refresh([row])
    row = get(row.id)
    return render_template(
        "swaps/answer.html", item=request_view(row, live.live_campaign()), token=token, action=ActionForm()
    )


@blueprint.post("/ca-truc/doi-ca/y/<token>")
def answer_link_confirm(token: str):
    if not ActionForm().validate_on_submit():
        abort(400)
    row, person_id = _linked(token)
    choice = request.form.get("answer", "")
    if choice not in ("accept", "decline"):
        abort(400)
    _answered(row, person_id, choice, live.live_campaign())
    return redirect(url_for("swaps.answer_link", token=token), 303)


@blueprint.post("/ca-truc/doi-ca/ban")
def busy():
    """Mark busy days ahead: from, to (empty: one day), the part of the day, a reason."""
    person_id = _person_or_redirect()
    if not ActionForm().validate_on_submit():
        abort(400)
    part = request.form.get("part", "day")
    if part not in PARTS:
        abort(400)
    try:
        first = live._parse_date(request.form.get("first", ""))
        last = live._parse_date(request.form["last"]) if request.form.get("last", "").strip() else first
    except ValueError as error:
        flash(str(error), "error")
        return redirect(url_for("swaps.index", _anchor="ban"), 303)
    reason = " ".join(request.form.get("reason", "").split())
    errors = mark_busy(person_id, first, last, part, reason)
    for error in errors:
        flash(_("Chưa đánh dấu bận: %(reason)s", reason=error), "error")
    if not errors:
        flash(_("Đã đánh dấu bận. Lịch sau sẽ không xếp bạn vào những lúc này."), "ok")
    return redirect(url_for("swaps.index", _anchor="ban"), 303)


@blueprint.post("/ca-truc/doi-ca/ban/<int:event_id>/bo")
def unbusy(event_id: int):
    """Take back one busy mark."""
    person_id = _person_or_redirect()
    if not ActionForm().validate_on_submit():
        abort(400)
    if unmark_busy(event_id, person_id):
        flash(_("Đã bỏ đánh dấu bận."), "ok")
    else:
        flash(_("Không còn đánh dấu bận này."), "error")
    return redirect(url_for("swaps.index", _anchor="ban"), 303)


# ------------------------------------------------------------------------------------------------ on the shift cards


def card_state() -> dict:
    """What the shift cards of "Ca trực của tôi" show of the signed-in volunteer's requests, read once a request:
    ``giving`` (give key -> request), ``asked`` (their shift asked for in a swap -> request), ``waiting`` (how
    many requests wait for their answer) and ``banner`` (True until the first card has shown the count)."""
    if "swap_cards" in g:
        return g.swap_cards
    person_id = volunteer._signed_in_person_id()
    found = {"giving": {}, "asked": {}, "waiting": 0, "banner": True}
    if person_id:
        for row in _waiting_rows(person_id):
            if row.from_person_id == person_id:
                found["giving"][_slot_of_key(row.give_key)] = row
            elif row.state == "open":
                found["waiting"] += 1
                if row.take_key:
                    found["asked"][_slot_of_key(row.take_key)] = row
    g.swap_cards = found
    return found


def _slot_of_key(key: str) -> str:
    """The answers table's key of an assignment key (:func:`web.volunteer.assignment_key`)."""
    try:
        return volunteer.assignment_key(repairs.assignment_of_key(key))
    except ValueError:
        return ""


def first_card() -> bool:
    """True once a request: the first shift card shows the count of requests waiting for an answer."""
    state = card_state()
    first, state["banner"] = state["banner"], False
    return first


def menu_label() -> str:
    """The coordinators' menu entry: "Đổi ca", with the number of requests waiting for approval when there are some."""
    from web.numbers import number

    count = waiting_count()
    return _("Nhường, đổi ca (%(count)s)", count=number(count)) if count else _("Nhường, đổi ca")


@blueprint.app_context_processor
def _template_helpers():
    return {
        "swap_card_state": card_state,
        "swap_first_card": first_card,
        "swap_states": state_labels,
        "swap_menu_label": menu_label,
    }


# ------------------------------------------------------------------------------------------------ the coordinator's page


def waiting_count() -> int:
    """Requests waiting for the coordinator (accepted, not yet applied)."""
    from sqlalchemy import func

    return db.session.scalar(select(func.count()).select_from(SwapRequest).where(SwapRequest.state == "accepted")) or 0


@blueprint.get("/dieu-phoi/doi-ca")
@role_required("coordinator")
def review():
    """The requests waiting for approval first (each checked against the roster in force), then the others."""
    recover_applying()
    campaign = live.live_campaign()
    waiting = list(
        db.session.scalars(select(SwapRequest).where(SwapRequest.state.in_(SWAP_WAITING)).order_by(SwapRequest.id))
    )
    refresh(waiting)
    accepted = list(
        db.session.scalars(select(SwapRequest).where(SwapRequest.state == "accepted").order_by(SwapRequest.id))
    )
    others = list(
        db.session.scalars(
            select(SwapRequest)
            .where(SwapRequest.state != "accepted")
            .order_by(SwapRequest.id.desc())
            .limit(RECENT_SHOWN)
        )
    )
    return render_template(
        "swaps/review.html",
        accepted=[request_view(r, campaign) for r in accepted],
        others=[request_view(r, campaign) for r in others],
        auto=auto_approve(),
        reason_max=REASON_MAX_CHARS,
        action=ActionForm(),
    )


@blueprint.post("/dieu-phoi/doi-ca/<int:request_id>")
@role_required("coordinator")
def decide(request_id: int):
    """Approve (``decision=approve``: a new published version) or refuse (with a reason) one request."""
    if not ActionForm().validate_on_submit():
        abort(400)
    row = get(request_id)
    if row is None:
        abort(404)
    decision = request.form.get("decision", "")
    campaign = live.live_campaign()
    if decision == "approve":
        problems = apply_request(request_id, _username())
        if not problems:
            row = get(request_id)
            flash(
                _(
                    "Đã duyệt yêu cầu %(id)s: phiên bản %(version)s đã được công bố, hai người sẽ nhận thông báo.",
                    id=request_id,
                    version=row.applied_version_id,
                ),
                "ok",
            )
        else:
            flash(_("Không duyệt được yêu cầu %(id)s:", id=request_id), "error")
            for problem in problems:
                flash(refusal_text(problem, campaign), "error")
    elif decision == "refuse":
        reason = " ".join(request.form.get("reason", "").split())
        if refuse(row, _username(), reason):
            flash(_("Đã từ chối yêu cầu %(id)s.", id=request_id), "ok")
        else:
            flash(refusal_text(Problem("answered"), campaign), "error")
    else:
        abort(400)
    return redirect(url_for("swaps.review"), 303)


@blueprint.post("/dieu-phoi/doi-ca/tu-dong")
@role_required("coordinator")
def auto_setting():
    """Turn on or off the approval of valid requests without the coordinator."""
    if not ActionForm().validate_on_submit():
        abort(400)
    on = request.form.get("auto") == "1"
    set_auto_approve(on)
    if on:
        flash(_("Từ nay yêu cầu hợp lệ được áp dụng ngay, không cần duyệt."), "ok")
    else:
        flash(_("Từ nay mỗi yêu cầu chờ điều phối viên duyệt."), "ok")
    return redirect(url_for("swaps.review"), 303)
