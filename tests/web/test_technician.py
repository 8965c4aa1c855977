"""The technician's page: reached by a signed link, one button per allowed step, each step once, only the
technician assigned now may act, forged and expired links refused with a page; the notice in the
outbox; the technician's incidents and call-outs on "Ca trực của tôi"."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from scheduler import dispatch
from web import incidents, live

EVENING = datetime(2025, 7, 24, 20, 0)  # "Trực tối" of the tiny campaign's first day
DINH_CONG = "00316"


@pytest.fixture
def tech_app(loaded_app):
    loaded_app.config.update(
        RAQUAN_NOW=EVENING.isoformat(),
        RAQUAN_SMS_URL="http://127.0.0.1:9/send",  # queued only: no sender runs in tests
        RAQUAN_PUBLIC_URL="https://raquan.example.vn",
    )
    return loaded_app


def _assigned(app, category: str = "network", urgent: bool = True, rank: int = 0):
    """A reported incident sent to its candidate of rank ``rank``: (incident id, person id, token)."""
    with app.test_request_context():  # as on the desk's page: the notice's link is built in a request
        row = incidents.report(DINH_CONG, category, urgent, "Mất mạng ở bộ phận một cửa", by="dinhcong")
        candidate = incidents.candidates_for(row, limit=None)[rank]
        assert incidents.assign(row, candidate, "dieuphoi")
        return row.id, candidate.person_id, incidents.tech_token(row.id, candidate.person_id)


def _add_spare(app) -> str:
    """A night-eligible technician with no shifts, added to the data set's people: the one a call-out
    reaches, since every technician of the tiny roster already works the daily limit."""
    from web import store

    with app.app_context():
        people = store.files()["people.csv"].decode("utf-8-sig").rstrip("\n")
        row = "KT0099,Lê Văn Dự,technician,Trung tâm Phục vụ hành chính công,Phường Định Công,0909000099,mang,,,,yes,"
        store.import_files({"people.csv": (people + "\n" + row + "\n").encode()}, "dieuphoi")
    return "KT0099"


def _steps(app, incident_id: int) -> list[str]:
    with app.app_context():
        return [s.step for s in incidents.steps_of(incident_id)]


def _revision(page: str) -> str:
    return re.search(r'name="revision" value="(\d+)"', page).group(1)


def _buttons(page: str) -> list[str]:
    return re.findall(r'<button[^>]*data-step="([a-z_]+)"', page)


def test_the_notice_is_queued_for_the_assigned_technician_with_the_page_link(tech_app):
    incident_id, person_id, token = _assigned(tech_app)
    with tech_app.app_context():
        from web.models import db
        from web.outbox import OutboxMessage

        messages = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "incident")))
        phone = live.live_campaign().person(person_id).phone
    assert [(m.person_id, m.channel, m.address) for m in messages] == [(person_id, "sms", phone)]
    assert f"Sự cố #{incident_id}" in messages[0].subject and "Su co #" in messages[0].body


def test_the_sms_carries_the_link_to_the_technicians_page(tech_app):
    incident_id, _person, _token = _assigned(tech_app)
    with tech_app.app_context():
        from web.models import db
        from web.outbox import OutboxMessage

        body = db.session.scalar(
            select(OutboxMessage.body).where(OutboxMessage.kind == "incident", OutboxMessage.channel == "sms")
        )
    assert len(body) <= 160
    link = re.search(r"https://raquan\.example\.vn(/su-co/\S+)", body).group(1)
    page = tech_app.test_client().get(link).get_data(as_text=True)
    assert f'data-incident="{incident_id}"' in page


def test_the_page_shows_the_incident_and_walks_the_lifecycle_one_step_per_click(tech_app):
    incident_id, person_id, token = _assigned(tech_app)
    client = tech_app.test_client()
    response = client.get(f"/su-co/{token}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    for text in ("Phường Định Công", "Trụ sở UBND Phường Định Công", "Mạng, đường truyền", "Mất mạng ở bộ phận"):
        assert text in page
    assert "openstreetmap.org/?mlat=20.9769&amp;mlon=105.825" in page
    assert "Báo cách đây 0 phút; giới hạn 30 phút" in page
    assert _buttons(page) == [dispatch.ACKNOWLEDGED, dispatch.ON_THE_WAY, dispatch.RESOLVED_REMOTE]
    for to in (dispatch.ACKNOWLEDGED, dispatch.ON_THE_WAY, dispatch.ARRIVED, dispatch.RESOLVED):
        page = client.get(f"/su-co/{token}").get_data(as_text=True)
        assert to in _buttons(page)
        form = {"to": to, "revision": _revision(page)}
        assert client.post(f"/su-co/{token}", data=form).status_code == 303
        assert client.post(f"/su-co/{token}", data=form).status_code == 303  # the second click records nothing
    assert _steps(tech_app, incident_id) == [
        "reported",
        "assigned",
        "acknowledged",
        "on_the_way",
        "arrived",
        "resolved",
    ]
    with tech_app.app_context():
        row = incidents.get(incident_id)
        assert row.state == dispatch.RESOLVED and row.arrived_at == EVENING
        assert {s.by for s in incidents.steps_of(incident_id)[2:]} == {f"person:{person_id}"}
    page = client.get(f"/su-co/{token}").get_data(as_text=True)
    assert _buttons(page) == [] and "Đã xử lý" in page


def test_a_step_the_lifecycle_does_not_allow_is_refused(tech_app):
    incident_id, _person, token = _assigned(tech_app)
    client = tech_app.test_client()
    revision = _revision(client.get(f"/su-co/{token}").get_data(as_text=True))
    assert client.post(f"/su-co/{token}", data={"to": dispatch.ARRIVED, "revision": revision}).status_code == 303
    assert client.post(f"/su-co/{token}", data={"to": dispatch.CANCELLED, "revision": revision}).status_code == 400
    assert client.post(f"/su-co/{token}", data={"to": dispatch.ACKNOWLEDGED}).status_code == 400
    assert _steps(tech_app, incident_id) == ["reported", "assigned"]  # assigned cannot go to arrived


def test_resolving_by_phone_needs_a_note(tech_app):
    incident_id, _person, token = _assigned(tech_app, category="procedure", urgent=False)
    client = tech_app.test_client()
    revision = _revision(client.get(f"/su-co/{token}").get_data(as_text=True))
    refused = client.post(f"/su-co/{token}", data={"to": dispatch.RESOLVED_REMOTE, "revision": revision})
    assert refused.status_code == 422 and 'data-error="note"' in refused.get_data(as_text=True)
    note = "Hướng dẫn cán bộ đăng nhập lại cổng dịch vụ công"
    form = {"to": dispatch.RESOLVED_REMOTE, "revision": revision, "note": note}
    assert client.post(f"/su-co/{token}", data=form).status_code == 303
    with tech_app.app_context():
        assert incidents.get(incident_id).state == dispatch.RESOLVED_REMOTE
        assert incidents.steps_of(incident_id)[-1].note == note
    assert note in client.get(f"/su-co/{token}").get_data(as_text=True)


def test_a_reassigned_technician_sees_it_went_to_someone_else_and_cannot_act(tech_app):
    _add_spare(tech_app)  # someone else to send: in the tiny roster's evening one technician is free
    incident_id, first, token = _assigned(tech_app)
    client = tech_app.test_client()
    revision = _revision(client.get(f"/su-co/{token}").get_data(as_text=True))
    with tech_app.app_context():
        row = incidents.get(incident_id)
        other = incidents.candidates_for(row, limit=None)[0]
        assert other.person_id != first
        with tech_app.test_request_context():
            assert incidents.assign(row, other, "dieuphoi")
    page = client.get(f"/su-co/{token}").get_data(as_text=True)
    assert "data-reassigned" in page and _buttons(page) == []
    response = client.post(f"/su-co/{token}", data={"to": dispatch.ACKNOWLEDGED, "revision": revision})
    assert response.status_code == 409 and "data-reassigned" in response.get_data(as_text=True)
    assert _steps(tech_app, incident_id) == ["reported", "assigned", "assigned"]
    with tech_app.app_context():
        new_token = incidents.tech_token(incident_id, other.person_id)
    assert "data-reassigned" not in client.get(f"/su-co/{new_token}").get_data(as_text=True)


def test_forged_and_expired_links_are_refused_with_a_page(tech_app):
    incident_id, person_id, token = _assigned(tech_app)
    client = tech_app.test_client()
    payload, signature = token.rsplit(".", 1)  # the signature's first character: its last may be padding bits
    tampered = f"{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    for bad in (
        tampered,
        "x",
        URLSafeTimedSerializer("another-secret", salt="incident-technician").dumps([1, "KT0001"]),
    ):
        response = client.get(f"/su-co/{bad}")
        assert response.status_code == 404 and 'data-refused="404"' in response.get_data(as_text=True)
        assert client.post(f"/su-co/{bad}", data={"to": "acknowledged", "revision": "1"}).status_code == 404
    # a volunteer's link, signed with the same secret for another purpose, opens no incident
    from web.codes import link_token

    assert client.get(f"/su-co/{link_token(tech_app.config['SECRET_KEY'], person_id)}").status_code == 404
    with tech_app.app_context():
        gone = incidents.tech_token(incident_id + 1000, person_id)
    assert client.get(f"/su-co/{gone}").status_code == 404

    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return super().get_timestamp() - 8 * 86400

    old = URLSafeTimedSerializer(tech_app.config["SECRET_KEY"], salt="incident-technician", signer=EightDaysAgo).dumps(
        [incident_id, person_id]
    )
    response = client.get(f"/su-co/{old}")
    assert response.status_code == 403 and "hết hạn" in response.get_data(as_text=True)
    assert client.post(f"/su-co/{old}", data={"to": "acknowledged", "revision": "1"}).status_code == 403
    assert _steps(tech_app, incident_id) == ["reported", "assigned"]


def test_a_step_needs_its_csrf_token(csrf_app):
    csrf_app.config["RAQUAN_NOW"] = EVENING.isoformat()
    incident_id, _person, token = _assigned(csrf_app)
    client = csrf_app.test_client()
    page = client.get(f"/su-co/{token}").get_data(as_text=True)
    revision = _revision(page)
    assert client.post(f"/su-co/{token}", data={"to": "acknowledged", "revision": revision}).status_code == 400
    assert _steps(csrf_app, incident_id) == ["reported", "assigned"]
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"to": "acknowledged", "revision": revision, "csrf_token": csrf}
    assert client.post(f"/su-co/{token}", data=form).status_code == 303
    assert _steps(csrf_app, incident_id) == ["reported", "assigned", "acknowledged"]


def _sign_in_volunteer(client, app, person_id: str):
    from web.codes import link_token

    assert client.post(f"/ca-truc/l/{link_token(app.config['SECRET_KEY'], person_id)}").status_code == 303


def test_my_shifts_lists_the_technicians_open_incidents_with_their_links(tech_app):
    incident_id, person_id, token = _assigned(tech_app)
    client = tech_app.test_client()
    _sign_in_volunteer(client, tech_app, person_id)
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert f'data-incident="{incident_id}"' in page
    link = re.search(rf'<a href="(/su-co/[^"]+)" data-incident="{incident_id}"', page).group(1)
    assert "data-reassigned" not in client.get(link).get_data(as_text=True)
    with tech_app.app_context():
        row = incidents.get(incident_id)
        assert incidents.move(row, dispatch.CANCELLED, "dieuphoi")
    assert f'data-incident="{incident_id}"' not in client.get("/ca-truc/cua-toi").get_data(as_text=True)


def test_a_call_out_shows_among_the_technicians_shifts(tech_app):
    spare = _add_spare(tech_app)
    with tech_app.test_request_context():
        row = incidents.report("00337", "network", True, "Mất mạng")
        callout = {c.person_id: c for c in incidents.candidates_for(row, limit=None)}[spare]
        assert callout.tier == "call_out"
        assert incidents.assign(row, callout, "dieuphoi")
        ward_name = live.live_campaign().ward("00337").name
        incident_id = row.id
    client = tech_app.test_client()
    _sign_in_volunteer(client, tech_app, spare)
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    card = re.search(rf'<article class="shift card" data-callout="{incident_id}">(.*?)</article>', page, re.S).group(1)
    assert "gọi ngoài ca" in card and ward_name in card and "Trực tối" in card
    assert callout.callout.date.strftime("%d/%m/%Y") in card
    assert f'data-incident="{incident_id}"' in page  # and the incident itself, open, with its link


def test_the_notice_can_be_queued_outside_a_request_as_the_senders_loop_does(tech_app):
    incident_id, _person, _token = _assigned(tech_app)
    with tech_app.app_context():  # no request context: the link is built all the same
        from web import incidents

        assert incidents.notify_technician(incident_id)
        assert incidents.tech_path(incident_id, "KT0001").startswith("/su-co/")
