"""Browser journeys in headless Chromium (Debian's package) driven by Playwright, with CSRF on.

A failed journey leaves a full-page screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

from scheduler.calendar import Calendar
from scheduler.model import Assignment
from tests.web.conftest import sign_in_page


def _campaign_and_version(app):
    from web import store

    with app.app_context():
        return store.campaign(), store.latest_published().id


def test_volunteer_checks_shifts_on_a_phone(live_server, open_page):
    from web import store
    from web.codes import personal_code

    app = live_server.app
    campaign, version_id = _campaign_and_version(app)
    app.config["RAQUAN_TODAY"] = campaign.start_date.isoformat()
    with app.app_context():
        person_id = store.person_assignments_any(version_id)
        rows = store.person_assignments(version_id, person_id)
    person = campaign.person(person_id)
    code = personal_code(app.config["SECRET_KEY"], person_id)

    page = open_page(390, 844)
    page.goto(live_server.url + "/ca-truc/")
    page.fill("input[name=phone]", person.phone)
    page.fill("input[name=code]", "000000" if code != "000000" else "111111")
    page.click("button[type=submit]")
    assert page.locator(".flash.error").count() == 1  # a wrong code is refused
    page.fill("input[name=phone]", person.phone)
    page.fill("input[name=code]", code)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ca-truc/cua-toi"))

    cards = page.locator("article.shift")
    assert cards.count() == len(rows)
    first_ward = campaign.ward(rows[0].ward_code).name
    assert first_ward in cards.first.inner_text()
    # Fits a 390-pixel screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Nobody else's phone number is on the page.
    others = {p.phone for p in campaign.people if p.id != person_id}
    text = page.content()
    assert not any(phone in text for phone in others)

    # "Tôi không thể đến" on the first shift is recorded for the coordinators.
    cards.first.locator("summary").click()
    cards.first.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "Đã báo không thể đến" in page.locator("article.shift").first.inner_text()
    with app.app_context():
        from web import live

        cancellations = live.events_of()
    assert [(c.kind, c.person_id, c.first_date) for c in cancellations] == [("cancellation", person_id, rows[0].date)]


def _generate_and_wait(page, base: str) -> int:
    """Start a 3-second solve from the coordinator's page; wait for its draft; return the draft's id."""
    page.goto(base + "/dieu-phoi/xep-lich")
    page.fill("input[name=time_limit_seconds]", "3")
    page.click("form.stack button[type=submit]")
    page.wait_for_url(re.compile(r"/dieu-phoi/cong-viec/\d+"))
    draft = page.locator("a.button", has_text="#")
    draft.wait_for(timeout=180_000)  # the job page refreshes itself every 2 s
    draft.click()
    page.wait_for_url(re.compile(r"/dieu-phoi/phien-ban/\d+"))
    return int(re.search(r"/phien-ban/(\d+)", page.url).group(1))


def test_coordinator_imports_generates_and_publishes(live_server, open_page, tmp_path):
    from tests.web.conftest import TINY
    from web import store

    page = open_page()
    sign_in_page(page, live_server.url, "dieuphoi")

    # A people file with a bad row is refused with its row and column shown, and nothing is stored.
    lines = (TINY / "people.csv").read_text(encoding="utf-8").splitlines()
    new_student = lines[-1].split(",")
    new_student[0], new_student[1], new_student[5] = "SV0999", "Trần Thị Mới", "0987000999"
    bad = lines + [",".join(new_student).replace("0987000999", "12ab")]
    (tmp_path / "bad.csv").write_text("\n".join(bad) + "\n", encoding="utf-8")
    page.goto(live_server.url + "/dieu-phoi/nhap-du-lieu")
    page.select_option("select[name=table]", "people")
    page.set_input_files("input[name=file]", str(tmp_path / "bad.csv"))
    page.click("form.stack button[type=submit]")
    problems = page.locator("table.problems").first.inner_text()  # the errors; warnings and notes follow
    assert "people.csv" in problems and str(len(lines)) in problems and "phone" in problems
    with live_server.app.app_context():
        assert "SV0999" not in {p.id for p in store.campaign().people}

    # The corrected file is stored.
    good = lines + [",".join(new_student)]
    (tmp_path / "people.csv").write_text("\n".join(good) + "\n", encoding="utf-8")
    page.set_input_files("input[name=file]", str(tmp_path / "people.csv"))
    page.select_option("select[name=table]", "people")
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".flash").first.is_visible()
    with live_server.app.app_context():
        assert "SV0999" in {p.id for p in store.campaign().people}

    # Generate, watch the job finish, review the draft and publish it.
    draft_id = _generate_and_wait(page, live_server.url)
    assert page.locator("svg path[data-ward]").count() == 3  # the tiny campaign's wards on the map
    page.click("button:has-text('Công bố phiên bản này')")
    page.wait_for_load_state()
    with live_server.app.app_context():
        assert store.latest_published().id == draft_id != live_server.version_id


def test_youth_union_pins_a_student_and_the_next_solve_keeps_it(live_server, open_page):
    from web import store

    app = live_server.app
    campaign, version_id = _campaign_and_version(app)
    with app.app_context():
        published = {
            (a.person_id, a.ward_code, a.date, a.shift_id)
            for a in store.roster_of(store.latest_published()).assignments
        }
    # A student, ward, day and service shift the published roster does not already have.
    calendar = Calendar(campaign)
    demands = {d.ward_code: d for d in campaign.demands}
    choice = next(
        (person, ward, day, shift_id)
        for person in campaign.people
        if person.pool.value == "student"
        for ward in campaign.wards
        for day in campaign.dates
        for shift_id in demands[ward.code].service_shift_ids
        if calendar.available(person, Assignment(person.id, ward.code, day, shift_id=shift_id))
        and (person.id, ward.code, day, shift_id) not in published
    )
    person, ward, day, shift_id = choice
    app.config["RAQUAN_NOW"] = "2025-07-23T20:00"  # before the tiny campaign: the pinned day is still to come

    page = open_page()
    sign_in_page(page, live_server.url, "thanhdoan")
    page.goto(live_server.url + "/thanh-doan/ghim")
    page.fill("input[name=person_id]", person.id)
    page.select_option("select[name=ward_code]", ward.code)
    page.select_option("select[name=date]", day.isoformat())
    page.select_option("select[name=shift_id]", shift_id)
    page.click("form.stack button[type=submit]")
    page.wait_for_load_state()
    assert person.id in page.locator("table").last.inner_text()
    page.click("header form button[type=submit]")  # sign out
    page.wait_for_load_state()

    sign_in_page(page, live_server.url, "dieuphoi")
    draft_id = _generate_and_wait(page, live_server.url)
    with app.app_context():
        from web.models import RosterVersion, db

        draft = store.roster_of(db.session.get(RosterVersion, draft_id))
    assert (person.id, ward.code, day, shift_id) in {
        (a.person_id, a.ward_code, a.date, a.shift_id) for a in draft.assignments
    }
