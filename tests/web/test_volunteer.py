"""Volunteers' pages: sign-in by phone and personal code, signed links, my shifts, the calendar feed,
"Tôi không thể đến"."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from tests.web.conftest import login

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
WARD_NAMES = {"00316": "Phường Định Công", "00337": "Phường Hoàng Liệt", "09676": "Xã Bất Bạt"}


def _code(app, person_id: str) -> str:
    from web.codes import personal_code

    return personal_code(app.config["SECRET_KEY"], person_id)


def _token(app, person_id: str) -> str:
    from web.codes import link_token

    return link_token(app.config["SECRET_KEY"], person_id)


def _feed(app, person_id: str) -> str:
    from web.codes import feed_token

    return feed_token(app.config["SECRET_KEY"], person_id)


def _rows(app, person_id: str, version_id: int | None = None):
    from web import store

    with app.app_context():
        version_id = version_id or store.latest_published().id
        return [
            (r.id, r.person_id, r.ward_code, r.date, r.shift_id, r.mobile_point_id, r.need_index)
            for r in store.person_assignments(version_id, person_id)
        ]


def _failures(app) -> int:
    """Failed attempts still counted against any limit."""
    from web.models import RateCounter, db

    with app.app_context():
        return db.session.scalar(select(func.coalesce(func.sum(RateCounter.hits), 0)))


def _sign_in(client, app, person_id: str):
    token = _token(app, person_id)
    assert client.get(f"/ca-truc/l/{token}").status_code == 200  # a confirm page: a GET signs no one in
    response = client.post(f"/ca-truc/l/{token}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/ca-truc/cua-toi")
    return response


def _colleague_ids(app, person_id: str) -> set[str]:
    """Everyone else on one of the person's slots (same ward, day, shift or point) in the published version."""
    from web import store
    from web.models import AssignmentRow, db

    with app.app_context():
        version_id = store.latest_published().id
        mine = {(r[2], r[3], r[4], r[5]) for r in _rows(app, person_id)}
        others = db.session.scalars(
            select(AssignmentRow).where(AssignmentRow.version_id == version_id, AssignmentRow.person_id != person_id)
        )
        return {r.person_id for r in others if (r.ward_code, r.date, r.shift_id, r.mobile_point_id) in mine}


# ------------------------------------------------------------------------------------------- sign-in


def test_lookup_form_is_public(client):
    response = client.get("/ca-truc/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'name="phone"' in page and 'name="code"' in page


@pytest.mark.parametrize("phone", ["0912000001", "+84 912 000 001", "84912000001", "912.000.001"])
def test_the_right_code_signs_in_with_any_usual_phone_form(client, loaded_app, phone):
    response = client.post("/ca-truc/", data={"phone": phone, "code": _code(loaded_app, "SV0001")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/ca-truc/cua-toi")
    with client.session_transaction() as session:
        assert session["person_id"] == "SV0001"
    assert _failures(loaded_app) == 0


def test_a_wrong_code_and_an_unknown_phone_get_the_same_error_and_are_recorded(client, loaded_app):
    right = _code(loaded_app, "SV0001")
    wrong = str((int(right) + 1) % 1_000_000).zfill(6)
    wrong_code = client.post("/ca-truc/", data={"phone": "0912000001", "code": wrong})
    unknown = client.post("/ca-truc/", data={"phone": "0999999999", "code": right})
    assert wrong_code.status_code == unknown.status_code == 401
    message = "Số điện thoại hoặc mã cá nhân không đúng."
    assert message in wrong_code.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "person_id" not in session
    from web.models import RateCounter, db

    with loaded_app.app_context():
        keys = {row.key.rsplit(":", 3)[0] for row in db.session.scalars(select(RateCounter))}
    assert {"code-phone:0912000001", "code-phone:0999999999"} <= keys
    assert any(k.startswith("code-address:") for k in keys)


def test_five_failures_for_a_phone_then_429_even_with_the_right_code(client, loaded_app):
    for _ in range(5):
        assert client.post("/ca-truc/", data={"phone": "0912000001", "code": "000000"}).status_code == 401
    refused = client.post("/ca-truc/", data={"phone": "0912 000 001", "code": _code(loaded_app, "SV0001")})
    assert refused.status_code == 429
    assert "quá nhiều lần" in refused.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "person_id" not in session
    # another phone from the same address is still let in (the address limit is higher)
    ok = client.post("/ca-truc/", data={"phone": "0912000002", "code": _code(loaded_app, "SV0002")})
    assert ok.status_code == 302


def test_twenty_failures_from_one_address_then_429(client, loaded_app):
    for i in range(20):
        response = client.post("/ca-truc/", data={"phone": f"09120100{i:02d}", "code": "123456"})
        assert response.status_code == 401
    refused = client.post("/ca-truc/", data={"phone": "0912000003", "code": _code(loaded_app, "SV0003")})
    assert refused.status_code == 429
    other_address = client.post(
        "/ca-truc/",
        data={"phone": "0912000003", "code": _code(loaded_app, "SV0003")},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other_address.status_code == 302


def test_old_failures_do_not_count(client, loaded_app):
    from web.models import RateCounter, db, utcnow
    from web.volunteer import PAIR_LIMIT, PHONE_LIMIT

    with loaded_app.app_context():
        for limit, subject in ((PAIR_LIMIT, "0912000001|127.0.0.1"), (PHONE_LIMIT, "0912000001")):
            earlier = utcnow() - limit.window - timedelta(minutes=1)
            db.session.add(
                RateCounter(
                    key=limit.key(subject, earlier), window_start=limit.window_start(earlier), hits=limit.attempts
                )
            )
        db.session.commit()
    response = client.post("/ca-truc/", data={"phone": "0912000001", "code": _code(loaded_app, "SV0001")})
    assert response.status_code == 302


def test_signed_link_signs_in_and_a_tampered_one_is_404(client, loaded_app):
    token = _token(loaded_app, "SV0003")
    # change the signature's first character (its last ones may carry padding bits a decoder ignores)
    payload, signature = token.rsplit(".", 1)
    tampered = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    assert client.get(f"/ca-truc/l/{tampered}").status_code == 404
    assert client.get("/ca-truc/l/not-a-token").status_code == 404
    _sign_in(client, loaded_app, "SV0003")
    with client.session_transaction() as session:
        assert session["person_id"] == "SV0003"
    assert client.get("/ca-truc/").status_code == 302  # the form sends a signed-in volunteer to their shifts


def test_sign_out_forgets_the_volunteer(client, loaded_app):
    _sign_in(client, loaded_app, "SV0001")
    assert client.post("/ca-truc/thoat").status_code == 302
    response = client.get("/ca-truc/cua-toi")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ca-truc/")


# ------------------------------------------------------------------------------------------- my shifts


def test_my_shifts_needs_a_signed_in_volunteer(client):
    response = client.get("/ca-truc/cua-toi")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ca-truc/")


def test_my_shifts_shows_real_assignments_and_colleagues_first_names_but_no_phones(client, loaded_app):
    from scheduler.loader import load_campaign
    from tests.web.conftest import TINY

    campaign = load_campaign(TINY)
    person_id = "SV0001"
    rows = _rows(loaded_app, person_id)
    assert rows, "the tiny roster gives SV0001 shifts"
    _sign_in(client, loaded_app, person_id)
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "Xin chào An!" in page
    weekdays = {3: "Thứ Năm", 4: "Thứ Sáu", 5: "Thứ Bảy"}
    for _id, _pid, ward, day, shift_id, _point_id, _need in rows:
        assert f"{weekdays[day.weekday()]}, {day:%d/%m/%Y}" in page
        assert WARD_NAMES[ward] in page
        if shift_id:
            shift = campaign.shift(shift_id)
            assert shift.name in page and f"{shift.start_minute // 60:02d}:{shift.start_minute % 60:02d}" in page
    ward = campaign.ward(rows[0][2])
    assert f"geo:{ward.lat},{ward.lon}" in page
    assert f"https://www.openstreetmap.org/?mlat={ward.lat}&amp;mlon={ward.lon}" in page
    colleagues = _colleague_ids(loaded_app, person_id)
    assert colleagues
    for other in colleagues:
        person = campaign.person(other)
        assert person.name.split()[-1] in page
        assert person.name not in page  # first names only
        assert person.phone not in page
    for person in campaign.people:
        if person.id != person_id:
            assert person.phone not in page


def test_a_mobile_point_shows_its_place_and_hours(client, loaded_app):
    from web import store
    from web.models import AssignmentRow, db

    with loaded_app.app_context():
        row = db.session.scalars(
            select(AssignmentRow).where(
                AssignmentRow.version_id == store.latest_published().id, AssignmentRow.mobile_point_id.is_not(None)
            )
        ).first()
        person_id = row.person_id
    _sign_in(client, loaded_app, person_id)
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "Nhà văn hóa thôn 3" in page and "08:00–11:00" in page and "Điểm phục vụ lưu động" in page


def test_my_shifts_says_when_nothing_is_published(app, tiny_solution):
    from tests.web.conftest import load_tiny

    load_tiny(app, tiny_solution, publish=False)
    client = app.test_client()
    _sign_in(client, app, "SV0001")
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "Lịch chưa được công bố" in page


# ------------------------------------------------------------------------------------------- calendar


def _calendar(client, app, person_id: str) -> Calendar:
    response = client.get(f"/ca-truc/lich/{_feed(app, person_id)}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    return Calendar.from_ical(response.get_data())


def _events(calendar: Calendar, status: str = "CONFIRMED"):
    """The calendar's events of one status (CONFIRMED: the shifts of the latest version)."""
    return [c for c in calendar.walk("VEVENT") if str(c.get("STATUS")) == status]


def test_calendar_feed_has_the_timezone_and_one_event_per_assignment(client, loaded_app):
    from scheduler.loader import load_campaign
    from tests.web.conftest import TINY

    campaign = load_campaign(TINY)
    person_id = "SV0005"  # has a mobile point too
    rows = _rows(loaded_app, person_id)
    calendar = _calendar(client, loaded_app, person_id)
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Ho_Chi_Minh"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    events = _events(calendar)
    assert len(events) == len(rows)
    assert len({str(e["UID"]) for e in events}) == len(events)
    starts = sorted(e.decoded("DTSTART") for e in events)
    expected = []
    for _id, _pid, _ward, day, shift_id, point_id, _need in rows:
        minute = campaign.shift(shift_id).start_minute if shift_id else campaign.mobile_point(point_id).start_minute
        expected.append(datetime(day.year, day.month, day.day, tzinfo=HANOI) + timedelta(minutes=minute))
    assert starts == sorted(expected)
    for event in events:
        assert event["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
        assert event.decoded("DTSTART").utcoffset() == timedelta(hours=7)
        assert "DTSTAMP" in event and "SUMMARY" in event and str(event["LOCATION"])
    assert any("Nhà văn hóa thôn 3" in str(e["LOCATION"]) for e in events)
    from geo.addresses import approximate_location, office_location
    from web.volunteer import event_uid

    by_uid = {str(e["UID"]): e for e in events}
    for _id, _pid, ward, day, shift_id, point_id, _need in rows:
        event = by_uid[event_uid(person_id, day, shift_id or point_id)]
        if point_id:  # the point's own place, as the shift card gives it
            spot = approximate_location(ward, campaign.mobile_point(point_id).place)
        else:  # the ward office, not the ward's centre
            spot = office_location(ward)
        geo = event.decoded("GEO")
        assert (round(geo[0], 5), round(geo[1], 5)) == (round(spot[0], 5), round(spot[1], 5))
    # no phone numbers in the feed either
    text = client.get(f"/ca-truc/lich/{_feed(loaded_app, person_id)}.ics").get_data(as_text=True)
    assert not any(p.phone in text for p in campaign.people)


def test_calendar_feed_refuses_a_tampered_token(client, loaded_app):
    token = _feed(loaded_app, "SV0001")
    assert client.get(f"/ca-truc/lich/{token}x.ics").status_code == 404


def test_the_feed_token_cannot_sign_in_and_the_link_token_cannot_read_the_feed(client, loaded_app):
    """A calendar URL shared with a calendar service must not let anyone act as the volunteer."""
    assert client.get(f"/ca-truc/l/{_feed(loaded_app, 'SV0001')}").status_code == 404
    assert client.get(f"/ca-truc/lich/{_token(loaded_app, 'SV0001')}.ics").status_code == 404
    assert client.get(f"/ca-truc/lich/{_feed(loaded_app, 'SV0001')}.ics").status_code == 200


def test_a_code_in_other_digits_is_refused_not_a_crash(client):
    response = client.post("/ca-truc/", data={"phone": "0987000001", "code": "١٢٣٤٥٦"})
    assert response.status_code == 401


def test_calendar_follows_the_latest_published_version_and_night_shifts_end_next_day(client, loaded_app, tiny_solution):
    from scheduler.model import Assignment
    from web import store

    roster, report, explanations = tiny_solution
    person_id = "KT0001"
    before = _events(_calendar(client, loaded_app, person_id))
    assert len(before) == len(_rows(loaded_app, person_id))
    kept = tuple(a for a in roster.assignments if not (a.person_id == person_id and a.date == date(2025, 7, 26)))
    night = Assignment(person_id, "00316", date(2025, 7, 26), "truc_dem", covered_ward_codes=("00316", "00337"))
    changed = dataclasses.replace(roster, assignments=kept + (night,))
    with loaded_app.app_context():
        version = store.store_roster(changed, report, explanations, store.revision())
        version_id = version.id
        # a draft changes nothing for the volunteer
    assert len(_events(_calendar(client, loaded_app, person_id))) == len(before)
    with loaded_app.app_context():
        store.publish(version_id, "dieuphoi")
    after = _events(_calendar(client, loaded_app, person_id))
    rows = _rows(loaded_app, person_id, version_id)
    assert len(after) == len(rows)
    assert {str(e["UID"]) for e in after} != {str(e["UID"]) for e in before}
    nights = [e for e in after if "truc_dem" in str(e["UID"])]
    assert len(nights) == 1
    assert nights[0].decoded("DTSTART") == datetime(2025, 7, 26, 23, 30, tzinfo=HANOI)
    assert nights[0].decoded("DTEND") == datetime(2025, 7, 27, 7, 30, tzinfo=HANOI)
    assert nights[0]["DTEND"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert not any(e.decoded("DTSTART").date() == date(2025, 7, 26) and "truc_dem" not in str(e["UID"]) for e in after)
    _sign_in(client, loaded_app, person_id)
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "Trực đêm" in page and "23:30–07:30 (hôm sau)" in page and "Phường Hoàng Liệt" in page


def test_the_shifts_page_links_the_feed(client, loaded_app):
    _sign_in(client, loaded_app, "SV0001")
    from web.codes import person_from_feed_token

    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    # the token carries the second it was made: read it from the page rather than make it again
    token = re.search(r'href="https?://localhost/ca-truc/lich/([^"/]+)\.ics"', page).group(1)
    assert person_from_feed_token(loaded_app.config["SECRET_KEY"], token, 3600) == ("SV0001", 0)
    assert f"webcal://localhost/ca-truc/lich/{token}.ics" in page


# ------------------------------------------------------------------------------------------- cancellations


def _cancellations(app):
    """The volunteers' cancellations, stored as events: (person, version, ward, date, slot, reason)."""
    from web import live

    with app.app_context():
        return [
            (row.person_id, row.version_id, row.ward_code, row.first_date, row.event.slot_ids, row.event.reason)
            for row in live.events_of()
            if row.kind == "cancellation" and row.source == "volunteer"
        ]


def test_a_volunteer_reports_they_cannot_come(client, loaded_app):
    loaded_app.config["RAQUAN_TODAY"] = "2025-07-24"
    rows = _rows(loaded_app, "SV0001")
    assignment_id, _pid, ward, day, shift_id, point_id, _need = rows[0]
    _sign_in(client, loaded_app, "SV0001")
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert page.count("Tôi không thể đến") == len(rows)
    response = client.post(f"/ca-truc/bao-nghi/{assignment_id}", data={"reason": "  Ốm  "})
    assert response.status_code == 303
    assert _cancellations(loaded_app) == [
        ("SV0001", loaded_app.config["TEST_VERSION_ID"], ward, day, (shift_id or point_id,), "Ốm")
    ]
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "Đã báo không thể đến" in page and page.count("Tôi không thể đến") == len(rows) - 1
    client.post(f"/ca-truc/bao-nghi/{assignment_id}", data={"reason": "again"})
    assert len(_cancellations(loaded_app)) == 1  # reported once


def test_cancelling_someone_elses_assignment_is_refused(client, loaded_app):
    loaded_app.config["RAQUAN_TODAY"] = "2025-07-24"
    other = _rows(loaded_app, "SV0002")[0][0]
    _sign_in(client, loaded_app, "SV0001")
    assert client.post(f"/ca-truc/bao-nghi/{other}").status_code == 403
    assert client.post("/ca-truc/bao-nghi/999999").status_code == 404
    assert _cancellations(loaded_app) == []


def test_cancelling_needs_a_signed_in_volunteer_and_an_upcoming_shift(client, loaded_app):
    mine = _rows(loaded_app, "SV0001")[0][0]
    response = client.post(f"/ca-truc/bao-nghi/{mine}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ca-truc/")
    loaded_app.config["RAQUAN_TODAY"] = "2025-09-01"  # the tiny campaign is over
    _sign_in(client, loaded_app, "SV0001")
    assert "Tôi không thể đến" not in client.get("/ca-truc/cua-toi").get_data(as_text=True)
    client.post(f"/ca-truc/bao-nghi/{mine}")
    assert _cancellations(loaded_app) == []


def test_staff_signed_in_can_still_use_the_volunteer_page(client, loaded_app):
    login(client, "dieuphoi")
    assert client.get("/ca-truc/").status_code == 200


def test_the_warmed_cache_gives_the_same_page_as_the_lazy_one(loaded_app):
    """warm_cache fills, in one pass, exactly what each volunteer's first visit would compute."""
    from web import store
    from web.volunteer import _rows_and_colleagues, warm_cache

    with loaded_app.test_request_context("/"):
        version = store.latest_published()
        people = sorted({p.id for p in store.campaign().people})
        lazy = {person_id: _rows_and_colleagues(version, person_id) for person_id in people}
        store._published_cache.clear()
        assert warm_cache(version) == sum(1 for rows, _ in lazy.values() if rows)
        warmed = {person_id: _rows_and_colleagues(version, person_id) for person_id in people}
    assert warmed == lazy
