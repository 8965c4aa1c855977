"""Gaps that can be acted on, and the coordinator's pages on phones and paper: the gap list grouped by ward and
day with its filters and fix links, the ward page's empty slots and day-by-day phone view, the daily report as
an administrative document; in Chromium at 390×844 and printed to PDF."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.web.conftest import login, sign_in_page

PREFIX = "/dieu-phoi"
DINH_CONG, HOANG_LIET, BAT_BAT = "00316", "00337", "09676"


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def stored_gaps(app, version_id: int):
    from web import store

    with app.app_context():
        return store.gaps(version_id)


def gaps_url(version_id: int, **args) -> str:
    query = "&".join(f"{key}={value}" for key, value in args.items())
    return f"{PREFIX}/phien-ban/{version_id}/thieu" + (f"?{query}" if query else "")


def shown_gaps(page: str) -> list[tuple[str, str, str]]:
    """(ward, day, rule) of each gap listed, in the page's order."""
    found = []
    for ward_code, ward_part in re.findall(r'data-gap-ward="(\d+)"(.*?)(?=data-gap-ward=|$)', page, re.S):
        for day, day_part in re.findall(r'data-gap-day="([\d-]+)"(.*?)(?=data-gap-day=|$)', ward_part, re.S):
            found += [(ward_code, day, rule) for rule in re.findall(r'data-gap data-rule="(\w+)"', day_part)]
    return found


def _store_version(app, tiny_solution, *, drop=None, keep_gap=None, kind="solve", publish=False) -> int:
    """Store the tiny roster again, without the assignment ``drop`` and with its gaps re-checked and
    re-explained (or only the gaps ``keep_gap`` keeps); returns the version id."""
    from scheduler.explain import explain
    from scheduler.verify import verify
    from web import store

    roster = tiny_solution[0]
    with app.app_context():
        campaign = store.campaign()
        assignments = tuple(a for a in roster.assignments if a != drop)
        changed = replace(roster, assignments=assignments)
        report = verify(campaign, changed)
        unfilled = tuple(u for u in report.unfilled if keep_gap is None or keep_gap(u))
        report = replace(report, unfilled=unfilled)
        changed = replace(changed, unfilled=unfilled)
        version = store.store_roster(changed, report, explain(campaign, changed, unfilled), store.revision(), kind=kind)
        if kind == "repair":
            from web.models import db
            from web.repairs import Repair

            db.session.add(
                Repair(version_id=version.id, parent_id=store.latest_published().id, now=campaign_now(campaign))
            )
            db.session.commit()
        if publish:
            store.publish(version.id, "dieuphoi")
        return version.id


def campaign_now(campaign):
    from datetime import datetime

    return datetime.combine(campaign.start_date, datetime.min.time())


# ------------------------------------------------------------------------------------------------ the gap list


def test_the_gap_list_groups_by_ward_and_day_worst_ward_first(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    gaps = stored_gaps(loaded_app, version_id)
    login(client, "dieuphoi")
    page = text(client.get(gaps_url(version_id)))
    shown = shown_gaps(page)
    assert sorted(shown) == sorted((g.ward_code, g.date.isoformat(), g.rule) for g in gaps)
    missing = {code: sum(g.missing for g in gaps if g.ward_code == code) for code in {g.ward_code for g in gaps}}
    order = [code for code, _day, _rule in dict.fromkeys((w, None, None) for w, _d, _r in shown)]
    assert [missing[code] for code in order] == sorted(missing.values(), reverse=True)
    for code in order:  # each ward once, its days in order, its heading counting its gaps and people
        days = [day for ward, day, _rule in shown if ward == code]
        assert days == sorted(days)
        heading = re.search(rf'data-gap-ward="{code}"[^>]*>\s*<summary><h2>(.*?)</h2>', page, re.S).group(1)
        count = sum(1 for g in gaps if g.ward_code == code)
        assert f"{count} ca thiếu người, {missing[code]} người" in heading
    summary = re.search(r"<p data-gap-summary>(.*?)</p>", page).group(1)
    assert (
        summary == f"{len(gaps)} ca thiếu người ở {len(missing)} xã, phường, tổng cộng {sum(missing.values())} người."
    )
    # The explanation's cause and the suggestion are in words.
    first = gaps[0]
    cause = first.explanation.split(" — ", 1)[1]
    assert cause[:1].upper() + cause[1:] in page
    assert first.suggestion[:1].upper() + first.suggestion[1:] in page


@pytest.mark.parametrize(
    ("args", "keep"),
    [
        ({"rule": "oncall_24_7"}, lambda g, pool: g.rule == "oncall_24_7"),
        ({"rule": "mobile_point_staffing"}, lambda g, pool: g.rule == "mobile_point_staffing"),
        ({"pool": "telecom"}, lambda g, pool: pool == "telecom"),
        ({"pool": "technician"}, lambda g, pool: pool == "technician"),
        ({"date": "2025-07-25"}, lambda g, pool: g.date == date(2025, 7, 25)),
        ({"ward": BAT_BAT}, lambda g, pool: g.ward_code == BAT_BAT),
        (
            {"ward": BAT_BAT, "date": "2025-07-26", "rule": "oncall_24_7"},
            lambda g, pool: g.ward_code == BAT_BAT and g.date == date(2025, 7, 26) and g.rule == "oncall_24_7",
        ),
    ],
)
def test_each_filter_lists_exactly_its_gaps(client, loaded_app, args, keep):
    from web import gap_list, store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    gaps = stored_gaps(loaded_app, version_id)
    with loaded_app.app_context():
        campaign = store.campaign()
        wanted = sorted(
            (g.ward_code, g.date.isoformat(), g.rule) for g in gaps if keep(g, gap_list.gap_pool(campaign, g))
        )
    assert wanted and len(wanted) < len(gaps), "the filter keeps some gaps and drops others"
    login(client, "dieuphoi")
    page = text(client.get(gaps_url(version_id, **args)))
    assert sorted(shown_gaps(page)) == wanted
    for key, value in args.items():  # the chosen values stay chosen
        assert re.search(rf'<option value="{value}" selected>', page), key


def test_an_unknown_filter_value_is_ignored(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(gaps_url(version_id, rule="nonsense", pool="x", date="2030-01-01", ward="99999")))
    assert len(shown_gaps(page)) == len(stored_gaps(loaded_app, version_id))


def test_the_filters_keep_through_the_pages_and_a_page_holds_whole_wards(client, loaded_app, monkeypatch):
    import web.coordinator

    monkeypatch.setattr(web.coordinator, "GAP_WARDS_PER_PAGE", 1)
    version_id = loaded_app.config["TEST_VERSION_ID"]
    gaps = stored_gaps(loaded_app, version_id)
    login(client, "dieuphoi")
    first = text(client.get(gaps_url(version_id, rule="oncall_24_7")))
    assert "Trang 1 / 3" in first
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_link).query) == {"rule": ["oncall_24_7"], "page": ["2"]}
    seen = []
    for number in (1, 2, 3):
        page = text(client.get(gaps_url(version_id, rule="oncall_24_7", page=number)))
        shown = shown_gaps(page)
        assert len({ward for ward, _d, _r in shown}) == 1
        seen += shown
    assert sorted(seen) == sorted((g.ward_code, g.date.isoformat(), g.rule) for g in gaps if g.rule == "oncall_24_7")


def test_every_fix_link_opens_for_a_coordinator(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(gaps_url(version_id)))
    links = {
        href.replace("&amp;", "&") for href in re.findall(r'<a class="action" href="([^"]+)" data-fix-link>', page)
    }
    kinds = {urlsplit(link).path for link in links}
    assert f"{PREFIX}/quy-tac" in kinds  # "nới giới hạn phản hồi ban đêm …": the rules page
    assert f"{PREFIX}/nhap-du-lieu" in kinds  # "thêm 1 kỹ thuật viên …": the import page
    assert f"{PREFIX}/phien-ban/{version_id}/xa/{BAT_BAT}" in kinds  # the ward's day
    for link in sorted(links):
        assert client.get(link).status_code == 200, link
    assert f"{PREFIX}/quy-tac#night_response_limit_minutes" in links
    assert 'id="night_response_limit_minutes"' in text(client.get(f"{PREFIX}/quy-tac"))


def test_a_free_person_is_placed_from_the_repair_drafts_empty_seat(client, loaded_app, tiny_solution):
    """A repair draft's gap that a free person can take links to that seat's ranked list; on the published
    roster the same kind of gap links to "Sửa lịch", on a solve draft to a new solve."""
    from collections import Counter

    roster = tiny_solution[0]
    people = Counter((a.ward_code, a.date, a.shift_id) for a in roster.assignments)
    dropped = next(  # a student or telecom worker on a shift of two: the shift falls short, and they are free
        a
        for a in roster.assignments
        if a.ward_code == DINH_CONG
        and a.shift_id in ("sang", "chieu")
        and people[(a.ward_code, a.date, a.shift_id)] == 2
        and a.person_id[:2] in ("SV", "VT")
    )
    loaded_app.config["RAQUAN_NOW"] = "2025-07-24T06:00"  # before the campaign: every seat can still be filled
    repair_id = _store_version(loaded_app, tiny_solution, drop=dropped, kind="repair")
    draft_id = _store_version(loaded_app, tiny_solution, drop=dropped)
    login(client, "dieuphoi")
    page = text(client.get(gaps_url(repair_id, ward=DINH_CONG, rule="min_support_staff")))
    assert "Đề xuất:</span> Xếp " in page
    seat = re.search(r'<a class="action" href="([^"]+)" data-fix-link>Chọn người cho chỗ này</a>', page).group(1)
    seat = seat.replace("&amp;", "&")
    assert urlsplit(seat).path == f"{PREFIX}/sua-lich/{repair_id}/o-trong"
    seat_page = text(client.get(seat))
    assert dropped.person_id in seat_page  # the free person is among the candidates
    draft = text(client.get(gaps_url(draft_id, ward=DINH_CONG, rule="min_support_staff")))
    assert f'href="{PREFIX}/xep-lich" data-fix-link>Xếp lịch lại' in draft
    with loaded_app.app_context():
        from web import store

        store.publish(draft_id, "dieuphoi")
    published = text(client.get(gaps_url(draft_id, ward=DINH_CONG, rule="min_support_staff")))
    assert f'href="{PREFIX}/sua-lich" data-fix-link>Sửa lịch đang áp dụng' in published


def test_a_weekly_cap_suggestion_links_to_the_person_and_the_cap(client, loaded_app):
    from web import gap_list
    from web.models import UnfilledRow

    version_id = loaded_app.config["TEST_VERSION_ID"]
    row = UnfilledRow(
        version_id=version_id,
        rule="min_support_staff",
        ward_code=DINH_CONG,
        date=date(2025, 7, 24),
        shift_id="sang",
        missing=1,
        suggestion="cho phép Nguyễn Văn An (SV0001) trực thêm 4 giờ tuần 1",
    )
    with loaded_app.test_request_context():
        item = gap_list.GapItem(row, "Ca sáng", "", "any")
        places = gap_list.FixPlaces(version_id, repair_draft=False, latest_published=True)
        places.attach([item])
        links = [url for _label, url in item.actions]
    assert item.fix == gap_list.FIX_CAP
    assert links[0] == f"{PREFIX}/nguoi/SV0001" and links[1] == f"{PREFIX}/quy-tac#student_weekly_cap_hours"
    login(client, "dieuphoi")
    for link in links:
        assert client.get(link).status_code == 200


def test_the_stored_kind_of_each_fix_agrees_with_its_words_and_is_used_before_them(client, loaded_app):
    """Each gap keeps the explainer's kind of fix; the links come from it, not from the Vietnamese words."""
    import sqlalchemy as sa

    from web import gap_list
    from web.models import UnfilledRow, db

    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        rows = list(db.session.scalars(sa.select(UnfilledRow).where(UnfilledRow.version_id == version_id)))
        assert rows and all(row.suggestion_kind for row in rows)
        assert all(row.suggestion_kind == gap_list.fix_kind(row.suggestion) for row in rows)
        db.session.execute(sa.update(UnfilledRow).where(UnfilledRow.version_id == version_id).values(suggestion="?"))
        db.session.commit()
    login(client, "dieuphoi")
    page = text(client.get(gaps_url(version_id)))
    hrefs = re.findall(r'<a class="action" href="([^"]+)" data-fix-link>', page)
    assert f"{PREFIX}/quy-tac#night_response_limit_minutes" in hrefs and f"{PREFIX}/nhap-du-lieu" in hrefs


def test_fix_kinds_follow_the_explainers_words():
    from web.gap_list import FIX_CAP, FIX_LIMIT, FIX_PEOPLE, FIX_PLACE, FIX_WIDEN, fix_kind, split_explanation

    assert fix_kind("xếp Lê Văn B (SV, cách 12 phút) vào ca sáng 24/07 tại Phường Định Công") == FIX_PLACE
    assert fix_kind("giao thêm Phường Định Công cho Trần C (KTV) đang trực tại Phường Hoàng Liệt") == FIX_WIDEN
    assert fix_kind("cho phép Lê Văn B (SV0003) trực thêm 4 giờ tuần 2") == FIX_CAP
    assert fix_kind("nới giới hạn phản hồi ban đêm của Xã Bất Bạt lên 160 phút") == FIX_LIMIT
    assert fix_kind("thêm 1 kỹ thuật viên sống trong bán kính 45 phút") == FIX_PEOPLE
    assert fix_kind("kiểm tra lại quy tắc này") == ""
    assert split_explanation("Xã Bất Bạt, 24/07, trực đêm: thiếu 1 kỹ thuật viên — không có ai") == (
        "Thiếu 1 kỹ thuật viên",
        "Không có ai",
    )


def test_the_gap_list_answers_in_english(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(gaps_url(version_id) + "?lang=en"))
    gaps = stored_gaps(loaded_app, version_id)
    assert '<html lang="en">' in page
    assert len(shown_gaps(page)) == len(gaps)
    for gap in gaps:  # the cause and the suggestion in English, where the version keeps them in English
        cause = gap.explanation_in("en").split(" — ", 1)[1]
        suggestion = gap.suggestion_in("en")
        assert (cause[:1].upper() + cause[1:]).replace("'", "&#39;") in page
        assert (suggestion[:1].upper() + suggestion[1:]).replace("'", "&#39;") in page
    assert all(gap.explanation_en and gap.suggestion_en for gap in gaps)  # stored in both languages


# ------------------------------------------------------------------------------------------------ the ward page


def test_the_ward_page_marks_every_empty_slot(client, loaded_app):
    from scheduler.roster_io import MOBILE_COLUMN
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    with loaded_app.app_context():
        campaign = store.campaign()
    for code in (DINH_CONG, BAT_BAT):
        gaps = [g for g in stored_gaps(loaded_app, version_id) if g.ward_code == code]
        page = text(client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{code}"))
        headings = {shift.id: shift.name for shift in campaign.shifts}
        expected = {
            (g.date.isoformat(), g.shift_id or (MOBILE_COLUMN if g.mobile_point_id else None))
            for g in gaps
            if g.shift_id or g.mobile_point_id
        }
        marked = set()
        for day in campaign.dates:
            row = re.search(rf'<tr id="d{day.isoformat()}">(.*?)</tr>', page, re.S).group(1)
            for heading, cell in re.findall(r'<td data-label="([^"]+)"( class="short" data-open-slot)?>', row):
                if cell:
                    key = next((k for k, name in headings.items() if heading.startswith(name)), MOBILE_COLUMN)
                    marked.add((day.isoformat(), key))
            cells = re.findall(r"<td data-label=.*?</td>", row, re.S)
            assert sum("Còn trống" in cell for cell in cells) == sum(1 for d, _k in expected if d == day.isoformat())
        assert marked == expected
        assert page.count("data-gap ") == len(gaps)  # and listed below, by day, with their fixes


def test_the_ward_page_shows_the_asked_day_first_on_a_phone(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{DINH_CONG}?ngay=2025-07-25"))
    assert re.search(r'<tr id="d2025-07-25"><th scope="row" class="current">', page)
    assert page.count('class="current"') == 1
    first = text(client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{DINH_CONG}"))  # outside the campaign: day one
    assert re.search(r'<tr id="d2025-07-24"><th scope="row" class="current">', first)


# ------------------------------------------------------------------------------------------------ the daily report


def test_the_daily_report_is_an_administrative_document(client, loaded_app):
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/bao-cao-ngay?date=2025-07-25"))
    head = re.search(r'<header class="doc-head">(.*?)</header>', page, re.S).group(1)
    agency, national = re.findall(r"<div[^>]*>(.*?)</div>", head, re.S)
    assert "UBND THÀNH PHỐ HÀ NỘI" in agency and "<strong>SỞ KHOA HỌC VÀ CÔNG NGHỆ</strong>" in agency
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in national and "Độc lập - Tự do - Hạnh phúc" in national
    assert "Hà Nội, ngày 25 tháng 07 năm 2025" in national
    assert head and page.index("doc-head") < page.index("<h1>")
    assert "25/07/2025" in page.split("<h1>", 1)[1].split("</h1>", 1)[0]
    signatures = re.search(r'<footer class="signatures">(.*?)</footer>', page, re.S).group(1)
    assert "Nơi nhận:" in signatures and "NGƯỜI LẬP BÁO CÁO" in signatures and "THỦ TRƯỞNG ĐƠN VỊ" in signatures
    assert page.index("data-totals") < page.index('data-ward="') < page.index('class="signatures"')


def test_the_daily_report_lists_short_wards_first_with_their_reasons_and_totals(client, loaded_app, tiny_solution):
    from scheduler.report import daily_rows
    from web import store
    from web.models import RosterVersion, db

    # A published roster where Định Công, first in the campaign's order, lacks nobody.
    version_id = _store_version(loaded_app, tiny_solution, keep_gap=lambda g: g.ward_code != DINH_CONG, publish=True)
    day = date(2025, 7, 25)
    with loaded_app.app_context():
        campaign = store.campaign()
        rows = daily_rows(campaign, store.roster_of(db.session.get(RosterVersion, version_id)), day)
        gaps = [g for g in store.gaps(version_id) if g.date == day]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/bao-cao-ngay?date={day.isoformat()}"))
    order = re.findall(r'<tr data-ward="(\d+)">', page)
    missing = {row.code: row.missing for row in rows}
    assert missing[DINH_CONG] == 0 and all(missing[c] for c in (HOANG_LIET, BAT_BAT))
    assert order[-1] == DINH_CONG
    assert [missing[c] for c in order] == sorted(missing.values(), reverse=True)
    listed = re.findall(r'data-short-ward="(\d+)"', page)
    assert listed == order[:-1]
    for code in listed:
        item = re.search(rf'data-short-ward="{code}">(.*?)</li>\s*(?:<li data-short|</ol>)', page, re.S).group(1)
        for gap in (g for g in gaps if g.ward_code == code):
            assert gap.explanation.split(" — ", 1)[1] in item
    assert f"{len(rows)} xã, phường; {len(listed)} xã, phường còn thiếu người." in page
    assert f"{sum(r.assigned for r in rows)} lượt người được xếp; còn thiếu {sum(missing.values())} lượt người." in page


def test_a_ward_sends_its_own_report(client, loaded_app):
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/bao-cao-ngay?date=2025-07-24&don_vi={HOANG_LIET}"))
    assert re.findall(r'<tr data-ward="(\d+)">', page) == [HOANG_LIET]
    assert "<strong>UBND PHƯỜNG HOÀNG LIỆT</strong>" in page and "Hoàng Liệt, ngày 24 tháng 07 năm 2025" in page
    assert "Sở Khoa học và Công nghệ (để tổng hợp);" in page
    city = text(client.get(f"{PREFIX}/bao-cao-ngay?date=2025-07-24&don_vi=nonsense"))
    assert "<strong>SỞ KHOA HỌC VÀ CÔNG NGHỆ</strong>" in city and len(re.findall(r"<tr data-ward=", city)) == 3


# ------------------------------------------------------------------------------------------------ in Chromium


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_on_a_phone_nothing_scrolls_sideways_and_the_ward_page_shows_one_day(live_server, open_page):
    base, version_id = live_server.url, live_server.version_id
    page = open_page(390, 844)
    sign_in_page(page, base, "dieuphoi")
    for url in (
        f"/dieu-phoi/phien-ban/{version_id}/thieu",
        "/dieu-phoi/bao-cao-ngay?date=2025-07-25",
        f"/dieu-phoi/phien-ban/{version_id}/xa/{BAT_BAT}",
    ):
        page.goto(base + url)
        assert _scroll_width(page) <= 390, url
    # The ward page: one day at a time, the next one a tap away.
    rows = page.locator("table.roster tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).is_visible() for i in range(3)] == [True, False, False]
    assert "Còn trống" in rows.nth(0).inner_text()
    tall = page.evaluate("document.documentElement.scrollHeight")
    assert tall < 2000, tall  # one day and the gaps folded away (the 45-day Hanoi page was 28,887 px)
    mark = rows.nth(0).locator("a.open-mark").first
    gap = page.locator(mark.get_attribute("href"))
    assert not gap.is_visible()
    mark.click()  # the empty slot's mark opens its reason and fixes
    assert gap.is_visible() and gap.locator("a[data-fix-link]").count() >= 1
    page.goto(base + f"/dieu-phoi/phien-ban/{version_id}/xa/{BAT_BAT}")
    page.locator("#d2025-07-24 a[rel=next]").click()
    assert [rows.nth(i).is_visible() for i in range(3)] == [False, True, False]
    page.locator("#d2025-07-25 a[rel=next]").click()
    assert [rows.nth(i).is_visible() for i in range(3)] == [False, False, True]
    box = page.locator("#d2025-07-26 a[rel=prev]").bounding_box()
    assert box["height"] >= 44
    page.goto(base + f"/dieu-phoi/phien-ban/{version_id}/xa/{BAT_BAT}?ngay=2025-07-26")
    assert [rows.nth(i).is_visible() for i in range(3)] == [False, False, True]
    assert _scroll_width(page) <= 390
    # Every link and button of the three pages is a 44-pixel target.
    for url in (
        f"/dieu-phoi/phien-ban/{version_id}/thieu",
        f"/dieu-phoi/phien-ban/{version_id}/xa/{BAT_BAT}",
        "/dieu-phoi/bao-cao-ngay?date=2025-07-25",
    ):
        page.goto(base + url)
        small = page.evaluate(
            """() => [...document.querySelectorAll('main a, main button, main select, main summary')]
                 .filter(e => e.offsetParent !== null)
                 .filter(e => e.tagName !== 'A' || getComputedStyle(e).display !== 'inline' || e.closest('nav'))
                 .filter(e => { const r = e.getBoundingClientRect(); return r.height < 44 || r.width < 44; })
                 .map(e => e.outerHTML.slice(0, 80))"""
        )
        assert small == [], url
    # The daily report: a card per ward, each figure named.
    page.goto(base + "/dieu-phoi/bao-cao-ngay?date=2025-07-25")
    card = page.locator(f"tr[data-ward='{BAT_BAT}'] td").nth(2)
    label = page.evaluate("e => getComputedStyle(e, '::before').content", card.element_handle())
    assert "Số người được xếp" in label


def test_on_a_wide_screen_the_ward_grid_keeps_its_dates_header_in_view(live_server, open_page):
    base, version_id = live_server.url, live_server.version_id
    page = open_page(1366, 420)
    sign_in_page(page, base, "dieuphoi")
    page.goto(base + f"/dieu-phoi/phien-ban/{version_id}/xa/{DINH_CONG}")
    rows = page.locator("table.roster tbody tr")
    assert all(rows.nth(i).is_visible() for i in range(rows.count()))  # every day on a wide screen
    wrap = page.locator(".roster-wrap")
    wrap_top = wrap.bounding_box()["y"]
    header = page.locator("table.roster thead th").first
    scrolled = page.evaluate("e => { e.scrollTop = 10000; return e.scrollTop; }", wrap.element_handle())
    assert scrolled > 50, "the grid scrolls inside its frame"
    assert abs(header.bounding_box()["y"] - wrap_top) <= 2  # the dates header stayed at the frame's top


def _pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, read from the PDF's MediaBoxes."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in boxes]


def test_the_daily_report_and_the_ward_page_print_on_a4(live_server, open_page, tmp_path):
    base, version_id = live_server.url, live_server.version_id
    page = open_page(1280, 900)
    sign_in_page(page, base, "dieuphoi")

    page.goto(base + "/dieu-phoi/bao-cao-ngay?date=2025-07-25")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    sizes = _pdf_pages(pdf)
    assert sizes and all(abs(w - 595.92) < 2 and abs(h - 842.88) < 2 for w, h in sizes)  # A4 portrait
    page.emulate_media(media="print")
    assert page.locator("header.doc-head").is_visible() and page.locator("footer.signatures").is_visible()
    assert not page.locator("form.filters").is_visible() and not page.locator("header.top").is_visible()
    for th in page.locator("table.ward-figures thead th").all():
        assert th.is_visible()
    page.emulate_media(media="null")  # back to the default: page.pdf() prints with the print rules

    page.goto(base + f"/dieu-phoi/phien-ban/{version_id}/xa/{DINH_CONG}")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    sizes = _pdf_pages(pdf)
    assert sizes and all(abs(w - 842.88) < 2 and abs(h - 595.92) < 2 for w, h in sizes)  # A4 landscape
    (tmp_path / "ward.pdf").write_bytes(pdf)
    # Laid out as printed (A4 landscape less its 10 mm margins: 277 mm, 1,047 px), every column is on the page.
    page.set_viewport_size({"width": 1047, "height": 740})
    page.emulate_media(media="print")
    headers = page.locator("table.roster thead th")
    assert headers.count() >= 3
    width = page.evaluate("document.documentElement.clientWidth")
    for i in range(headers.count()):
        box = headers.nth(i).bounding_box()
        assert headers.nth(i).is_visible() and box["x"] + box["width"] <= width + 1, i
    rows = page.locator("table.roster tbody tr")
    assert all(rows.nth(i).is_visible() for i in range(rows.count()))  # no day folded away
    assert page.locator("details.ward-gaps li[data-gap]").first.is_visible()  # nor the gaps' reasons


def test_a_long_page_of_gaps_shows_its_wards_folded(client, loaded_app, monkeypatch):
    import web.coordinator

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    short = text(client.get(gaps_url(version_id)))
    assert len(re.findall(r'<details class="gap-ward"[^>]* open>', short)) == 3  # 18 gaps: every ward open
    monkeypatch.setattr(web.coordinator, "GAP_ITEMS_OPEN", 5)
    long = text(client.get(gaps_url(version_id)))
    assert len(re.findall(r'<details class="gap-ward"[^>]*>', long)) == 3
    assert not re.findall(r'<details class="gap-ward"[^>]* open>', long)
    assert len(shown_gaps(long)) == len(stored_gaps(loaded_app, version_id))  # folded, not left out
