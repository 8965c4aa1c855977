"""The live roster from end to end in headless Chromium, with CSRF on, on SQLite and PostgreSQL.

The tiny campaign is published and its clock fixed to the evening before its first day, so every
shift is upcoming. A student cancels one shift on a phone-sized page; the coordinator sees it on the
dashboard, the events list, the ward page and the daily report; repairs it in "Sửa lịch" (the
optimiser's draft, then a pick from the ranked list), publishes it; the two people whose shifts
changed see "Lịch của bạn đã thay đổi", one takes the new shift with "Nhận ca"; their calendar
feeds carry the change; the outbox holds their e-mails, and one delivery round hands them to a real
SMTP server on loopback with the Vietnamese intact.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from scheduler.model import Pool
from tests.web.conftest import PASSWORD

NOW = "2025-07-23T20:00"  # the evening before the tiny campaign's first day
TODAY = "2025-07-23"
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
REASON = "Em bị sốt cao, xin lỗi đội."
PHONE = (390, 844)
DESK = (1366, 768)


# ------------------------------------------------------------------------------------------ SMTP server


# ------------------------------------------------------------------------------------------ set-up


def _addresses(app) -> dict[str, str]:
    """Store people.csv again with a "Thư điện tử" column; person id -> address."""
    from tests.web.conftest import TINY
    from web import store

    lines = (TINY / "people.csv").read_text(encoding="utf-8").splitlines()
    addresses = {line.split(",")[0]: f"{line.split(',')[0].lower()}@example.vn" for line in lines[1:]}
    rows = [lines[0] + ",Thư điện tử"] + [f"{line},{addresses[line.split(',')[0]]}" for line in lines[1:]]
    with app.app_context():
        store.import_files({"people.csv": ("\n".join(rows) + "\n").encode("utf-8")}, username="test")
        assert {p.id: p.email for p in store.campaign().people} == addresses
    return addresses


def _chosen_shift(campaign, roster):
    """The first (by date, ward, shift, person) student's service shift, off the peak days, whose slot has
    exactly the ward's minimum of support staff, of a student with more than one shift: cancelling it
    leaves the ward short."""
    on_slot = Counter((a.ward_code, a.date, a.shift_id) for a in roster.assignments if a.shift_id)
    shifts_of = Counter(a.person_id for a in roster.assignments)
    choices = []
    for a in roster.assignments:
        demand = campaign.demand(a.ward_code)
        if (
            a.shift_id in demand.service_shift_ids
            and a.date not in demand.peak_dates
            and campaign.person(a.person_id).pool is Pool.STUDENT
            and on_slot[(a.ward_code, a.date, a.shift_id)] == demand.min_support_staff
            and shifts_of[a.person_id] >= 2
        ):
            choices.append(a)
    assert choices, "the tiny roster has no student on a slot at exactly the minimum"
    return min(choices, key=lambda a: (a.date, a.ward_code, a.shift_id, a.person_id))


def _day(day) -> str:
    return f"{WEEKDAYS[day.weekday()]}, {day:%d/%m/%Y}"


def _hours(shift) -> str:
    """ "13:30–17:30"; a shift past midnight "23:30–07:30 (hôm sau)"."""
    start, end = shift.start_minute, shift.end_minute % (24 * 60)
    text = f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"
    return text + (" (hôm sau)" if shift.end_minute > 24 * 60 else "")


def _feed(page) -> dict[str, tuple[str, int, int, list]]:
    """The signed-in volunteer's calendar feed, fetched from the link on their page:
    UID -> (STATUS, SEQUENCE, number of VALARMs, the alarms' triggers)."""
    href = page.locator("a", has_text="Tải tệp .ics").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.body())
    return {
        str(e["UID"]): (
            str(e["STATUS"]),
            int(e["SEQUENCE"]),
            len(e.walk("VALARM")),
            [alarm.decoded("TRIGGER") for alarm in e.walk("VALARM")],
        )
        for e in calendar.walk("VEVENT")
    }


def _uid(person_id: str, a) -> str:
    return f"{person_id}-{a.date:%Y%m%d}-{a.shift_id or a.mobile_point_id}@ra-quan"


def _volunteer_signs_in(page, base: str, app, person) -> None:
    from web.codes import personal_code

    page.goto(base + "/ca-truc/")
    page.fill("input[name=phone]", person.phone)
    page.fill("input[name=code]", personal_code(app.config["SECRET_KEY"], person.id))
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/ca-truc/cua-toi$"))


def _coordinator_signs_in(page, base: str) -> None:
    page.goto(base + "/dang-nhap")
    page.fill("input[name=username]", "dieuphoi")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.stack [type=submit]")
    page.wait_for_url(re.compile(r"/dieu-phoi/?$"))


def _daily_row(page, base: str, ward_code: str, day) -> dict[str, str]:
    """The daily report's row of a ward on a day, chosen in the page's own date picker."""
    page.goto(base + "/dieu-phoi/bao-cao-ngay")
    page.select_option("select[name=date]", day.isoformat())
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(rf"date={day.isoformat()}"))
    cells = page.locator(f"tr[data-ward='{ward_code}'] td").all_inner_texts()
    return {"name": cells[1], "assigned": cells[2], "missing": cells[3], "cancelled": cells[6]}


def _summary(page) -> str:
    return page.locator("[data-summary]").inner_text().strip()


def _draft_id(page) -> int:
    page.wait_for_url(re.compile(r"/dieu-phoi/sua-lich/\d+$"))
    return int(re.search(r"/sua-lich/(\d+)$", page.url).group(1))


# ------------------------------------------------------------------------------------------ the journey


def test_a_cancellation_from_phone_to_repaired_roster_feed_and_mail(live_server, open_page, smtp):
    from web import outbox, store
    from web.models import RosterVersion, db
    from web.outbox import OutboxMessage
    from web.volunteer import ShiftAnswer

    app, base = live_server.app, live_server.url
    app.config.update(
        RAQUAN_NOW=NOW,
        RAQUAN_TODAY=TODAY,
        RAQUAN_REPAIR_SECONDS=5,
        RAQUAN_SMTP_HOST="127.0.0.1",
        RAQUAN_SMTP_PORT=str(smtp.port),
        RAQUAN_SMTP_FROM="raquan@localhost",
    )
    addresses = _addresses(app)
    with app.app_context():
        campaign = store.campaign()
        first = store.latest_published()
        first_id = first.id
        roster = store.roster_of(first)
    cancelled = _chosen_shift(campaign, roster)
    day, ward, shift = cancelled.date, campaign.ward(cancelled.ward_code), campaign.shift(cancelled.shift_id)
    student = campaign.person(cancelled.person_id)
    slot_line = f"{_day(day)} · {_hours(shift)} — {shift.name}, {ward.name}"
    on_day_in_ward = sum(1 for a in roster.assignments if a.date == day and a.ward_code == ward.code)
    missing_before = sum(u.missing for u in roster.unfilled if u.date == day and u.ward_code == ward.code)

    # ---- the coordinator's views before: nothing open, the ward's day as published
    desk = open_page(*DESK)
    _coordinator_signs_in(desk, base)
    assert desk.locator("[data-open-events]").get_attribute("data-open-events") == "0"
    assert desk.locator("[data-unrepaired]").get_attribute("data-unrepaired") == "0"
    before = _daily_row(desk, base, ward.code, day)
    assert before == {
        "name": ward.name,
        "assigned": str(on_day_in_ward),
        "missing": str(missing_before) if missing_before else "✓",
        "cancelled": "—",
    }

    # ---- the student cancels one shift on a phone
    phone = open_page(*PHONE)
    _volunteer_signs_in(phone, base, app, student)
    assert "Lịch của bạn đã thay đổi" not in phone.content()  # the first version they see
    own = sorted((a for a in roster.assignments if a.person_id == student.id), key=lambda a: (a.date, a.shift_id))
    assert phone.locator("article.shift").count() == len(own)
    feed_before = _feed(phone)
    assert feed_before == {_uid(student.id, a): ("CONFIRMED", first_id, 1, [-timedelta(minutes=60)]) for a in own}

    card = phone.locator("article.shift").filter(has_text=f"{day:%d/%m/%Y}").filter(has_text=shift.name)
    assert card.count() == 1
    assert ward.name in card.inner_text()
    card.locator("summary", has_text="Tôi không thể đến").click()
    card.locator("textarea[name=reason]").fill(REASON)
    card.locator("button", has_text="Gửi báo không thể đến").click()
    phone.wait_for_url(re.compile(r"/ca-truc/cua-toi$"))
    assert (
        phone.locator(".flash").first.inner_text().strip()
        == f"Đã ghi nhận: bạn không thể đến ca {day:%d/%m/%Y}. Điều phối viên sẽ sắp xếp người thay."
    )
    reported = phone.locator("article.shift.reported")
    assert reported.count() == 1 and f"{day:%d/%m/%Y}" in reported.inner_text()
    assert "Đã báo không thể đến" in reported.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # no sideways scrolling

    # ---- the coordinator sees it: dashboard, events, ward page, daily report
    desk.goto(base + "/dieu-phoi/")
    assert desk.locator("[data-open-events]").get_attribute("data-open-events") == "1"
    assert desk.locator("[data-unrepaired]").get_attribute("data-unrepaired") == "1"
    desk.click("a[data-unrepaired]")  # "Hôm nay", by the campaign's clock: the evening before, the first shift next
    desk.wait_for_url(re.compile(r"/dieu-phoi/hom-nay$"))
    assert desk.locator("h1").inner_text() == "Hôm nay — 20:00 23/07/2025"
    first_shift = campaign.shifts[0]
    assert (
        desk.locator("section.slot h3")
        .first.inner_text()
        .startswith(f"{first_shift.name} {_hours(first_shift)} — {campaign.start_date:%d/%m/%Y}")
    )
    assert desk.locator("[data-unrepaired]").get_attribute("data-unrepaired") == "1"
    open_list = desk.locator("h2:has-text('Sự kiện chưa xử lý (1)') + table tbody tr")
    assert open_list.count() == 1
    assert student.name in open_list.inner_text() and f"{day:%d/%m/%Y} — {shift.name}" in open_list.inner_text()
    desk.click("nav.subnav a:has-text('Sự kiện')")
    desk.wait_for_url(re.compile(r"/dieu-phoi/su-kien$"))
    rows = desk.locator("table.events tbody tr[data-event]")
    assert rows.count() == 1
    event_row = rows.first
    cells = event_row.locator("td").all_inner_texts()
    assert cells[2] == "báo không thể đến"
    assert cells[3].startswith(f"{student.name} {student.id}") and student.phone in cells[3]
    assert cells[4] == ward.name
    assert cells[5] == f"{day:%d/%m/%Y} — {shift.name} — lý do: {REASON}"
    assert cells[6].startswith("tình nguyện viên") and cells[7].strip() == "chưa xử lý"

    event_row.locator("td a", has_text=ward.name).click()  # the event's ward page
    desk.wait_for_url(re.compile(rf"/phien-ban/{first_id}/xa/{ward.code}$"))
    assert "1 ca ở xã, phường này đã bị báo vắng và chưa được sửa lịch." in desk.locator(".flash.error").inner_text()
    struck = desk.locator(f"tr#d{day.isoformat()} li.cancelled")
    assert struck.count() == 1
    assert struck.locator("s").inner_text() == student.name and "đã báo vắng" in struck.inner_text()
    short_cell = desk.locator(f"tr#d{day.isoformat()} td.short", has=desk.locator("li.cancelled"))
    assert short_cell.count() == 1 and "thiếu 1" in short_cell.inner_text()
    assert desk.locator(f"tr#d{day.isoformat()} td.num").inner_text() == str(missing_before + 1)

    after = _daily_row(desk, base, ward.code, day)
    assert after == {
        "name": ward.name,
        "assigned": str(on_day_in_ward - 1),
        "missing": str(missing_before + 1),
        "cancelled": "1",
    }
    assert (
        "1 phân công trong ngày đã bị báo vắng và chưa được sửa lịch"
        in desk.locator("li[data-total=cancelled]").inner_text()
    )

    # ---- "Sửa lịch": the optimiser's draft, its summary and diff
    desk.click("nav.subnav a:has-text('Sửa lịch')")
    desk.wait_for_url(re.compile(r"/dieu-phoi/sua-lich$"))
    assert desk.locator("[data-open-events]").get_attribute("data-open-events") == "1"
    desk.click(f"button:has-text('Tạo bản sửa lịch từ lịch #{first_id}')")
    draft_id = _draft_id(desk)
    assert _summary(desk) == "1 người thêm ca, 0 người đổi ca, 1 người bớt ca, còn 0 ca thiếu người"
    group = desk.locator(f"section#w{ward.code}", has_text=f"{ward.name} — {day:%d/%m/%Y}")
    removed_row = group.locator(f"tr[data-change=removed][data-person='{student.id}']")
    assert removed_row.count() == 1 and student.name in removed_row.inner_text()
    added_rows = desk.locator("tr[data-change=added]")
    assert added_rows.count() == 1 and desk.locator("tr[data-change=removed]").count() == 1
    with app.app_context():
        draft = store.roster_of(db.session.get(RosterVersion, draft_id))
    (solver_pick,) = set(draft.assignments) - set(roster.assignments)
    assert set(roster.assignments) - set(draft.assignments) == {cancelled}
    assert (solver_pick.ward_code, solver_pick.date, solver_pick.shift_id) == (ward.code, day, shift.id)
    assert added_rows.first.get_attribute("data-person") == solver_pick.person_id
    assert campaign.person(solver_pick.person_id).name in added_rows.first.inner_text()

    # ---- the coordinator puts the optimiser's pick back and chooses from the ranked list instead
    added_rows.first.locator("button", has_text="Bỏ thay đổi").click()
    second_id = _draft_id(desk)
    assert second_id != draft_id
    assert _summary(desk) == "0 người thêm ca, 0 người đổi ca, 1 người bớt ca, còn 1 ca thiếu người"
    seat = desk.locator("table.seats tr.gap[data-seat]")  # the seat the cancellation left, marked new
    assert seat.count() == 1
    assert seat.locator("td").all_inner_texts()[:3] == [f"{day:%d/%m/%Y}", ward.name, shift.name]
    seat.locator("a", has_text="Chọn người").click()
    desk.wait_for_url(re.compile(rf"/sua-lich/{second_id}/o-trong\?"))
    ranked = desk.locator("table.candidates tr[data-candidate]")
    assert ranked.count() >= 1
    ranked_ids = [row.get_attribute("data-candidate") for row in ranked.all()]
    assert student.id not in ranked_ids and solver_pick.person_id in ranked_ids
    chosen = campaign.person(ranked_ids[0])
    reason = ranked.first.locator("td").nth(3).inner_text()
    assert "cách " in reason and "giờ tuần này" in reason
    ranked.first.locator("button", has_text="Chọn").click()
    final_id = _draft_id(desk)
    assert final_id not in (draft_id, second_id)
    assert f"Đã thêm {chosen.name}" in desk.locator(".flash").first.inner_text()
    assert _summary(desk) == "1 người thêm ca, 0 người đổi ca, 1 người bớt ca, còn 0 ca thiếu người"
    assert desk.locator("tr[data-change=added]").get_attribute("data-person") == chosen.id
    assert desk.locator("table.seats tr.gap[data-seat]").count() == 0  # no new seat left empty
    with app.app_context():
        final = store.roster_of(db.session.get(RosterVersion, final_id))
    (picked,) = set(final.assignments) - set(roster.assignments)
    assert (picked.person_id, picked.ward_code, picked.date, picked.shift_id) == (chosen.id, ward.code, day, shift.id)
    assert set(roster.assignments) - set(final.assignments) == {cancelled}

    # ---- publishing: how many people are told, beforehand; then the new version
    desk.click("a.button:has-text('Công bố bản sửa')")
    desk.wait_for_url(re.compile(rf"/sua-lich/{final_id}/cong-bo$"))
    assert desk.locator("[data-notify]").get_attribute("data-notify") == "2"
    assert "Khi công bố, 2 người có lịch thay đổi sẽ nhận thông báo" in desk.locator("[data-notify]").inner_text()
    assert "1 sự kiện sẽ được đánh dấu đã sửa lịch." in desk.content()
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage)).all() == []  # nothing told before publishing
    desk.click("button:has-text('Công bố và thông báo 2 người')")
    desk.wait_for_url(re.compile(rf"/dieu-phoi/phien-ban/{final_id}$"))
    assert (
        f"Đã công bố phiên bản {final_id}: 2 người sẽ nhận thông báo, 1 sự kiện đã được sửa lịch."
        in desk.locator(".flash").first.inner_text()
    )
    with app.app_context():
        assert store.latest_published().id == final_id > first_id
        assert store.lineage(final_id).parent_id == first_id
    desk.goto(base + "/dieu-phoi/")
    assert desk.locator("[data-open-events]").get_attribute("data-open-events") == "0"
    assert desk.locator("[data-unrepaired]").get_attribute("data-unrepaired") == "0"
    desk.goto(base + "/dieu-phoi/su-kien?show=all")
    done = desk.locator("table.events tr[data-event]")
    assert done.count() == 1 and "đã sửa lịch" in done.locator("td").nth(7).inner_text()
    assert done.locator(f"a[href$='/phien-ban/{final_id}']").count() == 1

    # ---- the outbox holds the two people's e-mails, queued; the coordinator sees them
    told = {student.id, chosen.id}
    with app.app_context():
        queued = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        assert {(m.key, m.person_id, m.channel, m.address, m.kind, m.state) for m in queued} == {
            (f"change:{final_id}:{p}:email", p, "email", addresses[p], "change", "queued") for p in told
        }
    desk.click("nav.subnav a:has-text('Hộp thư đi')")
    desk.wait_for_url(re.compile(r"/dieu-phoi/hop-thu-di$"))
    listed = desk.locator("table tbody tr")
    assert listed.count() == 2
    for row in listed.all():
        text = row.inner_text()
        assert "lịch thay đổi" in text and "đang chờ gửi" in text and "Lịch trực của bạn đã thay đổi" in text
    assert {re.search(r"[a-z]{2}\d{4}@example\.vn", row.inner_text()).group(0) for row in listed.all()} == {
        addresses[p] for p in told
    }

    # ---- the student sees the cancelled shift gone; the feed marks it CANCELLED with a higher SEQUENCE
    phone.goto(base + "/ca-truc/cua-toi")
    changes = phone.locator("[data-changes]")
    assert changes.locator("h2").inner_text() == "Lịch của bạn đã thay đổi"
    assert f"So với lịch bạn đã xem (phiên bản {first_id}):" in changes.inner_text()
    assert changes.locator("[data-removed]").inner_text().startswith(f"Bỏ ca: {slot_line}")
    assert changes.locator("[data-added]").count() == 0 and changes.locator("button", has_text="Nhận ca").count() == 0
    assert phone.locator("article.shift").count() == len(own) - 1
    feed_after = _feed(phone)
    expected = dict(feed_before)
    expected[_uid(student.id, cancelled)] = ("CANCELLED", final_id, 0, [])
    assert feed_after == expected

    # ---- the person chosen sees the new shift, takes it with "Nhận ca"; their feed has it with a reminder
    other = open_page(*PHONE)
    _volunteer_signs_in(other, base, app, chosen)
    changes = other.locator("[data-changes]")
    assert changes.locator("h2").inner_text() == "Lịch của bạn đã thay đổi"
    new_shift = changes.locator("[data-added]")
    assert new_shift.count() == 1 and new_shift.inner_text().startswith(f"Ca mới: {slot_line}")
    new_shift.locator("button", has_text="Nhận ca").click()
    other.wait_for_url(re.compile(r"/ca-truc/cua-toi$"))
    assert other.locator(".flash").first.inner_text().strip() == f"Cảm ơn bạn đã nhận ca {day:%d/%m/%Y}."
    accepted = other.locator("[data-changes] [data-answer=accept]")
    assert accepted.count() == 1 and accepted.inner_text() == "Bạn đã nhận ca này."
    assert other.locator("[data-changes] button", has_text="Nhận ca").count() == 0
    assert other.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    with app.app_context():
        answers = [
            (a.version_id, a.person_id, a.assignment_key, a.answer, a.event_id)
            for a in db.session.scalars(select(ShiftAnswer))
        ]
    assert answers == [(final_id, chosen.id, f"{day.isoformat()}|{shift.id}|{ward.code}", "accept", None)]
    chosen_feed = _feed(other)
    theirs = [a for a in roster.assignments if a.person_id == chosen.id]
    assert chosen_feed == {
        **{_uid(chosen.id, a): ("CONFIRMED", first_id, 1, [-timedelta(minutes=60)]) for a in theirs},
        _uid(chosen.id, picked): ("CONFIRMED", final_id, 1, [-timedelta(minutes=60)]),
    }

    # ---- one delivery round sends the two e-mails to the SMTP server on loopback, in full Vietnamese
    with app.app_context():
        delivered = outbox.deliver_due(limit=100)
        assert sorted(delivered.sent) == sorted(m.id for m in queued) and not delivered.failed
        assert outbox.deliver_due(limit=100).sent == []  # each once
        states = {m.person_id: (m.state, m.attempts) for m in db.session.scalars(select(OutboxMessage))}
    assert states == {p: ("sent", 1) for p in told}
    assert sorted(rcpts for rcpts, _message in smtp.messages) == sorted([addresses[p]] for p in told)
    mail = {rcpts[0]: message for rcpts, message in smtp.messages}
    slot_text = f"{WEEKDAYS[day.weekday()]} {day:%d/%m/%Y}, {shift.name} {_hours(shift)}, {ward.name}"
    for person_id, section in ((student.id, "Ca không còn trong lịch của bạn:"), (chosen.id, "Ca mới")):
        message = mail[addresses[person_id]]
        assert message["Subject"] == "Lịch trực của bạn đã thay đổi"
        assert message.get_content_charset() == "utf-8"
        text = message.get_content()
        person = campaign.person(person_id)
        assert text.startswith(f"Chào {person.name.split()[-1]},\n\nLịch trực của bạn đã thay đổi.")
        assert f"{section}" in text and f"- {slot_text}" in text
        assert text.index(section) < text.index(f"- {slot_text}")
        assert "Ban điều phối chiến dịch 45 ngày đêm ra quân hỗ trợ chuyển đổi số" in text

    # ---- the sender's full round that evening adds tomorrow's reminders, and sends no change notice again
    tomorrow = campaign.start_date
    assert tomorrow.isoformat() > TODAY
    reminded = {a.person_id for a in final.assignments if a.date == tomorrow}
    assert len(reminded) >= 5
    count_before = len(smtp.messages)
    with app.app_context():
        round_ = outbox.sender_round(limit=100)
        assert len(round_.sent) == len(reminded) and not round_.failed
        kinds = Counter((m.kind, m.state) for m in db.session.scalars(select(OutboxMessage)))
    assert kinds == {("change", "sent"): 2, ("reminder", "sent"): len(reminded)}
    reminders = smtp.messages[count_before:]
    assert sorted(rcpts[0] for rcpts, _message in reminders) == sorted(addresses[p] for p in reminded)
    for rcpts, message in reminders:
        person_id = next(p for p in reminded if addresses[p] == rcpts[0])
        assert message["Subject"] == f"Nhắc lịch: ngày mai {tomorrow:%d/%m/%Y} bạn có ca trực"
        text = message.get_content()
        assert f"Nhắc lịch: ngày mai, {WEEKDAYS[tomorrow.weekday()]} {tomorrow:%d/%m/%Y}, bạn có ca trực:" in text
        for a in final.assignments:
            if a.person_id == person_id and a.date == tomorrow and a.shift_id:
                s = campaign.shift(a.shift_id)
                assert f"- {s.name} {_hours(s)}, {campaign.ward(a.ward_code).name}" in text
