"""Guessing, lockouts, sessions, links, headers, publishing and a busy database: the access side of the app.

Each test here is the regression test of one defect found by trying the app as a hostile user or a
flaky machine would: simultaneous guesses, a stranger locking a volunteer out, a copied cookie after
sign-out, links that never expire, a locked database.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from datetime import timedelta

import pytest

from tests.web.conftest import PASSWORD, load_tiny, login, make_app

PHONE = "0912000001"  # SV0001 of the tiny campaign


def _code(app, person_id: str, generation: int = 0) -> str:
    from web.codes import personal_code

    return personal_code(app.config["SECRET_KEY"], person_id, generation)


def _wrong(app, person_id: str) -> str:
    right = _code(app, person_id)
    return str((int(right) + 1) % 10 ** len(right)).zfill(len(right))


def _burst(app, count: int, send) -> list[int]:
    """``count`` requests released at the same instant, each from its own client; their status codes."""
    barrier = threading.Barrier(count, timeout=30)
    statuses = [None] * count

    def one(index):
        client = app.test_client()
        barrier.wait()
        statuses[index] = send(client).status_code

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


# ------------------------------------------------------------------------------------- personal codes


def test_a_burst_of_simultaneous_guesses_gets_no_more_than_the_limit_through(loaded_app):
    from web.volunteer import PAIR_LIMIT

    wrong = _wrong(loaded_app, "SV0001")
    statuses = _burst(loaded_app, 16, lambda c: c.post("/ca-truc/", data={"phone": PHONE, "code": wrong}))
    checked = statuses.count(401)
    assert checked == PAIR_LIMIT.attempts and statuses.count(429) == len(statuses) - checked


def test_a_stranger_with_the_phone_locks_out_only_their_own_address(client, loaded_app):
    stranger = {"REMOTE_ADDR": "203.0.113.7"}
    wrong = _wrong(loaded_app, "SV0001")
    for _ in range(5):
        assert client.post("/ca-truc/", data={"phone": PHONE, "code": wrong}, environ_base=stranger).status_code == 401
    refused = client.post(
        "/ca-truc/", data={"phone": PHONE, "code": _code(loaded_app, "SV0001")}, environ_base=stranger
    )
    assert refused.status_code == 429
    volunteer = loaded_app.test_client()
    response = volunteer.post(
        "/ca-truc/",
        data={"phone": PHONE, "code": _code(loaded_app, "SV0001")},
        environ_base={"REMOTE_ADDR": "198.51.100.20"},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/ca-truc/cua-toi")


def test_the_phone_cap_holds_across_addresses_and_the_link_and_a_coordinator_unlock_still_work(client, loaded_app):
    from web.codes import link_token
    from web.volunteer import PHONE_LIMIT

    wrong = _wrong(loaded_app, "SV0001")
    for i in range(PHONE_LIMIT.attempts):  # many addresses, a few guesses each
        address = {"REMOTE_ADDR": f"10.1.{i // 4}.{i % 4 + 1}"}
        assert client.post("/ca-truc/", data={"phone": PHONE, "code": wrong}, environ_base=address).status_code == 401
    fresh = {"REMOTE_ADDR": "198.51.100.99"}
    right = {"phone": PHONE, "code": _code(loaded_app, "SV0001")}
    assert client.post("/ca-truc/", data=right, environ_base=fresh).status_code == 429
    volunteer = loaded_app.test_client()
    token = link_token(loaded_app.config["SECRET_KEY"], "SV0001")
    assert volunteer.post(f"/ca-truc/l/{token}", environ_base=fresh).status_code == 303
    coordinator = loaded_app.test_client()
    login(coordinator, "dieuphoi")
    assert coordinator.post("/dieu-phoi/nguoi/SV0001/mo-khoa").status_code == 302
    assert client.post("/ca-truc/", data=right, environ_base=fresh).status_code == 302


def test_guessing_one_code_over_the_whole_campaign_is_below_one_in_ten_thousand():
    from web.codes import CODE_DIGITS
    from web.volunteer import PHONE_LIMIT

    windows = timedelta(days=46) / PHONE_LIMIT.window  # 45 days and nights, and a day to spare
    assert PHONE_LIMIT.attempts * windows / 10**CODE_DIGITS < 1e-4


def test_codes_are_accepted_with_spaces_between_groups(client, loaded_app):
    from web.codes import format_code

    spaced = format_code(_code(loaded_app, "SV0002"))
    assert " " in spaced
    assert client.post("/ca-truc/", data={"phone": "0912000002", "code": spaced}).status_code == 302


# ------------------------------------------------------------------------------------------ passwords


def test_wrong_passwords_lock_the_account_from_that_address_only(loaded_app):
    from web.auth import PAIR_LIMIT

    attacker = loaded_app.test_client()
    for _ in range(PAIR_LIMIT.attempts):
        response = attacker.post("/dang-nhap", data={"username": "dieuphoi", "password": "wrong-password"})
        assert response.status_code == 401
    refused = attacker.post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD})
    assert refused.status_code == 429 and "quá nhiều lần" in refused.get_data(as_text=True)
    owner = loaded_app.test_client()
    ok = owner.post(
        "/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "198.51.100.5"}
    )
    assert ok.status_code == 302


def test_a_burst_of_password_guesses_gets_no_more_than_the_limit_through(loaded_app):
    from web.auth import PAIR_LIMIT

    statuses = _burst(
        loaded_app, 12, lambda c: c.post("/dang-nhap", data={"username": "thanhdoan", "password": "not-it-at-all"})
    )
    # each of the limit's attempts is checked or told to retry (one hash at a time); the rest are refused
    assert statuses.count(401) + statuses.count(503) == PAIR_LIMIT.attempts
    assert statuses.count(429) == len(statuses) - PAIR_LIMIT.attempts


def test_password_hashing_waits_for_a_free_slot_and_then_says_busy(loaded_app, monkeypatch):
    from web import auth

    monkeypatch.setattr(auth, "HASHING_WAIT_SECONDS", 0.2)
    assert auth._hashing.acquire(timeout=5)  # every slot taken, as by a storm of sign-ins
    try:
        started = time.monotonic()
        response = loaded_app.test_client().post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD})
        waited = time.monotonic() - started
    finally:
        auth._hashing.release()
    assert response.status_code == 503 and "bận" in response.get_data(as_text=True)
    assert waited < 3
    assert (
        loaded_app.test_client().post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD}).status_code
        == 302
    )


# ------------------------------------------------------------------------------------ sessions, links


def _cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_stops_working_after_sign_out(loaded_app):
    client = loaded_app.test_client()
    login(client, "dieuphoi")
    copied = _cookie(client)
    assert client.post("/dang-xuat").status_code == 302
    thief = loaded_app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/dieu-phoi/")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_signing_in_again_ends_the_browsers_earlier_session(loaded_app):
    client = loaded_app.test_client()
    login(client, "dieuphoi")
    earlier = _cookie(client)
    login(client, "thanhdoan")
    thief = loaded_app.test_client()
    thief.set_cookie("session", earlier)
    assert thief.get("/dieu-phoi/").status_code == 302


def test_a_copied_volunteer_cookie_stops_working_after_sign_out(loaded_app):
    client = loaded_app.test_client()
    assert client.post("/ca-truc/", data={"phone": PHONE, "code": _code(loaded_app, "SV0001")}).status_code == 302
    copied = _cookie(client)
    assert client.post("/ca-truc/thoat").status_code == 302
    thief = loaded_app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/ca-truc/cua-toi")
    assert response.status_code == 302 and response.headers["Location"].endswith("/ca-truc/")


def test_a_link_shows_a_confirm_step_and_a_get_signs_no_one_in(client, loaded_app):
    from web.codes import link_token

    token = link_token(loaded_app.config["SECRET_KEY"], "SV0001")
    page = client.get(f"/ca-truc/l/{token}")
    assert page.status_code == 200 and "<form" in page.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "person_id" not in session
    assert client.get("/ca-truc/cua-toi").status_code == 302


def test_links_and_feeds_expire(loaded_app):
    from web.codes import feed_token, link_token

    loaded_app.config["RAQUAN_LINK_MAX_AGE_DAYS"] = 1.5 / 86400  # a second and a half
    secret = loaded_app.config["SECRET_KEY"]
    token, feed = link_token(secret, "SV0001"), feed_token(secret, "SV0001")
    client = loaded_app.test_client()
    assert client.get(f"/ca-truc/l/{token}").status_code == 200
    assert client.get(f"/ca-truc/lich/{feed}.ics").status_code == 200
    time.sleep(2.6)  # the signature's time stamp has whole seconds
    assert client.get(f"/ca-truc/l/{token}").status_code == 404
    assert client.post(f"/ca-truc/l/{token}").status_code == 404
    assert client.get(f"/ca-truc/lich/{feed}.ics").status_code == 404


def _tokens_on_page(page: str) -> tuple[str, str]:
    """The personal link's and the calendar feed's tokens shown on a coordinator's person page."""
    return (
        re.search(r"/ca-truc/l/([A-Za-z0-9_.\-]+)", page).group(1),
        re.search(r"/ca-truc/lich/([A-Za-z0-9_.\-]+)\.ics", page).group(1),
    )


def test_a_coordinator_revokes_one_persons_code_links_feed_and_sessions(loaded_app):
    from web.codes import link_token, person_from_feed_token, person_from_token

    secret = loaded_app.config["SECRET_KEY"]
    coordinator = loaded_app.test_client()
    login(coordinator, "dieuphoi")
    page = coordinator.get("/dieu-phoi/nguoi/SV0001").get_data(as_text=True)
    old_link, old_feed = _tokens_on_page(page)
    assert person_from_token(secret, old_link, 3600) == ("SV0001", 0)
    assert person_from_feed_token(secret, old_feed, 3600) == ("SV0001", 0)
    old_code = _code(loaded_app, "SV0001")
    assert re.sub(r"\D", "", page).count(old_code) == 1  # the code is shown, in groups
    volunteer = loaded_app.test_client()
    assert volunteer.post(f"/ca-truc/l/{old_link}").status_code == 303
    other = loaded_app.test_client()
    assert other.post(f"/ca-truc/l/{link_token(secret, 'SV0002')}").status_code == 303

    assert coordinator.post("/dieu-phoi/nguoi/SV0001/thu-hoi").status_code == 302

    assert volunteer.get("/ca-truc/cua-toi").status_code == 302  # the open session ended
    assert volunteer.get(f"/ca-truc/l/{old_link}").status_code == 404
    assert volunteer.get(f"/ca-truc/lich/{old_feed}.ics").status_code == 404
    assert volunteer.post("/ca-truc/", data={"phone": PHONE, "code": old_code}).status_code == 401
    new_link, new_feed = _tokens_on_page(coordinator.get("/dieu-phoi/nguoi/SV0001").get_data(as_text=True))
    assert person_from_token(secret, new_link, 3600) == ("SV0001", 1)
    assert volunteer.post(f"/ca-truc/l/{new_link}").status_code == 303
    assert volunteer.get(f"/ca-truc/lich/{new_feed}.ics").status_code == 200
    new_code = _code(loaded_app, "SV0001", 1)
    assert loaded_app.test_client().post("/ca-truc/", data={"phone": PHONE, "code": new_code}).status_code == 302
    assert other.get("/ca-truc/cua-toi").status_code == 200  # nobody else is touched


def test_only_coordinators_see_a_persons_page(loaded_app):
    anonymous = loaded_app.test_client()
    assert anonymous.get("/dieu-phoi/nguoi/SV0001").status_code == 302
    youth = loaded_app.test_client()
    login(youth, "thanhdoan")
    assert youth.get("/dieu-phoi/nguoi/SV0001").status_code == 403
    assert youth.post("/dieu-phoi/nguoi/SV0001/thu-hoi").status_code == 403
    coordinator = loaded_app.test_client()
    login(coordinator, "dieuphoi")
    assert coordinator.get("/dieu-phoi/nguoi/NOBODY").status_code == 404


# ----------------------------------------------------------------------------------- headers, cookies


def test_every_answer_carries_the_security_headers(client, loaded_app):
    for path in ("/", "/ca-truc/", "/api/wards", "/dang-nhap", "/no-such-page"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"


def test_session_cookies_are_https_only_unless_turned_off(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("RAQUAN_SECURE_COOKIES", raising=False)
    app = make_app(database_url, tmp_path / "a")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    cookie = client.get("/?lang=en").headers.get("Set-Cookie")
    assert cookie is not None and "; Secure" in cookie and "HttpOnly" in cookie
    monkeypatch.setenv("RAQUAN_SECURE_COOKIES", "0")
    assert make_app(database_url, tmp_path / "b").config["SESSION_COOKIE_SECURE"] is False
    with app.app_context():
        from web.models import db

        db.engine.dispose()


# ------------------------------------------------------------------------------------------ publishing


def test_publishing_the_same_draft_many_times_at_once_publishes_it_once(app, tiny_solution):
    from web import store
    from web.models import RosterVersion, db

    draft_id = load_tiny(app, tiny_solution, publish=False)

    clients = []
    for _ in range(8):
        clients.append(app.test_client())
        login(clients[-1], "dieuphoi")
    results = []
    barrier = threading.Barrier(len(clients), timeout=30)

    def one(client):
        barrier.wait()
        page = client.post(f"/dieu-phoi/phien-ban/{draft_id}/cong-bo", follow_redirects=True)
        results.append(page.get_data(as_text=True))

    threads = [threading.Thread(target=one, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    published = [page for page in results if f"Đã công bố phiên bản {draft_id};" in page]
    assert len(results) == 8 and len(published) == 1
    with app.app_context():
        first = db.session.get(RosterVersion, draft_id)
        stamp = (first.status, first.published_at, first.published_by)
    assert stamp[0] == "published"
    with app.app_context():
        assert store.publish_once(draft_id, "someone-else") is False
        again = db.session.get(RosterVersion, draft_id)
        assert (again.status, again.published_at, again.published_by) == stamp


# ------------------------------------------------------------------------------------- a busy database


@pytest.fixture
def locked_sqlite(tmp_path, tiny_solution):
    """A loaded app on SQLite whose database another process holds an exclusive write lock on."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    app = make_app(url, tmp_path / "data", RAQUAN_DB_TIMEOUT_SECONDS=0.5)
    load_tiny(app, tiny_solution)
    holder = sqlite3.connect(tmp_path / "locked.db", isolation_level=None)
    yield app, holder
    holder.close()
    with app.app_context():
        from web.models import db

        db.session.remove()
        db.engine.dispose()


def test_code_attempts_fail_closed_when_the_database_is_locked(locked_sqlite):
    app, holder = locked_sqlite
    client = app.test_client()
    client.get("/ca-truc/")  # the campaign is cached before the lock
    holder.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    response = client.post("/ca-truc/", data={"phone": PHONE, "code": _code(app, "SV0001")})
    assert time.monotonic() - started < 5
    holder.execute("ROLLBACK")
    assert response.status_code == 503 and "thử lại" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "person_id" not in session  # the right code did not get through uncounted


def test_a_write_to_a_locked_database_answers_a_clear_503_page(locked_sqlite):
    app, holder = locked_sqlite
    client = app.test_client()
    login(client, "dieuphoi")
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/thanh-doan/ghim",
            data={"person_id": "SV0001", "ward_code": "00316", "date": "2025-07-24", "shift_id": "sang"},
        )
    finally:
        holder.execute("ROLLBACK")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "Ra Quân" in page and "thử lại" in page


# ----------------------------------------------------------------------------------- file permissions


def test_the_data_directory_and_its_files_are_private(tmp_path):
    import os
    import stat

    from web import create_app

    directory = tmp_path / "data"
    directory.mkdir(mode=0o755)
    (directory / "old-export.csv").write_text("phone\n0912000001\n")
    os.chmod(directory / "old-export.csv", 0o644)
    app = create_app({"TESTING": True}, data_dir=directory)
    with app.app_context():
        from web.models import User, db

        db.session.add(User(username="x", password_hash="y", role="coordinator"))
        db.session.commit()
    (directory / "jobs").mkdir(exist_ok=True)
    (directory / "jobs" / "result.tmp").write_bytes(b"x")
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in (directory, *directory.rglob("*"))}
    assert modes.pop("data") == 0o700 and modes.pop("jobs") == 0o700
    assert modes and all(mode & 0o077 == 0 for mode in modes.values()), modes
    with app.app_context():
        from web.models import db

        db.engine.dispose()


# ------------------------------------------------------------------------------- a data set that does not load


def test_pages_that_need_a_data_set_that_does_not_load_answer_503_not_500(client, loaded_app):
    from tests.web.conftest import TINY
    from web import store
    from web.models import CampaignFile, db

    broken = (TINY / "people.csv").read_text(encoding="utf-8").replace(",technician,", ",phi công,", 1)
    with loaded_app.app_context():
        db.session.get(CampaignFile, "people.csv").content = broken.encode()
        store.bump_revision()
        db.session.commit()
    form = client.post("/ca-truc/", data={"phone": PHONE, "code": _code(loaded_app, "SV0001")})
    assert form.status_code == 503 and "Nhập dữ liệu" in form.get_data(as_text=True)
    api = client.get("/api/wards")
    assert api.status_code == 503 and api.get_json()["error"]
    health = client.get("/healthz")
    assert health.status_code == 503 and "phi công" not in health.get_data(as_text=True)


def test_no_template_has_inline_script_that_the_policy_would_block():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "web" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\son[a-z]+\s*=", text), path  # onclick= and the like
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text), path
        assert "javascript:" not in text, path


# ------------------------------------------------------------------------------------------ known devices


def test_a_volunteers_own_browser_still_signs_in_when_strangers_exhaust_the_phones_cap(loaded_app):
    from web.volunteer import PHONE_LIMIT

    right = {"phone": PHONE, "code": _code(loaded_app, "SV0001")}
    own = loaded_app.test_client()
    home = {"REMOTE_ADDR": "198.51.100.40"}
    assert own.post("/ca-truc/", data=right, environ_base=home).status_code == 302
    assert own.post("/ca-truc/thoat", environ_base=home).status_code == 302
    stranger = loaded_app.test_client()
    wrong = _wrong(loaded_app, "SV0001")
    for i in range(PHONE_LIMIT.attempts):
        address = {"REMOTE_ADDR": f"10.2.{i // 4}.{i % 4 + 1}"}
        assert stranger.post("/ca-truc/", data={"phone": PHONE, "code": wrong}, environ_base=address).status_code == 401
    elsewhere = {"REMOTE_ADDR": "198.51.100.41"}  # the volunteer's phone on another network
    assert loaded_app.test_client().post("/ca-truc/", data=right, environ_base=elsewhere).status_code == 429
    assert own.post("/ca-truc/", data=right, environ_base=elsewhere).status_code == 302


def test_a_known_browser_cookie_does_not_sign_in_and_cannot_be_forged(loaded_app):
    own = loaded_app.test_client()
    assert own.post("/ca-truc/", data={"phone": PHONE, "code": _code(loaded_app, "SV0001")}).status_code == 302
    device = own.get_cookie("raquan_device").value
    other = loaded_app.test_client()
    other.set_cookie("raquan_device", device)
    assert other.get("/ca-truc/cua-toi").status_code == 302  # not signed in by the device cookie
    from web.sessions import known_identities

    with loaded_app.test_request_context(headers={"Cookie": f"raquan_device={device}"}):
        assert known_identities() == ["person:SV0001:0"]
    with loaded_app.test_request_context(headers={"Cookie": f"raquan_device={device[:-3]}abc"}):
        assert known_identities() == []  # a forged or altered cookie is worth nothing


@pytest.mark.slow
def test_a_coordinators_own_browser_still_signs_in_when_strangers_exhaust_the_accounts_cap(loaded_app):
    from web.auth import ACCOUNT_LIMIT, PAIR_LIMIT

    own = loaded_app.test_client()
    login(own, "dieuphoi")
    assert own.post("/dang-xuat").status_code == 302
    stranger = loaded_app.test_client()
    for i in range(ACCOUNT_LIMIT.attempts):
        address = {"REMOTE_ADDR": f"10.3.{i // PAIR_LIMIT.attempts}.1"}
        response = stranger.post(
            "/dang-nhap", data={"username": "dieuphoi", "password": "wrong-password"}, environ_base=address
        )
        assert response.status_code == 401
    fresh = {"REMOTE_ADDR": "198.51.100.50"}
    assert (
        loaded_app.test_client()
        .post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD}, environ_base=fresh)
        .status_code
        == 429
    )
    assert (
        own.post("/dang-nhap", data={"username": "dieuphoi", "password": PASSWORD}, environ_base=fresh).status_code
        == 302
    )
