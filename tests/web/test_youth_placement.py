"""The Youth Union places students seeing each ward's need and shortage, finds a student by name (accents
optional), code or phone, and places many at once, all or none; the pages fit a phone.

The need figures are checked against a roster written here by hand and counted by hand: the tiny campaign's
three wards each ask two support staff in each of two service shifts (4 seats a day, 12 over its three
days), and Xã Bất Bạt's mobile point of 25/07 one student more.
"""

from __future__ import annotations

import html
import re
import shutil
from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD, ROOT, TINY, login, sign_in_page

DINH_CONG, HOANG_LIET, BAT_BAT = "00316", "00337", "09676"
D24, D25, D26 = date(2025, 7, 24), date(2025, 7, 25), date(2025, 7, 26)
NOW = "2025-07-25T09:00"  # the campaign's second day: "from today on" is 25/07 and 26/07
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(response) -> str:
    """The page's text as read, tags dropped and spaces folded."""
    body = html.unescape(re.sub(r"<[^>]+>", " ", text(response)))
    return re.sub(r"\s+", " ", body)


def _teams(app) -> dict[str, tuple[str, str]]:
    from web.models import Team, db

    with app.app_context():
        return {t.person_id: (t.ward_code, t.team) for t in db.session.scalars(select(Team))}


def _revision(app) -> int:
    from web import store

    with app.app_context():
        return store.revision()


def publish_hand_roster(app) -> int:
    """Publish a roster of five assignments, its gaps as the checker finds them; returns its version id."""
    from scheduler.model import Assignment, Roster
    from scheduler.verify import verify
    from web import store

    with app.app_context():
        campaign = store.campaign()
        assignments = (
            Assignment("SV0001", DINH_CONG, D24, shift_id="sang"),
            Assignment("KT0001", DINH_CONG, D24, shift_id="sang"),
            Assignment("SV0002", DINH_CONG, D24, shift_id="chieu"),
            Assignment("SV0001", DINH_CONG, D25, shift_id="sang"),
            Assignment("SV0005", BAT_BAT, D25, mobile_point_id="LD0001", need_index=0),  # the student's place
        )
        roster = Roster(campaign.name, "FEASIBLE", assignments)
        report = verify(campaign, roster)
        roster = Roster(campaign.name, "FEASIBLE", assignments, unfilled=tuple(report.unfilled))
        version = store.store_roster(roster, report, [], store.revision())
        store.publish(version.id, "dieuphoi")
        return version.id


def _needs(app):
    from web import store
    from web.models import Team, db
    from web.youth import InForce

    with app.test_request_context():
        teams = {t.person_id: t for t in db.session.scalars(select(Team))}
        return InForce.now(store.campaign()).needs(teams)


# ------------------------------------------------------------------------------------------- need and shortage


def test_need_and_shortage_match_a_hand_count(loaded_app, client):
    loaded_app.config["RAQUAN_NOW"] = NOW
    publish_hand_roster(loaded_app)
    needs = _needs(loaded_app)
    # Định Công: 24/07 sáng full (SV0001, KT0001), chiều 1 of 2; 25/07 sáng 1 of 2, chiều 0; 26/07 nobody.
    dinh_cong = needs[DINH_CONG]
    assert (dinh_cong.per_day, dinh_cong.asked, dinh_cong.mobile) == (4, 12, 0)
    assert (dinh_cong.missing, dinh_cong.missing_ahead, dinh_cong.short_days_ahead) == (1 + 1 + 2 + 2 + 2, 7, 2)
    assert (dinh_cong.students, dinh_cong.student_shifts) == (2, 3)
    assert dinh_cong.by_day == {D24: (4, 1), D25: (4, 3), D26: (4, 4)}
    # Hoàng Liệt: nobody at all.
    hoang_liet = needs[HOANG_LIET]
    assert (hoang_liet.asked, hoang_liet.missing, hoang_liet.missing_ahead, hoang_liet.students) == (12, 12, 8, 0)
    # Bất Bạt: 12 support seats empty; the mobile point's student place is taken by SV0005.
    bat_bat = needs[BAT_BAT]
    assert (bat_bat.per_day, bat_bat.asked, bat_bat.mobile) == (4, 13, 1)
    assert (bat_bat.missing, bat_bat.missing_ahead, bat_bat.students, bat_bat.student_shifts) == (12, 8, 1, 1)

    login(client, "thanhdoan")
    page = visible(client.get("/thanh-doan/nhu-cau"))
    assert "Cần cả đợt 37 lượt" in page and "Còn thiếu từ hôm nay 23 lượt" in page
    assert "Xã/phường còn thiếu 3 / 3" in page
    # the ward short the most comes first, with its figures on its row
    rows = re.findall(r'<tr data-ward="(\d+)"', text(client.get("/thanh-doan/nhu-cau")))
    assert rows == [HOANG_LIET, BAT_BAT, DINH_CONG]
    assert "Phường Định Công 4 lượt 12 lượt 7 lượt (2 ngày) 2 0 0" in page
    # one ward's days, and the chooser of the placing form
    page = visible(client.get(f"/thanh-doan/nhu-cau?ward={DINH_CONG}"))
    assert "Thứ Năm, 24/07/2025 (đã qua) 4 1" in page and "Thứ Bảy, 26/07/2025 4 4" in page
    page = text(client.get("/thanh-doan/"))
    assert "Phường Định Công — thiếu 7 lượt, đã xếp 0" in page
    assert "3 xã/phường còn thiếu người từ hôm nay" in page


def test_a_cancellation_counts_as_a_seat_short_in_the_roster_in_force(loaded_app):
    from scheduler.events import Event
    from web import live

    loaded_app.config["RAQUAN_NOW"] = NOW
    version_id = publish_hand_roster(loaded_app)
    with loaded_app.app_context():
        event = Event(
            "cancellation", datetime(2025, 7, 25, 6, 0), "SV0001", person_id="SV0001", dates=(D25,), slot_ids=("sang",)
        )
        live.record_event(event, "volunteer", version_id)
    dinh_cong = _needs(loaded_app)[DINH_CONG]
    assert dinh_cong.by_day == {D24: (4, 1), D25: (4, 4), D26: (4, 4)}
    assert (dinh_cong.missing_ahead, dinh_cong.student_shifts, dinh_cong.students) == (8, 2, 2)


def test_placed_and_pinned_students_are_counted_per_ward(loaded_app, client):
    loaded_app.config["RAQUAN_NOW"] = NOW
    login(client, "thanhdoan")
    response = client.post(
        "/thanh-doan/xep", data={"person_id": ["SV0003", "SV0004", "SV0005"], "ward_code": HOANG_LIET, "team": "Đội 1"}
    )
    assert response.status_code == 302
    assert (
        client.post(
            "/thanh-doan/ghim",
            data={"person_id": "SV0003", "ward_code": HOANG_LIET, "date": "2025-07-26", "shift_id": "sang"},
        ).status_code
        == 302
    )
    needs = _needs(loaded_app)
    assert (needs[HOANG_LIET].placed, needs[HOANG_LIET].pinned) == (3, 1)
    assert (needs[DINH_CONG].placed, needs[DINH_CONG].pinned) == (0, 0)
    assert "Phường Hoàng Liệt — đủ người, đã xếp 3" in text(client.get("/thanh-doan/"))


def test_without_a_published_roster_the_need_is_shown_and_no_shortage(app, tiny_solution):
    from tests.web.conftest import load_tiny

    load_tiny(app, tiny_solution, publish=False)
    client = app.test_client()
    login(client, "thanhdoan")
    page = visible(client.get("/thanh-doan/nhu-cau"))
    assert "Chưa có lịch nào được công bố" in page and "Phường Định Công 4 lượt 12 lượt — 0 0 0" in page
    assert "Phường Định Công — cần 12 lượt, đã xếp 0" in text(client.get("/thanh-doan/"))


# ------------------------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    "query, found",
    [
        ("nguyen van a", {"Nguyễn Văn An"}),
        ("Nguyễn Văn An", {"Nguyễn Văn An"}),
        ("NGUYEN", {"Nguyễn Văn An"}),
        ("an nguyen", {"Nguyễn Văn An"}),  # each word begins a word of the name
        ("duc giang", {"Hoàng Đức Giang"}),  # đ is d
        ("sv0005", {"Hoàng Đức Giang"}),
        ("0912 000 003", {"Lê Minh Châu"}),
        ("+84 912 000 004", {"Phạm Thu Dung"}),
        ("xyz", set()),
    ],
)
def test_a_student_is_found_by_name_with_or_without_accents_code_or_phone(client, query, found):
    students = {"Nguyễn Văn An", "Trần Thị Bình", "Lê Minh Châu", "Phạm Thu Dung", "Hoàng Đức Giang"}
    login(client, "thanhdoan")
    for path in ("/thanh-doan/", "/thanh-doan/ghim"):
        page = text(client.get(path, query_string={"q": query}))
        assert {name for name in students if name in page} == found, (path, query)


def test_phone_search_shows_no_phone_to_the_youth_union(client):
    login(client, "thanhdoan")
    for path in ("/thanh-doan/", "/thanh-doan/ghim"):
        page = text(client.get(path, query_string={"q": "0912 000 003"}))
        assert "Lê Minh Châu" in page and "0912000003" not in page


def test_choosing_a_found_student_prefills_the_pin_form(client):
    login(client, "thanhdoan")
    page = text(client.get("/thanh-doan/ghim", query_string={"q": "pham thu"}))
    assert "/thanh-doan/ghim?person=SV0004" in page
    page = visible(client.get("/thanh-doan/ghim?person=SV0004&q=pham+thu"))
    assert "Sinh viên: Phạm Thu Dung (SV0004)" in page
    assert 'name="person_id" value="SV0004"' in text(client.get("/thanh-doan/ghim?person=SV0004"))


# ------------------------------------------------------------------------------------------- placing many


def test_placing_many_is_all_or_nothing_with_the_reason_of_each_refusal(loaded_app, client):
    login(client, "thanhdoan")
    assert (
        client.post(
            "/thanh-doan/ghim",
            data={"person_id": "SV0001", "ward_code": DINH_CONG, "date": "2025-07-24", "shift_id": "sang"},
        ).status_code
        == 302
    )
    before = _revision(loaded_app)
    response = client.post(
        "/thanh-doan/xep", data={"person_id": ["SV0002", "SV0001", "SV0005"], "ward_code": HOANG_LIET, "team": "Đội 2"}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Chưa xếp ai: 1 trong 3 sinh viên đã chọn không xếp được vào Phường Hoàng Liệt." in page
    assert "Nguyễn Văn An (SV0001) đã được ghim ở Phường Định Công; mỗi sinh viên chỉ hỗ trợ một xã/phường." in page
    assert _teams(loaded_app) == {} and _revision(loaded_app) == before  # nothing half-stored
    # the refused student's card says why; the selection is kept for the next try
    assert re.search(
        r'<tr class="refused">\s*<td class="pick"><label><input type="checkbox" name="person_id" '
        r'value="SV0001" checked aria-describedby="problem-SV0001"',
        page,
    )
    assert re.search(r'value="SV0002" checked>', page) and re.search(r'value="SV0005" checked>', page)
    # without the refused student, the others are placed together
    response = client.post(
        "/thanh-doan/xep", data={"person_id": ["SV0002", "SV0005"], "ward_code": HOANG_LIET, "team": "Đội 2"}
    )
    assert response.status_code == 302
    assert _teams(loaded_app) == {"SV0002": (HOANG_LIET, "Đội 2"), "SV0005": (HOANG_LIET, "Đội 2")}
    # in the ward the student is pinned in, they are placed
    assert client.post("/thanh-doan/xep", data={"person_id": ["SV0001"], "ward_code": DINH_CONG}).status_code == 302


def test_placing_refuses_students_busy_every_day_or_without_a_shift_of_the_ward(loaded_app, client, tmp_path):
    from web import store

    # Hoàng Liệt staffs only the afternoon; Lê Minh Châu (SV0003) registered for the morning only;
    # Trần Thị Bình (SV0002) is now busy on all three days.
    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    wards = (data / "wards.csv").read_text(encoding="utf-8")
    (data / "wards.csv").write_text(wards.replace("Phường Hoàng Liệt,,", "Phường Hoàng Liệt,chieu,"), encoding="utf-8")
    people = (data / "people.csv").read_text(encoding="utf-8")
    people = people.replace(
        ",0912000002,ihanoi,25/07/2025,", ',0912000002,ihanoi,"24/07/2025; 25/07/2025; 26/07/2025",'
    )
    (data / "people.csv").write_text(people, encoding="utf-8")
    with loaded_app.app_context():
        assert store.import_directory(data, username="test").ok
    login(client, "thanhdoan")
    before = _revision(loaded_app)
    response = client.post(
        "/thanh-doan/xep", data={"person_id": ["SV0004", "SV0003", "SV0002"], "ward_code": HOANG_LIET}
    )
    assert response.status_code == 400
    page = text(response)
    assert "Chưa xếp ai: 2 trong 3 sinh viên đã chọn không xếp được vào Phường Hoàng Liệt." in page
    assert "Lê Minh Châu (SV0003) chỉ đăng ký Ca sáng; Phường Hoàng Liệt không có ca đó." in page
    assert "Trần Thị Bình (SV0002) bận mọi ngày còn lại của chiến dịch." in page
    errors = re.search(r'<ul class="errors">(.*?)</ul>', page, re.S).group(1)
    assert "SV0004" not in errors  # Phạm Thu Dung could be placed: no reason is given for her
    assert _teams(loaded_app) == {} and _revision(loaded_app) == before
    # Lê Minh Châu fits Định Công's morning shift
    assert client.post("/thanh-doan/xep", data={"person_id": ["SV0003"], "ward_code": DINH_CONG}).status_code == 302


def test_placing_asks_the_rules_of_the_days_ahead_with_the_events_taken_into_account(loaded_app, client):
    from scheduler.events import Event
    from web import live

    # Trần Thị Bình (SV0002) registered 25/07 as busy; now she also marks 26/07, on the morning of 25/07.
    loaded_app.config["RAQUAN_NOW"] = NOW
    with loaded_app.app_context():
        event = Event("unavailable", datetime(2025, 7, 25, 8, 0), "SV0002", person_id="SV0002", dates=(D26,))
        live.record_event(event, "volunteer")
    login(client, "thanhdoan")
    response = client.post("/thanh-doan/xep", data={"person_id": ["SV0002"], "ward_code": DINH_CONG})
    assert response.status_code == 400
    assert "Trần Thị Bình (SV0002) bận mọi ngày còn lại của chiến dịch." in text(response)
    assert _teams(loaded_app) == {}
    # the evening before the campaign, 24/07 is still ahead: she can be placed
    loaded_app.config["RAQUAN_NOW"] = "2025-07-23T20:00"
    assert client.post("/thanh-doan/xep", data={"person_id": ["SV0002"], "ward_code": DINH_CONG}).status_code == 302


def test_a_whole_page_can_be_ticked_and_students_nearest_the_ward_come_first(client):
    login(client, "thanhdoan")
    page = text(client.get("/thanh-doan/?chon=all"))
    assert len(re.findall(r'name="person_id" value="SV\d+" checked', page)) == 5
    assert len(re.findall(r'name="person_id" value="SV\d+" checked', text(client.get("/thanh-doan/")))) == 0
    page = text(client.get(f"/thanh-doan/?dat={HOANG_LIET}"))
    order = re.findall(r'name="person_id" value="(SV\d+)"', page)
    assert set(order[:2]) == {"SV0003", "SV0004"}  # they live in Hoàng Liệt
    assert order[-1] == "SV0005"  # Xã Bất Bạt is the farthest
    assert "Gần nơi ở nhất trước." in page and f'<option value="{HOANG_LIET}" selected>' in page


def test_the_youth_union_landing_page_says_what_they_may_do(client):
    response = client.post("/dang-nhap", data={"username": "thanhdoan", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/thanh-doan/")
    page = visible(client.get("/thanh-doan/"))
    assert "Việc của Thành đoàn" in page and "Xem xã/phường nào còn thiếu" in page
    assert "Ghim phân công mà lần xếp lịch sau phải giữ." in page
    assert "Xếp lịch và công bố lịch là việc của Sở KH&CN" in page
    english = visible(client.get("/thanh-doan/?lang=en"))
    assert "Việc của Thành đoàn" not in english


# ------------------------------------------------------------------------------------------- phones


SIDEWAYS = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"

# Controls in the page's main part smaller than 44×44 px; a checkbox counts by its label, a link inside
# running text (display inline) is exempt as WCAG 2.5.8 exempts inline targets.
SMALL_TARGETS = """() => {
  const small = [];
  for (const e of document.querySelectorAll('main a[href], main button, main input, main select')) {
    if (e.type === 'hidden' || e.closest('.visually-hidden, .skip')) continue;
    if (e.tagName === 'A' && getComputedStyle(e).display === 'inline') continue;
    const target = e.type === 'checkbox' && e.closest('label') ? e.closest('label') : e;
    const box = target.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.height < 43.5 || box.width < 43.5)
      small.push(e.tagName + ' ' + (e.name || e.innerText || '').trim().slice(0, 30) + ' ' + Math.round(box.width) + 'x' + Math.round(box.height));
  }
  return small;
}"""

RUN_AXE = """async () => {
  const result = await axe.run(document.querySelector('main'), {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '));
}"""

PAGES = (
    "/thanh-doan/",
    "/thanh-doan/?dat=00337&chon=all",
    "/thanh-doan/nhu-cau?ward=00316",
    "/thanh-doan/ghim?q=nguyen",
)


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 768)])
def test_the_youth_pages_fit_the_screen_with_large_targets(live_server, open_page, width, height):
    live_server.app.config["RAQUAN_NOW"] = NOW
    page = open_page(width, height)
    if AXE.exists():
        page.context.add_init_script(path=str(AXE))
    sign_in_page(page, live_server.url, "thanhdoan")
    for path in PAGES + tuple(p + ("&" if "?" in p else "?") + "lang=en" for p in PAGES[:1]):
        page.goto(live_server.url + path)
        assert page.evaluate(SIDEWAYS) <= 0, f"{path} scrolls sideways at {width} px"
        assert page.evaluate(SMALL_TARGETS) == [], path
        if AXE.exists():
            assert page.evaluate(RUN_AXE) == [], path
    page.goto(live_server.url + "/thanh-doan/?lang=vi")
    # On a phone the students are cards: the table's header row is hidden, each student is one box.
    if width < 720:
        assert page.locator("table.students thead").bounding_box()["height"] <= 1
        box = page.locator("table.students tbody tr").first.bounding_box()
        assert box["width"] <= width


def test_a_youth_union_officer_finds_and_places_a_student_on_a_phone(live_server, open_page):
    live_server.app.config["RAQUAN_NOW"] = NOW
    page = open_page(390, 844)
    sign_in_page(page, live_server.url, "thanhdoan")
    assert page.url.endswith("/thanh-doan/")  # the Youth Union lands on its own page
    page.fill("input[name=q]", "nguyen van a")
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("table.students tbody tr").count() == 1
    page.check("input[name=person_id][value=SV0001]")  # through its 44 px label
    page.select_option("select[name=ward_code]", DINH_CONG)
    page.fill("input[name=team]", "Đội Định Công 1")
    page.click("button[name=action][value=place]")
    page.wait_for_load_state()
    assert "Đã xếp 1 sinh viên vào Phường Định Công." in page.locator("main").inner_text()
    assert page.evaluate(SIDEWAYS) <= 0
    assert _teams(live_server.app) == {"SV0001": (DINH_CONG, "Đội Định Công 1")}
