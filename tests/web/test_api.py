"""The JSON API: who may call what, the numbers it answers, solve jobs, CSRF and the OpenAPI description."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD, TINY, load_tiny, login, make_app

PROTECTED_GETS = ["/api/versions", "/api/versions/{version}/wards/00316", "/api/people/KT0001/shifts", "/api/jobs/1"]


def _rows(app, model, version_id):
    from web.models import db

    with app.app_context():
        return list(db.session.scalars(select(model).where(model.version_id == version_id)))


def _job_count(app):
    from sqlalchemy import func

    from web.models import Job, db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Job))


def _someone_assigned(app, version_id):
    from web.models import AssignmentRow

    rows = _rows(app, AssignmentRow, version_id)
    assert rows, "the tiny roster has assignments"
    return rows[0].person_id


# ------------------------------------------------------------------------------------------- errors and roles


@pytest.mark.parametrize("path", PROTECTED_GETS)
def test_coordinator_endpoints_refuse_anonymous_and_youth_union(client, loaded_app, path):
    url = path.format(version=loaded_app.config["TEST_VERSION_ID"])
    anonymous = client.get(url)
    assert anonymous.status_code == 401 and anonymous.is_json and anonymous.get_json()["error"]
    login(client, "thanhdoan")
    youth = client.get(url)
    assert youth.status_code == 403 and youth.is_json and youth.get_json()["error"]


@pytest.mark.parametrize("path", ["/api/jobs", "/api/jobs/1/stop"])
def test_job_posts_refuse_anonymous_and_youth_union(client, path):
    assert client.post(path, json={"time_limit_seconds": 5}).status_code == 401
    login(client, "thanhdoan")
    response = client.post(path, json={"time_limit_seconds": 5})
    assert response.status_code == 403 and response.get_json()["error"]


def test_unknown_things_are_json_404s(client, loaded_app):
    login(client, "dieuphoi")
    version = loaded_app.config["TEST_VERSION_ID"]
    for url in (
        f"/api/versions/{version + 100}/wards/00316",
        f"/api/versions/{version}/wards/99999",
        "/api/people/NOBODY/shifts",
        "/api/jobs/12345",
        "/api/wards/99999/roster",
    ):
        response = client.get(url)
        assert response.status_code == 404 and response.is_json, url
        assert response.get_json()["error"], url
    assert client.post("/api/jobs/12345/stop").status_code == 404


# ------------------------------------------------------------------------------------------- wards


def test_wards_lists_every_ward_with_coverage_from_the_stored_rows(client, loaded_app):
    from scheduler.loader import load_campaign
    from web.models import AssignmentRow, UnfilledRow

    version = loaded_app.config["TEST_VERSION_ID"]
    body = client.get("/api/wards").get_json()
    campaign = load_campaign(TINY)
    assert body["version"] == version
    assert [w["code"] for w in body["wards"]] == [w.code for w in campaign.wards]
    assignments = _rows(loaded_app, AssignmentRow, version)
    gaps = _rows(loaded_app, UnfilledRow, version)
    assert sum(w["assigned"] for w in body["wards"]) == len(assignments) > 0
    for ward in body["wards"]:
        source = campaign.ward(ward["code"])
        assert (ward["name"], ward["kind"], ward["lat"], ward["lon"]) == (
            source.name,
            source.kind,
            source.lat,
            source.lon,
        )
        assigned = sum(1 for row in assignments if row.ward_code == ward["code"])
        missing = sum(row.missing for row in gaps if row.ward_code == ward["code"])
        assert (ward["assigned"], ward["missing"]) == (assigned, missing)
        assert ward["coverage_percent"] == pytest.approx(100 * assigned / (assigned + missing), abs=0.05)


def test_wards_without_a_published_roster_have_no_coverage(app, tiny_solution):
    load_tiny(app, tiny_solution, publish=False)
    body = app.test_client().get("/api/wards").get_json()
    assert body["version"] is None and len(body["wards"]) == 3
    assert all(w["assigned"] is None and w["coverage_percent"] is None for w in body["wards"])


def test_wards_lists_the_126_wards_of_hanoi(app):
    from web.server import load_demo

    load_demo(app)
    body = app.test_client().get("/api/wards").get_json()
    assert len(body["wards"]) == 126 == len({w["code"] for w in body["wards"]})
    assert {w["kind"] for w in body["wards"]} <= {"Phường", "Xã", "Đặc khu"}
    assert all(20.5 < w["lat"] < 21.5 and 105.2 < w["lon"] < 106.1 for w in body["wards"])


def test_wards_is_empty_before_any_import(app):
    assert app.test_client().get("/api/wards").get_json() == {"wards": [], "version": None}


def test_public_ward_roster_has_given_names_and_no_phones(client, loaded_app):
    from scheduler.loader import load_campaign
    from web.models import AssignmentRow

    campaign = load_campaign(TINY)
    version = loaded_app.config["TEST_VERSION_ID"]
    response = client.get("/api/wards/00316/roster")
    assert response.status_code == 200
    body = response.get_json()
    expected = [row for row in _rows(loaded_app, AssignmentRow, version) if row.ward_code == "00316"]
    assert body["version"] == version and len(body["assignments"]) == len(expected) > 0
    names = {campaign.person(row.person_id).name.split()[-1] for row in expected}
    assert {a["first_name"] for a in body["assignments"]} == names
    text = response.get_data(as_text=True)
    for person in campaign.people:
        assert person.phone not in text and person.id not in text and person.name not in text


# ------------------------------------------------------------------------------------------- versions and people


def test_versions_list_for_a_coordinator(client, loaded_app):
    from web import store

    login(client, "dieuphoi")
    body = client.get("/api/versions").get_json()
    version = loaded_app.config["TEST_VERSION_ID"]
    with loaded_app.app_context():
        stored = store.versions()[0]
        listed = body["versions"][0]
        assert listed["id"] == version and listed["status"] == "published"
        assert listed["published_at"].endswith("Z") and listed["created_at"]
        assert (
            listed["coverage_percent"],
            listed["unfilled_count"],
            listed["assignment_count"],
            listed["objective"],
        ) == (stored.coverage_percent, stored.unfilled_count, stored.assignment_count, stored.objective)


def test_version_ward_roster_for_a_coordinator_has_names_phones_and_gaps(client, loaded_app):
    from scheduler.loader import load_campaign
    from web.models import AssignmentRow, UnfilledRow

    campaign = load_campaign(TINY)
    version = loaded_app.config["TEST_VERSION_ID"]
    login(client, "dieuphoi")
    body = client.get(f"/api/versions/{version}/wards/00337").get_json()
    rows = [row for row in _rows(loaded_app, AssignmentRow, version) if row.ward_code == "00337"]
    assert len(body["assignments"]) == len(rows) > 0
    assert body["ward"]["name"] == "Phường Hoàng Liệt"
    for listed in body["assignments"]:
        person = campaign.person(listed["person_id"])
        assert (listed["person_name"], listed["phone"]) == (person.name, person.phone)
        if listed["shift_id"]:
            assert listed["shift_name"] == campaign.shift(listed["shift_id"]).name
    gaps = [row for row in _rows(loaded_app, UnfilledRow, version) if row.ward_code == "00337"]
    assert sum(g["missing"] for g in body["unfilled"]) == sum(row.missing for row in gaps)
    for gap in body["unfilled"]:  # each gap in both languages, from the explainer's own phrases
        assert gap["explanation"] and gap["explanation_en"] and gap["suggestion_en"]
        assert " thiếu " in gap["explanation"] and " missing" in gap["explanation_en"]


def test_my_shifts_needs_a_volunteer_session(client, loaded_app):
    from web.models import AssignmentRow

    response = client.get("/api/me/shifts")
    assert response.status_code == 401 and response.get_json()["error"]
    version = loaded_app.config["TEST_VERSION_ID"]
    person_id = _someone_assigned(loaded_app, version)
    from web.codes import link_token

    assert client.post(f"/ca-truc/l/{link_token(loaded_app.config['SECRET_KEY'], person_id)}").status_code == 303
    body = client.get("/api/me/shifts").get_json()
    mine = [row for row in _rows(loaded_app, AssignmentRow, version) if row.person_id == person_id]
    assert body["person"]["id"] == person_id and "phone" not in body["person"]
    assert body["version"] == version
    assert sorted((s["date"], s["ward_code"], s["shift_id"] or s["mobile_point_id"]) for s in body["shifts"]) == sorted(
        (row.date.isoformat(), row.ward_code, row.shift_id or row.mobile_point_id) for row in mine
    )
    assert all(s["start"] and re.fullmatch(r"\d\d:\d\d", s["start"]) for s in body["shifts"])


def test_person_shifts_for_a_coordinator_with_a_chosen_version(client, loaded_app):
    version = loaded_app.config["TEST_VERSION_ID"]
    person_id = _someone_assigned(loaded_app, version)
    login(client, "dieuphoi")
    latest = client.get(f"/api/people/{person_id}/shifts").get_json()
    chosen = client.get(f"/api/people/{person_id}/shifts?version={version}").get_json()
    assert latest == chosen and latest["shifts"] and latest["person"]["phone"]
    assert client.get(f"/api/people/{person_id}/shifts?version=abc").status_code == 422
    assert client.get(f"/api/people/{person_id}/shifts?version={version + 50}").status_code == 404


# ------------------------------------------------------------------------------------------- jobs


@pytest.mark.parametrize(
    "body",
    [
        {"time_limit_seconds": 0},
        {"time_limit_seconds": 3601},
        {"time_limit_seconds": "10"},
        {"time_limit_seconds": True},
        {"time_limit_seconds": 5, "workers": 8},
        [5],
    ],
)
def test_a_bad_time_limit_is_422(client, loaded_app, body):
    login(client, "dieuphoi")
    response = client.post("/api/jobs", json=body)
    assert response.status_code == 422 and response.get_json()["error"]
    assert _job_count(loaded_app) == 0


def test_a_job_without_campaign_data_is_422(app):
    from web.auth import create_user

    with app.app_context():
        create_user("dieuphoi", PASSWORD, "coordinator")
    client = app.test_client()
    login(client, "dieuphoi")
    response = client.post("/api/jobs", json={"time_limit_seconds": 5})
    assert response.status_code == 422 and "campaign" in response.get_json()["error"]


def test_job_submit_busy_stop_round_trip(client, loaded_app):
    runner = loaded_app.extensions["raquan_jobs"]
    login(client, "dieuphoi")
    submitted = client.post("/api/jobs", json={"time_limit_seconds": 30})
    assert submitted.status_code == 202, submitted.get_data(as_text=True)
    job_id = submitted.get_json()["id"]
    try:
        assert submitted.headers["Location"].endswith(f"/api/jobs/{job_id}")
        assert submitted.get_json()["status"] == "running"
        status = client.get(f"/api/jobs/{job_id}").get_json()
        assert status["id"] == job_id and status["status"] == "running" and status["time_limit_seconds"] == 30
        busy = client.post("/api/jobs", json={"time_limit_seconds": 5})
        assert busy.status_code == 409 and busy.get_json()["error"]
        stopped = client.post(f"/api/jobs/{job_id}/stop")
        assert stopped.status_code == 200 and stopped.get_json()["stop_requested"] is True
    finally:
        runner.stop(job_id)
        assert runner.wait(job_id, timeout=120)
    ended = client.get(f"/api/jobs/{job_id}").get_json()
    assert ended["status"] == "stopped" and ended["version_id"] is None and ended["finished_at"]
    again = client.post(f"/api/jobs/{job_id}/stop")
    assert again.status_code == 409 and again.get_json()["error"]


def test_a_job_that_ends_stores_a_draft_version(client, loaded_app):
    runner = loaded_app.extensions["raquan_jobs"]
    loaded_app.config["RAQUAN_NOW"] = "2025-07-23T20:00"  # before the tiny campaign: its gaps are still open
    login(client, "dieuphoi")
    submitted = client.post("/api/jobs", json={"time_limit_seconds": 2})
    assert submitted.status_code == 202
    job_id = submitted.get_json()["id"]
    assert runner.wait(job_id, timeout=120)
    done = client.get(f"/api/jobs/{job_id}").get_json()
    assert done["status"] == "done", done["message"]
    assert done["version_id"] is not None and done["progress_done"] == done["progress_total"] > 0
    versions = client.get("/api/versions").get_json()["versions"]
    assert versions[0]["id"] == done["version_id"] and versions[0]["status"] == "draft"
    # the public still sees the published version
    assert client.get("/api/wards").get_json()["version"] == loaded_app.config["TEST_VERSION_ID"]


# ------------------------------------------------------------------------------------------- CSRF


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert found, "the page carries a CSRF token"
    return found.group(1)


def test_api_posts_need_the_csrf_header(database_url, tmp_path, tiny_solution):
    app = make_app(database_url, tmp_path / "csrf", WTF_CSRF_ENABLED=True)
    try:
        load_tiny(app, tiny_solution)
        client = app.test_client()
        token = _form_token(client.get("/dang-nhap").get_data(as_text=True))
        signed_in = client.post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 302
        refused = client.post("/api/jobs", json={"time_limit_seconds": 30})
        assert refused.status_code == 400 and refused.is_json and "CSRF" in refused.get_json()["error"]
        wrong = client.post("/api/jobs", json={"time_limit_seconds": 30}, headers={"X-CSRFToken": "nonsense"})
        assert wrong.status_code == 400
        assert _job_count(app) == 0

        header = client.get("/api/csrf-token").get_json()["csrf_token"]
        accepted = client.post("/api/jobs", json={"time_limit_seconds": 30}, headers={"X-CSRFToken": header})
        assert accepted.status_code == 202, accepted.get_data(as_text=True)
        job_id = accepted.get_json()["id"]
        try:
            assert client.post(f"/api/jobs/{job_id}/stop").status_code == 400
            assert client.post(f"/api/jobs/{job_id}/stop", headers={"X-CSRFToken": header}).status_code == 200
        finally:
            app.extensions["raquan_jobs"].stop(job_id)
            assert app.extensions["raquan_jobs"].wait(job_id, timeout=120)
    finally:
        with app.app_context():
            from web.models import db

            db.session.remove()
            db.engine.dispose()


# ------------------------------------------------------------------------------------------- OpenAPI


def _flask_rule_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_describes_every_api_route(client, loaded_app):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.get_data(as_text=True))
    assert document["openapi"] == "3.1.0"
    rules = [rule for rule in loaded_app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert len(rules) >= 10
    for rule in rules:
        path = _flask_rule_to_openapi(rule.rule)
        assert path in document["paths"], path
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path][method.lower()]
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(rule.arguments), path
            assert operation["responses"]
    for reference in set(_refs(document)):
        kind, name = reference.removeprefix("#/components/").split("/")
        assert name in document["components"][kind], reference
    assert "X-CSRFToken" in json.dumps(document["components"]["securitySchemes"])
    assert document["paths"]["/api/jobs"]["post"]["security"] == [{"session": [], "csrfToken": []}]
