"""The duty desk: the board with its escalations, an incident's candidates and steps (a stale page is told),
cancelling, covering a ward, escalation in the sender's rounds, the "Hôm nay" page, the daily report's
response figures and the incident log with its filters and XLSX export."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest

from scheduler import dispatch
from scheduler.events import Event
from scheduler.model import Person, Pool
from tests.web.conftest import login
from web import incidents, live

EVENING = datetime(2025, 7, 24, 20, 0)  # "Trực tối" of the tiny campaign's first day


# Every technician of the tiny roster already works 8 hours that day, and one is on duty in the evening: two
# night-eligible technicians with no shifts (added by events) are the ones the desk may call out.
SPARES = (
    Person(
        "KT0098",
        "Phan Văn Dự",
        Pool.TECHNICIAN,
        "Trung tâm",
        "00316",
        "0909000098",
        night_eligible=True,
        email="du@example.test",
    ),
    Person(
        "KT0099",
        "Lê Thị Bị",
        Pool.TECHNICIAN,
        "Trung tâm",
        "00337",
        "0909000099",
        night_eligible=True,
        email="bi@example.test",
    ),
)


@pytest.fixture
def desk_app(loaded_app):
    from web.auth import create_user

    loaded_app.config["RAQUAN_NOW"] = EVENING.isoformat()
    with loaded_app.app_context():
        create_user("truc", "mat-khau-123", "dispatcher", "Trực ban")
        create_user("phuong", "mat-khau-123", "ward", "Cán bộ phường", ward_code="00316")
        for spare in SPARES:
            live.record_event(Event("person_added", EVENING, "dieuphoi", person=spare), "coordinator")
    return loaded_app


@pytest.fixture
def desk(desk_app):
    client = desk_app.test_client()
    login(client, "truc")
    return client


def _report(app, ward="00316", category="network", urgent=True, at=None, description="Mất mạng"):
    with app.app_context():
        return incidents.report(ward, category, urgent, description, by="phuong", at=at).id


def _row(app, incident_id):
    with app.app_context():
        row = incidents.get(incident_id)
        incidents.db.session.expunge(row)
        return row


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_only_the_desk_and_coordinators_open_it(desk_app):
    client = desk_app.test_client()
    assert client.get("/dieu-do/").status_code == 302  # to sign in
    login(client, "phuong")
    assert client.get("/dieu-do/").status_code == 403
    assert client.get("/dieu-phoi/su-co").status_code == 403
    coordinator = desk_app.test_client()
    login(coordinator, "dieuphoi")
    assert coordinator.get("/dieu-do/").status_code == 200
    assert coordinator.get("/dieu-phoi/su-co").status_code == 200


def test_the_board_lists_open_incidents_urgent_first_with_minutes_against_the_limit(desk_app, desk):
    calm = _report(desk_app, "00337", "procedure", urgent=False, at=EVENING - timedelta(minutes=50))
    urgent = _report(desk_app, "00316", "network", urgent=True, at=EVENING - timedelta(minutes=5))
    page = _text(desk.get("/dieu-do/"))
    order = [int(n) for n in re.findall(r'data-incident="(\d+)" data-state="reported"', page)]
    assert order == [urgent, calm]
    limit = _row(desk_app, calm).limit_minutes
    assert f"50 / {limit} phút từ lúc báo" in page
    assert 'http-equiv="refresh"' in page
    assert "quá giới hạn" in page  # the calm one is 50 minutes old, past its limit


def test_the_incident_page_ranks_three_candidates_with_reasons_and_assigns_one(desk_app, desk):
    incident_id = _report(desk_app)
    page = _text(desk.get(f"/dieu-do/su-co/{incident_id}"))
    with desk_app.app_context():
        ranked = incidents.candidates_for(incidents.get(incident_id))
    shown = re.findall(r'data-candidate="([^"]+)" data-tier="([^"]+)"', page)
    assert shown == [(c.person_id, c.tier) for c in ranked] and 1 <= len(shown) <= 3
    for candidate in ranked:
        assert candidate.reason_vi in page
    assert "Đang phụ trách xã, phường này" in page or "Đang trực nơi khác" in page or "Gọi ngoài ca" in page
    response = desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": ranked[0].person_id, "seen": "0"})
    assert response.status_code == 303
    row = _row(desk_app, incident_id)
    assert row.state == dispatch.ASSIGNED and row.technician_id == ranked[0].person_id
    page = _text(desk.get(f"/dieu-do/su-co/{incident_id}"))
    assert f"Đã giao sự cố #{incident_id} cho {ranked[0].name}" in page
    assert ranked[0].reason_vi in page  # the assignment's reason is in the timeline


def test_a_stale_page_is_told_the_incident_moved_and_changes_nothing(desk_app, desk):
    incident_id = _report(desk_app)
    with desk_app.app_context():
        ranked = incidents.candidates_for(incidents.get(incident_id), limit=None)
    assert len(ranked) >= 2
    first = desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": ranked[0].person_id, "seen": "0"})
    assert first.status_code == 303
    second = desk.post(
        f"/dieu-do/su-co/{incident_id}/giao",
        data={"person_id": ranked[1].person_id, "seen": "0"},
        follow_redirects=True,
    )
    assert "Sự cố đã thay đổi từ lúc bạn mở trang" in _text(second)
    assert _row(desk_app, incident_id).technician_id == ranked[0].person_id
    stale_cancel = desk.post(f"/dieu-do/su-co/{incident_id}/huy", data={"reason": "nhầm", "seen": "0"})
    assert stale_cancel.status_code == 303 and _row(desk_app, incident_id).state == dispatch.ASSIGNED


def test_reassigning_offers_the_others_and_cancelling_needs_a_reason(desk_app, desk):
    incident_id = _report(desk_app)
    with desk_app.app_context():
        ranked = incidents.candidates_for(incidents.get(incident_id), limit=None)
    desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": ranked[0].person_id, "seen": "0"})
    page = _text(desk.get(f"/dieu-do/su-co/{incident_id}?tat-ca=1"))
    assert "Giao lại cho người khác" in page
    offered = re.findall(r'data-candidate="([^"]+)"', page)
    assert ranked[0].person_id not in offered and offered
    desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": offered[0], "seen": "1"})
    row = _row(desk_app, incident_id)
    assert row.technician_id == offered[0] and ranked[0].person_id in row.excluded
    refused = desk.post(f"/dieu-do/su-co/{incident_id}/huy", data={"reason": "", "seen": str(row.revision)})
    assert refused.status_code == 303 and _row(desk_app, incident_id).state == dispatch.ASSIGNED
    desk.post(f"/dieu-do/su-co/{incident_id}/huy", data={"reason": "phường tự xử lý được", "seen": str(row.revision)})
    row = _row(desk_app, incident_id)
    assert row.state == dispatch.CANCELLED
    with desk_app.app_context():
        assert incidents.steps_of(incident_id)[-1].note == "phường tự xử lý được"
    steps = re.findall(r'data-step="([a-z_]+)"', _text(desk.get(f"/dieu-do/su-co/{incident_id}")))
    assert steps == ["reported", "assigned", "assigned", "cancelled"]


def test_the_desk_records_the_steps_a_technician_phones_in(desk_app, desk):
    incident_id = _report(desk_app, category="procedure", urgent=False)
    with desk_app.app_context():
        ranked = incidents.candidates_for(incidents.get(incident_id))
    desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": ranked[0].person_id, "seen": "0"})
    desk.post(f"/dieu-do/su-co/{incident_id}/buoc", data={"to": dispatch.RESOLVED_REMOTE, "seen": "1"})
    row = _row(desk_app, incident_id)
    assert row.state == dispatch.RESOLVED_REMOTE and row.resolved_at == EVENING
    refused = desk.post(f"/dieu-do/su-co/{incident_id}/buoc", data={"to": dispatch.CANCELLED, "seen": "2"})
    assert refused.status_code == 303 and _row(desk_app, incident_id).state == dispatch.RESOLVED_REMOTE


def _callout(app, incident_id, person_id="KT0098"):
    with app.app_context():
        ranked = {c.person_id: c for c in incidents.candidates_for(incidents.get(incident_id), limit=None)}
    assert ranked[person_id].tier == "call_out"
    return ranked[person_id]


def test_an_unacknowledged_incident_escalates_on_the_board_once_and_its_technician_is_told(desk_app, desk):
    from web.outbox import OutboxMessage

    desk_app.config["RAQUAN_SMTP_HOST"] = "127.0.0.1"  # e-mail on (queued only: nothing is sent here)
    incident_id = _report(desk_app)
    chosen = _callout(desk_app, incident_id)
    with desk_app.app_context():
        ack = live.live_campaign().rules.acknowledge_limit_minutes
    desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": chosen.person_id, "seen": "0"})
    page = _text(desk.get("/dieu-do/"))
    assert 'role="alert"' not in page
    desk_app.config["RAQUAN_NOW"] = (EVENING + timedelta(minutes=ack + 1)).isoformat()
    page = _text(desk.get("/dieu-do/"))
    assert "1 sự cố chưa được xác nhận" in page and 'data-unacknowledged="1"' in page
    assert f'data-incident="{incident_id}" data-state="assigned"' in page
    desk.get("/dieu-do/")  # a second load escalates nothing more
    with desk_app.app_context():
        steps = [s.step for s in incidents.steps_of(incident_id)]
        notices = list(
            incidents.db.session.scalars(
                incidents.select(OutboxMessage).where(OutboxMessage.kind == "incident-escalation")
            )
        )
    assert steps.count(incidents.ESCALATED) == 1
    assert [(n.person_id, n.channel, n.address) for n in notices] == [("KT0098", "email", "du@example.test")]
    assert f"#{incident_id}" in notices[0].subject and "chưa xác nhận" in notices[0].body
    # the next candidate is offered: the one who did not answer is not among them
    page = _text(desk.get(f"/dieu-do/su-co/{incident_id}"))
    assert "KT0098" not in re.findall(r'data-candidate="([^"]+)"', page)


def test_two_sender_rounds_escalate_once_and_e_mail_the_technician_once(desk_app, smtp):
    from web import outbox

    desk_app.config.update(RAQUAN_SMTP_HOST="127.0.0.1", RAQUAN_SMTP_PORT=str(smtp.port))
    incident_id = _report(desk_app)
    chosen = _callout(desk_app, incident_id)
    with desk_app.app_context():
        assert incidents.assign(incidents.get(incident_id), chosen, "truc")
        ack = live.live_campaign().rules.acknowledge_limit_minutes
        outbox.sender_round()
        assert incidents.escalation_reasons(incidents.get(incident_id)) == set()
    desk_app.config["RAQUAN_NOW"] = (EVENING + timedelta(minutes=ack + 1)).isoformat()
    with desk_app.app_context():
        outbox.sender_round()
        outbox.sender_round()
        steps = [s.step for s in incidents.steps_of(incident_id)]
        assert steps.count(incidents.ESCALATED) == 1
        assert "acknowledge" in incidents.escalation_reasons(incidents.get(incident_id))
    subjects = [message["Subject"] for _to, message in smtp.messages]
    assert len(subjects) == 2, subjects  # the assignment, then one reminder of it
    assert subjects[0].startswith(f"KHẨN: Sự cố #{incident_id}")
    assert subjects[1].startswith(f"Nhắc: sự cố #{incident_id}") and "chưa xác nhận" in subjects[1]
    assert all(to == ["du@example.test"] for to, _message in smtp.messages)


def _walk(app, incident_id, person_id, minutes_to_arrive, minutes_to_resolve):
    """Assign, acknowledge, arrive and resolve, each step at its own time after the report."""
    with app.app_context():
        row = incidents.get(incident_id)
        start = row.reported_at
        assert incidents.assign(row, incidents.candidate_by_person(row, person_id, start), "truc", at=start)
        for to, minutes in (
            (dispatch.ACKNOWLEDGED, 1),
            (dispatch.ARRIVED, minutes_to_arrive),
            (dispatch.RESOLVED, minutes_to_resolve),
        ):
            row = incidents.get(incident_id)
            assert incidents.move(row, to, "person:" + person_id, at=start + timedelta(minutes=minutes))


def test_the_daily_report_prints_response_times_per_ward_and_for_the_city(desk_app):
    first = _report(desk_app, "00316", at=EVENING - timedelta(hours=2))
    second = _report(desk_app, "00316", "procedure", urgent=False, at=EVENING - timedelta(minutes=90))
    third = _report(desk_app, "00337", "computer", at=EVENING - timedelta(minutes=60))
    _report(desk_app, "00316", at=datetime(2025, 7, 25, 9, 0))  # another day: not counted
    desk_app.config["RAQUAN_NOW"] = (EVENING - timedelta(hours=2)).isoformat()
    _walk(desk_app, first, "KT0002", 20, 60)  # the one on duty: leaves Phường Hoàng Liệt for an hour
    desk_app.config["RAQUAN_NOW"] = (EVENING - timedelta(minutes=90)).isoformat()
    _walk(desk_app, second, "KT0099", 40, 50)  # called out; late
    desk_app.config["RAQUAN_NOW"] = EVENING.isoformat()
    client = desk_app.test_client()
    login(client, "dieuphoi")
    page = _text(client.get("/dieu-phoi/bao-cao-ngay?date=2025-07-24"))
    assert _row(desk_app, second).limit_minutes < 40

    def cells(key):
        row = re.search(rf'<tr[^>]*data-incident-ward="{key}">(.*?)</tr>', page, re.S).group(1)
        return re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)

    # reported, resolved, arrival median and p90, resolution median and p90, late, minutes left uncovered
    assert cells("00316") == ["2", "2", "30", "38", "55", "59", "1", "0"]
    # the third, never reached and an hour old at 20:00, is late; KT0002 was away from 18:00 to 19:00
    assert cells("00337") == ["1", "0", "—", "—", "—", "—", "1", "60"]
    assert cells("city") == ["3", "2", "30", "38", "55", "59", "2", "60"]
    assert third and 'data-incident-ward="09676"' not in page  # a ward with nothing that day is not listed


def test_the_today_page_shows_open_incidents_and_wards_left_uncovered(desk_app, desk):
    incident_id = _report(desk_app, "00337", "network")
    with desk_app.app_context():
        ranked = incidents.candidates_for(incidents.get(incident_id), limit=None)
    leaving = [c for c in ranked if c.uncovered]
    assert leaving, "the technician on duty answers for another ward, which they leave"
    desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": leaving[0].person_id, "seen": "0"})
    client = desk_app.test_client()
    login(client, "dieuphoi")
    page = _text(client.get("/dieu-phoi/hom-nay"))
    assert f'data-incident="{incident_id}"' in page and "/dieu-do/" in page
    for code, minutes in leaving[0].uncovered:
        assert f'data-uncovered="{code}"' in page
        until = (EVENING + timedelta(minutes=minutes)).strftime("%H:%M")
        assert until in page


def test_the_desk_moves_a_nearby_technician_to_cover_an_uncovered_ward(desk_app, desk):
    incident_id = _report(desk_app, "00337", "network")
    with desk_app.app_context():
        leaving = [c for c in incidents.candidates_for(incidents.get(incident_id), limit=None) if c.uncovered][0]
    desk.post(f"/dieu-do/su-co/{incident_id}/giao", data={"person_id": leaving.person_id, "seen": "0"})
    ward_code = leaving.uncovered[0][0]
    assert f'data-uncovered="{ward_code}"' in _text(desk.get("/dieu-do/"))
    page = _text(desk.get(f"/dieu-do/xa/{ward_code}/truc-thay"))
    suggested = re.findall(r'data-person="([^"]+)"', page)
    assert leaving.person_id not in suggested  # away at the incident
    with desk_app.app_context():
        campaign, assignments = incidents.roster_in_force()
        on_duty = set(dispatch.on_duty(campaign, assignments + incidents.callout_assignments(), EVENING))
    assert set(suggested) == on_duty - {leaving.person_id}
    if not suggested:
        # nobody else is on duty this evening in the tiny roster: a choice from outside the list is refused
        refused = desk.post(f"/dieu-do/xa/{ward_code}/truc-thay", data={"person_id": "KT0098", "minutes": "30"})
        assert refused.status_code == 200 and "Chưa điều được" in _text(refused)
        with desk_app.app_context():
            assert ward_code in incidents.uncovered_now()
        return
    response = desk.post(f"/dieu-do/xa/{ward_code}/truc-thay", data={"person_id": suggested[0], "minutes": "30"})
    assert response.status_code == 303
    assert f'data-uncovered="{ward_code}"' not in _text(desk.get("/dieu-do/"))


def test_the_incident_log_filters_pages_and_exports_every_step(desk_app, desk):
    import openpyxl

    urgent = _report(desk_app, "00316", "network", urgent=True, at=EVENING - timedelta(minutes=30))
    calm = _report(desk_app, "00337", "procedure", urgent=False, at=EVENING - timedelta(minutes=20))
    hostile = _report(desk_app, "09676", "computer", urgent=False, description="=HYPERLINK(1)", at=EVENING)
    _walk(desk_app, urgent, "KT0098", 15, 40)
    page = _text(desk.get("/dieu-phoi/su-co"))
    assert re.findall(r'<tr data-incident="(\d+)">', page) == [str(hostile), str(calm), str(urgent)]
    only_urgent = _text(desk.get("/dieu-phoi/su-co?urgent=1"))
    assert re.findall(r'<tr data-incident="(\d+)">', only_urgent) == [str(urgent)]
    by_ward = _text(desk.get("/dieu-phoi/su-co?ward=00337&state=reported&category=procedure"))
    assert re.findall(r'<tr data-incident="(\d+)">', by_ward) == [str(calm)]
    by_technician = _text(desk.get("/dieu-phoi/su-co?technician=KT0098&from=2025-07-24&to=2025-07-24"))
    assert re.findall(r'<tr data-incident="(\d+)">', by_technician) == [str(urgent)]
    assert re.findall(r'<tr data-incident="(\d+)">', _text(desk.get("/dieu-phoi/su-co?from=2025-07-25"))) == []
    response = desk.get("/dieu-phoi/su-co.xlsx?ward=00316")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    rows = list(workbook["Sự cố"].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [urgent]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Báo lúc"] == EVENING - timedelta(minutes=30)
    assert record["Đến lúc"] == EVENING - timedelta(minutes=15)
    assert record["Xử lý xong lúc"] == EVENING + timedelta(minutes=10)
    assert record["Phút đến nơi"] == 15 and record["Phút xử lý"] == 40
    steps = list(workbook["Các bước"].iter_rows(values_only=True))[1:]
    assert [s[1] for s in steps] == ["Đã báo", "Đã giao", "Đã nhận", "Đã đến", "Đã xử lý"]
    everything = openpyxl.load_workbook(io.BytesIO(desk.get("/dieu-phoi/su-co.xlsx").data))
    cells = [c for row in everything["Sự cố"].iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert cells and all(c.data_type == "s" for c in cells)  # a formula typed in a report stays text


def test_the_log_pages_fifty_at_a_time(desk_app, desk):
    with desk_app.app_context():
        for n in range(53):
            incidents.report("00316", "procedure", False, f"hỏi {n}", at=EVENING - timedelta(minutes=n))
    first = re.findall(r'<tr data-incident="(\d+)">', _text(desk.get("/dieu-phoi/su-co")))
    second = re.findall(r'<tr data-incident="(\d+)">', _text(desk.get("/dieu-phoi/su-co?page=2")))
    assert len(first) == 50 and len(second) == 3 and not set(first) & set(second)
