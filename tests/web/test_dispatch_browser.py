"""The dispatch journey in headless Chromium (Debian's package) driven by Playwright, with CSRF on and "now" fixed.

A ward official reports an incident on a phone; the dispatcher sees three ranked candidates with their
reasons and assigns one; the technician acknowledges, sets out, arrives and resolves from their page; an
incident nobody acknowledges escalates on the desk's board; the daily report shows the response times.
A failed journey leaves a full-page screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from scheduler.events import Event
from scheduler.model import Person, Pool
from tests.web.conftest import PASSWORD, sign_in_page

EVENING = datetime(2025, 7, 24, 20, 0)  # "Trực tối" of the tiny campaign's first day
# Everyone in the tiny roster works 8 hours that day, and one technician is on duty in the evening: two
# technicians with no shifts (added by events, as a coordinator records them) can be called out.
SPARES = (
    Person("KT0098", "Phan Văn Dự", Pool.TECHNICIAN, "Trung tâm", "00316", "0909000098", night_eligible=True),
    Person("KT0099", "Lê Thị Bị", Pool.TECHNICIAN, "Trung tâm", "00337", "0909000099", night_eligible=True),
)


def _at(app, minutes: int) -> datetime:
    """Set the app's "now" to ``minutes`` after 20:00 of the first day."""
    moment = EVENING + timedelta(minutes=minutes)
    app.config["RAQUAN_NOW"] = moment.isoformat()
    return moment


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_reported_incident_is_dispatched_handled_escalated_and_reported(live_server, open_page):
    from web import incidents, live
    from web.auth import create_user

    app, base = live_server.app, live_server.url
    _at(app, 0)
    with app.app_context():
        create_user("truc", PASSWORD, "dispatcher", "Trực ban")
        create_user("phuong", PASSWORD, "ward", "Cán bộ Phường Định Công", ward_code="00316")
        create_user("hoangliet", PASSWORD, "ward", "Cán bộ Phường Hoàng Liệt", ward_code="00337")
        for spare in SPARES:
            live.record_event(Event("person_added", EVENING, "dieuphoi", person=spare), "coordinator")
        ack_minutes = live.live_campaign().rules.acknowledge_limit_minutes

    # 20:00 — a ward official reports on a phone: the counter's network is down.
    ward_page = open_page(390, 844)
    sign_in_page(ward_page, base, "phuong")
    ward_page.wait_for_url(re.compile(r"/xa-phuong/"))
    ward_page.select_option("select[name=category]", "network")
    ward_page.check("input[name=urgency][value=blocked]")
    ward_page.fill("textarea[name=description]", "Mất mạng ở bộ phận một cửa, không tiếp nhận được hồ sơ")
    ward_page.click("form.report button[type=submit]")
    ward_page.wait_for_load_state()
    assert "Đã gửi báo cáo sự cố" in ward_page.locator(".flash").first.inner_text()
    _fits_the_phone(ward_page)
    with app.app_context():
        (row,) = incidents.open_incidents()
        first_id = row.id
        assert (row.ward_code, row.category, row.urgent, row.reported_by) == ("00316", "network", True, "phuong")
        assert row.reported_at == EVENING and row.place == "Trụ sở UBND Phường Định Công"

    # 20:01 — the dispatcher (on a phone too) sees it on the board and three ranked candidates with their reasons.
    _at(app, 1)
    desk = open_page(390, 844)
    sign_in_page(desk, base, "truc")
    desk.wait_for_url(re.compile(r"/dieu-do/"))
    card = desk.locator(f"li[data-incident='{first_id}']")
    assert "Phường Định Công" in card.inner_text() and "Khẩn" in card.inner_text()
    assert desk.locator("[data-refresh-seconds]").count() == 1  # the board reloads itself (refresh.js)
    _fits_the_phone(desk)
    card.locator("a").first.click()
    desk.wait_for_url(re.compile(rf"/dieu-do/su-co/{first_id}$"))
    with app.app_context():
        ranked = incidents.candidates_for(incidents.get(first_id))
    candidates = desk.locator("li[data-candidate]")
    assert candidates.count() == 3 == len(ranked)
    for index, candidate in enumerate(ranked):
        item = candidates.nth(index)
        assert item.get_attribute("data-candidate") == candidate.person_id
        assert candidate.reason_vi in item.inner_text()
        assert re.search(r"đến sau \d+ phút", item.inner_text())
    assert ranked[0].tier == "responsible" and "Đang phụ trách xã, phường này" in candidates.nth(0).inner_text()
    assert "Gọi ngoài ca" in candidates.nth(1).inner_text() + candidates.nth(2).inner_text()
    _fits_the_phone(desk)
    chosen = ranked[0]
    candidates.nth(0).locator("button[type=submit]").click()
    desk.wait_for_load_state()
    assert f"Đã giao sự cố #{first_id} cho {chosen.name}" in desk.locator(".flash").first.inner_text()
    link = desk.locator("a[data-tech-link]").get_attribute("href")

    # The technician's link is signed for them and this incident.
    with app.test_request_context(base_url=base):
        prefix = incidents.tech_path(first_id, chosen.person_id).rsplit("/", 1)[0]
        assert link.startswith(base + prefix + "/")
        assert incidents.from_tech_token(link.rsplit("/", 1)[1]) == (first_id, chosen.person_id)

    # 20:03 … 20:35 — the technician acknowledges, sets out, arrives and resolves from their phone.
    technician = open_page(390, 844)
    technician.goto(link)
    for minutes, step in ((3, "acknowledged"), (4, "on_the_way"), (12, "arrived"), (35, "resolved")):
        _at(app, minutes)
        technician.reload()
        technician.locator(f"button[data-step='{step}']").click()
        technician.wait_for_load_state()
        assert technician.locator(f"section[data-state='{step}']").count() == 1
    _fits_the_phone(technician)
    with app.app_context():
        done = incidents.get(first_id)
        assert done.acknowledged_at == EVENING + timedelta(minutes=3)
        assert done.arrived_at == EVENING + timedelta(minutes=12)
        assert done.resolved_at == EVENING + timedelta(minutes=35)

    # The ward sees the whole timeline.
    ward_page.reload()
    steps = ward_page.locator(f"article[data-incident='{first_id}'] li[data-step]")
    assert [steps.nth(i).get_attribute("data-step") for i in range(steps.count())] == [
        "reported",
        "assigned",
        "acknowledged",
        "on_the_way",
        "arrived",
        "resolved",
    ]

    # 20:40 — another ward reports; the dispatcher sends someone who never acknowledges.
    _at(app, 40)
    other_ward = open_page(390, 844)
    sign_in_page(other_ward, base, "hoangliet")
    other_ward.select_option("select[name=category]", "computer")
    other_ward.check("input[name=urgency][value=not_blocked]")
    other_ward.fill("textarea[name=description]", "Máy in ở quầy không in được")
    other_ward.click("form.report button[type=submit]")
    other_ward.wait_for_load_state()
    with app.app_context():
        second_id = max(row.id for row in incidents.open_incidents())
    _at(app, 41)
    desk.goto(f"{base}/dieu-do/su-co/{second_id}")
    silent = desk.locator("li[data-candidate]").first.get_attribute("data-candidate")
    desk.locator("li[data-candidate]").first.locator("button[type=submit]").click()
    desk.wait_for_load_state()
    desk.goto(base + "/dieu-do/")
    assert desk.locator("[role=alert]").count() == 0

    # Past the acknowledge limit the board raises the alert (the page loads itself; here we reload it).
    _at(app, 41 + ack_minutes + 1)
    desk.reload()
    alert = desk.locator("[role=alert]")
    assert "1 sự cố chưa được xác nhận" in alert.inner_text()
    escalated = desk.locator(f"li[data-incident='{second_id}']")
    assert "chưa xác nhận" in escalated.inner_text()
    assert "is-escalated" in escalated.get_attribute("class")
    with app.app_context():
        steps = [s.step for s in incidents.steps_of(second_id)]
    assert steps.count(incidents.ESCALATED) == 1
    # The next candidate is offered: the one who did not answer is left out.
    escalated.locator("a").first.click()
    desk.wait_for_load_state()
    offered = [
        desk.locator("li[data-candidate]").nth(i).get_attribute("data-candidate")
        for i in range(desk.locator("li[data-candidate]").count())
    ]
    assert offered and silent not in offered

    # The daily report shows the response times: arrival 12 minutes, resolution 35, for the ward and the city.
    coordinator = open_page(1280, 900)
    sign_in_page(coordinator, base, "dieuphoi")
    coordinator.goto(base + "/dieu-phoi/bao-cao-ngay?date=2025-07-24")
    ward_row = coordinator.locator("tr[data-incident-ward='00316'] td")
    cells = [ward_row.nth(i).inner_text() for i in range(ward_row.count())]
    # Phường Định Công went without its technician from 20:41 (sent to Hoàng Liệt) until now, 20:52.
    assert cells == ["Phường Định Công", "1", "1", "12", "12", "35", "35", "0", "11"]
    other_row = coordinator.locator("tr[data-incident-ward='00337'] td")
    # Phường Hoàng Liệt went without them from 20:01 to 20:35, while they were at Định Công.
    assert [other_row.nth(i).inner_text() for i in range(other_row.count())][1:3] == ["1", "0"]
    assert other_row.nth(8).inner_text() == "34"
    city = coordinator.locator("tr[data-incident-ward='city'] td")
    city_cells = [city.nth(i).inner_text() for i in range(city.count())]
    assert city_cells[1:] == ["2", "1", "12", "12", "35", "35", "0", "45"]
