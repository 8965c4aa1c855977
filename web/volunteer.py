"""Volunteers' pages ("Ca trực của tôi"): phone-sized screens first.

- ``lookup`` / ``check``: sign in with a phone number and the ten-digit personal code
  (:func:`web.codes.personal_code`); attempts are counted atomically in the database
  (:mod:`web.limits`) before the code is checked and refused with 429 past :data:`ADDRESS_LIMIT`,
  :data:`PAIR_LIMIT` or :data:`PHONE_LIMIT`; if they cannot be counted the attempt is refused (503);
- ``link`` / ``link_confirm``: a signed, expiring personal link (:func:`web.codes.link_token`) shows a
  confirm button, and its POST signs the volunteer in; under "Quên mã?" the sign-in page gives the
  coordinators' hotline and, for a ward picked, its contact (``[volunteers]`` of campaign.toml);
- ``my_shifts``: the volunteer's assignments in the latest published version, each card saying where (the
  ward office's address or the mobile point's place, with a map link to that place), with whom (the first
  names of the others on the same shift at the same place, never their phone numbers), whom to call and what
  to bring (:mod:`web.shift_card`);
- ``my_week``: the same shifts as a week, Monday to Sunday, today marked;
- ``calendar``: the same assignments as an iCalendar feed, always from the latest published version;
- ``cancel``: "Tôi không thể đến" for one of the volunteer's own upcoming assignments.

``RAQUAN_TODAY`` (an ISO date in the app's config) fixes "today" for tests and rehearsals;
otherwise it is today's date in Hanoi.
"""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, Timezone
from sqlalchemy import and_, bindparam, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, load_only, mapped_column

from scheduler import events as domain
from scheduler.cells import CellError, clean, format_date, format_time, parse_phone
from scheduler.changes import roster_changes
from scheduler.model import MINUTES_PER_DAY, Campaign, Shift
from web import live, outbox, sessions, shift_card, store
from web.codes import CODE_DIGITS, codes_match, feed_token, link_token, person_from_feed_token, person_from_token
from web.forms import ActionForm
from web.limits import Limit, LimitUnavailable, client_address, give_back, take_all
from web.models import AssignmentRow, PersonCredential, RosterVersion, db, utcnow
from web.writes import quick_transaction

logger = logging.getLogger(__name__)

blueprint = Blueprint("volunteer", __name__, url_prefix="/ca-truc")

TIMEZONE_NAME = "Asia/Ho_Chi_Minh"
TIMEZONE = ZoneInfo(TIMEZONE_NAME)
# Code attempts: per client address, per phone from one address, and per phone from all addresses. A stranger
# who knows a phone locks out only their own address; the phone's own cap (which bounds guessing over the
# campaign, see web.codes) takes more than one address to reach, and the signed link still works then.
ADDRESS_LIMIT = Limit("code-address", 20, timedelta(minutes=15))
PAIR_LIMIT = Limit("code-pair", 5, timedelta(minutes=15))
PHONE_LIMIT = Limit("code-phone", 100, timedelta(hours=1))
REASON_MAX_CHARS = 500
REMINDER_MINUTES = 60  # the calendar's alarm before each shift (app setting RAQUAN_CALENDAR_REMINDER_MINUTES)
ANSWERS = ("accept", "decline")


class ShiftAnswer(db.Model):
    """A volunteer's answer to a new shift of a published version: ``accept`` ("Nhận ca") or ``decline``.

    A decline is also an event of kind ``decline`` (``event_id``), which the coordinators' views and
    the next repair act on like a cancellation.
    """

    __tablename__ = "shift_answers"
    __table_args__ = (
        db.UniqueConstraint("version_id", "person_id", "assignment_key", name="uq_shift_answers_version_person_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(db.ForeignKey("roster_versions.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(db.String(40), index=True)
    assignment_key: Mapped[str] = mapped_column(db.String(200))  # see assignment_key()
    answer: Mapped[str] = mapped_column(db.String(20))  # accept | decline
    at: Mapped[datetime] = mapped_column(default=utcnow)
    event_id: Mapped[int | None] = mapped_column(db.ForeignKey("events.id", ondelete="SET NULL"), nullable=True)


class ShiftView(db.Model):
    """The last published version a volunteer has seen: the changes since it are shown to them."""

    __tablename__ = "shift_views"
    person_id: Mapped[str] = mapped_column(db.String(40), primary_key=True)
    version_id: Mapped[int] = mapped_column(db.ForeignKey("roster_versions.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ------------------------------------------------------------------------------------------- helpers


def N_(text: str) -> str:
    """Marks a string for the catalogue without translating it yet (Babel's ``N_`` keyword)."""
    return text


WEEKDAY_NAMES = (N_("Thứ Hai"), N_("Thứ Ba"), N_("Thứ Tư"), N_("Thứ Năm"), N_("Thứ Sáu"), N_("Thứ Bảy"), N_("Chủ Nhật"))


def weekday_name(day: date) -> str:
    """The weekday in the page's language (one catalogue lookup, not seven: this runs for every shift listed)."""
    return _(WEEKDAY_NAMES[day.weekday()])


def day_label(day: date) -> str:
    """ "Thứ Năm, 24/07/2025"."""
    return f"{weekday_name(day)}, {format_date(day)}"


def minutes_label(start_minute: int, end_minute: int) -> str:
    """ "07:30–11:30"; a slot that ends past midnight says so: "23:30–07:30 (hôm sau)"."""
    text = f"{format_time(start_minute)}–{format_time(end_minute)}"
    if end_minute > MINUTES_PER_DAY:
        text += " " + _("(hôm sau)")
    return text


def shift_hours(shift: Shift) -> str:
    return minutes_label(shift.start_minute, shift.end_minute)


def first_name(full_name: str) -> str:
    """The given name, which Vietnamese full names put last: "Nguyễn Văn An" -> "An"."""
    parts = full_name.split()
    return parts[-1] if parts else ""


def now() -> datetime:
    """The campaign's "now" (local time, naive): the start of ``RAQUAN_TODAY`` when that fixes the day (tests and
    rehearsals), else :func:`web.live.now` (``RAQUAN_NOW`` or the real time in Hanoi)."""
    fixed = current_app.config.get("RAQUAN_TODAY")
    if fixed:
        day = fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
        return datetime.combine(day, time(0))
    return live.now()


def today() -> date:
    return now().date()


def _local_date(utc: datetime) -> date:
    """The Hanoi date of a naive UTC time as the database keeps it."""
    return utc.replace(tzinfo=UTC).astimezone(TIMEZONE).date()


def _maybe(getter, key):
    try:
        return getter(key)
    except KeyError:
        return None


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _link_max_age_seconds() -> float:
    return float(current_app.config["RAQUAN_LINK_MAX_AGE_DAYS"]) * 86400


_VERSION_COLUMNS = (RosterVersion.id, RosterVersion.status, RosterVersion.created_at, RosterVersion.published_at)


def _latest_published() -> RosterVersion | None:
    """:func:`web.store.latest_published` reading only the columns the volunteer's pages use (the others load
    when asked). On SQLite a column stored after the version's roster JSON (megabytes, in overflow pages) costs
    a walk of those pages: 2 ms and more a page view."""
    return db.session.scalars(
        select(RosterVersion)
        .options(load_only(*_VERSION_COLUMNS))
        .where(RosterVersion.status == "published")
        .order_by(RosterVersion.published_at.desc(), RosterVersion.id.desc())
    ).first()


def _signed_in_person_id() -> str | None:
    value = session.get("person_id")
    return value if isinstance(value, str) and value else None


def generation(person_id: str) -> int:
    """The person's credential generation (0 until a coordinator revokes their code, links and feed)."""
    record = db.session.get(PersonCredential, person_id)
    return record.generation if record else 0


def normalised_phone(text: str) -> str | None:
    """The national form of a Vietnamese mobile number ("+84 912 000 001" -> "0912000001"), or None."""
    try:
        return parse_phone(clean(text or ""))
    except CellError:
        return None


# ------------------------------------------------------------------------------------------- sign-in


def _render_lookup(error: str | None = None, status: int = 200, phone: str = ""):
    """The sign-in page; under "Quên mã?" the coordinators' hotline and, for the ward chosen (``?xa=``), its
    contact, from ``[volunteers]`` of campaign.toml."""
    campaign = _campaign_or_none()
    settings = shift_card.volunteer_settings(campaign)
    wards = []
    if campaign is not None:
        for code, contact in settings.wards:
            ward = _maybe(campaign.ward, code)
            if ward is not None and contact.phone:
                wards.append((code, ward.name))
        wards.sort(key=lambda pair: pair[1])
    chosen = request.args.get("xa", "")[:10]
    ward_contact = None
    if chosen and any(code == chosen for code, _name in wards):
        ward_contact = {"ward": dict(wards)[chosen], **shift_card.contacts(settings, chosen)[0]}
    return render_template(
        "volunteer/lookup.html",
        error=error,
        phone=phone,
        code_digits=CODE_DIGITS,
        hotline=shift_card.hotline_contact(settings),
        contact_wards=wards,
        chosen_ward=chosen,
        ward_contact=ward_contact,
    ), status


def _campaign_or_none() -> Campaign | None:
    """The stored campaign, or None when there is none or it does not load (the sign-in page still works)."""
    try:
        return store.campaign()
    except Exception:  # CampaignLoadError: the coordinators' pages say why
        return None


def code_checks(phone_subject: str, address: str, known_device: bool = False) -> list[tuple[Limit, str]]:
    """The limits one code attempt counts against, in order: the address, the phone from that address, and
    the phone from all addresses unless this browser has signed the phone's owner in before."""
    checks = [(ADDRESS_LIMIT, address), (PAIR_LIMIT, f"{phone_subject}|{address}")]
    return checks if known_device else checks + [(PHONE_LIMIT, phone_subject)]


def _device_identity(person_id: str) -> str:
    return f"person:{person_id}:{generation(person_id)}"


@blueprint.get("/")
def lookup():
    if _signed_in_person_id():
        return redirect(url_for("volunteer.my_shifts"))
    return _render_lookup()


@blueprint.post("/")
def check():
    phone_text = request.form.get("phone", "")[:40]
    code = request.form.get("code", "")[:40]
    phone = normalised_phone(phone_text)
    phone_subject = phone or "".join(ch for ch in phone_text if ch.isascii() and ch.isdigit())[:20]
    campaign = store.campaign()
    person = None
    if phone and campaign is not None:
        person = next((p for p in campaign.people if p.phone == phone), None)
    known = person is not None and _device_identity(person.id) in sessions.known_identities()
    checks = code_checks(phone_subject, client_address(request.remote_addr), known)
    try:
        attempt = take_all(checks)
    except LimitUnavailable:
        return _render_lookup(
            _("Hệ thống đang bận, chưa kiểm tra được mã. Vui lòng thử lại sau ít phút."), 503, phone_text
        )
    if attempt.exceeded is not None:
        logger.warning("volunteer sign-in refused: %s limit", attempt.exceeded.name)
        wait = int(attempt.exceeded.window.total_seconds() // 60)
        return _render_lookup(
            _(
                "Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút, hoặc mở "
                "liên kết cá nhân mà điều phối viên đã gửi.",
                minutes=wait,
            ),
            429,
            phone_text,
        )
    if person is None or not codes_match(_secret(), person.id, code, generation(person.id)):
        return _render_lookup(_("Số điện thoại hoặc mã cá nhân không đúng."), 401, phone_text)
    give_back(checks, attempt)
    sessions.start(person_id=person.id)
    response = redirect(url_for("volunteer.my_shifts"))
    sessions.remember_device(response, _device_identity(person.id))
    return response


def _linked_person(token: str):
    """The person of a valid, unexpired, unrevoked link token; 404 otherwise. A token that does not verify is
    refused before any database read."""
    found = person_from_token(_secret(), token, _link_max_age_seconds())
    if found is None:
        abort(404)
    campaign = store.campaign()
    person_id, token_generation = found
    person = _maybe(campaign.person, person_id) if campaign is not None else None
    if person is None or token_generation != generation(person_id):
        abort(404)
    return person


@blueprint.get("/l/<token>")
def link(token: str):
    """A personal link shows a confirm button: a plain GET (a link preview, a scanner) signs no one in."""
    person = _linked_person(token)
    return render_template("volunteer/link.html", token=token, greeting=first_name(person.name))


@blueprint.post("/l/<token>")
def link_confirm(token: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    person_id = _linked_person(token).id
    identity = _device_identity(person_id)  # read before the sign-in's commit, so once
    sessions.start(person_id=person_id)
    response = redirect(url_for("volunteer.my_shifts"), 303)
    sessions.remember_device(response, identity)
    return response


@blueprint.post("/thoat")
def sign_out():
    form = ActionForm()
    if form.validate_on_submit():
        sessions.end()
        flash(_("Bạn đã thoát."), "ok")
    return redirect(url_for("volunteer.lookup"))


# ------------------------------------------------------------------------------------------- my shifts


def _sort_minute(campaign: Campaign | None, row) -> int:
    if campaign is None:
        return 0
    if row.shift_id:
        shift = _maybe(campaign.shift, row.shift_id)
        return shift.start_minute if shift else 0
    point = _maybe(campaign.mobile_point, row.mobile_point_id)
    return point.start_minute if point else 0


def _colleagues(version_id: int, person_id: str, rows: list[AssignmentRow]) -> dict[tuple, list[str]]:
    """Slot (ward, date, shift, point) -> the ids of the others working it."""
    if not rows:
        return {}
    others = db.session.execute(
        select(
            AssignmentRow.person_id,
            AssignmentRow.ward_code,
            AssignmentRow.date,
            AssignmentRow.shift_id,
            AssignmentRow.mobile_point_id,
        )
        .where(
            AssignmentRow.version_id == version_id,
            AssignmentRow.person_id != person_id,
            AssignmentRow.date.in_(sorted({r.date for r in rows})),
            AssignmentRow.ward_code.in_(sorted({r.ward_code for r in rows})),
            or_(
                AssignmentRow.shift_id.in_(sorted({r.shift_id for r in rows if r.shift_id})),
                AssignmentRow.mobile_point_id.in_(sorted({r.mobile_point_id for r in rows if r.mobile_point_id})),
            ),
        )
        .order_by(AssignmentRow.person_id)
    )
    by_slot = defaultdict(list)
    for other, ward_code, day, shift_id, point_id in others:
        by_slot[(ward_code, day, shift_id, point_id)].append(other)
    return by_slot


def _slot(row) -> tuple:
    return (row.ward_code, row.date, row.shift_id, row.mobile_point_id)


@dataclass(frozen=True)
class Slot:
    """One assignment of a person as plain data (kept in the published-version cache)."""

    id: int
    ward_code: str
    date: date
    shift_id: str | None
    mobile_point_id: str | None
    need_index: int | None
    covered_ward_codes: str


def _rows_and_colleagues(version: RosterVersion, person_id: str) -> tuple[list[Slot], dict[tuple, list[str]]]:
    """The person's assignments and, per slot, the ids of the others on it (cached for a published version)."""

    def compute():
        rows = store.person_assignments(version.id, person_id)
        slots = [
            Slot(r.id, r.ward_code, r.date, r.shift_id, r.mobile_point_id, r.need_index, r.covered_ward_codes)
            for r in rows
        ]
        others = _colleagues(version.id, person_id, rows)
        own = {_slot(slot) for slot in slots}
        return slots, {key: sorted(ids) for key, ids in others.items() if key in own}

    return store.cached_for_published(version, ("person", person_id), compute)


def warm_cache(version: RosterVersion) -> int:
    """Fill the published-version cache for everyone in ``version`` in one pass over its rows.

    Called when a server starts, so the first visit of each volunteer is as fast as the next ones; the
    version's mapped roster (:func:`web.store.roster_of`) is read then too. Returns the number of people cached.
    """
    if version.status != "published":
        return 0
    store.roster_of(version)  # the coordinators' figures of the published roster are ready too
    rows = db.session.scalars(
        select(AssignmentRow)
        .where(AssignmentRow.version_id == version.id)
        .order_by(AssignmentRow.date, AssignmentRow.shift_id, AssignmentRow.person_id)
    )
    by_person: dict[str, list[Slot]] = defaultdict(list)
    by_slot: dict[tuple, list[str]] = defaultdict(list)
    for r in rows:
        by_person[r.person_id].append(
            Slot(r.id, r.ward_code, r.date, r.shift_id, r.mobile_point_id, r.need_index, r.covered_ward_codes)
        )
        by_slot[_slot(r)].append(r.person_id)
    for person_id, slots in by_person.items():
        colleagues = {}
        for slot in slots:
            others = sorted(p for p in by_slot[_slot(slot)] if p != person_id)
            if others:
                colleagues[_slot(slot)] = others
        store.cached_for_published(
            version, ("person", person_id), lambda slots=slots, colleagues=colleagues: (slots, colleagues)
        )
    return len(by_person)


def slot_id(row) -> str:
    """The shift or mobile point of an assignment (row or :class:`~scheduler.model.Assignment`)."""
    return row.shift_id or row.mobile_point_id or ""


def assignment_key(row) -> str:
    """One assignment of a person as the answers table keys it: date, shift or mobile point, ward."""
    return f"{row.date.isoformat()}|{slot_id(row)}|{row.ward_code}"


def reported_slots(person_id: str) -> set[tuple[date, str | None]]:
    """(date, slot) the person said they cannot work (a cancellation or a decline that stands); slot None: the
    whole day."""
    from web.live import EventRow

    reported = set()
    rows = db.session.scalars(
        select(EventRow).where(
            EventRow.person_id == person_id,
            EventRow.kind.in_(("cancellation", "decline")),
            EventRow.state != "dismissed",
        )
    )
    for row in rows:
        try:
            event = row.event
        except domain.EventError:
            logger.exception("stored event %s does not read", row.id)
            continue
        for day in event.dates:
            if event.slot_ids:
                reported.update((day, slot) for slot in event.slot_ids)
            else:
                reported.add((day, None))
    return reported


def _times(campaign: Campaign | None, day: date, shift_id: str | None, point_id: str | None) -> dict:
    """Title, hours and start and end minutes of a slot (minutes None when the campaign no longer has it)."""
    shift = _maybe(campaign.shift, shift_id) if campaign and shift_id else None
    point = _maybe(campaign.mobile_point, point_id) if campaign and point_id else None
    if shift_id:
        title = shift.name if shift else shift_id
        hours = shift_hours(shift) if shift else ""
        start_minute, end_minute = (shift.start_minute, shift.end_minute) if shift else (None, None)
    else:
        title = _("Điểm phục vụ lưu động")
        hours = minutes_label(point.start_minute, point.end_minute) if point else ""
        start_minute, end_minute = (point.start_minute, point.end_minute) if point else (None, None)
    return {
        "title": title,
        "hours": hours,
        "start_minute": start_minute,
        "end_minute": end_minute,
        "place": point.place if point else "",
    }


def _bounds(day: date, times: dict) -> tuple[datetime, datetime]:
    """Local start and end of a slot (the whole day when its minutes are not known)."""
    midnight = datetime.combine(day, time(0))
    if times["start_minute"] is None:
        return midnight, midnight + timedelta(days=1)
    return midnight + timedelta(minutes=times["start_minute"]), midnight + timedelta(minutes=times["end_minute"])


def describe(campaign: Campaign | None, version: RosterVersion, person_id: str) -> list[dict]:
    """The person's assignments in ``version``, each ready to show (no one else's phone number)."""
    rows, colleagues = _rows_and_colleagues(version, person_id)
    rows = sorted(rows, key=lambda r: (r.date, _sort_minute(campaign, r)))
    reported = reported_slots(person_id)
    at = now()
    facts = shift_card.CardFacts(campaign)
    person = _maybe(campaign.person, person_id) if campaign else None
    pool = person.pool.value if person else ""
    items = []
    for row in rows:
        ward = _maybe(campaign.ward, row.ward_code) if campaign else None
        times = _times(campaign, row.date, row.shift_id, row.mobile_point_id)
        point = _maybe(campaign.mobile_point, row.mobile_point_id) if campaign and row.mobile_point_id else None
        shift = _maybe(campaign.shift, row.shift_id) if campaign and row.shift_id else None
        kind = "mobile_point" if row.mobile_point_id else (shift.kind.value if shift else "")
        start, end = _bounds(row.date, times)
        names = []
        for other in colleagues.get(_slot(row), ()):
            person = _maybe(campaign.person, other) if campaign else None
            if person is not None:
                names.append(first_name(person.name))
        covered = [c for c in row.covered_ward_codes.split(",") if c and c != row.ward_code]
        items.append(
            {
                "row": row,
                "key": assignment_key(row),
                "day": day_label(row.date),
                **times,
                "start": start,
                "end": end,
                "ward": ward.name if ward else row.ward_code,
                "covered": [getattr(_maybe(campaign.ward, c), "name", c) if campaign else c for c in covered],
                "colleagues": names,
                **facts.of(row.ward_code, point, pool, kind),
                "upcoming": end > at,
                "cancellable": start > at,
                "today": row.date == at.date(),
                "far": row.date > at.date() + FULL_CARD_DAYS,
                "reported": (row.date, slot_id(row)) in reported or (row.date, None) in reported,
            }
        )
    return items


# ------------------------------------------------------------------------------------------- changes


_UPSERT_VIEW = text(
    "INSERT INTO shift_views (person_id, version_id, at) VALUES (:person_id, :version_id, :at) "
    "ON CONFLICT (person_id) DO UPDATE SET version_id = excluded.version_id, at = excluded.at "
    "WHERE shift_views.version_id <> excluded.version_id"
).bindparams(bindparam("at", type_=db.DateTime()))


def _upsert_view(person_id: str, version_id: int) -> None:
    """Remember that the person has seen ``version_id`` (the newest wins; a second writer at once is harmless).

    Nothing is written when the stored view is already ``version_id``; otherwise one upsert as a quick write
    (:func:`web.writes.quick_transaction`: a power failure may show the changes once more).
    """
    record = db.session.get(ShiftView, person_id)
    if record is not None and record.version_id == version_id:
        return
    with quick_transaction() as connection:
        connection.execute(_UPSERT_VIEW, {"person_id": person_id, "version_id": version_id, "at": utcnow()})
    if record is not None:
        db.session.expire(record)  # read again if asked: the row was written outside the session


def baseline_version(person_id: str, latest: RosterVersion) -> RosterVersion | None:
    """The version the person's changes are shown against: the last one they saw, else the one published before.

    Each read takes a version's few columns (:data:`_VERSION_COLUMNS`), so a first visit costs one small query
    however many versions were published (see :func:`_latest_published`).
    """
    record = db.session.get(ShiftView, person_id)
    if record is not None:
        seen = db.session.get(RosterVersion, record.version_id, options=[load_only(*_VERSION_COLUMNS)])
        if seen is not None and seen.status == "published":
            return seen
    if latest.status != "published":
        return _latest_published()
    return db.session.scalars(
        select(RosterVersion)
        .options(load_only(*_VERSION_COLUMNS))
        .where(
            RosterVersion.status == "published",
            RosterVersion.id != latest.id,
            or_(
                RosterVersion.published_at < latest.published_at,
                and_(RosterVersion.published_at == latest.published_at, RosterVersion.id < latest.id),
            ),
        )
        .order_by(RosterVersion.published_at.desc(), RosterVersion.id.desc())
    ).first()


def _assignments(version_id: int, person_id: str) -> list:
    return [
        store.assignment_of(
            r.person_id, r.ward_code, r.date, r.shift_id, r.mobile_point_id, r.need_index, r.covered_ward_codes
        )
        for r in store.person_assignments(version_id, person_id)
    ]


def _change_item(campaign: Campaign | None, a, row_ids: dict | None = None) -> dict:
    ward = _maybe(campaign.ward, a.ward_code) if campaign else None
    times = _times(campaign, a.date, a.shift_id, a.mobile_point_id)
    return {
        "assignment": a,
        "key": assignment_key(a),
        "id": (row_ids or {}).get(assignment_key(a)),
        "day": day_label(a.date),
        **times,
        "ward": ward.name if ward else a.ward_code,
        "start": _bounds(a.date, times)[0],
    }


def person_changes(campaign: Campaign | None, latest: RosterVersion, person_id: str) -> dict | None:
    """What changed for the person in ``latest`` against :func:`baseline_version`, from now on.

    None when nothing did. Otherwise ``added`` (each with the person's answer, if any), ``removed``
    and ``moved`` (pairs of a shift taken off and one given on the same date), and ``since`` (the
    baseline version).
    """
    baseline = baseline_version(person_id, latest)
    if baseline is None or baseline.id == latest.id:
        return None
    at = now()
    changes = roster_changes(_assignments(baseline.id, person_id), _assignments(latest.id, person_id))
    row_ids = {assignment_key(r): r.id for r in store.person_assignments(latest.id, person_id)}
    moves = changes.moves()
    moved_in = {id(new) for _old, new in moves}
    moved_out = {id(old) for old, _new in moves}
    answers = {
        a.assignment_key: a.answer
        for a in db.session.scalars(
            select(ShiftAnswer).where(ShiftAnswer.version_id == latest.id, ShiftAnswer.person_id == person_id)
        )
    }

    def ahead(item: dict) -> bool:
        return item["start"] > at

    added = [
        {**_change_item(campaign, a, row_ids), "answer": answers.get(assignment_key(a))}
        for a in changes.added
        if id(a) not in moved_in
    ]
    removed = [_change_item(campaign, a) for a in changes.removed if id(a) not in moved_out]
    moved = []
    for old, new in moves:
        item = {**_change_item(campaign, new, row_ids), "answer": answers.get(assignment_key(new))}
        moved.append({"from": _change_item(campaign, old), "to": item})
    added = [i for i in added if ahead(i)]
    removed = [i for i in removed if ahead(i)]
    moved = [m for m in moved if ahead(m["to"]) or ahead(m["from"])]
    if not (added or removed or moved):
        return None
    return {"since": baseline, "added": added, "removed": removed, "moved": moved}


# Shifts more than this far ahead are listed in short (when, what, where, the actions), each linking to its week
# for the place, the colleagues, whom to call and what to bring: a page of forty shifts stays quick to serve.
FULL_CARD_DAYS = timedelta(days=7)


def _next_items(upcoming: list[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """Today's shifts still to end, the next shift after today, and the rest (each shift in one list only)."""
    todays = [item for item in upcoming if item["today"]]
    later = [item for item in upcoming if not item["today"]]
    return todays, later[:1], later[1:]


def _feed_urls(person_id: str) -> dict[str, str]:
    current = generation(person_id)
    token = link_token(_secret(), person_id, current)
    https = url_for("volunteer.calendar", token=feed_token(_secret(), person_id, current), _external=True)
    return {
        "calendar": https,
        "webcal": "webcal://" + https.split("://", 1)[1],
        "link": url_for("volunteer.link", token=token, _external=True),
    }


def incident_items(campaign: Campaign | None, person_id: str) -> tuple[list[dict], list[dict]]:
    """A technician's open incidents (with their pages' links) and their call-outs (shifts "gọi ngoài ca")."""
    from web import incident_words, incidents

    rows = list(db.session.scalars(incidents.query(technician_id=person_id)))
    opened = [
        {
            "row": row,
            "category": incident_words.category_label(row.category),
            "state": incident_words.state_label(row.state),
            "ward": getattr(_maybe(campaign.ward, row.ward_code), "name", row.ward_code) if campaign else row.ward_code,
            "url": incidents.tech_path(row.id, person_id),
        }
        for row in rows
        if row.open
    ]
    callouts = []
    for row in rows:
        a = row.callout
        if a is None:
            continue
        times = _times(campaign, a.date, a.shift_id, None)
        ward = _maybe(campaign.ward, a.ward_code) if campaign else None
        callouts.append(
            {
                "date": a.date,
                "day": day_label(a.date),
                **times,
                "ward": ward.name if ward else a.ward_code,
                "incident": row.id,
            }
        )
    callouts.sort(key=lambda item: (item["date"], item["start_minute"] or 0))
    return opened, callouts


@blueprint.get("/cua-toi")
def my_shifts():
    """The volunteer's page: what changed since they last looked, today's and the next shift first, then the rest."""
    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    campaign = store.campaign()
    person = _maybe(campaign.person, person_id) if campaign else None
    version = _latest_published()
    items = describe(campaign, version, person_id) if version else []
    upcoming = [item for item in items if item["upcoming"]]
    past = [item for item in items if not item["upcoming"]]
    todays, following, later = _next_items(upcoming)
    changes = person_changes(campaign, version, person_id) if version else None
    if version is not None and changes is None:
        _upsert_view(person_id, version.id)  # nothing to show: the person is up to date with this version
    open_incidents, callouts = incident_items(campaign, person_id)
    from web import visit_plans

    return render_template(
        "volunteer/shifts.html",
        team_routes=visit_plans.team_links_for(person_id, live.today()),
        person=person,
        greeting=first_name(person.name) if person else "",
        version=version,
        upcoming=upcoming,
        todays=todays,
        following=following,
        later=later,
        past=past,
        changes=changes,
        urls=_feed_urls(person_id),
        published=format_date(_local_date(version.published_at)) if version else "",
        reason_max=REASON_MAX_CHARS,
        notices_off=outbox.notices_off(person_id),
        open_incidents=open_incidents,
        callouts=callouts,
    )


def _record_unable(person_id: str, kind: str, row, version_id: int, reason: str) -> int:
    """Store a cancellation or a decline of one assignment as an event; its id."""
    event = domain.Event(
        kind=kind,
        recorded_at=live.now(),
        recorded_by=person_id,
        person_id=person_id,
        dates=(row.date,),
        slot_ids=(slot_id(row),) if slot_id(row) else (),
        reason=reason,
    )
    return live.record_event(event, source="volunteer", version_id=version_id).id


def _own_row(assignment_id: int, person_id: str, version: RosterVersion | None) -> AssignmentRow:
    row = db.session.get(AssignmentRow, assignment_id)
    if row is None or version is None or row.version_id != version.id:
        abort(404)
    if row.person_id != person_id:
        abort(403)
    return row


def _has_started(row) -> bool:
    times = _times(store.campaign(), row.date, row.shift_id, row.mobile_point_id)
    return _bounds(row.date, times)[0] <= now()


@blueprint.post("/bao-nghi/<int:assignment_id>")
def cancel(assignment_id: int):
    """ "Tôi không thể đến" for one of the signed-in volunteer's upcoming assignments: a cancellation event."""
    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    version = store.latest_published()
    row = _own_row(assignment_id, person_id, version)
    if _has_started(row):
        flash(_("Ca này đã bắt đầu hoặc đã qua."), "error")
        return redirect(url_for("volunteer.my_shifts")), 303
    reported = reported_slots(person_id)
    if (row.date, slot_id(row)) not in reported and (row.date, None) not in reported:
        reason = " ".join(request.form.get("reason", "").split())[:REASON_MAX_CHARS]
        event_id = _record_unable(person_id, "cancellation", row, version.id, reason)
        logger.info("cancellation %s by %s for %s %s", event_id, person_id, row.date, slot_id(row))
    flash(
        _(
            "Đã ghi nhận: bạn không thể đến ca %(day)s. Điều phối viên sẽ sắp xếp người thay.",
            day=format_date(row.date),
        ),
        "ok",
    )
    return redirect(url_for("volunteer.my_shifts")), 303


@blueprint.post("/tra-loi/<int:assignment_id>")
def answer(assignment_id: int):
    """ "Nhận ca" (``answer=accept``) or "Không nhận" (``answer=decline``) for a new shift of the latest version.

    A decline is stored as an event of kind ``decline``, like a cancellation. A shift is answered once.
    """
    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    if not ActionForm().validate_on_submit():
        abort(400)
    choice = request.form.get("answer", "")
    if choice not in ANSWERS:
        abort(400)
    version = store.latest_published()
    row = _own_row(assignment_id, person_id, version)
    if _has_started(row):
        flash(_("Ca này đã bắt đầu hoặc đã qua."), "error")
        return redirect(url_for("volunteer.my_shifts")), 303
    key = assignment_key(row)
    done = db.session.scalar(
        select(ShiftAnswer).where(
            ShiftAnswer.version_id == version.id, ShiftAnswer.person_id == person_id, ShiftAnswer.assignment_key == key
        )
    )
    if done is not None:
        flash(_("Bạn đã trả lời ca này."), "error")
        return redirect(url_for("volunteer.my_shifts")), 303
    try:
        db.session.add(ShiftAnswer(version_id=version.id, person_id=person_id, assignment_key=key, answer=choice))
        db.session.commit()
    except IntegrityError:  # the same answer sent twice at once: the first one stands
        db.session.rollback()
        return redirect(url_for("volunteer.my_shifts")), 303
    if choice == "decline":
        event_id = _record_unable(person_id, "decline", row, version.id, _("không nhận ca mới"))
        record = db.session.scalar(
            select(ShiftAnswer).where(
                ShiftAnswer.version_id == version.id,
                ShiftAnswer.person_id == person_id,
                ShiftAnswer.assignment_key == key,
            )
        )
        try:
            record.event_id = event_id
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        flash(
            _(
                "Đã ghi nhận: bạn không nhận ca %(day)s. Điều phối viên sẽ sắp xếp người khác.",
                day=format_date(row.date),
            ),
            "ok",
        )
    else:
        flash(_("Cảm ơn bạn đã nhận ca %(day)s.", day=format_date(row.date)), "ok")
    logger.info("%s answered %s for %s in version %s", person_id, choice, key, version.id)
    return redirect(url_for("volunteer.my_shifts")), 303


@blueprint.post("/da-xem")
def seen():
    """The volunteer has read the changes of the latest version: they are not shown again."""
    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    if not ActionForm().validate_on_submit():
        abort(400)
    version = store.latest_published()
    if version is not None:
        _upsert_view(person_id, version.id)
    return redirect(url_for("volunteer.my_shifts")), 303


# ------------------------------------------------------------------------------------------- calendar


@functools.lru_cache(maxsize=1)
def _vtimezone() -> Timezone:
    return Timezone.from_tzinfo(TIMEZONE, tzid=TIMEZONE_NAME)


def event_uid(person_id: str, day: date, slot: str) -> str:
    """The calendar event of one person's slot on one date: the same in every version."""
    return f"{person_id}-{day:%Y%m%d}-{slot}@ra-quan"


def reminder_minutes() -> int:
    """Minutes before each shift the calendar's alarm goes off (``RAQUAN_CALENDAR_REMINDER_MINUTES``, default 60)."""
    value = current_app.config.get("RAQUAN_CALENDAR_REMINDER_MINUTES")
    try:
        return max(0, int(value)) if value is not None else REMINDER_MINUTES
    except (TypeError, ValueError):
        return REMINDER_MINUTES


def calendar_history(person_id: str, latest: RosterVersion) -> dict[tuple[date, str], tuple[int, tuple | None]]:
    """(date, slot) -> (sequence, the slot's last assignment or None) over every published version up to ``latest``.

    The sequence of a slot is the version number of the version in which it last changed (came, moved ward
    or post, or went), made to grow in the order of publishing; the assignment (ward, shift, mobile point,
    need, covered wards) is the last version's that had it. A slot absent from ``latest`` is a cancelled event.
    Cached per published version.
    """

    def compute():
        versions = [v for v in store.published_versions() if (v.published_at, v.id) <= (latest.published_at, latest.id)]
        rows = db.session.execute(
            select(
                AssignmentRow.version_id,
                AssignmentRow.ward_code,
                AssignmentRow.date,
                AssignmentRow.shift_id,
                AssignmentRow.mobile_point_id,
                AssignmentRow.need_index,
                AssignmentRow.covered_ward_codes,
            ).where(AssignmentRow.person_id == person_id, AssignmentRow.version_id.in_([v.id for v in versions]))
        )
        by_version: dict[int, dict] = defaultdict(dict)
        for version_id, ward_code, day, shift_id, point_id, need_index, covered in rows:
            by_version[version_id][(day, shift_id or point_id or "")] = (
                ward_code,
                shift_id,
                point_id,
                need_index,
                covered,
            )
        history: dict[tuple[date, str], tuple[int, tuple | None]] = {}
        last: dict[tuple[date, str], tuple] = {}
        previous: dict = {}
        number = 0
        for version in versions:
            number = max(number + 1, version.id)  # grows with every version published
            current = by_version.get(version.id, {})
            for key in current.keys() | previous.keys():
                if current.get(key) != previous.get(key):
                    history[key] = (number, None)
                if key in current:
                    last[key] = current[key]
            previous = current
        return {key: (sequence, last.get(key)) for key, (sequence, _none) in history.items()}

    return store.cached_for_published(latest, ("calendar_history", person_id), compute)


def _calendar_event(
    person_id: str, campaign: Campaign | None, day: date, slot: tuple, sequence: int, stamp: datetime, cancelled: bool
) -> Event:
    ward_code, shift_id, point_id, _need, covered_codes = slot
    times = _times(campaign, day, shift_id, point_id)
    ward = _maybe(campaign.ward, ward_code) if campaign else None
    ward_name = ward.name if ward else ward_code
    event = Event()
    event.add("uid", event_uid(person_id, day, shift_id or point_id or ""))
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if times["start_minute"] is None:
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
    else:
        midnight = datetime.combine(day, time(0), tzinfo=TIMEZONE)
        event.add("dtstart", midnight + timedelta(minutes=times["start_minute"]))
        event.add("dtend", midnight + timedelta(minutes=times["end_minute"]))
    title = f"{times['title']} — {ward_name}"
    event.add("summary", _("Đã huỷ: %(title)s", title=title) if cancelled else title)
    point = _maybe(campaign.mobile_point, point_id) if campaign and point_id else None
    where = shift_card.place(campaign, shift_card.volunteer_settings(campaign), ward_code, point)
    address = where["address"]
    event.add("location", address if ward_name in address else f"{address}, {ward_name}")
    if where["lat"] is not None:
        event.add("geo", (where["lat"], where["lon"]))  # the office or the point, not the ward's centre
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", timedelta(minutes=-reminder_minutes()))
        event.add_component(alarm)
    return event


def build_calendar(person_id: str, campaign: Campaign | None, version: RosterVersion | None) -> Calendar:
    """The person's shifts in ``version`` as a VCALENDAR (an empty one when nothing is published).

    Each (date, shift or mobile point) is one event with a stable UID across versions; its SEQUENCE
    grows when it changes (:func:`calendar_history`); a shift of an earlier version that ``version``
    no longer has stays as STATUS:CANCELLED, so subscribed calendars remove it, and so does a shift
    an open event takes away (the person's own cancellation: at once, one SEQUENCE above the
    version's); each shift carries an alarm :func:`reminder_minutes` before it.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Ra Quan//Ca truc//VI")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Ca trực Ra Quân"))
    calendar.add("x-wr-timezone", TIMEZONE_NAME)
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    calendar.add_component(_vtimezone())
    if version is None:
        return calendar
    stamp = (version.published_at or version.created_at).replace(tzinfo=UTC)
    history = calendar_history(person_id, version) if version.status == "published" else {}
    items = describe(campaign, version, person_id)
    taken = {(day, slot) for who, day, slot in live.cancelled_slots(version.id) if who == person_id}
    present = set()
    for item in items:
        row = item["row"]
        key = (row.date, slot_id(row))
        present.add(key)
        sequence = history.get(key, (version.id, None))[0]
        slot = (row.ward_code, row.shift_id, row.mobile_point_id, row.need_index, row.covered_ward_codes)
        if key in taken:
            calendar.add_component(_calendar_event(person_id, campaign, row.date, slot, sequence + 1, stamp, True))
            continue
        event = _calendar_event(person_id, campaign, row.date, slot, sequence, stamp, cancelled=False)
        lines = []
        if item["colleagues"]:
            lines.append(_("Cùng ca: %(names)s", names=", ".join(item["colleagues"])))
        if item["covered"]:
            lines.append(_("Phụ trách cả: %(wards)s", wards=", ".join(item["covered"])))
        if lines:
            event.add("description", "\n".join(lines))
        calendar.add_component(event)
    for (day, _slot_id), (sequence, slot) in sorted(history.items()):
        if (day, _slot_id) in present or slot is None:
            continue
        calendar.add_component(_calendar_event(person_id, campaign, day, slot, sequence, stamp, cancelled=True))
    return calendar


@blueprint.get("/lich/<token>.ics")
def calendar(token: str):
    found = person_from_feed_token(_secret(), token, _link_max_age_seconds())
    if found is None or found[1] != generation(found[0]):
        abort(404)
    person_id = found[0]
    body = build_calendar(person_id, store.campaign(), store.latest_published()).to_ical()
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="ra-quan.ics"', "Cache-Control": "no-cache, private"},
    )


# ------------------------------------------------------------------------------------------- the week


@blueprint.get("/tuan")
def my_week():
    """The volunteer's week, Monday first (``?tuan=`` any ISO date of the week; this week by default): each day's
    shifts with hours and place, today marked, the previous and next week; seven columns on a wide screen or
    on paper, the days stacked on a phone."""
    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    campaign = store.campaign()
    person = _maybe(campaign.person, person_id) if campaign else None
    version = store.latest_published()
    items = describe(campaign, version, person_id) if version else []
    at = today()
    start = shift_card.week_start(request.args.get("tuan", "")[:20], at, campaign, items)
    return render_template(
        "volunteer/week.html",
        person=person,
        greeting=first_name(person.name) if person else "",
        version=version,
        week=shift_card.week(items, start, at, campaign),
        weekday_name=weekday_name,
        published=format_date(_local_date(version.published_at)) if version else "",
    )
