"""A volunteer during the campaign: the changes of a new version, "Nhận ca" / "Không nhận", today first, the feed."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from scheduler.model import Assignment

PERSON = "SV0004"  # 24/07 sáng and chiều, 26/07 sáng, all at Phường Hoàng Liệt (00337) in the tiny roster
HOANG_LIET, DINH_CONG = "00337", "00316"
REMOVED = Assignment(PERSON, HOANG_LIET, date(2025, 7, 24), "chieu")
MOVED_FROM = Assignment(PERSON, HOANG_LIET, date(2025, 7, 26), "sang")
MOVED_TO = Assignment(PERSON, DINH_CONG, date(2025, 7, 26), "sang")
ADDED = Assignment(PERSON, HOANG_LIET, date(2025, 7, 25), "chieu")


def _publish(app, assignments) -> int:
    """Publish the tiny roster with ``assignments`` in place of the published ones; the version's id."""
    from web import store

    with app.app_context():
        published = store.roster_of(store.latest_published())
        version = store.store_roster(
            dataclasses.replace(published, assignments=tuple(assignments)),
            _report_of(app),
            [],
            store.revision(),
        )
        store.publish(version.id, "dieuphoi")
        return version.id


def _report_of(app):
    from scheduler.verify import VerifyReport

    return VerifyReport((), (), 0, {}, 0, 0)


def _changed_roster(app):
    """The published roster with PERSON's 24/07 afternoon taken off, 26/07 moved ward, and 25/07 afternoon added."""
    from web import store

    with app.app_context():
        assignments = list(store.roster_of(store.latest_published()).assignments)
    assert REMOVED in assignments and MOVED_FROM in assignments and ADDED not in assignments
    assignments.remove(REMOVED)
    assignments[assignments.index(MOVED_FROM)] = MOVED_TO
    return assignments + [ADDED]


def _sign_in(client, app, person_id: str) -> None:
    from web.codes import link_token

    response = client.post(f"/ca-truc/l/{link_token(app.config['SECRET_KEY'], person_id)}")
    assert response.status_code == 303


def _row_id(app, version_id: int, a: Assignment) -> int:
    from web.models import AssignmentRow, db

    with app.app_context():
        return db.session.scalar(
            select(AssignmentRow.id).where(
                AssignmentRow.version_id == version_id,
                AssignmentRow.person_id == a.person_id,
                AssignmentRow.date == a.date,
                AssignmentRow.shift_id == a.shift_id,
                AssignmentRow.ward_code == a.ward_code,
            )
        )


def _answers(app):
    from web.models import db
    from web.volunteer import ShiftAnswer

    with app.app_context():
        return [
            (a.version_id, a.person_id, a.assignment_key, a.answer, a.event_id is not None)
            for a in db.session.scalars(select(ShiftAnswer).order_by(ShiftAnswer.id))
        ]


def test_a_volunteer_sees_what_changed_and_accepts_or_declines_each_new_shift(client, loaded_app):
    from web import live

    loaded_app.config["RAQUAN_NOW"] = "2025-07-23T12:00"
    first = loaded_app.config["TEST_VERSION_ID"]
    _sign_in(client, loaded_app, PERSON)
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "Lịch của bạn đã thay đổi" not in page  # the first version: nothing to compare with

    second = _publish(loaded_app, _changed_roster(loaded_app))
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "Lịch của bạn đã thay đổi" in page
    assert f"So với lịch bạn đã xem (phiên bản {first})" in page
    changes = page[page.index("Lịch của bạn đã thay đổi") : page.index("Tôi đã xem các thay đổi")]
    assert "Ca mới:</strong> Thứ Sáu, 25/07/2025 · 13:30–17:30 — Ca chiều, Phường Hoàng Liệt" in changes
    assert "Đổi ca:</strong> Thứ Bảy, 26/07/2025 · 07:30–11:30 — Ca sáng, Phường Định Công" in changes
    assert "thay cho: Thứ Bảy, 26/07/2025 · 07:30–11:30 — Ca sáng, Phường Hoàng Liệt" in changes
    assert "Bỏ ca:</strong> Thứ Năm, 24/07/2025 · 13:30–17:30 — Ca chiều, Phường Hoàng Liệt" in changes
    assert changes.count("Nhận ca</button>") == 2 and changes.count("Không nhận</button>") == 2
    other = loaded_app.test_client()
    _sign_in(other, loaded_app, "SV0003")  # unchanged
    assert "Lịch của bạn đã thay đổi" not in other.get("/ca-truc/cua-toi").get_data(as_text=True)

    added_id, moved_id = _row_id(loaded_app, second, ADDED), _row_id(loaded_app, second, MOVED_TO)
    assert client.post(f"/ca-truc/tra-loi/{added_id}", data={"answer": "accept"}).status_code == 303
    assert client.post(f"/ca-truc/tra-loi/{moved_id}", data={"answer": "decline"}).status_code == 303
    assert client.post(f"/ca-truc/tra-loi/{moved_id}", data={"answer": "accept"}).status_code == 303  # answered once
    assert client.post(f"/ca-truc/tra-loi/{added_id}", data={"answer": "maybe"}).status_code == 400
    assert _answers(loaded_app) == [
        (second, PERSON, f"2025-07-25|chieu|{HOANG_LIET}", "accept", False),
        (second, PERSON, f"2025-07-26|sang|{DINH_CONG}", "decline", True),
    ]
    with loaded_app.app_context():
        (event,) = live.events_of()
        assert (event.kind, event.source, event.person_id, event.version_id, event.state) == (
            "decline",
            "volunteer",
            PERSON,
            second,
            "open",
        )
        assert (event.event.dates, event.event.slot_ids) == ((date(2025, 7, 26),), ("sang",))
        assert (PERSON, date(2025, 7, 26), "sang") in live.cancelled_slots(second)  # the coordinators see it
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert 'data-answer="accept"' in page and 'data-answer="decline"' in page
    assert "Nhận ca</button>" not in page

    # someone else's shift cannot be answered
    theirs = _row_id(loaded_app, second, Assignment("SV0003", HOANG_LIET, date(2025, 7, 25), "sang"))
    assert client.post(f"/ca-truc/tra-loi/{theirs}", data={"answer": "decline"}).status_code == 403

    assert client.post("/ca-truc/da-xem").status_code == 303
    assert "Lịch của bạn đã thay đổi" not in client.get("/ca-truc/cua-toi").get_data(as_text=True)


def test_the_changes_shown_are_against_the_version_the_volunteer_last_saw(client, loaded_app):
    loaded_app.config["RAQUAN_NOW"] = "2025-07-23T12:00"
    first = loaded_app.config["TEST_VERSION_ID"]
    _sign_in(client, loaded_app, PERSON)
    client.get("/ca-truc/cua-toi")  # seen: the first version
    changed = _changed_roster(loaded_app)
    _publish(loaded_app, changed)
    third = _publish(loaded_app, [a for a in changed if a != ADDED])  # the new shift goes again
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert f"phiên bản {first}" in page  # against what they saw, not the version before the latest
    assert "Ca mới:" not in page and "Đổi ca:" in page and "Bỏ ca:" in page
    client.post("/ca-truc/da-xem")
    assert "Lịch của bạn đã thay đổi" not in client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert third


def test_a_cancellation_is_an_event_and_a_started_shift_cannot_be_cancelled(client, loaded_app):
    from web import live

    loaded_app.config["RAQUAN_NOW"] = "2025-07-24T08:00"  # the morning shift has started
    version_id = loaded_app.config["TEST_VERSION_ID"]
    _sign_in(client, loaded_app, PERSON)
    started = _row_id(loaded_app, version_id, Assignment(PERSON, HOANG_LIET, date(2025, 7, 24), "sang"))
    later = _row_id(loaded_app, version_id, REMOVED)
    client.post(f"/ca-truc/bao-nghi/{started}")
    client.post(f"/ca-truc/bao-nghi/{later}", data={"reason": "ốm"})
    client.post(f"/ca-truc/bao-nghi/{later}")  # once
    with loaded_app.app_context():
        events = [
            (r.kind, r.source, r.person_id, r.event.dates, r.event.slot_ids, r.event.reason) for r in live.events_of()
        ]
    assert events == [("cancellation", "volunteer", PERSON, (date(2025, 7, 24),), ("chieu",), "ốm")]


def test_the_page_shows_today_and_the_next_shift_first(client, loaded_app):
    loaded_app.config["RAQUAN_NOW"] = "2025-07-25T09:00"
    _sign_in(client, loaded_app, "SV0005")  # 24/07 sáng and chiều; 25/07 mobile point and chiều; 26/07 chiều
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    today, following, past = (
        page.index("<h2>Hôm nay</h2>"),
        page.index("<h2>Ca tiếp theo</h2>"),
        page.index("Các ca đã qua"),
    )
    assert today < following < past
    assert "25/07/2025" in page[today:following] and "26/07/2025" not in page[today:following]
    assert "26/07/2025" in page[following:past]
    assert "24/07/2025" in page[past:] and "24/07/2025" not in page[:past]
    assert "Sắp tới" not in page  # nothing after the next shift


def _calendar(client, app, person_id: str) -> Calendar:
    from web.codes import feed_token

    response = client.get(f"/ca-truc/lich/{feed_token(app.config['SECRET_KEY'], person_id)}.ics")
    assert response.status_code == 200
    return Calendar.from_ical(response.data)


def _by_uid(calendar: Calendar) -> dict[str, tuple[str, int]]:
    return {str(e["UID"]): (str(e["STATUS"]), int(e["SEQUENCE"])) for e in calendar.walk("VEVENT")}


def test_the_feed_keeps_uids_raises_sequence_marks_removed_shifts_cancelled_and_reminds(client, loaded_app):
    first = loaded_app.config["TEST_VERSION_ID"]
    before = _calendar(client, loaded_app, PERSON)
    uid = {a: f"{PERSON}-{a.date:%Y%m%d}-{a.shift_id}@ra-quan" for a in (REMOVED, MOVED_FROM, ADDED)}
    same = f"{PERSON}-20250724-sang@ra-quan"
    assert _by_uid(before) == {
        same: ("CONFIRMED", first),
        uid[REMOVED]: ("CONFIRMED", first),
        uid[MOVED_FROM]: ("CONFIRMED", first),
    }
    for event in before.walk("VEVENT"):
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY" and alarm.decoded("TRIGGER") == -timedelta(minutes=60)

    changed = _changed_roster(loaded_app)
    second = _publish(loaded_app, changed)
    after = _calendar(client, loaded_app, PERSON)
    assert _by_uid(after) == {
        same: ("CONFIRMED", first),  # unchanged: the same sequence
        uid[MOVED_FROM]: ("CONFIRMED", second),  # the same UID, another ward: a higher sequence
        uid[ADDED]: ("CONFIRMED", second),
        uid[REMOVED]: ("CANCELLED", second),
    }
    moved = next(e for e in after.walk("VEVENT") if str(e["UID"]) == uid[MOVED_FROM])
    assert "Phường Định Công" in str(moved["LOCATION"])
    cancelled = next(e for e in after.walk("VEVENT") if str(e["STATUS"]) == "CANCELLED")
    assert not cancelled.walk("VALARM") and str(cancelled["SUMMARY"]).startswith("Đã huỷ: ")
    assert all(len(e.walk("VALARM")) == 1 for e in after.walk("VEVENT") if str(e["STATUS"]) == "CONFIRMED")

    # a version that changes nothing for the person leaves every sequence as it was
    _publish(loaded_app, changed)
    assert _by_uid(_calendar(client, loaded_app, PERSON)) == _by_uid(after)
    # the removed shift comes back: confirmed again, with a sequence higher than ever
    fourth = _publish(loaded_app, changed + [REMOVED])
    final = _by_uid(_calendar(client, loaded_app, PERSON))
    assert final[uid[REMOVED]] == ("CONFIRMED", fourth) and fourth > second
    assert final[same] == ("CONFIRMED", first)


def test_the_feed_cancels_a_shift_the_person_called_off_at_once(client, loaded_app):
    from scheduler.events import Event
    from web import live

    first = loaded_app.config["TEST_VERSION_ID"]
    uid = f"{PERSON}-{REMOVED.date:%Y%m%d}-{REMOVED.shift_id}@ra-quan"
    assert _by_uid(_calendar(client, loaded_app, PERSON))[uid] == ("CONFIRMED", first)
    with loaded_app.app_context():
        row = live.record_event(
            Event(
                "cancellation",
                datetime(2025, 7, 23, 20, 0),
                person_id=PERSON,
                dates=(REMOVED.date,),
                slot_ids=(REMOVED.shift_id,),
            ),
            "volunteer",
        )
    feed = _calendar(client, loaded_app, PERSON)
    assert _by_uid(feed)[uid] == ("CANCELLED", first + 1)  # a higher sequence: calendars drop it now
    cancelled = next(e for e in feed.walk("VEVENT") if str(e["UID"]) == uid)
    assert not cancelled.walk("VALARM")
    assert sum(1 for e in feed.walk("VEVENT") if str(e["STATUS"]) == "CONFIRMED") == 2  # the others stay
    with loaded_app.app_context():
        live.dismiss(row.id)
    assert _by_uid(_calendar(client, loaded_app, PERSON))[uid][0] == "CONFIRMED"
