"""The live roster on the coordinators' side: events stored and listed, the migration of the old cancellations,
cancellations in every view (dashboard, ward page, daily report, "Hôm nay"), and the event forms."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from tests.web.conftest import login

PREFIX = "/dieu-phoi"


def text(response) -> str:
    return response.get_data(as_text=True)


def _event(kind: str = "cancellation", **fields):
    from scheduler.events import Event

    return Event(kind=kind, recorded_at=datetime(2025, 7, 23, 20, 0), **fields)


def _roster(app):
    from web import store

    with app.app_context():
        return store.roster_of(store.latest_published())


def _thin_student_slot(app):
    """A student on a service shift that has exactly the ward's minimum of people: (person, ward, date, shift)."""
    from web import store

    roster = _roster(app)
    with app.app_context():
        campaign = store.campaign()
    people = Counter((a.ward_code, a.date, a.shift_id) for a in roster.assignments if a.shift_id in ("sang", "chieu"))
    for a in roster.assignments:
        key = (a.ward_code, a.date, a.shift_id)
        if a.person_id.startswith("SV") and people.get(key) == campaign.demand(a.ward_code).min_support_staff:
            return a.person_id, a.ward_code, a.date, a.shift_id
    pytest.fail("the tiny roster has no student on a shift with exactly the minimum of people")


def _cancel(app, person_id, day, shift_id, reason="ốm"):
    from web import live

    with app.app_context():
        row = live.record_event(
            _event(person_id=person_id, dates=(day,), slot_ids=(shift_id,), reason=reason, recorded_by=person_id),
            "volunteer",
        )
        return row.id


# ------------------------------------------------------------------------------------------------ the store


def test_events_are_recorded_listed_applied_and_repaired(loaded_app):
    from web import live, store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    person_id, ward_code, day, shift_id = _thin_student_slot(loaded_app)
    with loaded_app.app_context():
        first = live.record_event(
            _event(person_id=person_id, dates=(day,), slot_ids=(shift_id,), reason="ốm", recorded_by=person_id),
            "volunteer",
        )
        assert (first.kind, first.person_id, first.state, first.version_id) == (
            "cancellation",
            person_id,
            "open",
            version_id,
        )
        assert first.ward_code == ward_code and first.first_date == first.last_date == day
        second = live.record_event(
            _event("absence", person_id="VT0001", dates=(date(2025, 7, 25), date(2025, 7, 26)), recorded_by="dieuphoi"),
            "coordinator",
        )
        third = live.record_event(
            _event("demand_changed", ward_code=ward_code, demand=(("min_support_staff", 3),), recorded_by="dieuphoi"),
            "coordinator",
        )
        with pytest.raises(ValueError):
            live.record_event(_event(person_id="SV0001", dates=(day,)), "somebody")

        assert [row.id for row in live.events_of()] == [third.id, second.id, first.id]  # newest first
        assert [row.id for row in live.open_events()] == [third.id, second.id, first.id]
        events = live.domain_events()
        assert [e.id for e in events] == [first.id, second.id, third.id]  # in the order recorded
        assert events[0].slot_ids == (shift_id,) and events[0].reason == "ốm" and events[0].recorded_by == person_id
        assert [e.id for e in live.domain_events(up_to=second.id)] == [first.id, second.id]

        campaign = live.live_campaign()
        assert (day, shift_id) in campaign.person(person_id).unavailable_slots
        assert {date(2025, 7, 25), date(2025, 7, 26)} <= campaign.person("VT0001").unavailable_dates
        assert campaign.demand(ward_code).min_support_staff == 3
        assert store.campaign().demand(ward_code).min_support_staff == 2  # the stored data set is left as it was

        cancelled = live.cancelled_slots(version_id)
        assert (person_id, day, shift_id) in cancelled
        roster = store.roster_of(store.latest_published())
        vt_days = {(a.person_id, a.date, a.shift_id or a.mobile_point_id) for a in roster.assignments}
        expected = {k for k in vt_days if k[0] == "VT0001" and k[1] in (date(2025, 7, 25), date(2025, 7, 26))}
        assert expected and expected <= cancelled
        assert all(k[0] in (person_id, "VT0001") for k in cancelled)

        assert live.mark_repaired([first.id], version_id) == 1
        assert live.mark_repaired([first.id], version_id) == 0  # once
        assert live.dismiss(third.id) and not live.dismiss(third.id)
        assert [row.id for row in live.open_events()] == [second.id]
        assert live.events_of("repaired")[0].repaired_by_version_id == version_id
        assert [e.id for e in live.domain_events()] == [first.id, second.id]  # a dismissed event no longer stands
        assert live.live_campaign().demand(ward_code).min_support_staff == 2
        assert (person_id, day, shift_id) not in live.cancelled_slots(version_id)  # repaired: no longer open


def test_the_migration_copies_the_cancellations(database_url, tmp_path):
    from flask_migrate import upgrade

    from web import MIGRATIONS, create_app, live
    from web.models import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret", "TESTING": True},
        data_dir=tmp_path / "data",
        migrate_db=False,
    )
    with app.app_context():
        upgrade(directory=str(MIGRATIONS), revision="0004")
        assert "events" not in sa.inspect(db.engine).get_table_names()
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO roster_versions (id, status, created_at, dataset_revision, solve_status, "
                    "coverage_percent, violations, assignment_count, unfilled_count, roster_json) "
                    "VALUES (1, 'published', :at, 1, 'OPTIMAL', 100.0, 0, 0, 0, '{}')"
                ),
                {"at": datetime(2025, 7, 20, 1, 0)},
            )
            for shift_id, point_id, day, at in (
                ("sang", None, date(2025, 7, 24), datetime(2025, 7, 22, 1, 30)),
                (None, "LD0001", date(2025, 7, 25), datetime(2025, 7, 22, 2, 0)),
            ):
                connection.execute(
                    sa.text(
                        "INSERT INTO cancellations (person_id, version_id, ward_code, date, shift_id, "
                        "mobile_point_id, reason, created_at) VALUES ('SV0001', 1, '00316', :day, :shift, :point, "
                        "'ốm', :at)"
                    ),
                    {"day": day, "shift": shift_id, "point": point_id, "at": at},
                )
        upgrade(directory=str(MIGRATIONS), revision="0005")
        assert "cancellations" in sa.inspect(db.engine).get_table_names()  # kept for the volunteers' pages
        upgrade(directory=str(MIGRATIONS))
        rows = live.events_of()
        assert [(r.kind, r.source, r.state, r.person_id, r.ward_code, r.version_id) for r in rows] == [
            ("cancellation", "volunteer", "open", "SV0001", "00316", 1)
        ] * 2
        assert [r.created_at for r in rows] == [datetime(2025, 7, 22, 2, 0), datetime(2025, 7, 22, 1, 30)]
        events = live.domain_events()
        assert [(e.kind, e.person_id, e.dates, e.slot_ids, e.reason) for e in events] == [
            ("cancellation", "SV0001", (date(2025, 7, 24),), ("sang",), "ốm"),
            ("cancellation", "SV0001", (date(2025, 7, 25),), ("LD0001",), "ốm"),
        ]
        assert events[0].recorded_at == datetime(2025, 7, 22, 8, 30)  # Hanoi's time
        db.session.remove()
        db.engine.dispose()


# ------------------------------------------------------------------------------------------------ the views


def _daily_missing(page: str, ward_code: str) -> int:
    match = re.search(rf'data-ward="{ward_code}">.*?<td class="num (?:gap|ok)">([^<]*)</td>', page, re.S)
    assert match, page[:2000]
    return 0 if match.group(1).strip() == "✓" else int(match.group(1))


def test_a_cancellation_shows_on_the_dashboard_the_ward_page_and_the_daily_report(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    person_id, ward_code, day, shift_id = _thin_student_slot(loaded_app)
    login(client, "dieuphoi")
    dashboard = text(client.get(f"{PREFIX}/"))
    assert 'data-open-events="0"' in dashboard and 'data-unrepaired="0"' in dashboard
    daily_url = f"{PREFIX}/bao-cao-ngay?date={day.isoformat()}"
    before = _daily_missing(text(client.get(daily_url)), ward_code)
    ward_before = text(client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{ward_code}"))
    assert "đã báo vắng" not in ward_before

    _cancel(loaded_app, person_id, day, shift_id)

    dashboard = text(client.get(f"{PREFIX}/"))
    assert 'data-open-events="1"' in dashboard and 'data-unrepaired="1"' in dashboard
    assert f'href="{PREFIX}/su-kien"' in dashboard

    ward_page = text(client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{ward_code}"))
    assert ward_page.count("đã báo vắng") == 1
    with loaded_app.app_context():
        from web import store

        name = store.campaign().person(person_id).name
    assert f"<s>{name}</s>" in ward_page
    row = re.search(rf'<tr id="d{day.isoformat()}">(.*?)</tr>', ward_page, re.S).group(1)
    assert 'class="short"' in row and "thiếu 1" in row

    daily = text(client.get(daily_url))
    assert _daily_missing(daily, ward_code) == before + 1  # the ward is short one more person
    assert 'data-cancelled="1"' in daily
    other_day = next(d for d in (date(2025, 7, 24), date(2025, 7, 25), date(2025, 7, 26)) if d != day)
    other = text(client.get(f"{PREFIX}/bao-cao-ngay?date={other_day.isoformat()}"))
    assert "data-cancelled" not in other


def test_a_ward_covered_in_the_daily_report_is_no_longer_covered_after_a_cancellation(loaded_app):
    """On a day the published roster covers a ward fully, a cancellation on its thinnest shift makes it short."""
    from dataclasses import replace

    from scheduler.report import daily_rows
    from web import live, store

    person_id, ward_code, day, shift_id = _thin_student_slot(loaded_app)
    with loaded_app.app_context():
        campaign = store.campaign()
        roster = store.roster_of(store.latest_published())
        covered = replace(roster, unfilled=tuple(u for u in roster.unfilled if u.ward_code != ward_code))
        row = next(r for r in daily_rows(campaign, covered, day) if r.code == ward_code)
        assert row.missing == 0
        _cancel(loaded_app, person_id, day, shift_id)
        cancelled = live.cancelled_slots(store.latest_published().id)
        gaps = [g for g in live.day_shortfalls(campaign, covered, day, cancelled) if g.ward_code == ward_code]
        assert [(g.rule, g.shift_id, g.missing) for g in gaps if g.rule == "min_support_staff"] == [
            ("min_support_staff", shift_id, 1)
        ]


def test_the_today_page_shows_the_shifts_now_and_next(client, loaded_app):
    person_id, ward_code, day, shift_id = _thin_student_slot(loaded_app)
    hour = "09:00" if shift_id == "sang" else "14:00"
    loaded_app.config["RAQUAN_NOW"] = f"{day.isoformat()}T{hour}"
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/hom-nay"))
    assert f"{hour} {day:%d/%m/%Y}" in page
    now_part, next_part = page.split("Ca tiếp theo")
    now_part = now_part.split("Ca đang trực")[1]
    if shift_id == "sang":
        assert "Ca sáng 07:30–11:30" in now_part and "Trực trưa 11:30–13:30" in next_part
    else:
        assert "Ca chiều 13:30–17:30" in now_part and "Trực tối 17:30–23:30" in next_part
    assert "đã báo vắng" not in page

    _cancel(loaded_app, person_id, day, shift_id, reason="ốm nặng")
    page = text(client.get(f"{PREFIX}/hom-nay"))
    now_part = page.split("Ca tiếp theo")[0]
    assert now_part.count("đã báo vắng") == 1
    wards = re.findall(r'<li class="([^"]*)" data-ward="([^"]+)" data-short="([01])">', now_part)
    assert wards[0][1:] == (ward_code, "1")  # the short ward first
    assert "Tối thiểu 02 nhân sự hỗ trợ mỗi ca: thiếu 1" in now_part and "báo vắng:" in now_part
    assert 'data-unrepaired="1"' in page and "ốm nặng" in page  # the open event, listed
    assert "@media print" in text(client.get("/static/live.css"))


def test_the_today_page_outside_the_campaign(client, loaded_app):
    loaded_app.config["RAQUAN_NOW"] = "2025-07-20T10:00"
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/hom-nay"))
    assert "nằm ngoài thời gian chiến dịch" in page
    assert "Ca sáng 07:30–11:30 — 24/07/2025" not in page.split("Ca tiếp theo")[0]


def test_the_old_cancellations_page_leads_to_the_events(client, loaded_app):
    person_id, ward_code, day, shift_id = _thin_student_slot(loaded_app)
    _cancel(loaded_app, person_id, day, shift_id, reason="bận họp")
    login(client, "dieuphoi")
    response = client.get(f"{PREFIX}/huy-ca")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"{PREFIX}/su-kien")
    page = text(client.get(f"{PREFIX}/su-kien"))
    assert "báo không thể đến" in page and "bận họp" in page and "chưa xử lý" in page
    with loaded_app.app_context():
        from web import store

        person = store.campaign().person(person_id)
    assert person.name in page and person.phone in page


def test_the_events_list_filters_and_pages(client, loaded_app):
    from web import live

    with loaded_app.app_context():
        ids = [
            live.record_event(_event("unavailable", person_id="SV0003", dates=(date(2025, 7, 26),)), "coordinator").id
            for _ in range(live.EVENTS_PER_PAGE + 2)
        ]
        live.dismiss(ids[0])
    login(client, "dieuphoi")
    first = text(client.get(f"{PREFIX}/su-kien"))
    assert first.count("data-event=") == live.EVENTS_PER_PAGE and "Trang 1 / 2" in first
    second = text(client.get(f"{PREFIX}/su-kien?page=2"))
    assert second.count("data-event=") == 1  # the dismissed one is not open
    everything = text(client.get(f"{PREFIX}/su-kien?show=all&page=2"))
    assert everything.count("data-event=") == 2 and "đã bỏ qua" in everything
    response = client.post(f"{PREFIX}/su-kien/{ids[1]}/bo-qua", data={})
    assert response.status_code == 303
    with loaded_app.app_context():
        assert live.count_events("open") == live.EVENTS_PER_PAGE


# ------------------------------------------------------------------------------------------------ the forms


BAD_INPUTS = [
    (
        "vang-mat",
        {"person-kind": "absence", "person-person_id": "XX9999", "person-first_date": "24/07/2025"},
        "Không có người mã “XX9999” trong chiến dịch.",
    ),
    (
        "vang-mat",
        {"person-kind": "absence", "person-person_id": "SV0001", "person-first_date": "30/09/2025"},
        "nằm ngoài chiến dịch",
    ),
    (
        "vang-mat",
        {"person-kind": "absence", "person-person_id": "SV0001", "person-first_date": "hôm qua"},
        "không phải một ngày",
    ),
    (
        "vang-mat",
        {"person-kind": "absence", "person-person_id": "SV0001", "person-first_date": ""},
        "Hãy nhập ngày bắt đầu.",
    ),
    (
        "vang-mat",
        {
            "person-kind": "unavailable",
            "person-person_id": "SV0001",
            "person-first_date": "26/07/2025",
            "person-last_date": "25/07/2025",
        },
        "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.",
    ),
    (
        "them-nguoi",
        {
            "added-person_id": "SV0001",
            "added-name": "Ai Đó",
            "added-pool": "student",
            "added-home_ward_code": "00316",
            "added-phone": "0912000099",
        },
        "đã có người dùng",
    ),
    (
        "them-nguoi",
        {
            "added-person_id": "SV0100",
            "added-name": "Ai Đó",
            "added-pool": "student",
            "added-home_ward_code": "00316",
            "added-phone": "12ab",
        },
        "số điện thoại",
    ),
    (
        "them-nguoi",
        {
            "added-person_id": "SV0100",
            "added-name": "Ai Đó",
            "added-pool": "student",
            "added-home_ward_code": "99999",
            "added-phone": "0912000099",
        },
        "Not a valid choice",
    ),
    ("nhu-cau", {"demand-ward_code": "00316"}, "Hãy nhập ít nhất một con số cần đổi."),
    ("nhu-cau", {"demand-ward_code": "00316", "demand-min_support_staff": "500"}, "Hãy nhập một số từ 0 đến 50."),
    (
        "them-diem",
        {
            "point-point_id": "LD0001",
            "point-ward_code": "00316",
            "point-place": "Nhà văn hoá",
            "point-day": "25/07/2025",
            "point-start": "08:00",
            "point-end": "11:00",
            "point-telecom": "1",
        },
        "Mã điểm “LD0001” đã có",
    ),
    (
        "them-diem",
        {
            "point-point_id": "LD0100",
            "point-ward_code": "00316",
            "point-place": "Nhà văn hoá",
            "point-day": "25/07/2025",
            "point-start": "11:00",
            "point-end": "08:00",
            "point-telecom": "1",
        },
        "Giờ kết thúc phải sau giờ bắt đầu.",
    ),
    (
        "them-diem",
        {
            "point-point_id": "LD0100",
            "point-ward_code": "00316",
            "point-place": "Nhà văn hoá",
            "point-day": "25/07/2025",
            "point-start": "08:00",
            "point-end": "11:00",
        },
        "Điểm lưu động cần ít nhất một người.",
    ),
    ("huy-diem", {"cancel_point-point_id": "LD9999"}, "Không có điểm lưu động mã “LD9999”."),
]


@pytest.mark.parametrize("slug,data,message", BAD_INPUTS, ids=[f"{s}-{i}" for i, (s, _, _) in enumerate(BAD_INPUTS)])
def test_the_event_forms_reject_bad_input_and_store_nothing(client, loaded_app, slug, data, message):
    from web import live

    loaded_app.config["RAQUAN_NOW"] = "2025-07-23T20:00"
    login(client, "dieuphoi")
    response = client.post(f"{PREFIX}/su-kien/{slug}", data=data)
    assert response.status_code == 400
    page = text(response)
    assert message in page, re.findall(r'class="field-error"[^>]*>([^<]*)<', page)
    assert "Chưa ghi nhận" in page
    with loaded_app.app_context():
        assert live.count_events() == 0


def test_a_past_date_is_history(client, loaded_app):
    from web import live

    loaded_app.config["RAQUAN_NOW"] = "2025-07-25T10:00"
    login(client, "dieuphoi")
    data = {"person-kind": "absence", "person-person_id": "SV0001", "person-first_date": "24/07/2025"}
    response = client.post(f"{PREFIX}/su-kien/vang-mat", data=data)
    assert response.status_code == 400 and "đã qua" in text(response)
    point = {"cancel_point-point_id": "LD0001"}  # 25/07 08:00–11:00: started by 10:00
    response = client.post(f"{PREFIX}/su-kien/huy-diem", data=point)
    assert response.status_code == 400 and "đã bắt đầu" in text(response)
    with loaded_app.app_context():
        assert live.count_events() == 0


def test_the_event_forms_store_each_kind(client, loaded_app):
    from web import live

    loaded_app.config["RAQUAN_NOW"] = "2025-07-23T20:00"
    login(client, "dieuphoi")
    posts = [
        (
            "vang-mat",
            {
                "person-kind": "absence",
                "person-person_id": "SV0001",
                "person-first_date": "24/07/2025",
                "person-last_date": "2025-07-25",
                "person-reason": "ốm",
            },
        ),
        ("vang-mat", {"person-kind": "left", "person-person_id": "VT0002", "person-first_date": "25/07/2025"}),
        (
            "them-nguoi",
            {
                "added-person_id": "SV0100",
                "added-name": "Trịnh Thu Hà",
                "added-pool": "student",
                "added-home_ward_code": "00337",
                "added-phone": "+84 912 000 100",
                "added-skills": "vneid, ihanoi",
                "added-weekly_cap_hours": "16",
            },
        ),
        ("nhu-cau", {"demand-ward_code": "00316", "demand-min_support_staff": "3"}),
        (
            "them-diem",
            {
                "point-point_id": "LD0100",
                "point-ward_code": "00316",
                "point-place": "Nhà văn hoá tổ 5",
                "point-day": "26/07/2025",
                "point-start": "8:00",
                "point-end": "11:00",
                "point-telecom": "1",
                "point-students": "2",
                "point-priority_group": "elderly",
            },
        ),
        ("huy-diem", {"cancel_point-point_id": "LD0001", "cancel_point-reason": "mưa bão"}),
    ]
    for slug, data in posts:
        response = client.post(f"{PREFIX}/su-kien/{slug}", data=data)
        assert response.status_code == 303, (slug, re.findall(r'class="field-error"[^>]*>([^<]*)<', text(response)))
    with loaded_app.app_context():
        rows = list(reversed(live.events_of()))
        assert [(r.kind, r.source, r.created_by) for r in rows] == [
            ("absence", "coordinator", "dieuphoi"),
            ("left", "coordinator", "dieuphoi"),
            ("person_added", "coordinator", "dieuphoi"),
            ("demand_changed", "coordinator", "dieuphoi"),
            ("mobile_point_added", "coordinator", "dieuphoi"),
            ("mobile_point_cancelled", "coordinator", "dieuphoi"),
        ]
        events = live.domain_events()
        assert events[0].dates == (date(2025, 7, 24), date(2025, 7, 25)) and events[0].reason == "ốm"
        assert events[1].dates == (date(2025, 7, 25),)
        added = events[2].person
        assert (added.phone, added.skills, added.weekly_cap_hours) == ("0912000100", {"vneid", "ihanoi"}, 16)
        assert dict(events[3].demand) == {"min_support_staff": 3}
        point = events[4].point
        assert (point.date, point.start_minute, point.end_minute, point.total_staff) == (date(2025, 7, 26), 480, 660, 3)
        campaign = live.live_campaign()
        assert campaign.has("people", "SV0100") and campaign.has("points", "LD0100")
        assert not campaign.has("points", "LD0001")
        assert date(2025, 7, 26) in campaign.person("VT0002").unavailable_dates  # left: the rest of the campaign
    page = text(client.get(f"{PREFIX}/su-kien"))
    for words in ("vắng mặt", "rời chiến dịch", "thêm người", "Trịnh Thu Hà", "thay đổi nhu cầu", "LD0100", "mưa bão"):
        assert words in page, words


def test_the_event_forms_need_a_csrf_token(csrf_app):
    from web import live

    client = csrf_app.test_client()
    login_page = client.get("/dang-nhap")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(login_page)).group(1)
    client.post("/dang-nhap", data={"username": "dieuphoi", "password": "mat-khau-123", "csrf_token": token})
    data = {"demand-ward_code": "00316", "demand-min_support_staff": "3"}
    assert client.post(f"{PREFIX}/su-kien/nhu-cau", data=data).status_code == 400
    with csrf_app.app_context():
        assert live.count_events() == 0
    page = text(client.get(f"{PREFIX}/su-kien"))
    form = re.search(r'<form[^>]*action="[^"]*/su-kien/nhu-cau".*?</form>', page, re.S).group(0)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "the form carries the page's token"
    data["csrf_token"] = token.group(1)
    assert client.post(f"{PREFIX}/su-kien/nhu-cau", data=data).status_code == 303
    with csrf_app.app_context():
        assert live.count_events() == 1


def test_the_live_pages_are_for_coordinators(client, loaded_app):
    for url in (f"{PREFIX}/su-kien", f"{PREFIX}/hom-nay"):
        response = client.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    assert client.post(f"{PREFIX}/su-kien/nhu-cau", data={}).status_code == 302
    login(client, "thanhdoan")
    assert client.get(f"{PREFIX}/hom-nay").status_code == 403
    assert client.post(f"{PREFIX}/su-kien/nhu-cau", data={}).status_code == 403


def test_now_follows_the_setting(loaded_app, monkeypatch):
    from web import live

    with loaded_app.app_context():
        monkeypatch.setenv("RAQUAN_NOW", "2025-07-25T06:00")
        assert live.now() == datetime(2025, 7, 25, 6, 0)
        loaded_app.config["RAQUAN_NOW"] = "2025-07-24T23:45+07:00"
        assert live.now() == datetime(2025, 7, 24, 23, 45)
        assert live.today() == date(2025, 7, 24)


def test_a_fresh_demo_starts_today(app):
    from web import store
    from web.server import load_demo

    app.config["RAQUAN_NOW"] = "2026-02-03T09:00"
    load_demo(app)
    with app.app_context():
        assert store.campaign().start_date == date(2026, 2, 3)


# ------------------------------------------------------------------------------------------------ in a browser


def test_the_today_and_events_pages_fit_a_phone(live_server, open_page):
    from tests.web.conftest import PASSWORD

    person_id, ward_code, day, shift_id = _thin_student_slot(live_server.app)
    _cancel(live_server.app, person_id, day, shift_id)
    live_server.app.config["RAQUAN_NOW"] = f"{day.isoformat()}T{'09:00' if shift_id == 'sang' else '14:00'}"
    page = open_page(390, 844)
    page.goto(live_server.url + "/dang-nhap")
    page.fill("input[name=username]", "dieuphoi")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit], form.stack input[type=submit]")
    page.wait_for_load_state()
    for path in ("/dieu-phoi/hom-nay", "/dieu-phoi/su-kien"):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    page.goto(live_server.url + "/dieu-phoi/hom-nay")
    assert page.locator("li.is-short").count() >= 1
    page.emulate_media(media="print")
    assert page.locator("nav.subnav").is_hidden()  # the print stylesheet leaves the navigation out
    assert page.locator("li.is-short s").count() == 1


def test_a_half_day_unavailability_takes_away_only_the_shifts_it_names(loaded_app):
    """A busy half-day (an unavailable event naming shifts) leaves the person's other shifts of that day."""
    from web import live, store

    roster = _roster(loaded_app)
    a = next(a for a in roster.assignments if a.shift_id == "chieu")
    with loaded_app.app_context():
        version_id = store.latest_published().id
        live.record_event(
            _event("unavailable", person_id=a.person_id, dates=(a.date,), slot_ids=("sang",)), "volunteer"
        )
        assert (a.person_id, a.date, "chieu") not in live.cancelled_slots(version_id)
        live.record_event(
            _event("unavailable", person_id=a.person_id, dates=(a.date,), slot_ids=("chieu",)), "volunteer"
        )
        assert (a.person_id, a.date, "chieu") in live.cancelled_slots(version_id)
