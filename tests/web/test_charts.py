"""The coverage map (day and shift chooser, levels, the ward list) and the charts drawn as SVG on the server.

Figures the pages show are compared with the version's stored rows, counted here in SQL, and with the
campaign's asked person-slots; the browser checks run Chromium at a phone's size.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

from sqlalchemy import func, select

from tests.web.conftest import SCREENSHOTS, login, sign_in_page

PREFIX = "/dieu-phoi"


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def stored_missing(version_id: int, day: date | None = None, shift_id: str | None = None) -> Counter:
    """People missing per (ward, day, rule) of a version, from its stored gap rows in SQL, on ``day`` and in
    ``shift_id`` when given."""
    from web.models import UnfilledRow, db

    query = select(UnfilledRow.ward_code, UnfilledRow.date, UnfilledRow.rule, func.sum(UnfilledRow.missing)).where(
        UnfilledRow.version_id == version_id
    )
    if day is not None:
        query = query.where(UnfilledRow.date == day)
    if shift_id is not None:
        query = query.where(UnfilledRow.shift_id == shift_id)
    rows = db.session.execute(query.group_by(UnfilledRow.ward_code, UnfilledRow.date, UnfilledRow.rule))
    return Counter({(ward, on, rule): int(total) for ward, on, rule, total in rows})


def stored_missing_in(app, version_id: int, day: date, shift_id: str) -> Counter:
    with app.app_context():
        return stored_missing(version_id, day, shift_id)


def figure(page: str, key: str) -> str:
    """The markup of the chart named ``key`` (its ``data-chart``)."""
    match = re.search(rf'<figure class="chart [a-z]+" data-chart="{key}">(.*?)</figure>', page, re.S)
    assert match, f"no chart {key}"
    return match.group(1)


def bars(chart: str) -> dict[date, tuple[int, int, bool, float]]:
    """Day -> (asked, filled, whether a missing part is drawn, the filled bar's height)."""
    found = {}
    for day, asked, filled, body in re.findall(
        r'<g data-day="([0-9-]+)" data-asked="(\d+)" data-filled="(\d+)">(.*?)</g>', chart, re.S
    ):
        height = float(re.search(r'class="filled"[^>]* height="([0-9.]+)"', body).group(1))
        found[date.fromisoformat(day)] = (int(asked), int(filled), 'class="missing"' in body, height)
    return found


def check_accessible_svg(chart: str) -> None:
    svg = re.search(r"<svg [^>]*>", chart).group(0)
    assert 'role="img"' in svg and "aria-labelledby=" in svg and "aria-describedby=" in svg
    assert re.search(r"<title id=[^>]+>[^<]{5,}</title><desc id=[^>]+>[^<]{10,}</desc>", chart)
    assert "http" not in chart.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no network resource
    assert "<figcaption>" in chart or "</svg>" in chart


# ------------------------------------------------------------------------------------------------ charts


def test_the_city_chart_has_a_bar_per_day_equal_to_the_stored_figures(client, loaded_app):
    from scheduler.report import asked_by_ward_and_day
    from web import store
    from web.models import RosterVersion, db

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}"))
    chart = figure(page, "days")
    check_accessible_svg(chart)
    with loaded_app.app_context():
        campaign = store.campaign()
        missing = stored_missing(version_id)
        coverage = db.session.get(RosterVersion, version_id).coverage_percent
    asked = Counter()
    for (_ward, day), value in asked_by_ward_and_day(campaign).items():
        asked[day] += value
    shown = bars(chart)
    assert sorted(shown) == list(campaign.dates)
    for day, (bar_asked, bar_filled, missing_drawn, _height) in shown.items():
        lost = sum(value for (_w, on, _r), value in missing.items() if on == day)
        assert (bar_asked, bar_filled) == (asked[day], asked[day] - lost)
        assert missing_drawn == (lost > 0)
    # The days add up to the version's own coverage figure.
    total_asked = sum(a for a, _f, _m, _h in shown.values())
    total_filled = sum(f for _a, f, _m, _h in shown.values())
    assert abs(100.0 * total_filled / total_asked - coverage) < 0.05
    # A fuller day has a taller filled bar.
    ordered = sorted(shown.values(), key=lambda bar: bar[1] / bar[0])
    assert [bar[3] for bar in ordered] == sorted(bar[3] for bar in ordered)
    assert any(lost for lost in missing.values()), "the tiny roster has gaps to draw"


def test_the_ward_page_charts_that_wards_days(client, loaded_app):
    from scheduler.report import asked_by_ward_and_day
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        campaign = store.campaign()
        missing = stored_missing(version_id)
    asked = asked_by_ward_and_day(campaign)
    login(client, "dieuphoi")
    for place in campaign.wards:
        chart = figure(text(client.get(f"{PREFIX}/phien-ban/{version_id}/xa/{place.code}")), "ward-days")
        check_accessible_svg(chart)
        assert place.name in chart
        for day, (bar_asked, bar_filled, _drawn, _height) in bars(chart).items():
            lost = sum(value for (ward, on, _r), value in missing.items() if ward == place.code and on == day)
            assert (bar_asked, bar_filled) == (asked[(place.code, day)], asked[(place.code, day)] - lost)


def test_the_gaps_page_charts_the_shortfall_by_rule(client, loaded_app):
    from scheduler.verify import asked_person_slots
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        campaign = store.campaign()
        missing = stored_missing(version_id)
    by_rule = Counter()
    for (_ward, _day, rule), value in missing.items():
        by_rule[rule] += value
    login(client, "dieuphoi")
    chart = figure(text(client.get(f"{PREFIX}/phien-ban/{version_id}/thieu")), "rules")
    check_accessible_svg(chart)
    shown = {
        rule: int(value) for rule, value in re.findall(r'<g data-rule="([a-z0-9_]+)" data-missing="(\d+)">', chart)
    }
    asked = asked_person_slots(campaign)
    assert shown == {rule: by_rule.get(rule, 0) for rule in asked if asked[rule] or by_rule.get(rule)}
    assert sum(shown.values()) == sum(by_rule.values()) > 0


def test_the_people_page_charts_each_pools_busiest_week_against_its_cap(client, loaded_app):
    from web import store
    from web.models import AssignmentRow, db

    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        campaign = store.campaign()
        working = set(db.session.scalars(select(AssignmentRow.person_id).where(AssignmentRow.version_id == version_id)))
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}/nguoi"))
    for pool, cap in (("student", 20), ("telecom", 48), ("technician", 48)):
        people = [p for p in campaign.people if p.pool.value == pool]
        chart = figure(page, f"loads-{pool}")
        check_accessible_svg(chart)
        found = re.findall(r'<g data-bin="(\d+)" data-count="(\d+)" data-over="(\d+)">', chart)
        counts = {int(b): int(c) for b, c, _over in found}
        assert sum(counts.values()) == len(people)
        assert sum(int(over) for _b, _c, over in found) == 0  # a valid roster keeps everyone within their cap
        assert counts[0] == sum(1 for p in people if p.id not in working)  # bin 0: nobody's shift yet
        assert re.search(rf'<g class="cap" data-cap="{cap}">', chart)
    # Choosing a pool keeps its chart only.
    only = text(client.get(f"{PREFIX}/phien-ban/{version_id}/nguoi?pool=telecom"))
    assert 'data-chart="loads-telecom"' in only and 'data-chart="loads-student"' not in only


def test_the_charts_speak_english_numbers_in_english(client, loaded_app):
    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    vietnamese = figure(text(client.get(f"{PREFIX}/phien-ban/{version_id}")), "days")
    english = figure(text(client.get(f"{PREFIX}/phien-ban/{version_id}?lang=en")), "days")
    assert re.search(r"\d,\d%", vietnamese) and not re.search(r"\d\.\d%", vietnamese)
    assert re.search(r"\d\.\d%", english) and not re.search(r"\d,\d%", english)
    assert "Thursday" in english and "Thứ Năm" in vietnamese


# ------------------------------------------------------------------------------------------------ the map


def map_rows(page: str) -> dict[str, tuple[int, str, str]]:
    """Ward code -> (missing, the row's link, the row's text) of the ward list beside the map, in page order."""
    table = page.split('<div class="ward-list"', 1)[1].split("</table>", 1)[0]
    rows = {}
    for code, missing, body in re.findall(
        r'<tr id="w-(\d+)" data-ward="\1" data-missing="(\d+)">(.*?)</tr>', table, re.S
    ):
        link = re.search(r'<a href="([^"]+)">', body).group(1)
        rows[code] = (int(missing), link, re.sub(r"<[^>]+>", "", body))
    return rows


def test_the_list_beside_the_map_links_to_every_ward_page(client, loaded_app):
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    page = text(client.get(f"{PREFIX}/phien-ban/{version_id}"))
    with loaded_app.app_context():
        campaign = store.campaign()
        missing = stored_missing(version_id)
    rows = map_rows(page)
    assert set(rows) == {place.code for place in campaign.wards}
    for place in campaign.wards:
        lost, link, words = rows[place.code]
        assert lost == sum(value for (ward, _d, _r), value in missing.items() if ward == place.code)
        assert link == f"{PREFIX}/phien-ban/{version_id}/xa/{place.code}"
        assert f"<h1>{place.name}</h1>" in text(client.get(link))
        # The map's ward is a link to its row, named with the ward and its figures.
        anchor = re.search(rf'<a href="#w-{place.code}" class="lv-([a-z]+)"><path [^>]+><title>([^<]+)</title>', page)
        assert anchor and anchor.group(2).startswith(place.name)
    # The default order puts the most missing first.
    assert [r[0] for r in rows.values()] == sorted((r[0] for r in rows.values()), reverse=True)
    # Every level is named in words in the legend, not by colour alone.
    legend = page.split('<ul class="legend"', 1)[1].split("</ul>", 1)[0]
    for name in ("Đủ người", "Gần đủ", "Thiếu ít", "Thiếu nhiều", "Thiếu nặng", "Không có yêu cầu"):
        assert f"<strong>{name}</strong>" in legend


def test_the_day_and_shift_chooser_filters_the_map_and_the_list(client, loaded_app):
    from scheduler.coverage import shift_asked_per_day
    from web import store

    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        campaign = store.campaign()
        every = stored_missing(version_id)
    login(client, "dieuphoi")
    seen_difference = False
    for day in campaign.dates:
        for shift in campaign.shifts:
            page = text(client.get(f"{PREFIX}/phien-ban/{version_id}?date={day.isoformat()}&shift={shift.id}"))
            with loaded_app.app_context():
                missing = stored_missing(version_id, day, shift.id)
            rows = map_rows(page)
            for place in campaign.wards:
                lost = sum(value for (ward, _d, _r), value in missing.items() if ward == place.code)
                asked = shift_asked_per_day(campaign, campaign.demand(place.code), shift.id)
                assert rows[place.code][0] == lost
                assert f"{lost} / {asked}" in rows[place.code][2]
                # The ward's link opens its page at that day.
                assert rows[place.code][1].endswith(f"#d{day.isoformat()}")
                title = re.search(rf'data-ward="{place.code}"><title>([^<]+)</title>', page).group(1)
                assert f"{lost}/{asked}" in title
            whole = sum(v for (_w, on, _r), v in every.items() if on == day)
            seen_difference |= sum(missing.values()) != whole
            assert f'<option value="{day.isoformat()}" selected>' in page
            assert f'<option value="{shift.id}" selected>' in page
    assert seen_difference, "some day's gaps lie outside one shift"
    # Short wards only; a bad day or shift is the whole campaign.
    short_page = text(client.get(f"{PREFIX}/phien-ban/{version_id}?short=1"))
    short = map_rows(short_page)
    assert short and all(missing > 0 for missing, _l, _t in short.values())
    for place in campaign.wards:
        assert f'<a href="#w-{place.code}" class="lv-' in short_page
    # A ward left out of the list links from the map straight to its page (at the chosen day).
    day, shift = next(
        (day, shift.id)
        for day in campaign.dates
        for shift in campaign.shifts
        if 0
        < len({w for (w, on, _r), v in stored_missing_in(loaded_app, version_id, day, shift.id).items() if v})
        < len(campaign.wards)
    )
    query = f"date={day.isoformat()}&shift={shift}&short=1"
    partial_page = text(client.get(f"{PREFIX}/phien-ban/{version_id}?{query}"))
    partial = map_rows(partial_page)
    assert 0 < len(partial) < len(campaign.wards)
    for place in campaign.wards:
        page_link = f"{PREFIX}/phien-ban/{version_id}/xa/{place.code}#d{day.isoformat()}"
        target = f"#w-{place.code}" if place.code in partial else page_link
        assert f'<a href="{target}" class="lv-' in partial_page
    assert len(short) == len({ward for (ward, _d, _r), value in every.items() if value})
    bad = text(client.get(f"{PREFIX}/phien-ban/{version_id}?date=1999-01-01&shift=nope&order=x"))
    assert map_rows(bad) == map_rows(text(client.get(f"{PREFIX}/phien-ban/{version_id}")))


def test_map_levels_follow_the_coverage():
    from web.coordinator import coverage_colour, coverage_level

    assert [coverage_level(p) for p in (100, 99.9, 95, 94.9, 80, 79.9, 50, 49.9, 0, None)] == [
        "full",
        "near",
        "near",
        "some",
        "some",
        "many",
        "many",
        "severe",
        "severe",
        "none",
    ]
    assert len({coverage_colour(p) for p in (100, 97, 90, 60, 10, None)}) == 6


# ------------------------------------------------------------------------------------------------ in a browser


def test_the_map_and_people_pages_fit_a_phone_and_a_tap_names_the_ward(live_server, open_page):
    from web import store

    with live_server.app.app_context():
        campaign = store.campaign()
    version_id = live_server.version_id
    page = open_page(390, 844)
    sign_in_page(page, live_server.url, "dieuphoi")
    page.goto(f"{live_server.url}{PREFIX}/phien-ban/{version_id}", timeout=60_000)  # the first view loads the map
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "charts-version-390.png"), full_page=True)
    # The chooser's controls are labelled and big enough to tap.
    for name in ("date", "shift", "order"):
        control = page.locator(f".map-chooser select[name={name}]")
        assert control.bounding_box()["height"] >= 44
        assert control.evaluate("e => e.labels.length") == 1
    # Tapping a ward on the map shows its name and figures in the list, highlighted.
    place = campaign.wards[0]
    page.locator(f'svg.wardmap a[href="#w-{place.code}"]').click()
    row = page.locator(f"#w-{place.code}")
    assert page.evaluate("location.hash") == f"#w-{place.code}"
    assert row.evaluate("e => e.matches(':target')")
    assert row.is_visible() and place.name in row.inner_text()
    box = row.bounding_box()
    assert 0 <= box["y"] < 844 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    # The map's wards are links named by their ward and figures.
    assert page.get_by_role("link", name=re.compile(re.escape(place.name) + ": phủ")).count() >= 1
    # The chooser filters: choose the second day.
    page.select_option(".map-chooser select[name=date]", campaign.dates[1].isoformat())
    page.click(".map-chooser button[type=submit]")
    page.wait_for_load_state()
    assert f"date={campaign.dates[1].isoformat()}" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"{live_server.url}{PREFIX}/phien-ban/{version_id}/nguoi")
    assert page.locator("figure.chart svg").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    width = page.locator("figure.chart svg").first.bounding_box()["width"]
    assert 300 <= width <= 390
    page.screenshot(path=str(SCREENSHOTS / "charts-people-390.png"), full_page=True)

    wide = open_page(1366, 768)
    sign_in_page(wide, live_server.url, "dieuphoi")
    wide.goto(f"{live_server.url}{PREFIX}/phien-ban/{version_id}#map")
    map_box = wide.locator("svg.wardmap").bounding_box()
    list_box = wide.locator(".ward-list").bounding_box()
    assert list_box["x"] > map_box["x"] + map_box["width"] - 1  # the list stands beside the map
    wide.screenshot(path=str(SCREENSHOTS / "charts-version-1366.png"), full_page=True)
