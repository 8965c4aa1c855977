"""Browser journeys in headless Chromium (Debian's package) driven by Playwright, with CSRF on.

A failed journey leaves a full-page screenshot in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.conftest import PASSWORD


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
        from web.models import Cancellation, db
        cancellations = list(db.session.scalars(select(Cancellation)))
    assert [(c.person_id, c.date) for c in cancellations] == [(person_id, rows[0].date)]
