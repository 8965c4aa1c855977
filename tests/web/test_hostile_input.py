"""Hostile input at the edge of the web app: no 500 where a 4xx is due, normalised text, error pages.

The crawl sends every route of ``app.url_map`` hostile path arguments, query strings, form bodies and
JSON bodies, signed in as each role and anonymously, on SQLite and PostgreSQL, and checks that nothing
answers 500, that the API answers JSON, that error pages come in the site's layout, and that no
control or bidirectional override character was stored.
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote, urlencode

import pytest
from sqlalchemy import String, Text, func, select
from werkzeug.routing import IntegerConverter

from tests.web.conftest import PASSWORD, login

BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
FORBIDDEN = set(BIDI) | {chr(c) for c in range(0x20) if c not in (9, 10)} | {chr(c) for c in range(0x7F, 0xA0)}
HOSTILE_TEXT = "a\x00b\x01\x1b[31m\x7f\x85\u202eevil\u202c \u2066x\u2069 Đ\u0301 🙂\r\nline\ttab"
HUGE = str(2**64)
TEN_TO_400 = "1" + "0" * 400
LONG = "x" * 5000
NESTED_JSON = b"[" * 100_000 + b"]" * 100_000


def _forbidden_in(text: str) -> set[str]:
    return {ch for ch in text if ch in FORBIDDEN}


# ------------------------------------------------------------------------------------------- clean_text


def test_clean_text_normalises_and_strips_controls_and_overrides():
    from web.edge import clean_text

    assert clean_text("Nguye\u0302\u0303n") == "Nguyễn"  # NFC
    assert clean_text("a\x00b\x07c\x1bd\x7fe\x85f\x9fg") == "abcdefg"
    assert clean_text("".join(BIDI) + "x") == "x"
    assert clean_text("one\r\ntwo\rthree\u2028four\tfive") == "one\ntwo\nthree\nfour\tfive"
    assert clean_text("one\r\ntwo\tthree", multiline=False) == "one two three"
    assert clean_text("lone \ud800 surrogate") == "lone  surrogate"
    assert clean_text("Phường Định Công 🙂") == "Phường Định Công 🙂"


# ------------------------------------------------------------------------------------------- ids


@pytest.mark.parametrize(
    "url",
    [
        "/api/jobs/9223372036854775808",
        "/api/jobs/2147483648",
        "/api/versions/18446744073709551616/wards/00316",
        "/dieu-phoi/phien-ban/9223372036854775808",
        "/dieu-phoi/cong-viec/2147483648",
        "/api/jobs/١٢",
    ],
)
def test_an_id_out_of_range_is_404(client, url):
    login(client, "dieuphoi")
    response = client.get(url)
    assert response.status_code == 404
    assert response.is_json == url.startswith("/api/")


def test_a_post_to_an_id_out_of_range_is_404(client):
    login(client, "dieuphoi")
    assert client.post("/thanh-doan/ghim/9223372036854775808/xoa").status_code == 404
    assert client.post("/ca-truc/bao-nghi/18446744073709551616").status_code == 404
    assert client.post("/api/jobs/2147483648/stop").status_code == 404


def test_a_query_id_out_of_range_is_refused(client, loaded_app):
    login(client, "dieuphoi")
    with loaded_app.app_context():
        from web import store

        person_id = store.campaign().people[0].id
    response = client.get(f"/api/people/{person_id}/shifts?version=9223372036854775808")
    assert response.status_code == 422 and "version" in response.get_json()["error"]
    response = client.get(f"/dieu-phoi/so-sanh?a={2**64}&b={loaded_app.config['TEST_VERSION_ID']}")
    assert response.status_code == 200


# ------------------------------------------------------------------------------------------- numbers and JSON


def _no_jobs(app) -> bool:
    from web.models import Job, db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Job)) == 0


@pytest.mark.parametrize(
    "raw",
    [
        b'{"time_limit_seconds": ' + TEN_TO_400.encode() + b"}",
        b'{"time_limit_seconds": -' + TEN_TO_400.encode() + b"}",
        b'{"time_limit_seconds": 1e400}',
        b'{"time_limit_seconds": NaN}',
        b'{"time_limit_seconds": Infinity}',
        b'{"time_limit_seconds": -Infinity}',
        NESTED_JSON,
        b'{"a": ' * 40 + b"1" + b"}" * 40,
        b"{",
        b"\xff\xfe",
    ],
)
def test_a_json_body_the_app_cannot_read_is_400_with_a_reason(client, loaded_app, raw):
    login(client, "dieuphoi")
    response = client.post("/api/jobs", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.is_json
    message = response.get_json()["error"]
    assert message and message != "Bad Request"
    assert _no_jobs(loaded_app)


@pytest.mark.parametrize("value", [TEN_TO_400, "inf", "nan", "-1", "1e400", "9" * 5000])
def test_a_time_limit_the_form_cannot_take_is_400(client, loaded_app, value):
    login(client, "dieuphoi")
    response = client.post("/dieu-phoi/xep-lich", data={"time_limit_seconds": value})
    assert response.status_code == 400
    assert "style.css" in response.get_data(as_text=True)  # the form page again, with its error
    assert _no_jobs(loaded_app)


def test_json_strings_are_cleaned(client, loaded_app):
    login(client, "dieuphoi")
    body = json.dumps({"time_limit_seconds\u202e\u0000": 0}).encode()
    response = client.post("/api/jobs", data=body, content_type="application/json")
    # the key is cleaned to time_limit_seconds, so the value is what is refused
    assert response.status_code == 422 and "between" in response.get_json()["error"]


def test_an_over_size_request_is_413_as_json_under_the_api_and_a_page_elsewhere(client, loaded_app):
    login(client, "dieuphoi")
    loaded_app.config["MAX_CONTENT_LENGTH"] = 1000
    body = json.dumps({"time_limit_seconds": 5, "padding": "x" * 2000})
    response = client.post("/api/jobs", data=body, content_type="application/json")
    assert response.status_code == 413 and response.is_json and response.get_json()["error"]
    page = client.post("/dieu-phoi/xep-lich", data={"time_limit_seconds": "5", "padding": "x" * 2000})
    assert page.status_code == 413 and "text/html" in page.content_type
    assert "style.css" in page.get_data(as_text=True)
    assert _no_jobs(loaded_app)


# ------------------------------------------------------------------------------------------- text


def test_a_nul_in_the_sign_in_forms_never_reaches_the_database(client):
    response = client.post("/dang-nhap", data={"username": "dieu\x00phoi", "password": PASSWORD})
    assert response.status_code == 302  # the NUL is dropped at the edge: the name the officer meant
    response = client.post("/ca-truc/", data={"phone": "0912\x00000001", "code": "12\x0034"})
    assert response.status_code in (401, 429)


def test_a_sign_in_name_is_cleaned_before_it_is_looked_up(client):
    response = client.post("/dang-nhap", data={"username": "\u202adieu\x00phoi\u202c", "password": PASSWORD})
    assert response.status_code == 302  # the name the officer meant


def _volunteer_with_upcoming_shift(app):
    from web import store
    from web.models import AssignmentRow, db

    with app.app_context():
        campaign = store.campaign()
        version = store.latest_published()
        row = db.session.scalars(
            select(AssignmentRow)
            .where(AssignmentRow.version_id == version.id)
            .order_by(AssignmentRow.date.desc(), AssignmentRow.id)
        ).first()
        return row.id, campaign.person(row.person_id), row.date


def _volunteer_sign_in(client, app, person) -> None:
    from web.codes import personal_code

    response = client.post(
        "/ca-truc/", data={"phone": person.phone, "code": personal_code(app.config["SECRET_KEY"], person.id)}
    )
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]


def test_stored_free_text_is_cleaned(client, loaded_app):
    from scheduler.model import Pool
    from web.live import EventRow
    from web.models import Team, db

    assignment_id, person, day = _volunteer_with_upcoming_shift(loaded_app)
    loaded_app.config["RAQUAN_TODAY"] = day.isoformat()
    _volunteer_sign_in(client, loaded_app, person)
    response = client.post(f"/ca-truc/bao-nghi/{assignment_id}", data={"reason": "ốm\x00 \u202enặng\u202c"})
    assert response.status_code == 303
    youth = loaded_app.test_client()
    login(youth, "thanhdoan")
    with loaded_app.app_context():
        from web import store

        campaign = store.campaign()
        student = campaign.people_in(Pool.STUDENT)[0]
        ward_code = campaign.wards[0].code
    response = youth.post(
        "/thanh-doan/xep", data={"person_id": student.id, "ward_code": ward_code, "team": "Đội\u202e 1\x00\u2066"}
    )
    assert response.status_code == 302
    with loaded_app.app_context():
        assert [row.event.reason for row in db.session.scalars(select(EventRow))] == ["ốm nặng"]
        assert db.session.get(Team, student.id).team == "Đội 1"
    page = youth.get("/thanh-doan/").get_data(as_text=True)
    assert "Đội 1" in page and not _forbidden_in(page)


def test_a_one_line_form_field_gets_no_line_break(app):
    from web.forms import LoginForm

    with app.test_request_context(
        "/dang-nhap", method="POST", data={"username": " dieu\r\nphoi\t", "password": " p\x00w\n"}
    ):
        form = LoginForm()
        assert form.username.data == " dieu phoi "
        assert form.password.data == " p\x00w\n"  # a password is compared as typed


# ------------------------------------------------------------------------------------------- error pages


def _in_layout(html: str) -> bool:
    return "style.css" in html and "<header" in html and "<footer" in html


def test_error_pages_are_in_the_layout_and_switch_language(client):
    vietnamese = client.get("/khong-co-trang-nay")
    html = vietnamese.get_data(as_text=True)
    assert vietnamese.status_code == 404 and _in_layout(html)
    assert 'lang="vi"' in html and "Không tìm thấy trang này." in html and "Về trang chủ" in html
    english = client.get("/khong-co-trang-nay?lang=en")
    html = english.get_data(as_text=True)
    assert english.status_code == 404 and _in_layout(html)
    assert 'lang="en"' in html and "Page not found." in html and "Back to home" in html
    assert "Không tìm thấy trang này." not in html and "My shifts" in html
    method = client.post("/").get_data(as_text=True)  # 405, still in English (the session remembers)
    assert _in_layout(method) and 'lang="en"' in method and "Invalid request." in method


def test_a_role_error_is_a_page_in_the_layout(client):
    login(client, "thanhdoan")
    response = client.get("/dieu-phoi/")
    assert response.status_code == 403 and _in_layout(response.get_data(as_text=True))


def _boom_routes(app, monkeypatch):
    """Routes that fail: a plain error, and one with the database gone as well."""
    from flask import g
    from sqlalchemy.exc import OperationalError

    from web.models import db

    def boom():
        raise RuntimeError("boom")

    def database_gone(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    def boom_without_database():
        monkeypatch.setattr(db.session, "get", database_gone)
        g.pop("user", None)
        raise RuntimeError("boom with the database gone")

    app.add_url_rule("/test-boom", "test_boom", boom)
    app.add_url_rule("/api/test-boom", "test_api_boom", boom)
    app.add_url_rule("/test-boom-db", "test_boom_db", boom_without_database)
    app.config["PROPAGATE_EXCEPTIONS"] = False


def test_a_server_error_renders_the_layout_in_the_visitors_language(loaded_app, monkeypatch):
    _boom_routes(loaded_app, monkeypatch)
    client = loaded_app.test_client()
    login(client, "dieuphoi")
    response = client.get("/test-boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and _in_layout(html)
    assert "Về trang chủ" in html and "dieuphoi" in html  # signed in: the layout names the user
    client.get("/?lang=en")
    html = client.get("/test-boom").get_data(as_text=True)
    assert 'lang="en"' in html and "Back to home" in html
    api = client.get("/api/test-boom")
    assert api.status_code == 500 and api.get_json() == {"error": "Internal Server Error"}


def test_a_server_error_page_needs_no_database(loaded_app, monkeypatch):
    _boom_routes(loaded_app, monkeypatch)
    client = loaded_app.test_client()
    login(client, "dieuphoi")
    response = client.get("/test-boom-db")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and _in_layout(html) and "Về trang chủ" in html
    assert "dieuphoi" not in html  # who is signed in could not be asked


def test_a_failing_error_page_falls_back_to_a_minimal_one(loaded_app, monkeypatch):
    import web.edge

    _boom_routes(loaded_app, monkeypatch)

    def broken(*_args, **_kwargs):
        raise RuntimeError("template broken")

    monkeypatch.setattr(web.edge, "render_template", broken)
    response = loaded_app.test_client().get("/test-boom")
    assert response.status_code == 500 and "text/html" in response.content_type
    assert "Về trang chủ" in response.get_data(as_text=True)


def test_an_expired_form_gets_a_page_that_says_so(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and _in_layout(html)
    assert "Biểu mẫu đã hết hạn" in html and 'href="/dang-nhap"' in html
    api = client.post("/api/jobs", json={"time_limit_seconds": 5})
    assert api.status_code == 400 and "CSRF" in api.get_json()["error"]


ERROR_STATUSES = (400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503)


def test_every_error_status_is_json_under_the_api_and_a_page_in_the_layout_elsewhere(loaded_app):
    from flask import abort

    def fail(code: int):
        abort(code)

    loaded_app.add_url_rule("/api/test-abort/<int:code>", "test_api_abort", fail)
    loaded_app.add_url_rule("/test-abort/<int:code>", "test_abort", fail)
    client = loaded_app.test_client()
    for code in ERROR_STATUSES:
        api = client.get(f"/api/test-abort/{code}")
        assert api.status_code == code and api.is_json and api.get_json()["error"], code
        page = client.get(f"/test-abort/{code}")
        html = page.get_data(as_text=True)
        assert page.status_code == code and "text/html" in page.content_type and _in_layout(html), code
        assert f"Mã lỗi: {code}" in html and "Về trang chủ" in html, code


def test_the_api_answers_json_for_every_error(client, loaded_app):
    anonymous = loaded_app.test_client()
    assert anonymous.get("/api/versions").status_code == 401 and anonymous.get("/api/versions").is_json
    youth = loaded_app.test_client()
    login(youth, "thanhdoan")
    assert youth.get("/api/versions").status_code == 403 and youth.get("/api/versions").is_json
    for response, status in [
        (anonymous.get("/api/nothing"), 404),
        (anonymous.delete("/api/wards"), 405),
        (anonymous.post("/api/wards"), 405),
    ]:
        assert response.status_code == status and response.is_json and response.get_json()["error"]
    assert "GET" in anonymous.delete("/api/wards").headers["Allow"]


# ------------------------------------------------------------------------------------------- the crawl


PATH_VALUES = [str(2**63), str(2**64), "-1", "0", "\x00", LONG, "\u202eevil", "١٢", "Đ\u0301", "%00", "..", "a\tb"]
QUERY_NAMES = [
    "page",
    "version",
    "a",
    "b",
    "ward",
    "rule",
    "date",
    "pool",
    "q",
    "order",
    "person",
    "lang",
    "next",
    "home",
    "school",
    "\x00\u202e",
]
FORM_NAMES = [
    "username",
    "password",
    "phone",
    "code",
    "reason",
    "person_id",
    "ward_code",
    "team",
    "action",
    "page",
    "date",
    "shift_id",
    "time_limit_seconds",
    "table",
    "min_support_staff_per_shift",
    "min_telecom_staff_per_day",
    "oncall_24_7",
    "night_response_limit_minutes",
    "mobile_point_travel_limit_minutes",
    "max_work_hours_per_day",
    "max_work_hours_per_week",
    "min_rest_between_shifts_hours",
    "min_weekly_rest_hours",
    "student_weekly_cap_hours",
    "submit",
    "q",
    "school",
    "ward",
    "home",
    "\x00\u202e",
]
VALUE_SETS = [HOSTILE_TEXT, TEN_TO_400, HUGE, "-1", "nan", LONG]
JSON_BODIES = [
    NESTED_JSON,
    b'{"time_limit_seconds": ' + TEN_TO_400.encode() + b"}",
    b'{"time_limit_seconds": NaN, "x": Infinity}',
    b'{"time_limit_seconds": 1e400}',
    json.dumps({"time_limit_seconds": HOSTILE_TEXT, HOSTILE_TEXT: [HOSTILE_TEXT] * 3}).encode(),
    b'{"time_limit_seconds": "\\ud800\\u0000"}',
    b"[" * 40 + b"]" * 40,
]
# Crawled last: they may change who the client is signed in as.
SESSION_CHANGING = ("volunteer.link", "volunteer.link_confirm", "public.logout", "volunteer.sign_out")


def _valid_path_values(app, rule, person, ward_code: str, assignment_id: int) -> dict:
    from web.codes import feed_token, link_token

    secret = app.config["SECRET_KEY"]
    values = {}
    for name, converter in rule._converters.items():
        if name == "assignment_id":
            values[name] = str(assignment_id)  # the volunteer's own: "Tôi không thể đến" stores a reason
        elif isinstance(converter, IntegerConverter):
            values[name] = str(app.config["TEST_VERSION_ID"])
        elif name in ("code", "ward_code"):
            values[name] = ward_code
        elif name == "person_id":
            values[name] = person.id
        elif name == "token":
            make = feed_token if rule.endpoint == "volunteer.calendar" else link_token
            values[name] = make(secret, person.id)
        elif name == "filename":
            values[name] = "style.css"
        else:
            values[name] = "x"
    return values


def _url(rule, values: dict) -> str:
    path = rule.rule
    for name in rule._converters:
        start = path.index("<")
        end = path.index(">", start)
        assert name in path[start:end]
        path = path[:start] + quote(values[name], safe="") + path[end + 1 :]
    return path


class Crawl:
    """Requests and what each answered."""

    def __init__(self):
        self.count = 0
        self.statuses = {}

    def check(self, response, method: str, url: str, what: str) -> None:
        self.count += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        where = f"{method} {url[:120]} ({what}) -> {response.status_code}"
        assert response.status_code < 500, where
        if url.startswith("/api/"):
            assert response.is_json, where
        if response.status_code >= 400 and "text/html" in response.content_type:
            assert _in_layout(response.get_data(as_text=True)), where


def _crawl_role(app, client, crawl: Crawl, person, ward_code: str, assignment_id: int) -> None:
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint in SESSION_CHANGING, r.rule))
    query_sets = [urlencode([(name, value) for name in QUERY_NAMES]) for value in VALUE_SETS[:3]]
    for rule in rules:
        valid = _valid_path_values(app, rule, person, ward_code, assignment_id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            body = {"data": {name: HOSTILE_TEXT for name in FORM_NAMES}} if method == "POST" else {}
            for name in rule.arguments:
                for value in PATH_VALUES:
                    url = _url(rule, {**valid, name: value})
                    crawl.check(client.open(url, method=method, **body), method, url, f"path {name}")
            for query in query_sets:
                url = _url(rule, valid) + "?" + query
                crawl.check(client.open(url, method=method, **body), method, url, "query")
            if method != "POST":
                continue
            url = _url(rule, valid)
            for value in VALUE_SETS:
                response = client.open(url, method=method, data={name: value for name in FORM_NAMES})
                crawl.check(response, method, url, f"form {value[:20]!r}")
            for raw in JSON_BODIES:
                response = client.open(url, method=method, data=raw, content_type="application/json")
                crawl.check(response, method, url, f"json {raw[:20]!r}")
        url = _url(rule, valid)
        crawl.check(client.open(url, method="PUT", data=HOSTILE_TEXT), "PUT", url, "method")


def _stored_text_problems(app) -> list[str]:
    """Every text value of every table that holds a control or bidirectional override character."""
    from web.models import db

    problems = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, str) and _forbidden_in(value.replace("\n", "").replace("\t", "")):
                        problems.append(f"{table.name}.{column.name}: {value[:60]!r}")
    return problems


@pytest.mark.slow
def test_every_route_survives_hostile_input_as_every_role(loaded_app):
    from web.live import EventRow
    from web.models import Job, db

    assignment_id, person, day = _volunteer_with_upcoming_shift(loaded_app)
    loaded_app.config["RAQUAN_TODAY"] = day.isoformat()
    with loaded_app.app_context():
        from web import store

        ward_code = store.campaign().wards[0].code
    # Everyone signs in before any hostile request counts against the sign-in limits; the coordinator comes
    # last, as a coordinator may renew the volunteer's credentials.
    clients = {"volunteer": loaded_app.test_client(), "anonymous": loaded_app.test_client()}
    _volunteer_sign_in(clients["volunteer"], loaded_app, person)
    for role, username in (("youth_union", "thanhdoan"), ("coordinator", "dieuphoi")):
        clients[role] = loaded_app.test_client()
        login(clients[role], username)

    crawl = Crawl()
    started = time.perf_counter()
    for client in clients.values():
        _crawl_role(loaded_app, client, crawl, person, ward_code, assignment_id)
    elapsed = time.perf_counter() - started
    print(f"hostile crawl: {crawl.count} requests in {elapsed:.1f} s; statuses {sorted(crawl.statuses.items())}")
    assert crawl.count > 1000
    assert _stored_text_problems(loaded_app) == []
    with loaded_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0  # nothing hostile started a solve
        assert db.session.scalar(select(func.count()).select_from(EventRow)) == 1  # a hostile reason, cleaned
