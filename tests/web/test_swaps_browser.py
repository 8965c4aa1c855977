"""A swap in real Chromium on a phone (390×844): a volunteer offers a shift to a colleague, the colleague accepts on
their own page, the coordinator approves, and both see the new roster; no page scrolls sideways and every control
of the swap pages is a 44 px target (a radio button through its label)."""

from __future__ import annotations

import re

from tests.web.conftest import sign_in_page
from tests.web.test_swaps import D3, DC, NOW, ROSTER, publish

PHONE = (390, 844)
GIVEN = "26/07/2025"  # SV0002's 26/07 morning, offered to SV0004

SMALL_CONTROLS = """() => Array.from(document.querySelectorAll('main a, main button, main select, main input:not([type=hidden])'))
  .filter(e => e.offsetParent !== null && !e.closest('p.lead, .muted'))
  .map(e => [e.outerHTML.slice(0, 80), (e.type === 'radio' ? e.closest('label') : e).getBoundingClientRect().height])
  .filter(([_, h]) => h < 44)"""


def volunteer_signs_in(page, base: str, app, person_id: str) -> None:
    from web.codes import link_token

    page.goto(f"{base}/ca-truc/l/{link_token(app.config['SECRET_KEY'], person_id)}")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/ca-truc/cua-toi"))


def fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    assert page.evaluate(SMALL_CONTROLS) == []


def test_offer_accept_approve_on_a_phone(live_server, open_page):
    app, base = live_server.app, live_server.url
    app.config["RAQUAN_NOW"] = NOW
    publish(app, ROSTER)

    # ---- SV0002 offers her 26/07 morning to SV0004
    giver = open_page(*PHONE)
    volunteer_signs_in(giver, base, app, "SV0002")
    card = giver.locator("article.shift").filter(has_text=GIVEN).filter(has_text="Ca sáng")
    assert card.count() == 1
    card.locator("[data-swap-shift]").click()
    giver.wait_for_url(re.compile(r"/ca-truc/doi-ca/ca/\d+"))
    fits(giver)
    offer = giver.locator("form[data-offer]")
    assert offer.locator("select[name=to] option[value=SV0001]").count() == 0  # at her weekly cap
    offer.locator("select[name=to]").select_option("SV0004")
    offer.locator("button[type=submit]").click()
    giver.wait_for_url(re.compile(r"/ca-truc/doi-ca$"))
    assert "Đã gửi yêu cầu tới Phạm Thu Dung" in giver.locator(".flash").first.inner_text()
    assert "chờ đồng nghiệp trả lời" in giver.locator("[data-swap]").first.inner_text()
    fits(giver)

    # ---- SV0004 sees it on "Ca trực của tôi" and accepts
    taker = open_page(*PHONE)
    volunteer_signs_in(taker, base, app, "SV0004")
    taker.locator("[data-swap-inbox]").click()
    taker.wait_for_url(re.compile(r"/ca-truc/doi-ca$"))
    fits(taker)
    request = taker.locator("[data-swap]").filter(has_text="Trần Thị Bình")
    request.locator("button", has_text="Đồng ý").click()
    taker.wait_for_url(re.compile(r"/ca-truc/doi-ca$"))
    assert "chờ điều phối viên duyệt" in taker.locator(".flash").first.inner_text()

    # ---- the coordinator approves on a phone
    desk = open_page(*PHONE)
    sign_in_page(desk, base, "dieuphoi")
    desk.goto(base + "/dieu-phoi/doi-ca")
    assert desk.locator("nav.subnav a[aria-current=page]").inner_text() == "Nhường, đổi ca (1)"  # one waiting
    fits(desk)
    waiting = desk.locator("[data-state=accepted]")
    assert waiting.count() == 1
    waiting.locator("button", has_text="Duyệt").click()
    desk.wait_for_url(re.compile(r"/dieu-phoi/doi-ca$"))
    assert "Đã duyệt yêu cầu" in desk.locator(".flash").first.inner_text()
    assert desk.locator("[data-state=approved]").count() == 1

    # ---- both see the new roster
    taker.goto(base + "/ca-truc/cua-toi")
    assert "Lịch của bạn đã thay đổi" in taker.content()
    new = taker.locator("article.shift").filter(has_text=GIVEN).filter(has_text="Ca sáng")
    assert new.count() == 1 and "Phường Định Công" in new.inner_text()
    fits(taker)
    giver.goto(base + "/ca-truc/cua-toi")
    assert giver.locator("[data-removed]").filter(has_text=GIVEN).count() == 1
    assert giver.locator("article.shift").filter(has_text=GIVEN).filter(has_text="Ca sáng").count() == 0
    fits(giver)
    with app.app_context():
        from web import store

        after = store.roster_of(store.latest_published()).assignments
    assert any(a.person_id == "SV0004" and a.date == D3 and a.shift_id == "sang" and a.ward_code == DC for a in after)

    # ---- English, and the busy days form, fit too
    giver.goto(base + "/ca-truc/doi-ca?lang=en")
    fits(giver)
