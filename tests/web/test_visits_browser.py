"""The mobile visits' journey in headless Chromium (Debian's package) driven by Playwright, CSRF on, "now" fixed.

Before 15:00 a ward official uploads the day's list from a phone: one bad row is named by row and column and
nothing is stored; the corrected list is stored for tomorrow. The next morning the official plans the day,
each team's route sheet prints on A4 with its map, and the team's phone page shows the route; a visit marked
"not at home" is on the next day's list, and the 16:00 daily report counts the visits by priority group.
A failed journey leaves a full-page screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import date

from openpyxl import Workbook

from tests.web.conftest import PASSWORD, sign_in_page

DINH_CONG = "00316"
TOMORROW = date(2025, 7, 25)
HEADERS = ["STT", "Họ và tên", "Nhóm ưu tiên", "Số điện thoại", "Tổ dân phố/thôn", "Địa chỉ", "Hình thức", "Dịch vụ",
           "Tên thủ tục", "Từ giờ", "Đến giờ"]  # fmt: skip


def _list(path, bad_time: bool) -> str:
    """The ward's list as residential-group leaders send it: a title, a header, six people (one row bad or not)."""
    sheet_book = Workbook()
    sheet = sheet_book.active
    sheet.append(["DANH SÁCH NGƯỜI DÂN CẦN HỖ TRỢ TẠI NHÀ NGÀY 25/07/2025"])
    sheet.append([])
    sheet.append(HEADERS)
    people = [
        ("Nguyễn Thị Hoa", "Người cao tuổi", "0912000001", "Tổ dân phố số 1", "Số 5 ngõ 10 phố Định Công", "tận nhà", "Thủ tục trực tuyến", "Đăng ký thường trú"),
        ("Trần Văn Nam", "Người khuyết tật", "0912000002", "Tổ dân phố số 1", "Số 9 ngõ 10 phố Định Công", "tận nhà", "Khác", ""),
        ("Lê Thị Thu", "Hộ nghèo", "0912000003", "Tổ dân phố số 2", "Số 21 phố Định Công Thượng", "tận nhà", "Thủ tục trực tuyến", "Cấp giấy khai sinh"),
        ("Phạm Văn Bình", "Người cao tuổi", "0912000004", "Tổ dân phố số 3", "Số 2 ngõ 44 Định Công Hạ", "tận nhà", "Khác", ""),
        ("Đỗ Thị Mai", "Hộ cận nghèo", "0912000005", "Tổ dân phố số 3", "Số 7 ngõ 44 Định Công Hạ", "đến điểm", "Khác", ""),
        ("Vũ Văn Hùng", "Người cao tuổi", "0912000006", "Tổ dân phố số 2", "Số 30 phố Định Công Thượng", "tận nhà", "Khác", ""),
    ]  # fmt: skip
    for number, person in enumerate(people, 1):
        start = "25:00" if bad_time and number == 4 else "08:00"
        sheet.append([number, *person, start, "11:30"])
    sheet_book.save(path)
    return str(path)


def _fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_list_uploaded_before_1500_becomes_next_days_routes_sheets_and_outcomes(live_server, open_page, tmp_path):
    from web import visit_plans, visits
    from web.auth import create_user

    app, base = live_server.app, live_server.url
    app.config["RAQUAN_NOW"] = "2025-07-24T14:30"
    with app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "Cán bộ Phường Định Công", ward_code=DINH_CONG)

    # 14:30 — the ward official uploads the list from a phone; row 4 has a time of 25:00.
    phone = open_page(390, 844)
    sign_in_page(phone, base, "dinhcong")
    phone.goto(base + "/xa-phuong/danh-sach/")
    phone.set_input_files("input[type=file]", _list(tmp_path / "danh-sach.xlsx", bad_time=True))
    phone.click("form[enctype='multipart/form-data'] button[type=submit]")
    phone.wait_for_load_state()
    problems = phone.locator("[data-upload-errors] [data-problem]")
    assert problems.count() == 1
    problem = problems.first
    # Row 4 of the list stands on line 7 of the sheet (a title, a blank line, the header above it).
    assert problem.get_attribute("data-line") == "7" and problem.get_attribute("data-column") == "window_start"
    assert "25:00" in problem.inner_text()
    with app.app_context():
        assert visits.day_list(DINH_CONG, TOMORROW) == []  # nothing half-stored
    _fits_the_phone(phone)

    phone.set_input_files("input[type=file]", _list(tmp_path / "danh-sach-sua.xlsx", bad_time=False))
    phone.click("form[enctype='multipart/form-data'] button[type=submit]")
    phone.wait_for_load_state()
    assert phone.locator("[data-upload-errors]").count() == 0
    with app.app_context():
        entries = visits.day_list(DINH_CONG, TOMORROW)
        assert len(entries) == 6 and all(e.row.service_date == TOMORROW for e in entries)

    # 07:00 the next morning — the official plans the day; every person is routed or has a reason.
    app.config["RAQUAN_NOW"] = "2025-07-25T07:00"
    phone.goto(base + "/xa-phuong/lo-trinh")
    phone.click("button[data-plan]")
    phone.wait_for_load_state()
    assert "Lộ trình phiên bản 1" in phone.inner_text("main, body")
    with app.app_context():
        _row, plan = visit_plans.current_plan(DINH_CONG, TOMORROW)
    assert plan.problems == ()
    assert plan.plan.planned_ids | set(plan.unplanned) == {str(e.row.id) for e in entries}
    route = max(plan.plan.routes, key=lambda r: len(r.visits))
    assert len(route.visits) >= 2
    _fits_the_phone(phone)

    # The team's route sheet prints on A4: the order, the times, the people and the map.
    desk = open_page(1366, 768)
    sign_in_page(desk, base, "dinhcong")
    desk.goto(base + f"/xa-phuong/lo-trinh/{route.vehicle_id}/in?ngay={TOMORROW.isoformat()}")
    rows = desk.locator("table.route tbody tr[data-visit]")
    assert rows.count() == len(route.visits)
    assert [rows.nth(i).get_attribute("data-visit") for i in range(rows.count())] == [v.stop_id for v in route.visits]
    assert desk.locator("figure.map svg").count() == 1
    pdf = desk.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2  # one sheet, two pages at most

    # The team opens its link on a phone and marks the second visit "not at home".
    team_link = phone.locator(f"[data-team='{route.vehicle_id}'] a[data-team-link]").get_attribute("href")
    team = open_page(390, 844)
    team.goto(base + team_link)
    visits_shown = team.locator("ol.stops li[data-visit]")
    assert [visits_shown.nth(i).get_attribute("data-visit") for i in range(visits_shown.count())] == [
        v.stop_id for v in route.visits
    ]
    first, second = route.visits[0].stop_id, route.visits[1].stop_id
    assert team.locator(f"#v{first} a[data-map]").get_attribute("href").startswith("geo:")
    _fits_the_phone(team)
    app.config["RAQUAN_NOW"] = "2025-07-25T09:00"
    team.click(f"#v{first} button[data-outcome-button=done]")
    team.wait_for_load_state()
    team.click(f"#v{second} button[data-outcome-button=not_home]")
    team.wait_for_load_state()
    assert team.locator(f"#v{second} [data-recorded]").inner_text() == "Không có nhà"

    # The person not at home is on the next day's list, marked as carried from today.
    phone.goto(base + "/xa-phuong/danh-sach/?ngay=2025-07-26")
    assert phone.locator(f"[data-request='{second}']").count() == 1
    assert phone.locator(f"[data-request='{first}']").count() == 0

    # 16:00 — the daily report counts the visits by priority group.
    app.config["RAQUAN_NOW"] = "2025-07-25T16:00"
    sign_in_page(desk, base, "dieuphoi")
    desk.goto(base + f"/dieu-phoi/bao-cao-ngay?date={TOMORROW.isoformat()}")
    groups = {
        desk.locator("tr[data-visit-group]").nth(i).locator("td").nth(0).inner_text(): desk.locator(
            "tr[data-visit-group]"
        )
        .nth(i)
        .locator("td")
        .nth(1)
        .inner_text()
        for i in range(desk.locator("tr[data-visit-group]").count())
    }
    with app.app_context():
        served = next(e for e in visits.day_list(DINH_CONG, TOMORROW) if str(e.row.id) == first)
    from scheduler.model import PRIORITY_LABELS_VI, PriorityGroup

    assert groups[PRIORITY_LABELS_VI[PriorityGroup(served.row.priority_group)]] == "1"
    assert desk.locator(f"tr[data-visit-ward='{DINH_CONG}'] td").nth(2).inner_text() == "1"  # not at home
