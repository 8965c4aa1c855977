"""CSRF on every form, refused access for each role on every page, no phone numbers outside coordinators."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import PASSWORD

FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _pages(app) -> list[str]:
    """Every HTML page reachable by GET without URL arguments."""
    urls = []
    for rule in app.url_map.iter_rules():
        if (
            "GET" in rule.methods
            and not rule.arguments
            and not rule.rule.startswith(("/api", "/static"))
            and rule.rule != "/healthz"
        ):
            urls.append(rule.rule)
    return sorted(urls)


def _sign_in(client, username):
    token = _token(client.get("/dang-nhap").get_data(as_text=True))
    response = client.post("/dang-nhap", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_a_post_without_its_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD})
    assert response.status_code == 400
    _sign_in(client, "dieuphoi")


@pytest.mark.parametrize("username", ["dieuphoi", "thanhdoan"])
def test_every_post_form_carries_a_csrf_token(csrf_app, username):
    client = csrf_app.test_client()
    _sign_in(client, username)
    checked = 0
    for url in _pages(csrf_app):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        for form in FORM.findall(response.get_data(as_text=True)):
            if re.search(r'method="post"', form, re.I):
                assert 'name="csrf_token"' in form, (url, form[:200])
                checked += 1
    assert checked >= 3


def test_pages_refuse_the_wrong_role(csrf_app):
    anonymous = csrf_app.test_client()
    youth = csrf_app.test_client()
    _sign_in(youth, "thanhdoan")
    coordinator_pages = [u for u in _pages(csrf_app) if u.startswith("/dieu-phoi")]
    youth_pages = [u for u in _pages(csrf_app) if u.startswith("/thanh-doan")]
    assert coordinator_pages and youth_pages
    for url in coordinator_pages + youth_pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"], url
    for url in coordinator_pages:
        assert youth.get(url).status_code == 403, url
    for url in youth_pages:
        assert youth.get(url).status_code == 200, url


def test_phone_numbers_appear_only_to_coordinators(csrf_app):
    from web import store

    with csrf_app.app_context():
        phones = {p.phone for p in store.campaign().people}
    youth = csrf_app.test_client()
    _sign_in(youth, "thanhdoan")
    anonymous = csrf_app.test_client()
    for client in (youth, anonymous):
        for url in _pages(csrf_app):
            response = client.get(url)
            if response.status_code == 200:
                text = response.get_data(as_text=True)
                assert not [p for p in phones if p in text], url
        text = client.get("/api/wards").get_data(as_text=True)
        assert not [p for p in phones if p in text]


def test_the_event_forms_work_with_csrf_on(csrf_app):
    # The event forms are prefixed (person-kind, person-person_id, ...); the page gives each the app's one
    # csrf_token, which the app's protection checks on every POST.
    from web import live

    csrf_app.config["RAQUAN_NOW"] = "2025-07-23T20:00"
    client = csrf_app.test_client()
    _sign_in(client, "dieuphoi")
    page = client.get("/dieu-phoi/su-kien").get_data(as_text=True)
    form = next(f for f in FORM.findall(page) if "/dieu-phoi/su-kien/vang-mat" in f)
    fields = {
        "csrf_token": _token(form),
        "person-kind": "absence",
        "person-person_id": "SV0001",
        "person-first_date": "2025-07-25",
        "person-reason": "ốm",
    }
    response = client.post("/dieu-phoi/su-kien/vang-mat", data=fields)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with csrf_app.app_context():
        assert [(e.kind, e.person_id) for e in live.events_of()] == [("absence", "SV0001")]
    del fields["csrf_token"]
    assert client.post("/dieu-phoi/su-kien/vang-mat", data=fields).status_code == 400
