"""Every page of the coordinator's, the Youth Union's and the volunteer's journeys, the ward official's,
the duty desk's, the technician's and the visiting team's pages, and the public pages, walked in headless
Chromium at a desk's 1366×768 and a phone's 390×844 (and the main ones again in English on the phone),
checked by axe-core.

Each page is visited once per size, as its user reaches it (signed in through the sign-in form; the
volunteer through their signed link; the technician and the team through theirs): axe-core
(tests/browser/package.json, installed by ``npm ci``) must find no serious or critical violation, the
page must not scroll sideways, on the phone no control may be under 44×44 px, and a full-page screenshot
of it is saved to ``RAQUAN_ARTEFACTS_DIR`` (default ``artefacts/screenshots``). The keyboard is tried on
the home page (the skip link, the focus ring) and ``?lang=en`` must set the page's language.

axe-core is added to each page by Playwright as an init script, which the page's Content Security
Policy (``script-src 'self'``) does not apply to: the pages are checked exactly as they are served.
Without axe-core the test is skipped, unless ``RAQUAN_REQUIRE_BROWSER`` is set (``.ci/run`` sets it).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from scheduler.events import Event
from tests.web.conftest import PASSWORD, ROOT, sign_in_page

AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(os.environ.get("RAQUAN_ARTEFACTS_DIR") or ROOT / "artefacts" / "screenshots")
SIZES = ((1366, 768), (390, 844))
NOW = "2025-07-24T08:00"  # the tiny campaign's first morning, its first shifts under way
WARD = "00316"  # Phường Định Công
SERIOUS = ("serious", "critical")
SIDEWAYS = "sideways-scroll"  # this test's own finding: the page is wider than the window
SMALL = "tap-target-44"  # this test's own finding: a control on a phone is smaller than 44×44 px

# Findings on pages whose templates are being reworked elsewhere, allowed here until those pages are
# fixed: page name -> the axe rule ids (or SIDEWAYS) tolerated on it. Any other finding fails the test,
# and an entry is removed as soon as its page is clean.
ALLOWED: dict[str, set[str]] = {
    # coordinator/version.html (the map): on a phone the map's small wards (a.lv-some, 13×18 and 20×15 px)
    # and a ward's name link (72×39 px) are smaller than 44×44 px
    "version": {SMALL},
}


@pytest.fixture
def database_url(tmp_path):
    """This walk runs on SQLite only: it checks pages, not the database."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.exists():
        message = f"{AXE} not found: run `npm ci` in tests/browser (.ci/run does)"
        if os.environ.get("RAQUAN_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE


@dataclass
class Finding:
    page: str
    size: str
    rule: str
    impact: str
    help: str
    targets: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.page} @ {self.size}: {self.rule} ({self.impact}) {self.help} — {', '.join(self.targets[:8])}"


RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    rule: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')),
  }));
}"""


# The outermost elements that reach past the window's right edge (outside any scrolling box that fits).
WIDE_ELEMENTS = """() => {
  const width = window.innerWidth;
  const fits = box => box.getBoundingClientRect().right <= width + 1;
  const wide = [...document.querySelectorAll('body *')].filter(element => {
    if (fits(element) || element.getBoundingClientRect().width === 0) return false;
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
      if (getComputedStyle(parent).overflowX !== 'visible' && fits(parent)) return false;
    }
    return true;
  });
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].map(c => '.' + c).join('');
  return wide.filter(e => !wide.includes(e.parentElement)).slice(0, 4).map(name);
}"""

# Controls smaller than 44×44 px on a phone: buttons, fields, menus, summaries and links that stand alone
# (a link inside a sentence or a table cell's text is exempt, as WCAG 2.5.8 exempts inline targets); a
# checkbox or radio counts by its label.
SMALL_TARGETS = """() => {
  const stands_alone = a => getComputedStyle(a).display !== 'inline'
    || a.closest('nav, .subnav, .langs, .cards, .pager') !== null;
  const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + [...e.classList].map(c => '.' + c).join('')
    + (e.name ? '[name=' + e.name + ']' : '') + ' "' + (e.innerText || e.value || '').trim().slice(0, 30) + '"';
  const small = [];
  for (const e of document.querySelectorAll('main a[href], header a[href], button, input, select, textarea, summary')) {
    if (e.type === 'hidden' || e.closest('.visually-hidden, .skip')) continue;
    if (e.tagName === 'A' && !stands_alone(e)) continue;
    const target = (e.type === 'checkbox' || e.type === 'radio') && e.closest('label') ? e.closest('label') : e;
    const box = target.getBoundingClientRect();
    if (box.width === 0 || getComputedStyle(e).visibility === 'hidden') continue;
    if (box.height < 43.5 || box.width < 43.5) small.push(name(e) + ' ' + Math.round(box.width) + '×' + Math.round(box.height));
  }
  return small;
}"""


class Walk:
    """One browser context per user and size; ``check`` runs axe-core and the width check on the page
    shown, and saves its screenshot."""

    def __init__(self, browser, base: str, axe: Path, width: int, height: int):
        self.browser, self.base, self.axe = browser, base, axe
        self.width, self.height = width, height
        self.size = f"{width}x{height}"
        self.findings: list[Finding] = []
        self.minor: list[Finding] = []  # moderate and minor findings: printed, not failed
        self.checked: list[str] = []
        self.seconds: dict[str, float] = {}
        self.contexts = []

    def page(self):
        """A new page in a fresh context (no cookies): a new user."""
        context = self.browser.new_context(viewport={"width": self.width, "height": self.height}, locale="vi-VN")
        context.add_init_script(path=str(self.axe))
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return page

    def visit(self, page, name: str, path: str, status: int = 200):
        response = page.goto(self.base + path)
        assert response is not None
        if response.status != status:
            self.findings.append(Finding(name, self.size, f"http-{response.status}", "critical", path))
        self.check(page, name)
        return page

    def check(self, page, name: str) -> None:
        started = time.perf_counter()
        page.wait_for_load_state()
        for violation in page.evaluate(RUN_AXE):
            finding = Finding(name, self.size, **violation)
            (self.findings if violation["impact"] in SERIOUS else self.minor).append(finding)
        scroll_width, window_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll_width > window_width:
            help_text = f"{scroll_width} px wide in a {window_width} px window"
            wide = page.evaluate(WIDE_ELEMENTS)
            self.findings.append(Finding(name, self.size, SIDEWAYS, "serious", help_text, wide))
        if self.width < 600:
            small = page.evaluate(SMALL_TARGETS)
            if small:
                help_text = f"{len(small)} controls smaller than 44×44 px"
                self.findings.append(Finding(name, self.size, SMALL, "serious", help_text, small))
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / f"{name}-{self.size}.png"), full_page=True)
        self.checked.append(name)
        self.seconds[name] = time.perf_counter() - started

    def expect(self, condition: bool, name: str, rule: str, help_text: str) -> None:
        """A check of this walk's own (keyboard, language): a finding when it fails."""
        if not condition:
            self.findings.append(Finding(name, self.size, rule, "serious", help_text))

    def close(self) -> None:
        for context in self.contexts:
            context.close()


# ------------------------------------------------------------------------------------------ set-up


@dataclass
class Campaign:
    """What the walk needs to reach every page: ids made once, before the first size."""

    published_id: int
    person_id: str
    link_path: str
    ward_code: str
    incident_id: int = 0
    technician_path: str = ""
    team_id: str = ""
    team_path: str = ""
    job_path: str = ""
    draft_id: int = 0
    repair_id: int = 0
    seat_path: str = ""


def _set_up(live_server) -> Campaign:
    """The tiny campaign published, one student's cancellation recorded (so "Hôm nay", the events and
    "Sửa lịch" have something to show)."""
    from web import live, store
    from web.codes import link_token

    app = live_server.app
    app.config.update(RAQUAN_NOW=NOW, RAQUAN_TODAY=NOW[:10], RAQUAN_REPAIR_SECONDS=3)
    with app.app_context():
        published = store.latest_published()
        published_id = published.id
        roster = store.roster_of(published)
        campaign = store.campaign()
        cancelled = next(a for a in roster.assignments if a.shift_id and a.date > campaign.start_date)
        person_id = next(a.person_id for a in roster.assignments if a.person_id != cancelled.person_id)
        live.record_event(
            Event(
                "cancellation",
                datetime.fromisoformat(NOW),
                "volunteer",
                person_id=cancelled.person_id,
                dates=(cancelled.date,),
                slot_ids=(cancelled.shift_id,),
                reason="Em bị sốt cao",
            ),
            "volunteer",
            published_id,
        )
    token = link_token(app.config["SECRET_KEY"], person_id)
    data = Campaign(published_id, person_id, f"/ca-truc/l/{token}", cancelled.ward_code)
    _set_up_the_field(app, data)
    return data


def _set_up_the_field(app, data: Campaign) -> None:
    """A ward official of Định Công, an incident reported there and sent to a technician, and the ward's
    mobile visits of the day planned: the pages of the ward, the duty desk, the technician and the team."""
    from scheduler.visits import PriorityGroup, VisitRequest
    from web import incidents, visit_plans, visits
    from web.auth import create_user

    now = datetime.fromisoformat(NOW)
    with app.app_context():
        create_user("dinhcong", PASSWORD, "ward", "Cán bộ Phường Định Công", ward_code=WARD)
        row = incidents.report(WARD, "network", True, "Mất mạng ở bộ phận một cửa", by="dinhcong", at=now)
        data.incident_id = row.id
        candidates = incidents.candidates_for(row, at=now)
        assert candidates, "no technician can be sent at " + NOW
        assert incidents.assign(row, candidates[0], "dieuphoi", at=now)
        data.technician_path = incidents.tech_path(row.id, candidates[0].person_id)
        for n in range(4):
            request = VisitRequest(
                id="0",
                ward_code=WARD,
                service_date=now.date(),
                name=f"Nguyễn Văn Khách {n}",
                priority_group=PriorityGroup.ELDERLY if n % 2 else PriorityGroup.DISABLED,
                phone=f"09123456{n:02d}",
                group_name=f"Tổ dân phố số {n % 2 + 1}",
                street=f"Số {n + 2} ngõ 12 phố Định Công",
                home_visit=True,
                service="vneid" if n % 2 else "other",
                window_start_minute=8 * 60,
                window_end_minute=11 * 60 + 30,
            )
            visits.add_request(request, "dinhcong", now, late=False)
        plan_row = visit_plans.plan_day(WARD, now.date(), "dinhcong", now)
        assert plan_row is not None
        _row, plan = visit_plans.current_plan(WARD, now.date())
        route = max(plan.plan.routes, key=lambda r: len(r.visits))
        assert route.visits, "no visit is planned"
        data.team_id = route.vehicle_id
        data.team_path = visit_plans.team_path(WARD, now.date(), data.team_id)


# ------------------------------------------------------------------------------------------ the journeys


FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e), box = e.getBoundingClientRect();
  return {tag: e.tagName.toLowerCase(), id: e.id, className: e.className, outline: style.outlineStyle,
          outlineWidth: parseFloat(style.outlineWidth), visible: box.top >= 0 && box.bottom <= innerHeight && box.width > 1};
}"""


def _public(walk: Walk) -> None:
    page = walk.page()
    walk.visit(page, "home", "/")
    # The keyboard: the first Tab shows the skip link with a visible focus; it moves the focus to the main content.
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    walk.expect(focused["className"] == "skip" and focused["visible"], "home", "skip-link", f"first Tab: {focused}")
    walk.expect(focused["outline"] != "none" and focused["outlineWidth"] >= 2, "home", "focus-visible", str(focused))
    page.keyboard.press("Enter")
    focused = page.evaluate(FOCUSED)
    walk.expect(focused["tag"] == "main" and focused["id"] == "main", "home", "skip-link", f"after Enter: {focused}")
    walk.visit(page, "sign-in", "/dang-nhap")
    walk.visit(page, "not-found", "/khong-co-trang-nay", status=404)
    walk.visit(page, "home-en", "/?lang=en")
    lang = page.evaluate("document.documentElement.lang")
    walk.expect(lang == "en", "home-en", "html-lang-session", f"<html lang={lang!r}> after ?lang=en")
    walk.visit(page, "sign-in-en", "/dang-nhap")  # English stays for the session
    lang = page.evaluate("document.documentElement.lang")
    walk.expect(lang == "en", "sign-in-en", "html-lang-session", f"<html lang={lang!r}> on the next page")
    walk.visit(page, "home-vi", "/?lang=vi")


def _volunteer(walk: Walk, data: Campaign) -> None:
    page = walk.page()
    walk.visit(page, "volunteer-lookup", "/ca-truc/")
    walk.visit(page, "volunteer-link", data.link_path)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/ca-truc/cua-toi"))
    walk.check(page, "volunteer-shifts")
    week = page.locator("a[data-week-view]")
    if week.count():
        week.first.click()
        walk.check(page, "volunteer-week")


def _youth(walk: Walk) -> None:
    page = walk.page()
    sign_in_page(page, walk.base, "thanhdoan")
    walk.visit(page, "youth-students", "/thanh-doan/")
    walk.visit(page, "youth-pins", "/thanh-doan/ghim")
    walk.visit(page, "youth-counts", "/thanh-doan/so-luong")
    walk.visit(page, "forbidden", "/dieu-phoi/", status=403)


def _coordinator(walk: Walk, data: Campaign, first: bool) -> None:
    page = walk.page()
    sign_in_page(page, walk.base, "dieuphoi")
    version = f"/dieu-phoi/phien-ban/{data.published_id}"
    walk.visit(page, "dashboard", "/dieu-phoi/")
    walk.visit(page, "import", "/dieu-phoi/nhap-du-lieu")
    walk.visit(page, "rules", "/dieu-phoi/quy-tac")
    walk.visit(page, "generate", "/dieu-phoi/xep-lich")
    if first:  # "Xếp lịch": a short solve, its job page followed to the draft
        page.fill("input[name=time_limit_seconds]", "1")
        page.click("form.stack button[type=submit]")
        page.wait_for_url(re.compile(r"/dieu-phoi/cong-viec/\d+"))
        page.locator("a.button", has_text="#").wait_for(timeout=180_000)
        data.job_path = page.url.removeprefix(walk.base)
        data.draft_id = int(re.search(r"#(\d+)", page.locator("a.button", has_text="#").inner_text()).group(1))
    walk.visit(page, "job", data.job_path)
    walk.visit(page, "version", version)
    walk.visit(page, "gaps", f"{version}/thieu")
    walk.visit(page, "people", f"{version}/nguoi")
    walk.visit(page, "ward", f"{version}/xa/{data.ward_code}")
    walk.visit(page, "person", f"/dieu-phoi/nguoi/{data.person_id}")
    walk.visit(page, "diff", f"/dieu-phoi/so-sanh?a={data.published_id}&b={data.draft_id}")
    walk.visit(page, "daily", "/dieu-phoi/bao-cao-ngay")
    walk.visit(page, "today", "/dieu-phoi/hom-nay")
    walk.visit(page, "events", "/dieu-phoi/su-kien")
    walk.visit(page, "repairs", "/dieu-phoi/sua-lich")
    if first:  # a repair draft for the cancellation
        page.locator("main form button[type=submit]", has_text="Tạo bản sửa lịch").click()
        page.wait_for_url(re.compile(r"/dieu-phoi/sua-lich/\d+$"))
        data.repair_id = int(re.search(r"/sua-lich/(\d+)$", page.url).group(1))
    walk.visit(page, "repair", f"/dieu-phoi/sua-lich/{data.repair_id}")
    if first:  # the optimiser's pick put back: the seat is empty again, and its ranked list is a page
        page.locator("tr[data-change=added] button", has_text="Bỏ thay đổi").first.click()
        page.wait_for_url(re.compile(r"/dieu-phoi/sua-lich/\d+$"))
        data.repair_id = int(re.search(r"/sua-lich/(\d+)$", page.url).group(1))
        page.locator("table.seats a", has_text="Chọn người").first.click()
        page.wait_for_url(re.compile(r"/o-trong\?"))
        data.seat_path = page.url.removeprefix(walk.base)
    walk.visit(page, "repair-seat", data.seat_path)
    walk.visit(page, "repair-publish", f"/dieu-phoi/sua-lich/{data.repair_id}/cong-bo")
    walk.visit(page, "outbox", "/dieu-phoi/hop-thu-di")
    walk.visit(page, "accounts", "/dieu-phoi/tai-khoan")


def _field(walk: Walk, data: Campaign) -> None:
    """The ward official's incidents and daily list, the duty desk, the technician's and the team's pages."""
    page = walk.page()
    sign_in_page(page, walk.base, "dinhcong")
    walk.visit(page, "ward-incidents", "/xa-phuong/")
    walk.visit(page, "ward-incident", f"/xa-phuong/su-co/{data.incident_id}")
    walk.visit(page, "visit-list", "/xa-phuong/danh-sach/")
    walk.visit(page, "visit-plan", "/xa-phuong/lo-trinh")
    walk.visit(page, "visit-sheet", f"/xa-phuong/lo-trinh/{data.team_id}/in?ngay={NOW[:10]}")
    desk = walk.page()
    sign_in_page(desk, walk.base, "dieuphoi")
    walk.visit(desk, "desk-board", "/dieu-do/")
    pause = desk.locator("[data-refresh-toggle]")  # the board reloads itself; the reader may pause it
    walk.expect(pause.is_visible(), "desk-board", "refresh-pause", "no visible pause button")
    if pause.is_visible():
        pause.click()
        walk.expect(pause.get_attribute("aria-pressed") == "true", "desk-board", "refresh-pause", "not pressed")
    walk.visit(desk, "desk-incident", f"/dieu-do/su-co/{data.incident_id}")
    walk.visit(desk, "desk-cover", f"/dieu-do/xa/{WARD}/truc-thay")
    walk.visit(desk, "incident-log", "/dieu-phoi/su-co")
    walk.visit(desk, "ward-choose", "/xa-phuong/")
    phone = walk.page()
    walk.visit(phone, "technician", data.technician_path)
    walk.visit(phone, "technician-refused", "/su-co/khong-hop-le", status=404)
    walk.visit(phone, "visit-team", data.team_path)


def _in_english(walk: Walk, data: Campaign) -> None:
    """On a phone, the main pages of each journey again in English (``?lang=en`` holds for the session):
    longer words must fit too."""
    page = walk.page()
    walk.visit(page, "volunteer-lookup-en", "/ca-truc/?lang=en")
    walk.visit(page, "volunteer-link-en", data.link_path)
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/ca-truc/cua-toi"))
    walk.check(page, "volunteer-shifts-en")
    lang = page.evaluate("document.documentElement.lang")
    walk.expect(lang == "en", "volunteer-shifts-en", "html-lang-session", f"<html lang={lang!r}>")
    youth = walk.page()
    youth.goto(walk.base + "/?lang=en")
    sign_in_page(youth, walk.base, "thanhdoan")
    for name, path in (("youth-students-en", "/thanh-doan/"), ("youth-pins-en", "/thanh-doan/ghim")):
        walk.visit(youth, name, path)
    coordinator = walk.page()
    coordinator.goto(walk.base + "/?lang=en")
    sign_in_page(coordinator, walk.base, "dieuphoi")
    version = f"/dieu-phoi/phien-ban/{data.published_id}"
    for name, path in (
        ("dashboard-en", "/dieu-phoi/"),
        ("version-en", version),
        ("gaps-en", f"{version}/thieu"),
        ("ward-en", f"{version}/xa/{data.ward_code}"),
        ("daily-en", "/dieu-phoi/bao-cao-ngay"),
        ("today-en", "/dieu-phoi/hom-nay"),
        ("repair-en", f"/dieu-phoi/sua-lich/{data.repair_id}"),
        ("desk-board-en", "/dieu-do/"),
    ):
        walk.visit(coordinator, name, path)
    phone = walk.page()
    phone.goto(walk.base + "/?lang=en")
    walk.visit(phone, "technician-en", data.technician_path)
    walk.visit(phone, "visit-team-en", data.team_path)


def test_every_page_passes_axe_and_fits_at_both_sizes(axe_script, browser, live_server):
    started = time.perf_counter()
    data = _set_up(live_server)
    print(f"set-up {time.perf_counter() - started:.1f} s")
    findings: list[Finding] = []
    minor: list[Finding] = []
    checked: dict[str, list[str]] = {}
    for index, (width, height) in enumerate(SIZES):
        walk = Walk(browser, live_server.url, axe_script, width, height)
        try:
            for journey in (_public, _volunteer, _youth, _coordinator, _field, _in_english):
                started = time.perf_counter()
                if journey is _coordinator:
                    journey(walk, data, first=index == 0)
                elif journey is _public or journey is _youth:
                    journey(walk)
                elif journey is not _in_english or width < 600:
                    journey(walk, data)
                print(f"{walk.size} {journey.__name__} {time.perf_counter() - started:.1f} s")
        finally:
            walk.close()
        findings += walk.findings
        minor += walk.minor
        checked[walk.size] = walk.checked
        slowest = sorted(walk.seconds.items(), key=lambda item: -item[1])[:5]
        print(walk.size, "checks took", ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest))

    assert checked["1366x768"] == checked["390x844"][: len(checked["1366x768"])]  # the same walk at both sizes
    in_english = checked["390x844"][len(checked["1366x768"]) :]
    assert len(checked["1366x768"]) >= 45 and len(in_english) >= 15
    print("moderate and minor findings:", *minor, sep="\n")
    new = [f for f in findings if f.rule not in ALLOWED.get(f.page.removesuffix("-en"), set())]
    print("allowed until their pages are fixed:", *[f for f in findings if f not in new], sep="\n")
    assert not new, "\n".join(map(str, new))
