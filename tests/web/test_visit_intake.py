"""The ward's daily list of visits: the phone form, the upload with its problems by row and column (and
nothing stored), the cut-off, the list of a day with rolled and duplicate requests, cancelling, inviting a
group leader, access by role and ward, phone numbers, and CSRF."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from scheduler.tables import MemoryFile
from tests.web.conftest import PASSWORD, login
from web import visits

MORNING = datetime(2025, 7, 23, 10, 0)
DINH_CONG, HOANG_LIET = "00316", "00337"
TOMORROW = date(2025, 7, 24)
PAGE = "/xa-phuong/danh-sach/"

PERSON = {
    "full_name": "Nguyễn Thị Hoa",
    "priority_group": "elderly",
    "phone": "0912345678",
    "group_name": "Tổ dân phố số 5",
    "street": "Số 12 ngõ 34 phố Định Công",
    "lat": "",
    "lon": "",
    "home_visit": "home",
    "service": "vneid",
    "procedure": "",
    "window_start": "08:00",
    "window_end": "11:30",
    "service_minutes": "",
    "note": "Đi lại khó khăn",
}


def _count() -> int:
    from web.models import db

    return db.session.scalar(select(func.count()).select_from(visits.VisitRequestRow))


@pytest.fixture
def intake_app(loaded_app):
    from web.auth import create_user

    loaded_app.config["RAQUAN_NOW"] = MORNING.isoformat()
    with loaded_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "UBND Định Công", ward_code=DINH_CONG)
        create_user("hoangliet", PASSWORD, "ward", "UBND Hoàng Liệt", ward_code=HOANG_LIET)
        create_user("to5", PASSWORD, "group", "Tổ trưởng TDP số 5", ward_code=DINH_CONG)
        create_user("dieudo", PASSWORD, "dispatcher", "Điều độ")
    return loaded_app


def _client(app, username):
    client = app.test_client()
    login(client, username)
    return client


def _rows(app, ward=DINH_CONG):
    with app.app_context():
        return [
            (r.full_name, r.service_date, r.registered_by, r.service_minutes)
            for r in visits.VisitRequestRow.query.filter_by(ward_code=ward).order_by(visits.VisitRequestRow.id)
        ]


def test_the_form_registers_one_person_on_tomorrows_list(intake_app):
    official = _client(intake_app, "dinhcong")
    page = official.get(PAGE).get_data(as_text=True)
    assert "Danh sách ngày mai (24/07/2025) chốt lúc 15:00 hôm nay." in page
    assert "Danh sách ngày 24/07/2025" in page and 'href="/xa-phuong/danh-sach/mau.xlsx"' in page
    response = official.post(PAGE, data=PERSON)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert re.search(r"\?ngay=2025-07-24#request-\d+$", response.headers["Location"])
    assert _rows(intake_app) == [("Nguyễn Thị Hoa", TOMORROW, "dinhcong", 20)]  # 20: VNeID's usual minutes
    page = official.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đã ghi Nguyễn Thị Hoa vào danh sách ngày 24/07/2025." in page
    assert "0912345678" in page and "08:00–11:30" in page and 'data-step="registered"' in page
    assert 'data-waiting="1"' in page


def test_after_the_cut_off_the_form_says_the_request_went_to_the_day_after(intake_app):
    intake_app.config["RAQUAN_NOW"] = "2025-07-23T15:20"
    official = _client(intake_app, "dinhcong")
    page = official.get(PAGE).get_data(as_text=True)
    assert "Đã quá 15:00: danh sách ngày mai đã chốt." in page and "25/07/2025" in page
    response = official.post(PAGE, data=PERSON)
    assert response.headers["Location"].split("#")[0].endswith("?ngay=2025-07-25")
    page = official.get(response.headers["Location"]).get_data(as_text=True)
    assert "Đăng ký sau 15:00 nên được chuyển sang danh sách ngày 25/07/2025." in page
    assert "nộp sau 15:00, chuyển sang ngày 25/07/2025" in page  # the 'late' step in the history
    assert _rows(intake_app) == [("Nguyễn Thị Hoa", date(2025, 7, 25), "dinhcong", 20)]
    assert "Chưa có ai trên danh sách ngày này." in official.get(PAGE + "?ngay=2025-07-24").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"full_name": ""}, "full_name"),
        ({"priority_group": ""}, "priority_group"),
        ({"phone": "12ab"}, "phone"),
        ({"service": "procedure"}, "procedure"),  # an online procedure needs its name
        ({"window_end": "07:00"}, "window_end"),
        ({"lat": "21.0"}, "lon"),  # both coordinates or neither
        ({"lat": "21.0285", "lon": "105.8542"}, "lat"),  # Hoàn Kiếm's lake: not in Định Công
        ({"service_minutes": "0"}, "service_minutes"),
    ],
)
def test_a_refused_form_names_its_field_and_stores_nothing(intake_app, change, field):
    official = _client(intake_app, "dinhcong")
    response = official.post(PAGE, data={**PERSON, **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'data-error="{field}"' in page, page[:3000]
    assert page.count("data-error=") == 1
    assert 'value="Nguyễn Thị Hoa"' in page or field == "full_name"  # what was typed stays in the form
    with intake_app.app_context():
        assert _count() == 0


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH NGƯỜI DÂN CẦN HỖ TRỢ LƯU ĐỘNG"])
    sheet.append(["Họ và tên", "Nhóm ưu tiên", "Số điện thoại", "Tổ dân phố/thôn", "Địa chỉ", "Dịch vụ", "Tên thủ tục"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


GOOD_ROWS = [
    ["Nguyễn Văn An", "người cao tuổi", "0912000001", "Tổ 1", "Số 3 ngõ 5", "kích hoạt VNeID mức 2", ""],
    ["Trần Thị Bình", "người khuyết tật", "0912000002", "Tổ 2", "Số 8 ngõ 9", "cài iHanoi", ""],
    [
        "Lê Văn Cường",
        "hộ nghèo",
        "0912000003",
        "Tổ 3",
        "Số 1 phố Định Công",
        "thủ tục trực tuyến",
        "Đăng ký thường trú",
    ],
]


def _upload(client, content: bytes, name: str = "danh_sach.xlsx", url: str = PAGE + "tai-len"):
    return client.post(url, data={"file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_an_upload_with_one_bad_row_names_its_row_and_column_and_stores_nothing(intake_app):
    official = _client(intake_app, "dinhcong")
    rows = [list(r) for r in GOOD_ROWS]
    rows[1][2] = "09-ABC"  # a phone number with letters, on the spreadsheet's line 4 (title, header, 2 rows)
    response = _upload(official, _xlsx(rows))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    errors = re.search(r'<div class="flash error" role="alert" data-upload-errors="1">.*?</div>', page, re.S).group(0)
    problems = re.findall(r'<li data-problem data-line="(\d*)" data-column="([^"]*)">', errors)
    assert problems == [("4", "phone")], page[:4000]
    assert "Dòng 4" in page and "cột “Số điện thoại”" in page
    assert "chưa có người nào được ghi" in page
    with intake_app.app_context():
        assert _count() == 0
    response = _upload(official, _xlsx(GOOD_ROWS))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đã nhập 3 người vào danh sách ngày 24/07/2025." in page
    assert [r[0] for r in _rows(intake_app)] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    with intake_app.app_context():
        first = visits.VisitRequestRow.query.filter_by(full_name="Nguyễn Văn An").one()
        assert [s.kind for s in visits.history(first.id)] == ["imported"]


def test_an_upload_that_is_not_a_list_is_refused(intake_app):
    official = _client(intake_app, "dinhcong")
    response = _upload(official, b"%PDF-1.4", name="danh_sach.pdf")
    assert response.status_code == 422 and "hãy chọn một tệp .xlsx hoặc .csv" in response.get_data(as_text=True)


def test_the_template_downloads_and_reads_back(intake_app):
    from scheduler.visit_io import read_visit_requests

    official = _client(intake_app, "dinhcong")
    response = official.get(PAGE + "mau.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    requests, problems = read_visit_requests(
        MemoryFile("mau.xlsx", response.data), DINH_CONG, "Thành phố Hà Nội", MORNING, 15 * 60
    )
    assert len(requests) == 1 and not [p for p in problems if p.is_error]
    assert official.get(PAGE + "mau.csv").status_code == 200
    assert official.get(PAGE + "mau.pdf").status_code == 404


def test_the_list_shows_rolled_requests_with_their_first_day_and_flags_duplicates(intake_app):
    official = _client(intake_app, "dinhcong")
    official.post(PAGE, data=PERSON)
    official.post(PAGE, data={**PERSON, "full_name": "NGUYỄN THỊ HOA", "phone": "0912 345 678"})
    with intake_app.app_context():
        first, second = (r.id for r in visits.VisitRequestRow.query.order_by(visits.VisitRequestRow.id))
        assert visits.record_outcome(
            first, "not_home", "cửa khoá", "person:X", datetime(2025, 7, 24, 9, 0), TOMORROW, "t"
        )
    page = official.get(PAGE + "?ngay=2025-07-24").get_data(as_text=True)
    assert 'data-outcome="not_home"' in page and f'data-duplicate="{second}"' in page
    page = official.get(PAGE + "?ngay=2025-07-25").get_data(as_text=True)
    assert f'id="request-{first}"' in page and 'data-carried="2025-07-24"' in page and "từ ngày 24/07/2025" in page
    assert 'data-step="not_home"' in page and 'data-step="rolled"' in page and "cửa khoá" in page


def test_a_request_is_cancelled_with_a_reason_once(intake_app):
    official = _client(intake_app, "dinhcong")
    official.post(PAGE, data=PERSON)
    with intake_app.app_context():
        (row,) = visits.VisitRequestRow.query.all()
    url = f"{PAGE}{row.id}/huy?ngay=2025-07-24"
    response = official.post(url, data={"reason": "", "revision": "0"})
    assert response.status_code == 302
    assert "Hãy ghi lý do huỷ." in official.get(response.headers["Location"]).get_data(as_text=True)
    assert official.post(url, data={"reason": "đã tự ra phường", "revision": "0"}).status_code == 302
    page = official.get(PAGE + "?ngay=2025-07-24").get_data(as_text=True)
    assert "Đã huỷ yêu cầu của Nguyễn Thị Hoa." in page and 'data-outcome="cancelled"' in page
    official.post(url, data={"reason": "lần nữa", "revision": "0"})
    assert "Yêu cầu đã thay đổi trước khi bạn bấm" in official.get(PAGE).get_data(as_text=True)
    with intake_app.app_context():
        assert [s.kind for s in visits.history(row.id)] == ["registered", "cancelled"]


def test_each_role_sees_only_what_it_may(intake_app):
    theirs = _client(intake_app, "hoangliet")
    theirs.post(PAGE, data={**PERSON, "full_name": "Phạm Văn Hùng", "phone": "0988111222"})
    official = _client(intake_app, "dinhcong")
    official.post(PAGE, data=PERSON)
    page = official.get(PAGE).get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in page and "Phạm Văn Hùng" not in page
    assert official.get(PAGE + f"?xa={HOANG_LIET}").status_code == 403
    with intake_app.app_context():
        other_id = visits.VisitRequestRow.query.filter_by(ward_code=HOANG_LIET).one().id
    assert official.post(f"{PAGE}{other_id}/huy", data={"reason": "x", "revision": "0"}).status_code == 404
    # the group leader: this page only, their ward only, phone numbers of the people they registered only
    leader = _client(intake_app, "to5")
    assert leader.post(PAGE, data={**PERSON, "full_name": "Đỗ Thị Lan", "phone": "0977333444"}).status_code == 302
    page = leader.get(PAGE).get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in page and "Đỗ Thị Lan" in page
    assert "0977333444" in page and "0912345678" not in page and "0988111222" not in page
    assert 'id="leaders"' not in page  # no inviting
    assert leader.post(PAGE + "to-truong", data={"username": "to6"}).status_code == 403
    assert leader.get(PAGE + f"?xa={HOANG_LIET}").status_code == 403
    for url in ("/xa-phuong/", "/dieu-phoi/", "/thanh-doan/", "/dieu-phoi/tai-khoan"):
        assert leader.get(url).status_code == 403, url
    with intake_app.app_context():
        hoa = visits.VisitRequestRow.query.filter_by(full_name="Nguyễn Thị Hoa").one().id
    assert leader.post(f"{PAGE}{hoa}/huy", data={"reason": "x", "revision": "0"}).status_code == 403
    # coordinators choose a ward; dispatchers, Youth Union officers, volunteers and strangers are refused
    coordinator = _client(intake_app, "dieuphoi")
    assert 'name="xa"' in coordinator.get(PAGE).get_data(as_text=True)
    page = coordinator.get(PAGE + f"?xa={HOANG_LIET}").get_data(as_text=True)
    assert "Phạm Văn Hùng" in page and "0988111222" in page
    assert coordinator.get(PAGE + "?xa=99999").status_code == 404
    assert _client(intake_app, "dieudo").get(PAGE).status_code == 403
    assert _client(intake_app, "thanhdoan").get(PAGE).status_code == 403
    volunteer = intake_app.test_client()
    from web.codes import link_token

    token = link_token(intake_app.config["SECRET_KEY"], "SV0001")
    assert volunteer.post(f"/ca-truc/l/{token}").status_code == 303
    assert volunteer.get(PAGE).status_code == 302 and "/dang-nhap" in volunteer.get(PAGE).headers["Location"]
    assert volunteer.post(PAGE, data=PERSON).status_code == 302
    assert intake_app.test_client().get(PAGE).status_code == 302
    assert len(_rows(intake_app)) == 2


def test_a_ward_official_invites_a_group_leader_who_signs_in_with_the_password_shown_once(intake_app):
    official = _client(intake_app, "dinhcong")
    response = official.post(PAGE + "to-truong", data={"username": "to7", "display_name": "Tổ trưởng TDP số 7"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r'<p class="password" data-password>([^<]+)</p>', page).group(1)
    assert len(password) >= 12
    assert password not in official.get(PAGE).get_data(as_text=True)  # shown once
    assert "Tổ trưởng TDP số 7 (to7)" in official.get(PAGE).get_data(as_text=True)
    with intake_app.app_context():
        from web.models import User

        user = User.query.filter_by(username="to7").one()
        assert (user.role, user.ward_code) == ("group", DINH_CONG) and password not in user.password_hash
    leader = intake_app.test_client()
    assert leader.post("/dang-nhap?next=/xa-phuong/danh-sach/", data={"username": "to7", "password": password})
    assert "Phường Định Công" in leader.get(PAGE).get_data(as_text=True)
    again = official.post(PAGE + "to-truong", data={"username": "to7"})
    assert again.status_code == 422 and "Tên đăng nhập này đã có." in again.get_data(as_text=True)
    assert official.post(PAGE + "to-truong", data={"username": "tổ 8"}).status_code == 422


def test_the_forms_need_their_csrf_token(csrf_app):
    from web.auth import create_user

    csrf_app.config["RAQUAN_NOW"] = MORNING.isoformat()
    with csrf_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "UBND Định Công", ward_code=DINH_CONG)
    client = csrf_app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/dang-nhap", data={"username": "dinhcong", "password": PASSWORD, "csrf_token": token})
    page = client.get(PAGE).get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 3  # the form, the upload, the invitation
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post(PAGE, data=PERSON).status_code == 400
    assert _upload(client, _xlsx(GOOD_ROWS)).status_code == 400
    assert client.post(PAGE + "to-truong", data={"username": "to9"}).status_code == 400
    with csrf_app.app_context():
        assert _count() == 0
    assert client.post(PAGE, data={**PERSON, "csrf_token": token}).status_code == 302
    with csrf_app.app_context():
        assert _count() == 1


def test_a_phone_registers_a_person_and_uploads_a_list_without_sideways_scrolling(live_server, open_page, tmp_path):
    """Headless Chromium at 390 px, CSRF on: the form, the list, an upload's problems."""
    from web.auth import create_user

    app, base = live_server.app, live_server.url
    app.config["RAQUAN_NOW"] = MORNING.isoformat()
    with app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "UBND Định Công", ward_code=DINH_CONG)
    page = open_page(390, 844)
    page.goto(base + "/dang-nhap?next=/xa-phuong/danh-sach/")
    page.fill("input[name=username]", "dinhcong")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack button[type=submit], form.stack input[type=submit]")
    page.wait_for_load_state()
    assert "Danh sách ngày mai (24/07/2025) chốt lúc 15:00 hôm nay." in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("input[name=full_name]", "Nguyễn Thị Hoa")
    page.select_option("select[name=priority_group]", "disabled")
    page.fill("input[name=phone]", "0912345678")
    page.fill("input[name=group_name]", "Tổ dân phố số 5")
    page.fill("input[name=street]", "Số 12 ngõ 34 phố Định Công")
    page.select_option("select[name=service]", "procedure")
    page.fill("input[name=procedure]", "Đăng ký thường trú")
    page.fill("input[name=window_start]", "09:00")
    page.fill("input[name=window_end]", "11:00")
    page.click("form.report button.primary >> nth=0")
    page.wait_for_load_state()
    assert "Đã ghi Nguyễn Thị Hoa vào danh sách ngày 24/07/2025." in page.content()
    article = page.locator("article.request").first
    assert "Người khuyết tật" in article.inner_text() and "09:00–11:00" in article.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    rows = [list(r) for r in GOOD_ROWS]
    rows[2][5] = "sửa máy giặt"  # not a service: line 5, column "Dịch vụ"
    path = tmp_path / "danh_sach.xlsx"
    path.write_bytes(_xlsx(rows))
    page.set_input_files("input[name=file]", str(path))
    page.click("#upload ~ form button.primary")
    page.wait_for_load_state()
    errors = page.locator("[data-upload-errors]")
    assert "Dòng 5" in errors.inner_text() and "“Dịch vụ”" in errors.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with app.app_context():
        assert _count() == 1


def test_given_coordinates_inside_the_ward_are_kept_as_given(intake_app):
    from geo.addresses import office_location

    official = _client(intake_app, "dinhcong")
    lat, lon = office_location("00316")
    response = official.post(PAGE, data={**PERSON, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}"})
    assert response.status_code in (302, 303)
    with intake_app.app_context():
        (row,) = visits.VisitRequestRow.query.all()
        assert (round(row.lat, 6), round(row.lon, 6)) == (round(lat, 6), round(lon, 6))
