"""The incidents' API: listing with filters, scoped to a ward official's ward; one incident with its steps;
reports in strict JSON with errors naming the field, CSRF, and the urgent auto-dispatch."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import func, select

from scheduler import dispatch
from tests.web.conftest import PASSWORD, login
from web import incidents, live

EVENING = datetime(2025, 7, 24, 20, 0)
DINH_CONG, HOANG_LIET = "00316", "00337"
BODY = {"category": "network", "urgent": True, "description": "Mất mạng ở bộ phận một cửa"}


@pytest.fixture
def api_app(loaded_app):
    from web.auth import create_user

    loaded_app.config["RAQUAN_NOW"] = EVENING.isoformat()
    with loaded_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", ward_code=DINH_CONG)
        create_user("dieudo", PASSWORD, "dispatcher")
    return loaded_app


def _client(app, username: str):
    client = app.test_client()
    login(client, username)
    return client


def _count(app) -> int:
    from web.models import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(incidents.IncidentRow))


def test_a_ward_official_reports_for_their_ward_and_reads_it_back(api_app):
    client = _client(api_app, "dinhcong")
    response = client.post("/api/incidents", json=BODY)
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["ward_code"] == DINH_CONG and made["state"] == "reported" and made["urgent"] is True
    assert made["place"] == "Trụ sở UBND Phường Định Công" and made["reported_at"] == "2025-07-24T20:00:00+07:00"
    assert made["reported_by"] == "dinhcong" and "technician_id" not in made
    assert [s["step"] for s in made["steps"]] == ["reported"]
    again = client.get(response.headers["Location"]).get_json()
    assert again["id"] == made["id"] and again["steps"] == made["steps"]
    assert client.post("/api/incidents", json={**BODY, "ward_code": HOANG_LIET}).status_code == 403
    assert _count(api_app) == 1


def test_a_ward_official_lists_only_their_ward_and_cannot_open_anothers(api_app):
    with api_app.app_context():
        theirs = incidents.report(HOANG_LIET, "computer", False, "Máy in", by="dieuphoi").id
        own = incidents.report(DINH_CONG, "vneid", False, "VNeID", by="dinhcong").id
    client = _client(api_app, "dinhcong")
    assert [i["id"] for i in client.get("/api/incidents").get_json()["incidents"]] == [own]
    assert client.get(f"/api/incidents?ward={HOANG_LIET}").status_code == 403
    assert client.get(f"/api/incidents/{theirs}").status_code == 404
    assert client.get(f"/api/incidents/{own}").status_code == 200
    desk = _client(api_app, "dieudo")
    listed = desk.get("/api/incidents").get_json()
    assert [i["id"] for i in listed["incidents"]] == [own, theirs] and listed["truncated"] is False
    assert desk.get(f"/api/incidents/{theirs}").get_json()["ward_code"] == HOANG_LIET


def test_filters_narrow_the_list_and_bad_ones_name_themselves(api_app):
    with api_app.app_context():
        first = incidents.report(DINH_CONG, "network", True, "a", by="x")
        second = incidents.report(HOANG_LIET, "computer", False, "b", by="x", at=datetime(2025, 7, 25, 9, 0))
        assert incidents.move(second, dispatch.CANCELLED, "x")
        first_id, second_id = first.id, second.id
    client = _client(api_app, "dieuphoi")

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/incidents?{query}")
        assert response.status_code == 200, response.get_json()
        return [i["id"] for i in response.get_json()["incidents"]]

    assert ids(f"ward={DINH_CONG}") == [first_id]
    assert ids("state=cancelled") == [second_id]
    assert ids("category=network") == [first_id]
    assert ids("from=2025-07-25") == [second_id]
    assert ids("to=2025-07-24") == [first_id]
    assert ids("from=2025-07-24&to=2025-07-25") == [second_id, first_id]
    assert ids("limit=1") == [second_id]
    assert client.get("/api/incidents?limit=1").get_json()["truncated"] is True
    for query, field in [
        ("state=lost", "state"),
        ("category=weather", "category"),
        ("from=24/07/2025", "from"),
        ("from=2025-07-25&to=2025-07-24", "to"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
    ]:
        response = client.get(f"/api/incidents?{query}")
        assert response.status_code == 422 and response.get_json()["field"] == field, query


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "priority": "high"}, "priority"),
        ({**BODY, "ward_code": "99999"}, "ward_code"),
        ({k: v for k, v in BODY.items() if k != "category"}, "category"),
        ({**BODY, "category": "weather"}, "category"),
        ({**BODY, "urgent": "yes"}, "urgent"),
        ({**BODY, "urgent": 1}, "urgent"),
        ({**BODY, "description": ["x"]}, "description"),
        ({**BODY, "description": "  "}, "description"),
        ({**BODY, "description": "x" * 2001}, "description"),
        ({**BODY, "place": 5}, "place"),
        ({**BODY, "place": "y" * 201}, "place"),
        (BODY, "ward_code"),  # a coordinator names the ward
    ],
)
def test_a_refused_report_names_its_field_and_stores_nothing(api_app, body, field):
    client = _client(api_app, "dieuphoi")
    body = body if field == "ward_code" else {"ward_code": DINH_CONG, **body}
    response = client.post("/api/incidents", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field and response.get_json()["error"].startswith(field)
    assert _count(api_app) == 0


def test_the_body_must_be_a_json_object_and_roles_are_checked(api_app):
    client = _client(api_app, "dieudo")
    assert client.post("/api/incidents", json=[BODY]).status_code == 422
    assert client.post("/api/incidents", data="{", content_type="application/json").status_code == 400
    youth = _client(api_app, "thanhdoan")
    assert youth.get("/api/incidents").status_code == 403
    assert youth.post("/api/incidents", json={**BODY, "ward_code": DINH_CONG}).status_code == 403
    assert api_app.test_client().get("/api/incidents").status_code == 401
    assert client.post("/api/incidents", json={**BODY, "ward_code": HOANG_LIET}).status_code == 201
    assert _count(api_app) == 1


def test_an_urgent_report_is_sent_at_once_when_the_rule_is_on(api_app):
    from web import store
    from web.coordinator import rewritten_rules

    with api_app.app_context():
        content = rewritten_rules(store.files()["campaign.toml"], {"auto_dispatch_urgent": True})
        store.import_files({"campaign.toml": content}, "dieuphoi")
    api_app.config["RAQUAN_SMS_URL"] = "http://127.0.0.1:9/send"
    client = _client(api_app, "dieudo")
    made = client.post("/api/incidents", json={**BODY, "ward_code": DINH_CONG}).get_json()
    assert made["state"] == "assigned" and made["technician_id"] and made["technician_first_name"]
    assert [s["by"] for s in made["steps"]] == ["dieudo", "system"]
    calm = client.post("/api/incidents", json={**BODY, "ward_code": DINH_CONG, "urgent": False}).get_json()
    assert calm["state"] == "reported"
    with api_app.app_context():
        from web.models import db
        from web.outbox import OutboxMessage

        queued = list(db.session.scalars(select(OutboxMessage.person_id).where(OutboxMessage.kind == "incident")))
        assert queued == [made["technician_id"]]
        assert live.live_campaign().person(made["technician_id"]).name.endswith(made["technician_first_name"])


def test_a_report_needs_the_csrf_header(csrf_app):
    from web.auth import create_user

    with csrf_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", ward_code=DINH_CONG)
    client = csrf_app.test_client()
    page = client.get("/dang-nhap").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/dang-nhap", data={"username": "dinhcong", "password": PASSWORD, "csrf_token": token})
    assert client.post("/api/incidents", json=BODY).status_code == 400
    header = client.get("/api/csrf-token").get_json()["csrf_token"]
    assert client.post("/api/incidents", json=BODY, headers={"X-CSRFToken": header}).status_code == 201
    assert _count(csrf_app) == 1
