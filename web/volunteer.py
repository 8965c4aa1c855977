"""Volunteers' pages ("Ca trực của tôi"): phone-sized screens first.

- ``lookup`` / ``check``: sign in with a phone number and the ten-digit personal code
  (:func:`web.codes.personal_code`); attempts are counted atomically in the database
  (:mod:`web.limits`) before the code is checked and refused with 429 past :data:`ADDRESS_LIMIT`,
  :data:`PAIR_LIMIT` or :data:`PHONE_LIMIT`; if they cannot be counted the attempt is refused (503);
- ``link`` / ``link_confirm``: a signed, expiring personal link (:func:`web.codes.link_token`) shows a
  confirm button, and its POST signs the volunteer in;
- ``my_shifts``: the volunteer's assignments in the latest published version, with the first names
  of the others on the same shift at the same place (never their phone numbers) and map links;
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
from icalendar import Calendar, Event, Timezone
from sqlalchemy import or_, select

from scheduler.cells import CellError, clean, format_date, format_time, parse_phone
from scheduler.model import MINUTES_PER_DAY, Campaign, Shift
from web import sessions, store
from web.codes import CODE_DIGITS, codes_match, feed_token, link_token, person_from_feed_token, person_from_token
from web.forms import ActionForm
from web.limits import Limit, LimitUnavailable, client_address, give_back, take_all
from web.models import AssignmentRow, Cancellation, PersonCredential, RosterVersion, db

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


def today() -> date:
    fixed = current_app.config.get("RAQUAN_TODAY")
    if fixed:
        return fixed if isinstance(fixed, date) else date.fromisoformat(str(fixed))
    return datetime.now(TIMEZONE).date()


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
    return render_template("volunteer/lookup.html", error=error, phone=phone, code_digits=CODE_DIGITS), status


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


def _linked_person(token: str) -> str:
    """The person of a valid, unexpired, unrevoked link token; 404 otherwise."""
    found = person_from_token(_secret(), token, _link_max_age_seconds())
    campaign = store.campaign()
    if found is None or campaign is None or _maybe(campaign.person, found[0]) is None:
        abort(404)
    person_id, token_generation = found
    if token_generation != generation(person_id):
        abort(404)
    return person_id


@blueprint.get("/l/<token>")
def link(token: str):
    """A personal link shows a confirm button: a plain GET (a link preview, a scanner) signs no one in."""
    person_id = _linked_person(token)
    campaign = store.campaign()
    person = campaign.person(person_id)
    return render_template("volunteer/link.html", token=token, greeting=first_name(person.name))


@blueprint.post("/l/<token>")
def link_confirm(token: str):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    person_id = _linked_person(token)
    sessions.start(person_id=person_id)
    response = redirect(url_for("volunteer.my_shifts"), 303)
    sessions.remember_device(response, _device_identity(person_id))
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


def describe(campaign: Campaign | None, version: RosterVersion, person_id: str) -> list[dict]:
    """The person's assignments in ``version``, each ready to show (no one else's phone number)."""
    rows, colleagues = _rows_and_colleagues(version, person_id)
    rows = sorted(rows, key=lambda r: (r.date, _sort_minute(campaign, r)))
    reported = {
        (c.date, c.shift_id, c.mobile_point_id)
        for c in db.session.scalars(select(Cancellation).where(Cancellation.person_id == person_id))
    }
    now = today()
    items = []
    for row in rows:
        ward = _maybe(campaign.ward, row.ward_code) if campaign else None
        shift = _maybe(campaign.shift, row.shift_id) if campaign and row.shift_id else None
        point = _maybe(campaign.mobile_point, row.mobile_point_id) if campaign and row.mobile_point_id else None
        if row.shift_id:
            title = shift.name if shift else row.shift_id
            hours = shift_hours(shift) if shift else ""
            start_minute, end_minute = (shift.start_minute, shift.end_minute) if shift else (None, None)
        else:
            title = _("Điểm phục vụ lưu động")
            hours = minutes_label(point.start_minute, point.end_minute) if point else ""
            start_minute, end_minute = (point.start_minute, point.end_minute) if point else (None, None)
        names = []
        for other in colleagues.get(_slot(row), ()):
            person = _maybe(campaign.person, other) if campaign else None
            if person is not None:
                names.append(first_name(person.name))
        covered = [c for c in row.covered_ward_codes.split(",") if c and c != row.ward_code]
        items.append(
            {
                "row": row,
                "day": day_label(row.date),
                "title": title,
                "hours": hours,
                "start_minute": start_minute,
                "end_minute": end_minute,
                "ward": ward.name if ward else row.ward_code,
                "place": point.place if point else "",
                "covered": [getattr(_maybe(campaign.ward, c), "name", c) if campaign else c for c in covered],
                "colleagues": names,
                "geo": f"geo:{ward.lat},{ward.lon}" if ward else "",
                "osm": (
                    f"https://www.openstreetmap.org/?mlat={ward.lat}&mlon={ward.lon}#map=16/{ward.lat}/{ward.lon}"
                    if ward
                    else ""
                ),
                "upcoming": row.date >= now,
                "reported": (row.date, row.shift_id, row.mobile_point_id) in reported,
            }
        )
    return items


def _feed_urls(person_id: str) -> dict[str, str]:
    current = generation(person_id)
    token = link_token(_secret(), person_id, current)
    https = url_for("volunteer.calendar", token=feed_token(_secret(), person_id, current), _external=True)
    return {
        "calendar": https,
        "webcal": "webcal://" + https.split("://", 1)[1],
        "link": url_for("volunteer.link", token=token, _external=True),
    }


@blueprint.get("/cua-toi")
def my_shifts():
    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    campaign = store.campaign()
    person = _maybe(campaign.person, person_id) if campaign else None
    version = store.latest_published()
    items = describe(campaign, version, person_id) if version else []
    upcoming = [item for item in items if item["upcoming"]]
    past = [item for item in items if not item["upcoming"]]
    return render_template(
        "volunteer/shifts.html",
        person=person,
        greeting=first_name(person.name) if person else "",
        version=version,
        upcoming=upcoming,
        past=past,
        urls=_feed_urls(person_id),
        published=format_date(_local_date(version.published_at)) if version else "",
        reason_max=REASON_MAX_CHARS,
    )


@blueprint.post("/bao-nghi/<int:assignment_id>")
def cancel(assignment_id: int):
    """ "Tôi không thể đến" for one of the signed-in volunteer's upcoming assignments."""
    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    version = store.latest_published()
    row = db.session.get(AssignmentRow, assignment_id)
    if row is None or version is None or row.version_id != version.id:
        abort(404)
    if row.person_id != person_id:
        abort(403)
    if row.date < today():
        flash(_("Ca này đã qua."), "error")
        return redirect(url_for("volunteer.my_shifts")), 303
    already = db.session.scalar(
        select(Cancellation)
        .where(
            Cancellation.person_id == person_id,
            Cancellation.date == row.date,
            Cancellation.shift_id == row.shift_id,  # None compares as IS NULL
            Cancellation.mobile_point_id == row.mobile_point_id,
        )
        .limit(1)
    )
    if already is None:
        reason = " ".join(request.form.get("reason", "").split())[:REASON_MAX_CHARS]
        try:
            db.session.add(
                Cancellation(
                    person_id=person_id,
                    version_id=version.id,
                    ward_code=row.ward_code,
                    date=row.date,
                    shift_id=row.shift_id,
                    mobile_point_id=row.mobile_point_id,
                    reason=reason,
                )
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        logger.info("cancellation by %s for %s %s", person_id, row.date, row.shift_id or row.mobile_point_id)
    flash(
        _(
            "Đã ghi nhận: bạn không thể đến ca %(day)s. Điều phối viên sẽ sắp xếp người thay.",
            day=format_date(row.date),
        ),
        "ok",
    )
    return redirect(url_for("volunteer.my_shifts")), 303


# ------------------------------------------------------------------------------------------- calendar


@functools.lru_cache(maxsize=1)
def _vtimezone() -> Timezone:
    return Timezone.from_tzinfo(TIMEZONE, tzid=TIMEZONE_NAME)


def event_uid(person_id: str, item: dict) -> str:
    row = item["row"]
    what = row.shift_id if row.shift_id else f"{row.mobile_point_id}-{row.need_index}"
    return f"{person_id}-{row.date:%Y%m%d}-{what}@ra-quan"


def build_calendar(person_id: str, campaign: Campaign | None, version: RosterVersion | None) -> Calendar:
    """The person's assignments in ``version`` as a VCALENDAR (an empty one when nothing is published)."""
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
    for item in describe(campaign, version, person_id):
        row = item["row"]
        event = Event()
        event.add("uid", event_uid(person_id, item))
        event.add("dtstamp", stamp)
        event.add("sequence", version.id)
        if item["start_minute"] is None:
            event.add("dtstart", row.date)
            event.add("dtend", row.date + timedelta(days=1))
        else:
            midnight = datetime.combine(row.date, time(0), tzinfo=TIMEZONE)
            event.add("dtstart", midnight + timedelta(minutes=item["start_minute"]))
            event.add("dtend", midnight + timedelta(minutes=item["end_minute"]))
        event.add("summary", f"{item['title']} — {item['ward']}")
        event.add("location", f"{item['place']}, {item['ward']}" if item["place"] else item["ward"])
        ward = _maybe(campaign.ward, row.ward_code) if campaign else None
        if ward is not None:
            event.add("geo", (ward.lat, ward.lon))
        lines = []
        if item["colleagues"]:
            lines.append(_("Cùng ca: %(names)s", names=", ".join(item["colleagues"])))
        if item["covered"]:
            lines.append(_("Phụ trách cả: %(wards)s", wards=", ".join(item["covered"])))
        if lines:
            event.add("description", "\n".join(lines))
        calendar.add_component(event)
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
