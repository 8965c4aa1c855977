"""The ward officials' pages: a report from the phone form, scoped to the official's ward, the ward's
incidents with their timelines, refused input beside its field, CSRF, and the urgent auto-dispatch."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler import dispatch
from tests.web.conftest import PASSWORD, login
from web import incidents, live

EVENING = datetime(2025, 7, 24, 20, 0)  # "Trực tối" of the tiny campaign's first day
DINH_CONG, HOANG_LIET = "00316", "00337"


def _count():
    from web.models import db

    return db.session.scalar(select(func.count()).select_from(incidents.IncidentRow))


@pytest.fixture
def ward_app(loaded_app):
    from web.auth import create_user

    loaded_app.config["RAQUAN_NOW"] = EVENING.isoformat()
    with loaded_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "UBND Định Công", ward_code=DINH_CONG)
        create_user("hoangliet", PASSWORD, "ward", "UBND Hoàng Liệt", ward_code=HOANG_LIET)
        create_user("dieudo", PASSWORD, "dispatcher", "Điều độ")
    return loaded_app


@pytest.fixture
def official(ward_app):
    client = ward_app.test_client()
    login(client, "dinhcong")
    return client


REPORT = {"category": "network", "urgency": "blocked", "description": "Mất mạng ở bộ phận một cửa", "place": ""}


def test_a_ward_official_lands_on_their_ward_and_reports_an_incident(ward_app):
    client = ward_app.test_client()
    assert login(client, "dinhcong").headers["Location"].endswith("/xa-phuong/")
    page = client.get("/xa-phuong/").get_data(as_text=True)
    assert "Phường Định Công" in page and "Trụ sở UBND Phường Định Công" in page  # the default place shown
    for code, category in dispatch.CATEGORIES.items():
        assert f'value="{code}"' in page and category.label_vi in page
    response = client.post("/xa-phuong/", data=REPORT)
    assert response.status_code == 302 and re.search(r"#incident-\d+$", response.headers["Location"])
    with ward_app.app_context():
        (row,) = incidents.open_incidents()
        assert (row.ward_code, row.category, row.urgent, row.reported_by) == (DINH_CONG, "network", True, "dinhcong")
        assert row.place == "Trụ sở UBND Phường Định Công" and row.reported_at == EVENING
        assert row.state == dispatch.REPORTED  # auto_dispatch_urgent is off in the tiny campaign
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="incident-{row.id}"' in page and "Đã báo" in page and "UBND Định Công" in page  # step, who


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "weather"}, "category"),
        ({"urgency": ""}, "urgency"),
        ({"description": "   "}, "description"),
        ({"description": "x" * (incidents.DESCRIPTION_MAX_CHARS + 1)}, "description"),
        ({"place": "y" * (incidents.PLACE_MAX_CHARS + 1)}, "place"),
    ],
)
def test_refused_input_is_shown_beside_its_field_and_nothing_is_stored(ward_app, official, change, field):
    response = official.post("/xa-phuong/", data={**REPORT, **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-error="{field}"' in page
    assert page.count("data-error=") == 1
    with ward_app.app_context():
        assert _count() == 0


def test_an_official_sees_and_acts_only_on_their_own_ward(ward_app, official):
    with ward_app.app_context():
        theirs = incidents.report(HOANG_LIET, "computer", False, "Máy in kẹt giấy ở Hoàng Liệt", by="hoangliet").id
        own = incidents.report(DINH_CONG, "vneid", False, "Không đăng nhập được VNeID", by="dinhcong").id
    page = official.get("/xa-phuong/").get_data(as_text=True)
    assert "Không đăng nhập được VNeID" in page and "Máy in kẹt giấy" not in page
    assert official.get(f"/xa-phuong/su-co/{own}").status_code == 200
    assert official.get(f"/xa-phuong/su-co/{theirs}").status_code == 404
    assert official.get(f"/xa-phuong/?ward={HOANG_LIET}").status_code == 403
    assert official.post(f"/xa-phuong/su-co/{theirs}/huy", data={"revision": "1"}).status_code == 404
    # a report always goes to the official's own ward, whatever the query says
    assert official.post(f"/xa-phuong/?ward={HOANG_LIET}", data=REPORT).status_code == 403
    with ward_app.app_context():
        assert incidents.get(theirs).state == dispatch.REPORTED
        assert len(incidents.open_incidents(HOANG_LIET)) == 1


def test_coordinators_and_dispatchers_open_any_ward_and_others_may_not(ward_app, client):
    with ward_app.app_context():
        theirs = incidents.report(HOANG_LIET, "computer", False, "Máy in kẹt giấy", by="hoangliet").id
    login(client, "dieuphoi")
    assert "Phường Bất Bạt" not in client.get("/xa-phuong/").get_data(as_text=True)  # a chooser of wards
    assert "Xã Bất Bạt" in client.get("/xa-phuong/").get_data(as_text=True)
    assert "Máy in kẹt giấy" in client.get(f"/xa-phuong/?ward={HOANG_LIET}").get_data(as_text=True)
    assert client.get(f"/xa-phuong/su-co/{theirs}").status_code == 200
    assert client.get("/xa-phuong/?ward=99999").status_code == 404
    desk = ward_app.test_client()
    login(desk, "dieudo")
    assert desk.post(f"/xa-phuong/?ward={DINH_CONG}", data=REPORT).status_code == 302
    with ward_app.app_context():
        assert [r.reported_by for r in incidents.open_incidents(DINH_CONG)] == ["dieudo"]
    youth = ward_app.test_client()
    login(youth, "thanhdoan")
    assert youth.get("/xa-phuong/").status_code == 403
    assert ward_app.test_client().get("/xa-phuong/").status_code == 302  # to the sign-in page


def test_the_timeline_shows_each_step_the_technician_and_lateness(ward_app, official):
    with ward_app.app_context():
        row = incidents.report(DINH_CONG, "network", True, "Mất mạng", by="dinhcong")
        candidate = incidents.candidates_for(row)[0]
        assert incidents.assign(row, candidate, "dieuphoi")
        row = incidents.get(row.id)
        assert incidents.move(row, dispatch.ACKNOWLEDGED, f"person:{candidate.person_id}")
        campaign = live.live_campaign()
        given = campaign.person(candidate.person_id).name.split()[-1]
        expected = (EVENING + timedelta(minutes=candidate.arrival_minutes)).strftime("%H:%M")
        limit = row.limit_minutes
    page = official.get(f"/xa-phuong/su-co/{row.id}").get_data(as_text=True)
    assert [s for s in re.findall(r'data-step="([a-z_]+)"', page)] == ["reported", "assigned", "acknowledged"]
    assert "Đã giao" in page and "Đã nhận" in page and "Điều phối viên" in page  # the coordinator's display name
    assert f"Kỹ thuật viên: {given}" in page and expected in page
    assert "0904" not in page  # no phone numbers on the ward's page
    assert "đã quá giới hạn" not in page
    ward_app.config["RAQUAN_NOW"] = (EVENING + timedelta(minutes=limit + 1)).isoformat()
    assert "đã quá giới hạn" in official.get(f"/xa-phuong/su-co/{row.id}").get_data(as_text=True)


def test_cancelling_a_report_takes_one_step_once(ward_app, official):
    with ward_app.app_context():
        row = incidents.report(DINH_CONG, "procedure", False, "Hỏi thủ tục", by="dinhcong")
        seen = row.revision
    for _ in range(2):  # the second click posts the revision the page showed before
        assert official.post(f"/xa-phuong/su-co/{row.id}/huy", data={"revision": str(seen)}).status_code == 302
    with ward_app.app_context():
        assert incidents.get(row.id).state == dispatch.CANCELLED
        assert [s.step for s in incidents.steps_of(row.id)] == ["reported", "cancelled"]


def test_an_urgent_report_goes_to_the_first_candidate_when_the_rule_is_on(ward_app, official):
    from web import store
    from web.coordinator import rewritten_rules

    with ward_app.app_context():
        content = rewritten_rules(store.files()["campaign.toml"], {"auto_dispatch_urgent": True})
        store.import_files({"campaign.toml": content}, "dieuphoi")
        assert live.live_campaign().rules.auto_dispatch_urgent
    ward_app.config["RAQUAN_SMS_URL"] = "http://127.0.0.1:9/send"  # queued only: no sender runs in tests
    assert official.post("/xa-phuong/", data=REPORT).status_code == 302
    assert official.post("/xa-phuong/", data={**REPORT, "urgency": "not_blocked"}).status_code == 302
    with ward_app.app_context():
        from web.models import db
        from web.outbox import OutboxMessage

        urgent, calm = sorted(incidents.open_incidents(DINH_CONG), key=lambda r: not r.urgent)
        assert urgent.state == dispatch.ASSIGNED and urgent.technician_id
        assert calm.state == dispatch.REPORTED and calm.technician_id is None
        assert [s.by for s in incidents.steps_of(urgent.id)] == ["dinhcong", "system"]
        messages = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "incident")))
        assert [m.person_id for m in messages] == [urgent.technician_id]
        assert f"Sự cố #{urgent.id}" in messages[0].subject


def test_the_report_form_needs_its_csrf_token(csrf_app):
    from web.auth import create_user

    with csrf_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", ward_code=DINH_CONG)
    client = csrf_app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/dang-nhap", data={"username": "dinhcong", "password": PASSWORD, "csrf_token": token})
    assert client.post("/xa-phuong/", data=REPORT).status_code == 400
    page = client.get("/xa-phuong/").get_data(as_text=True)
    form = page[page.index('class="report"') :]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    assert client.post("/xa-phuong/", data={**REPORT, "csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        assert _count() == 1


def test_a_phone_reports_and_the_technician_acts_at_390_pixels_without_sideways_scrolling(live_server, open_page):
    from web.auth import create_user

    app = live_server.app
    app.config.update(RAQUAN_NOW=EVENING.isoformat(), RAQUAN_SMS_URL="http://127.0.0.1:9/send")
    with app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "UBND Định Công", ward_code=DINH_CONG)
    page = open_page(390, 844)

    def fits():
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url

    page.goto(f"{live_server.url}/dang-nhap")
    page.fill("input[name=username]", "dinhcong")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/xa-phuong/")
    fits()
    page.select_option("select[name=category]", "portal")
    page.check("input[name=urgency][value=blocked]")
    page.fill("textarea[name=description]", "Cổng dịch vụ công không nộp được hồ sơ, người dân đang chờ " * 3)
    page.click("form.report button[type=submit]")
    page.wait_for_selector("article.incident[data-state=reported]")
    fits()
    with app.app_context():
        (row,) = incidents.open_incidents(DINH_CONG)
        with app.test_request_context():
            candidate = incidents.candidates_for(row)[0]
            assert incidents.assign(row, candidate, "dieuphoi")
            token = incidents.tech_token(row.id, candidate.person_id)
    page.goto(f"{live_server.url}/xa-phuong/su-co/{row.id}")
    assert page.locator("[data-technician]").count() == 1
    fits()
    phone = open_page(390, 844)
    phone.goto(f"{live_server.url}/su-co/{token}")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    for step in ("acknowledged", "on_the_way", "arrived", "resolved"):
        phone.click(f"button[data-step={step}]")
        phone.wait_for_selector(f"[data-state={step}]")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/xa-phuong/")
    assert page.locator("article.incident[data-state=resolved] li[data-step]").count() == 6
    fits()
