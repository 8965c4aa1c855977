"""The outbox: messages sent once over a real SMTP server and a real HTTP gateway on loopback.

Each test runs on SQLite and, with ``RAQUAN_TEST_POSTGRES_URL``, on PostgreSQL (see ``conftest``).
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from tests.web.conftest import TINY, login

SUBJECT = "Lịch trực của bạn đã thay đổi: Phường Định Công, ca sáng"
TEXT = (
    "Chào Lan,\n\nBạn được xếp thêm ca sáng thứ Năm 21/08/2025 tại Phường Định Công (07:30–11:30). "
    "Vui lòng bấm “Nhận ca” hoặc “Không nhận” trên trang Ca trực của tôi. Cảm ơn bạn đã đồng hành cùng "
    "chiến dịch 45 ngày đêm ra quân hỗ trợ chuyển đổi số!"
)


# ------------------------------------------------------------------------------------------ servers


class Gateway:
    """A fake SMS gateway on loopback: records each POST and answers the next status of ``statuses`` (then 200)."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.requests = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.requests.append((self.headers["Content-Type"], body))
                status = gateway.statuses.pop(0) if gateway.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    made = []

    def factory(statuses=()):
        made.append(Gateway(statuses))
        return made[-1]

    yield factory
    for server in made:
        server.close()


def _use_smtp(app, smtp):
    app.config.update(
        RAQUAN_SMTP_HOST="127.0.0.1", RAQUAN_SMTP_PORT=str(smtp.port), RAQUAN_SMTP_FROM="raquan@localhost"
    )


def _person(app, person_id="SV0001", email_address="lan.nguyen@example.vn"):
    from web import store

    with app.app_context():
        campaign = store.campaign()
        return replace(campaign.person(person_id), email=email_address)


def _rows(app):
    from web.models import db
    from web.outbox import OutboxMessage

    with app.app_context():
        return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def _people_with_emails(app):
    """Store people.csv again with a Vietnamese e-mail column: every person gets an address."""
    from web import store

    with open(TINY / "people.csv", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    rows[0].append("Thư điện tử")
    for row in rows[1:]:
        row.append(f"{row[0].lower()}@Example.VN")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    with app.app_context():
        store.import_files({"people.csv": out.getvalue().encode("utf-8")}, username="test")
        return [person.id for person in store.campaign().people]


# ------------------------------------------------------------------------------------------ e-mail


def test_email_arrives_in_full_vietnamese_once(loaded_app, smtp):
    from web import outbox

    _use_smtp(loaded_app, smtp)
    person = _person(loaded_app)
    with loaded_app.app_context():
        ids = outbox.enqueue_for_person(person, "change", "change:1:SV0001", SUBJECT, TEXT)
        assert len(ids) == 1  # no SMS gateway configured: e-mail only
        first = outbox.deliver_due()
        second = outbox.deliver_due()
    assert first.sent == ids and second.sent == []
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert recipients == ["lan.nguyen@example.vn"]
    assert message["Subject"] == SUBJECT
    assert message.get_content().strip() == TEXT
    assert message.get_content_charset() == "utf-8"
    [row] = _rows(loaded_app)
    assert (row.state, row.attempts, row.last_error, row.claimed_by) == ("sent", 1, "", None)
    assert row.sent_at is not None


def test_version_notices_go_to_everyone_with_a_shift_once(loaded_app, smtp):
    from web import outbox, store
    from web.models import AssignmentRow, db

    _use_smtp(loaded_app, smtp)
    _people_with_emails(loaded_app)
    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        rostered = set(
            db.session.scalars(select(AssignmentRow.person_id).where(AssignmentRow.version_id == version_id))
        )
        planned = outbox.plan_version_notices(version_id)
        assert {item.person_id for item in planned} == rostered
        assert outbox.enqueue_version_notices(version_id) == len(rostered)
        assert outbox.enqueue_version_notices(version_id) == len(rostered)  # the same keys: nothing new
        assert len(_rows(loaded_app)) == len(rostered)
        outbox.deliver_due(limit=1000)
        campaign = store.campaign()
    assert sorted(r[0][0] for r in smtp.messages) == sorted(f"{p.lower()}@example.vn" for p in rostered)
    _, message = smtp.messages[0]
    assert message["Subject"] == "Lịch trực chiến dịch Ra Quân của bạn"
    person_id = message["To"].split("@")[0].upper()
    assert f"Chào {campaign.person(person_id).name.split()[-1]}," in message.get_content()


def test_a_malformed_address_is_refused_with_row_and_column(loaded_app):
    from web import store

    with open(TINY / "people.csv", encoding="utf-8") as stream:
        lines = stream.read().splitlines()
    lines[0] += ",email"
    lines[1:] = [line + "," for line in lines[1:]]
    lines[3] = lines[3][:-1] + ",lan@@example"
    with loaded_app.app_context(), pytest.raises(store.ImportRejected) as refused:
        store.import_files({"people.csv": ("\n".join(lines) + "\n").encode("utf-8")}, username="test")
    [problem] = refused.value.problems
    assert (problem.file, problem.row, problem.column) == ("people.csv", 3, "email")
    assert "@" in problem.message


def test_no_smtp_host_means_the_message_waits_with_the_reason(loaded_app, smtp):
    from web import outbox

    person = _person(loaded_app)
    with loaded_app.app_context():
        outbox.enqueue_for_person(person, "change", "change:1:SV0001", SUBJECT, TEXT)
        assert outbox.deliver_due().sent == []
        [row] = _rows(loaded_app)
        assert row.state == "queued" and "RAQUAN_SMTP_HOST" in row.last_error
        loaded_app.config.update(RAQUAN_SMTP_HOST="smtp.example.com", RAQUAN_SMTP_PORT=str(smtp.port))
        assert outbox.deliver_due().sent == []
        [row] = _rows(loaded_app)
        assert row.state == "queued" and "loopback" in row.last_error
        _use_smtp(loaded_app, smtp)
        assert len(outbox.deliver_due().sent) == 1
    assert len(smtp.messages) == 1


def test_only_loopback_unless_external_delivery_is_allowed(loaded_app):
    from web import outbox

    with loaded_app.app_context():
        loaded_app.config.update(RAQUAN_SMTP_HOST="10.0.0.5", RAQUAN_SMS_URL="https://sms.example.com/send")
        config = outbox.settings()
        assert "loopback" in config.email_off and "loopback" in config.sms_off
        loaded_app.config.update(RAQUAN_SMTP_HOST="::1", RAQUAN_SMS_URL="http://localhost:9/send")
        assert outbox.settings().email_off == "" and outbox.settings().sms_off == ""
        loaded_app.config.update(
            RAQUAN_SMTP_HOST="10.0.0.5",
            RAQUAN_SMS_URL="https://sms.example.com/send",
            RAQUAN_ALLOW_EXTERNAL_DELIVERY="1",
        )
        assert outbox.settings().email_off == "" and outbox.settings().sms_off == ""


# ------------------------------------------------------------------------------------------ SMS


def test_sms_is_ascii_one_segment_and_retried_with_backoff(loaded_app, gateway):
    from web import outbox
    from web.models import utcnow

    sms = gateway([500])
    loaded_app.config.update(RAQUAN_SMS_URL=sms.url)
    person = _person(loaded_app, email_address="")
    with loaded_app.app_context():
        [message_id] = outbox.enqueue_for_person(person, "change", "change:1:SV0001", SUBJECT, TEXT)
        start = utcnow()
        first = outbox.deliver_due(now=start)
        assert first.retried == [message_id]
        [row] = _rows(loaded_app)
        assert (row.state, row.attempts) == ("queued", 1) and "500" in row.last_error
        assert row.next_attempt_at == start + timedelta(minutes=1)
        assert outbox.deliver_due(now=start + timedelta(seconds=30)).sent == []  # still backing off
        assert len(sms.requests) == 1
        assert outbox.deliver_due(now=start + timedelta(seconds=61)).sent == [message_id]
        assert outbox.deliver_due(now=start + timedelta(hours=1)).sent == []
    assert len(sms.requests) == 2
    content_type, body = sms.requests[-1]
    assert content_type == "application/json"
    posted = json.loads(body)
    assert posted["to"] == person.phone
    text = posted["text"]
    assert text.isascii() and len(text) <= 160
    assert text.startswith("Lich truc cua ban da thay doi: Phuong Dinh Cong, ca sang")
    [row] = _rows(loaded_app)
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")


def test_backoff_doubles_and_the_message_fails_after_the_last_attempt(loaded_app, gateway):
    from web import outbox
    from web.models import utcnow

    sms = gateway([503, 503, 503])
    loaded_app.config.update(RAQUAN_SMS_URL=sms.url, RAQUAN_OUTBOX_MAX_ATTEMPTS="3")
    person = _person(loaded_app, email_address="")
    with loaded_app.app_context():
        [message_id] = outbox.enqueue_for_person(person, "change", "change:1:SV0001", SUBJECT, TEXT)
        moment = utcnow()
        waits = []
        for _ in range(3):
            outbox.deliver_due(now=moment)
            [row] = _rows(loaded_app)
            if row.state == "failed":
                break
            waits.append(row.next_attempt_at - moment)
            moment = row.next_attempt_at
        assert waits == [timedelta(minutes=1), timedelta(minutes=2)]
        [row] = _rows(loaded_app)
        assert (row.state, row.attempts) == ("failed", 3) and "503" in row.last_error
        assert outbox.deliver_due(now=moment + timedelta(days=1)).sent == []
    assert len(sms.requests) == 3

    client = loaded_app.test_client()
    login(client, "dieuphoi")
    page = client.get("/dieu-phoi/hop-thu-di?state=failed").get_data(as_text=True)
    assert "503" in page and "Gửi lại" in page
    response = client.post(f"/dieu-phoi/hop-thu-di/{message_id}/gui-lai")
    assert response.status_code == 303
    with loaded_app.app_context():
        assert outbox.deliver_due().sent == [message_id]
    assert len(sms.requests) == 4


def test_sms_template_values_are_json_escaped(loaded_app):
    from web import outbox

    with loaded_app.app_context():
        config = outbox.settings()
    body = outbox.sms_request_body(config, "0912000001", 'Ca "sang" \\ 07:30')
    assert json.loads(body) == {"to": "0912000001", "text": 'Ca "sang" \\ 07:30'}


def test_sms_text_is_cut_at_a_word_within_one_segment():
    from web.notices import sms_text

    text = sms_text("Nhắc lịch: " + "ngày mai bạn có ca trực tại Phường Định Công, " * 10)
    assert text.isascii() and len(text) <= 160 and text.endswith("...")
    assert text.startswith("Nhac lich: ngay mai ban co ca truc tai Phuong Dinh Cong")
    assert sms_text("Chào Lan") == "Chao Lan"


# ------------------------------------------------------------------------------------------ once only


def test_enqueue_twice_is_one_message_and_delivering_twice_sends_once(loaded_app, smtp):
    from web import outbox

    _use_smtp(loaded_app, smtp)
    person = _person(loaded_app)
    with loaded_app.app_context():
        first = outbox.enqueue_for_person(person, "change", "change:7:SV0001", SUBJECT, TEXT)
        second = outbox.enqueue_for_person(person, "change", "change:7:SV0001", "another subject", "other text")
        assert first == second
        outbox.deliver_due()
        outbox.deliver_due()
    assert len(_rows(loaded_app)) == 1 and len(smtp.messages) == 1
    assert smtp.messages[0][1]["Subject"] == SUBJECT


def test_two_processes_enqueueing_one_key_at_once_make_one_message(loaded_app):
    from web import outbox

    barrier = threading.Barrier(4)
    ids, errors = [], []

    def enqueue():
        try:
            with loaded_app.app_context():
                barrier.wait()
                ids.append(outbox.enqueue("race:1", "SV0001", "email", "lan@example.vn", "s", "b", "other"))
        except Exception as error:  # noqa: BLE001 (any error fails the test below)
            errors.append(error)

    threads = [threading.Thread(target=enqueue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(ids)) == 1 and len(ids) == 4
    assert len(_rows(loaded_app)) == 1


def test_a_sender_that_dies_after_its_claim_leaves_the_message_to_the_next_once_the_lease_ends(loaded_app, smtp):
    from web import outbox
    from web.models import utcnow

    _use_smtp(loaded_app, smtp)
    person = _person(loaded_app)
    with loaded_app.app_context():
        [message_id] = outbox.enqueue_for_person(person, "change", "change:1:SV0001", SUBJECT, TEXT)
        now = utcnow()
        assert outbox.claim(message_id, "dead-sender", now, lease_seconds=120)  # then it crashes
        assert outbox.deliver_due(now=now + timedelta(seconds=60)).sent == []  # the lease still holds
        assert smtp.messages == []
        assert outbox.deliver_due(now=now + timedelta(seconds=121)).sent == [message_id]
        assert outbox.deliver_due(now=now + timedelta(seconds=400)).sent == []
    assert len(smtp.messages) == 1
    [row] = _rows(loaded_app)
    assert (row.state, row.attempts, row.claimed_by) == ("sent", 2, None)


def test_two_senders_at_once_send_each_message_once(loaded_app, smtp):
    from web import outbox

    _use_smtp(loaded_app, smtp)
    with loaded_app.app_context():
        for number in range(30):
            outbox.enqueue(
                f"load:{number}", "SV0001", "email", f"p{number}@example.vn", f"tin {number}", "nội dung", "other"
            )
    barrier = threading.Barrier(2)
    rounds, errors = [], []

    def sender():
        try:
            with loaded_app.app_context():
                barrier.wait()
                rounds.append(outbox.deliver_due(limit=100))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    sent = [message_id for result in rounds for message_id in result.sent]
    assert len(sent) == len(set(sent)) == 30
    assert sorted(r[0][0] for r in smtp.messages) == sorted(f"p{n}@example.vn" for n in range(30))
    assert len({message["Message-ID"] for _, message in smtp.messages}) == 30
    assert all(row.state == "sent" and row.attempts == 1 for row in _rows(loaded_app))


# ------------------------------------------------------------------------------------------ opt-out


def test_a_volunteer_who_opted_out_gets_nothing(loaded_app, smtp, gateway):
    from web import outbox
    from web.codes import link_token

    sms = gateway()
    _use_smtp(loaded_app, smtp)
    loaded_app.config.update(RAQUAN_SMS_URL=sms.url)
    client = loaded_app.test_client()
    token = link_token(loaded_app.config["SECRET_KEY"], "SV0001", 0)
    client.post(f"/ca-truc/l/{token}")
    with loaded_app.app_context():
        waiting = outbox.enqueue_for_person(_person(loaded_app), "change", "change:1:SV0001", SUBJECT, TEXT)
    assert len(waiting) == 2
    response = client.post("/ca-truc/nhan-tin", data={"choice": "off"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/ca-truc/cua-toi")
    with loaded_app.app_context():
        assert outbox.opted_out("SV0001")
        later = outbox.enqueue_for_person(_person(loaded_app), "change", "change:2:SV0001", SUBJECT, TEXT)
        assert outbox.deliver_due().sent == []
    assert smtp.messages == [] and sms.requests == []
    rows = _rows(loaded_app)
    assert {row.id for row in rows} == set(waiting + later)
    assert all(row.state == "skipped" and row.last_error == outbox.OPTED_OUT_REASON for row in rows)

    coordinator = loaded_app.test_client()
    login(coordinator, "dieuphoi")
    page = coordinator.get("/dieu-phoi/hop-thu-di").get_data(as_text=True)
    assert outbox.OPTED_OUT_REASON in page

    assert client.post("/ca-truc/nhan-tin", data={"choice": "on"}).status_code == 303
    with loaded_app.app_context():
        assert not outbox.opted_out("SV0001")


def test_the_opt_out_needs_a_signed_in_volunteer(client):
    response = client.post("/ca-truc/nhan-tin", data={"choice": "off"})
    assert response.status_code == 302 and "/ca-truc/" in response.headers["Location"]


def test_the_outbox_page_is_for_coordinators(loaded_app):
    client = loaded_app.test_client()
    assert client.get("/dieu-phoi/hop-thu-di").status_code == 302
    login(client, "thanhdoan")
    assert client.get("/dieu-phoi/hop-thu-di").status_code == 403


# ------------------------------------------------------------------------------------------ reminders


def test_reminders_for_tomorrow_are_made_once_from_the_reminder_hour(loaded_app, gateway):
    from scheduler.events import Event
    from web import live, outbox
    from web.models import AssignmentRow, db

    sms = gateway()
    loaded_app.config.update(RAQUAN_SMS_URL=sms.url)
    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        first_day = db.session.scalar(
            select(func.min(AssignmentRow.date)).where(AssignmentRow.version_id == version_id)
        )
        tomorrow = first_day + timedelta(days=1)
        rows = db.session.scalars(
            select(AssignmentRow).where(AssignmentRow.version_id == version_id, AssignmentRow.date == tomorrow)
        ).all()
        people = {row.person_id for row in rows}
        one = rows[0]
        slots_of_one = [r for r in rows if r.person_id == one.person_id]
        live.record_event(  # this person cancelled every shift of tomorrow: no reminder for them
            Event(
                "cancellation",
                recorded_at=datetime(2025, 7, 1),
                person_id=one.person_id,
                dates=(tomorrow,),
                slot_ids=tuple(r.shift_id or r.mobile_point_id for r in slots_of_one),
            ),
            "volunteer",
        )
        evening = datetime.combine(first_day, datetime.min.time()).replace(hour=19, minute=5)
        assert outbox.enqueue_reminders(evening - timedelta(hours=2)) == 0  # before 19:00
        made = outbox.enqueue_reminders(evening)
        assert made == len(people) - 1
        assert outbox.enqueue_reminders(evening + timedelta(hours=2)) == 0
        reminders = _rows(loaded_app)
        assert {row.person_id for row in reminders} == people - {one.person_id}
        assert all(row.kind == "reminder" and row.channel == "sms" for row in reminders)
        assert all(row.key.startswith(f"reminder:{tomorrow.isoformat()}:{version_id}:") for row in reminders)
        outbox.deliver_due()
    assert len(sms.requests) == len(people) - 1
    texts = [json.loads(body)["text"] for _, body in sms.requests]
    assert all(text.isascii() and len(text) <= 160 and "ngay mai" in text for text in texts)
    assert all(tomorrow.strftime("%d/%m") in text for text in texts)


# ------------------------------------------------------------------------------------------ the worker


def test_the_worker_thread_sends_and_stops(loaded_app, smtp):
    from web import outbox

    _use_smtp(loaded_app, smtp)
    loaded_app.config.update(RAQUAN_OUTBOX_WORKER="1", RAQUAN_OUTBOX_POLL_SECONDS="0.1")
    with loaded_app.app_context():
        outbox.enqueue_for_person(_person(loaded_app), "change", "change:1:SV0001", SUBJECT, TEXT)
    worker = outbox.start_worker(loaded_app)
    assert worker is not None and outbox.start_worker(loaded_app) is worker  # one per app and process
    deadline = time.monotonic() + 20
    while not smtp.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    assert not worker.thread.is_alive()
    assert len(smtp.messages) == 1
    assert _rows(loaded_app)[0].state == "sent"


def test_the_worker_is_off_in_tests_unless_asked(app):
    from web import outbox

    assert "raquan_outbox" not in app.extensions
    assert outbox.start_worker(app) is None


def test_the_sender_command_delivers_what_is_due(loaded_app, smtp, database_url, tmp_path):
    import os
    import subprocess
    import sys

    from tests.web.conftest import ROOT
    from web import outbox

    with loaded_app.app_context():
        outbox.enqueue_for_person(_person(loaded_app), "change", "change:1:SV0001", SUBJECT, TEXT)
    env = {
        **os.environ,
        "RAQUAN_DATA_DIR": str(tmp_path / "sender"),
        "RAQUAN_DATABASE_URL": database_url,
        "RAQUAN_SECRET_KEY": "test-secret",
        "RAQUAN_SMTP_HOST": "127.0.0.1",
        "RAQUAN_SMTP_PORT": str(smtp.port),
    }
    done = subprocess.run(
        [sys.executable, "-m", "web.outbox", "--once"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert len(smtp.messages) == 1 and smtp.messages[0][1]["Subject"] == SUBJECT
    assert _rows(loaded_app)[0].state == "sent"


def test_a_new_version_tells_exactly_the_people_whose_shifts_changed(loaded_app, smtp, tiny_solution):
    from web import outbox, store

    _use_smtp(loaded_app, smtp)
    _people_with_emails(loaded_app)
    roster, report, explanations = tiny_solution
    first, second, *rest = roster.assignments
    moved = next(a for a in rest if a.person_id not in (first.person_id, second.person_id) and a.date != first.date)
    # the first person's first shift goes to the moved person, who loses one of theirs
    changed = [replace(first, person_id=moved.person_id), second, *(a for a in rest if a is not moved)]
    with loaded_app.app_context():
        version = store.store_roster(
            replace(roster, assignments=tuple(changed)), report, explanations, store.revision()
        )
        store.publish(version.id, "dieuphoi")
        planned = outbox.plan_version_notices(version.id)
        assert {item.person_id: item.kind for item in planned} == {first.person_id: "change", moved.person_id: "change"}
        assert outbox.enqueue_version_notices(version.id) == 2
        outbox.deliver_due()
    assert sorted(r[0][0] for r in smtp.messages) == sorted(
        f"{p.lower()}@example.vn" for p in (first.person_id, moved.person_id)
    )
    texts = {message["To"].split("@")[0].upper(): message.get_content() for _, message in smtp.messages}
    assert all(message["Subject"] == "Lịch trực của bạn đã thay đổi" for _, message in smtp.messages)
    assert "Ca không còn trong lịch của bạn:" in texts[first.person_id]
    assert "Ca mới" in texts[moved.person_id] and "Ca không còn trong lịch của bạn:" in texts[moved.person_id]


def test_a_sender_round_sends_the_notices_of_a_fresh_publish_once(loaded_app, smtp):
    from web import outbox
    from web.models import AssignmentRow, db

    _use_smtp(loaded_app, smtp)
    _people_with_emails(loaded_app)
    version_id = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        rostered = set(
            db.session.scalars(select(AssignmentRow.person_id).where(AssignmentRow.version_id == version_id))
        )
        first = outbox.sender_round()
        loaded_app.extensions.pop("raquan_outbox_versions")  # as after a restart: the version is looked at again
        second = outbox.sender_round()
    assert len(first.sent) == len(rostered) and second.sent == []
    assert len(smtp.messages) == len(rostered)
