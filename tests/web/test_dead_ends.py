"""No dead ends: a refused page says which role the account has, what it may do and where its own page is; a
volunteer signed in with their code sees how to leave, not "Đăng nhập"."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, login
from tests.web.test_volunteer import _code


@pytest.mark.parametrize(
    ("username", "role", "refused", "own"),
    [
        ("thanhdoan", "youth_union", "/dieu-phoi/", "/thanh-doan/"),
        ("phuong", "ward", "/dieu-phoi/", "/xa-phuong/"),
        ("totruong", "group", "/xa-phuong/lo-trinh", "/xa-phuong/danh-sach/"),
    ],
)
def test_a_refused_page_names_the_role_what_it_may_do_and_its_own_page(loaded_app, username, role, refused, own):
    from web.auth import create_user

    with loaded_app.app_context():
        if role in ("ward", "group"):
            create_user(username, PASSWORD, role, "Cán bộ", ward_code="00316")
    client = loaded_app.test_client()
    landing = login(client, username).headers["Location"]
    response = client.get(refused)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Forbidden" not in page and "data-own-role" in page
    link = page.split("data-own-page", 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert link.startswith(own) and landing.endswith(link)
    assert client.get(link).status_code == 200  # the page it points to opens


def test_a_refused_page_without_an_account_offers_no_role(loaded_app):
    client = loaded_app.test_client()
    client.post("/ca-truc/", data={"phone": "0912000001", "code": _code(loaded_app, "SV0001")})
    response = client.get("/doi/not-a-token")
    assert response.status_code == 404 and "data-own-role" not in response.get_data(as_text=True)


def test_a_volunteer_signed_in_with_their_code_sees_how_to_leave_not_how_to_sign_in(loaded_app):
    client = loaded_app.test_client()
    before = client.get("/ca-truc/").get_data(as_text=True)
    assert "Đăng nhập" in before and "data-volunteer-sign-out" not in before
    client.post("/ca-truc/", data={"phone": "0912000001", "code": _code(loaded_app, "SV0001")})
    page = client.get("/ca-truc/cua-toi").get_data(as_text=True)
    assert "data-volunteer-sign-out" in page and ">Đăng nhập<" not in page
    client.post("/ca-truc/thoat")
    after = client.get("/ca-truc/").get_data(as_text=True)
    assert "data-volunteer-sign-out" not in after and "Đăng nhập" in after


def test_the_language_links_are_large_enough_to_tap_and_the_top_bar_fits_a_phone(live_server, open_page):
    page = open_page(390, 844)
    page.goto(live_server.url + "/ca-truc/")
    links = page.locator(".langs a")
    assert links.count() == 2
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
