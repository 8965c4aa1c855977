"""The volunteer's shift card (where, when, with whom, whom to call, what to bring), the week view and "Quên mã?":
on SQLite and PostgreSQL, and in Chromium at 390×844 and 1366×768."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from tests.web.conftest import SCREENSHOTS, TINY, make_app

DINH_CONG, BAT_BAT = "00316", "09676"
CARD_TOML = """
[volunteers]
hotline_name = "Tổ điều phối chiến dịch, Sở KH&CN"
hotline_phone = "024 3825 6789"

[volunteers.bring]
student = ["Thẻ sinh viên", "Áo thanh niên tình nguyện"]

[[volunteers.wards]]
ward = "Phường Định Công"
office = "Số 9 phố Định Công, Hoàng Mai"
contact = "Chị Lan, Văn phòng UBND phường"
phone = "0987 654 321"
"""
HOTLINE_TEL, WARD_TEL = "tel:+842438256789", "tel:+84987654321"


def _campaign_dir(tmp_path, extra: str = "", days: int = 10):
    """The tiny campaign with ``extra`` appended to campaign.toml, ``days`` long (its roster stays valid)."""
    directory = tmp_path / "campaign"
    shutil.copytree(TINY, directory)
    toml = directory / "campaign.toml"
    text = toml.read_text(encoding="utf-8").replace("days = 3", f"days = {days}")
    toml.write_text(text + extra, encoding="utf-8")
    return directory


def _loaded(app, directory, tiny_solution):
    from web import store

    with app.app_context():
        report = store.import_directory(directory, username="test")
        assert not report.errors, report.errors
        roster, report, explanations = tiny_solution
        version = store.store_roster(roster, report, explanations, store.revision())
        store.publish(version.id, "test")
    return app


def _close(app):
    with app.app_context():
        from web.models import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def card_app(database_url, tmp_path, tiny_solution):
    """The tiny campaign, ten days long, with a hotline, one ward's office and contact and a student's items."""
    app = make_app(database_url, tmp_path / "data")
    _loaded(app, _campaign_dir(tmp_path, CARD_TOML), tiny_solution)
    app.config["RAQUAN_TODAY"] = "2025-07-25"
    yield app
    _close(app)


@pytest.fixture
def plain_app(database_url, tmp_path, tiny_solution):
    """The tiny campaign as it is: no [volunteers] table, so every default."""
    app = make_app(database_url, tmp_path / "data")
    _loaded(app, _campaign_dir(tmp_path, days=3), tiny_solution)
    app.config["RAQUAN_TODAY"] = "2025-07-25"
    yield app
    _close(app)


def _sign_in(client, app, person_id: str) -> None:
    from web.codes import link_token

    token = link_token(app.config["SECRET_KEY"], person_id)
    assert client.post(f"/ca-truc/l/{token}").status_code == 303


def _rows(app, person_id: str):
    from web import store

    with app.app_context():
        return list(store.person_assignments(store.latest_published().id, person_id))


def _card(page: str, row_id: int) -> str:
    """The HTML of one shift card."""
    start = page.index(f'id="ca-{row_id}"')
    return page[start : page.index("</article>", start)]


def _people_phones():
    from scheduler.loader import load_campaign

    return [p.phone for p in load_campaign(TINY).people]


# ------------------------------------------------------------------------------------------- the card


def test_a_ward_shift_card_says_where_with_a_map_link_to_the_office_whom_to_call_and_what_to_bring(card_app):
    from geo.addresses import office_location

    client = card_app.test_client()
    _sign_in(client, card_app, "SV0001")
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    rows = [
        r for r in _rows(card_app, "SV0001") if r.ward_code == DINH_CONG and r.shift_id and r.date >= date(2025, 7, 25)
    ]
    assert rows, "the tiny roster gives SV0001 an upcoming shift in Định Công"
    card = _card(page, rows[0].id)
    assert "Số 9 phố Định Công, Hoàng Mai" in card
    lat, lon = (round(v, 6) for v in office_location(DINH_CONG))
    query = quote("Số 9 phố Định Công, Hoàng Mai, Phường Định Công, Thành phố Hà Nội", safe="")
    assert f'href="geo:{lat},{lon}?q={query}"' in card
    assert f"https://www.openstreetmap.org/?mlat={lat}&amp;mlon={lon}" in card
    # whom to call: the ward's contact first, then the coordinators' hotline, as tel: links
    assert card.index(f'href="{WARD_TEL}"') < card.index(f'href="{HOTLINE_TEL}"')
    assert "Chị Lan, Văn phòng UBND phường" in card and "0987 654 321" in card
    assert "Tổ điều phối chiến dịch, Sở KH&amp;CN" in card and "024 3825 6789" in card
    # what to bring: everyone's defaults, then the campaign's own list for students
    bring = re.search(r"data-bring>([^<]*)<", card).group(1)
    assert bring == "Căn cước công dân (CCCD), Điện thoại đã sạc đầy pin, Thẻ sinh viên, Áo thanh niên tình nguyện"
    # with whom: first names only, never a colleague's phone
    assert "Cùng ca" in card
    for phone in _people_phones():
        assert phone not in page


def test_a_mobile_point_card_maps_the_point_not_the_ward_centre(card_app, tiny_solution):
    from geo.addresses import approximate_location
    from scheduler.loader import load_campaign

    roster = tiny_solution[0]
    at_point = [a for a in roster.assignments if a.mobile_point_id == "LD0001"]
    assert at_point, "the tiny roster staffs the mobile point"
    person_id = at_point[0].person_id
    client = card_app.test_client()
    _sign_in(client, card_app, person_id)
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    row = next(r for r in _rows(card_app, person_id) if r.mobile_point_id == "LD0001")
    card = _card(page, row.id)
    assert "Nhà văn hóa thôn 3, Xã Bất Bạt" in card
    lat, lon = (round(v, 6) for v in approximate_location(BAT_BAT, "Nhà văn hóa thôn 3"))
    centre = load_campaign(TINY).ward(BAT_BAT)
    assert (lat, lon) != (round(centre.lat, 6), round(centre.lon, 6))
    query = quote("Nhà văn hóa thôn 3, Xã Bất Bạt, Thành phố Hà Nội", safe="")
    assert f'href="geo:{lat},{lon}?q={query}"' in card
    assert f"geo:{centre.lat},{centre.lon}" not in card
    assert "gần đúng" in card  # the point is placed from its text, and the card says so
    # Bất Bạt has no contact in the data: the hotline only
    assert f'href="{HOTLINE_TEL}"' in card and WARD_TEL not in card
    bring = re.search(r"data-bring>([^<]*)<", card).group(1)
    assert "Sạc dự phòng" in bring and "Căn cước công dân (CCCD)" in bring
    pool = load_campaign(TINY).person(person_id).pool.value
    assert ("Thẻ sinh viên" in bring) == (pool == "student")
    assert ("Thẻ nhân viên" in bring) == (pool in ("telecom", "technician"))


def test_without_volunteer_settings_the_card_names_the_ward_office_and_the_default_items(plain_app):
    from geo.addresses import office_location

    client = plain_app.test_client()
    _sign_in(client, plain_app, "SV0001")
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    row = next(r for r in _rows(plain_app, "SV0001") if r.shift_id and r.date >= date(2025, 7, 25))
    card = _card(page, row.id)
    ward = {"00316": "Phường Định Công", "00337": "Phường Hoàng Liệt", "09676": "Xã Bất Bạt"}[row.ward_code]
    assert f"Trụ sở UBND {ward}" in card
    lat, lon = (round(v, 6) for v in office_location(row.ward_code))
    assert f'href="geo:{lat},{lon}?q={quote(f"UBND {ward}, Thành phố Hà Nội", safe="")}"' in card
    assert "tel:" not in card  # no contact in the data: nothing to call
    bring = re.search(r"data-bring>([^<]*)<", card).group(1)
    assert bring == "Căn cước công dân (CCCD), Điện thoại đã sạc đầy pin, Thẻ sinh viên"


def test_the_default_items_are_in_the_catalogue_list():
    from scheduler.settings import DEFAULT_BRING
    from web.shift_card import DEFAULT_BRING_WORDS

    assert set(DEFAULT_BRING_WORDS) == {item for items in DEFAULT_BRING.values() for item in items}


# ------------------------------------------------------------------------------------------- the week


def _week_days(page: str) -> list[str]:
    return re.findall(r'data-day="(\d{4}-\d{2}-\d{2})"', page)


def test_the_week_shows_monday_to_sunday_with_each_days_shifts_and_today_marked(card_app):
    from scheduler.loader import load_campaign

    client = card_app.test_client()
    _sign_in(client, card_app, "SV0001")
    page = client.get("/ca-truc/tuan").get_data(as_text=True)
    assert _week_days(page) == [(date(2025, 7, 21) + timedelta(days=i)).isoformat() for i in range(7)]
    assert page.count('aria-current="date"') == 1
    assert re.search(r'<li class="day today[^"]*" aria-current="date" data-day="2025-07-25"', page)
    campaign = load_campaign(TINY)
    rows = _rows(card_app, "SV0001")
    minutes = 0
    for row in rows:
        day = page[page.index(f'data-day="{row.date.isoformat()}"') :]
        day = day[: day.index("</li>")]
        assert f'data-slot="{row.date.isoformat()}|{row.shift_id or row.mobile_point_id}|{row.ward_code}"' in day
        if row.shift_id:
            shift = campaign.shift(row.shift_id)
            assert f"{shift.start_minute // 60:02d}:{shift.start_minute % 60:02d}" in day and shift.name in day
            minutes += shift.end_minute - shift.start_minute
        else:
            point = campaign.mobile_point(row.mobile_point_id)
            minutes += point.end_minute - point.start_minute
    hours = f"{minutes / 60:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    assert f"{len(rows)} ca, {hours} giờ trong tuần." in page
    # the campaign runs into the next week: a link there, none before the first week
    assert 'href="/ca-truc/tuan?tuan=2025-07-28"' in page and "data-previous-week" not in page


def test_the_next_week_links_back_and_to_the_week_of_the_next_shift(card_app):
    client = card_app.test_client()
    _sign_in(client, card_app, "SV0001")
    page = client.get("/ca-truc/tuan?tuan=2025-07-30").get_data(as_text=True)
    assert _week_days(page)[0] == "2025-07-28"
    assert 'aria-current="date"' not in page
    assert "Bạn không có ca nào trong tuần này." in page
    assert 'href="/ca-truc/tuan?tuan=2025-07-21" rel="prev"' in page and "data-next-week" not in page
    assert 'href="/ca-truc/tuan?tuan=2025-07-21" data-next-shift-week' in page


@pytest.mark.parametrize("asked", ["0001-01-01", "9999-12-31", "not-a-date", "2025-13-40", "1" * 500])
def test_any_week_asked_stays_within_the_campaign(card_app, asked):
    client = card_app.test_client()
    _sign_in(client, card_app, "SV0001")
    response = client.get(f"/ca-truc/tuan?tuan={asked}")
    assert response.status_code == 200
    assert _week_days(response.get_data(as_text=True))[0] in ("2025-07-21", "2025-07-28")


def test_the_week_needs_a_signed_in_volunteer_and_the_list_links_it(card_app):
    client = card_app.test_client()
    response = client.get("/ca-truc/tuan")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ca-truc/")
    _sign_in(client, card_app, "SV0001")
    assert 'href="/ca-truc/tuan" data-week-link data-week-view' in client.get("/ca-truc/cua-toi").get_data(as_text=True)


def test_a_shift_called_off_is_marked_and_left_out_of_the_weeks_hours(card_app):
    from web.models import AssignmentRow, db

    client = card_app.test_client()
    _sign_in(client, card_app, "SV0001")
    before = client.get("/ca-truc/tuan").get_data(as_text=True)
    with card_app.app_context():
        row = db.session.scalars(
            select(AssignmentRow).where(AssignmentRow.person_id == "SV0001", AssignmentRow.date >= date(2025, 7, 25))
        ).first()
        row_id, key = row.id, f"{row.date.isoformat()}|{row.shift_id or row.mobile_point_id}|{row.ward_code}"
    assert client.post(f"/ca-truc/bao-nghi/{row_id}", data={"reason": "ốm"}).status_code == 303
    after = client.get("/ca-truc/tuan").get_data(as_text=True)
    slot = after[after.index(f'data-slot="{key}"') :]
    assert "Đã báo không thể đến" in slot[: slot.index("</div>")]
    total = re.compile(r"(\d+) ca, ([\d,]+) giờ trong tuần")
    assert total.search(before).group(2) != total.search(after).group(2)


# ------------------------------------------------------------------------------------------- Quên mã?


def test_forgot_code_gives_the_hotline_and_a_wards_contact(card_app):
    client = card_app.test_client()
    page = client.get("/ca-truc/").get_data(as_text=True)
    assert "Quên mã?" in page and f'href="{HOTLINE_TEL}"' in page and "Tổ điều phối chiến dịch" in page
    assert f'<option value="{DINH_CONG}"' in page and WARD_TEL not in page
    chosen = client.get(f"/ca-truc/?xa={DINH_CONG}").get_data(as_text=True)
    assert f'href="{WARD_TEL}"' in chosen and "Chị Lan, Văn phòng UBND phường" in chosen
    unknown = client.get("/ca-truc/?xa=99999").get_data(as_text=True)
    assert WARD_TEL not in unknown and f'href="{HOTLINE_TEL}"' in unknown


def test_forgot_code_without_contacts_still_says_whom_to_ask(plain_app):
    page = plain_app.test_client().get("/ca-truc/").get_data(as_text=True)
    assert "Quên mã?" in page and "tel:" not in page
    assert "liên kết cá nhân" in page and "Thành đoàn" in page


# ------------------------------------------------------------------------------------------- in Chromium


@pytest.fixture
def card_server(database_url, tmp_path, tiny_solution):
    """The card campaign served by waitress with CSRF on; "today" is 25/07/2025."""
    import threading
    from types import SimpleNamespace

    from waitress import create_server

    app = make_app(database_url, tmp_path / "data", WTF_CSRF_ENABLED=True, RAQUAN_TODAY="2025-07-25")
    _loaded(app, _campaign_dir(tmp_path, CARD_TOML), tiny_solution)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.effective_port}", app=app)
    server.close()
    _close(app)


def _no_sideways_scroll(page) -> None:
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the page is {width} px wide in a {inner} px window"


def _tap_size(page, selector: str) -> None:
    """Every visible match of ``selector`` is at least 44 × 44 px."""
    selector += ":visible"
    boxes = [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]
    assert boxes, selector
    for box in boxes:
        assert box["height"] >= 44 and box["width"] >= 44, (selector, box)


@pytest.mark.parametrize("width,height", [(390, 844), (1366, 768)])
def test_card_and_week_in_chromium(card_server, open_page, width, height):
    from web.codes import personal_code

    page = open_page(width, height)
    base = card_server.url
    page.goto(base + "/ca-truc/")
    assert page.locator("[data-forgot] a[href^='tel:']").count() == 1
    _no_sideways_scroll(page)
    page.fill("input[name=phone]", "0912 000 001")
    page.fill("input[name=code]", personal_code(card_server.app.config["SECRET_KEY"], "SV0001"))
    page.click("form.stack button[type=submit]")
    page.wait_for_url("**/ca-truc/cua-toi")
    card = page.locator("article.shift").first
    assert card.locator("[data-address]").inner_text().strip()
    assert card.locator("a[data-map]").get_attribute("href").startswith("geo:")
    assert card.locator("a[data-tel]").count() == 2
    _tap_size(page, "article.shift a[data-map]")
    _tap_size(page, "article.shift a[data-tel]")
    _no_sideways_scroll(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"volunteer-card-{width}.png"), full_page=True)

    page.click("a[data-week-link]")
    page.wait_for_url("**/ca-truc/tuan")
    days = page.locator(".week-grid > li")
    assert days.count() == 7
    lefts = {round(days.nth(i).bounding_box()["x"]) for i in range(7)}
    tops = {round(days.nth(i).bounding_box()["y"]) for i in range(7)}
    if width < 900:
        assert len(lefts) == 1 and len(tops) == 7  # the days stacked
    else:
        assert len(lefts) == 7 and len(tops) == 1  # one row of seven columns
    assert page.locator("li[aria-current=date] .badge").inner_text() == "Hôm nay"
    _tap_size(page, ".weeks a")
    _no_sideways_scroll(page)
    page.screenshot(path=str(SCREENSHOTS / f"volunteer-week-{width}.png"), full_page=True)
    # on paper: seven columns, the navigation left out
    page.emulate_media(media="print")
    lefts = {round(days.nth(i).bounding_box()["x"]) for i in range(7)}
    assert len(lefts) == 7
    assert not page.locator("nav.weeks").is_visible()
    pdf = page.pdf(prefer_css_page_size=True)  # (while print media is emulated: a screen emulation would hold)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # the week on one sheet
    assert re.search(rb"/MediaBox\s*\[\s*0 0 841\.\d+ 59[45]\.\d+", pdf)  # A4 landscape
    page.emulate_media(media="screen")

    english = base + "/ca-truc/tuan?lang=en"
    page.goto(english)
    assert page.locator("html").get_attribute("lang") == "en"
    _no_sideways_scroll(page)


def test_a_new_campaign_toml_changes_the_contacts_at_once(card_app):
    from web import store

    client = card_app.test_client()
    assert f'href="{HOTLINE_TEL}"' in client.get("/ca-truc/").get_data(as_text=True)
    with card_app.app_context():
        toml = store.files()["campaign.toml"].decode("utf-8").replace("024 3825 6789", "1900 1234")
        report = store.import_files({"campaign.toml": toml.encode("utf-8")}, username="test")
        assert not report.errors, report.errors
    page = client.get("/ca-truc/").get_data(as_text=True)
    assert 'href="tel:19001234"' in page and HOTLINE_TEL not in page


def test_shifts_more_than_a_week_ahead_are_listed_in_short_with_their_week(plain_app):
    """The next shift is a full card; later ones beyond seven days are short, linking to their week; within a
    week every card is full."""
    rows = _rows(plain_app, "SV0001")
    assert len(rows) >= 2
    client = plain_app.test_client()
    _sign_in(client, plain_app, "SV0001")
    plain_app.config["RAQUAN_TODAY"] = "2025-07-15"  # nine days before the campaign
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    cards = {row.id: _card(page, row.id) for row in rows}
    full = [row_id for row_id, card in cards.items() if "data-short" not in card]
    first = min(page.index(f'id="ca-{row.id}"') for row in rows)
    assert len(full) == 1 and page.index(f'id="ca-{full[0]}"') == first  # the next shift, in full
    assert "data-bring" in cards[full[0]]
    for row in rows:
        if row.id == full[0]:
            continue
        card = cards[row.id]
        assert "data-bring" not in card and "data-address" in card
        week = re.search(r'href="([^"]+)" data-week-of="' + row.date.isoformat(), card).group(1)
        shown = client.get(week.replace("&amp;", "&")).get_data(as_text=True)
        assert row.date.strftime("%d/%m") in shown
    plain_app.config["RAQUAN_TODAY"] = "2025-07-20"  # within a week of every shift
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert all("data-short" not in _card(page, row.id) for row in rows)
