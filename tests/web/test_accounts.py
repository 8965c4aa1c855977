"""Accounts: coordinators create them (a ward official's with its ward; a password generated and shown once),
`raquan user` does the same from the command line, and each role lands on its own pages after signing in."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from tests.web.conftest import PASSWORD, ROOT, login

DINH_CONG = "00316"


def _user(app, username: str):
    from web.models import User, db

    with app.app_context():
        return db.session.scalar(select(User).where(User.username == username))


def test_a_coordinator_creates_a_ward_officials_account_which_then_signs_in(loaded_app, client):
    login(client, "dieuphoi")
    page = client.get("/dieu-phoi/tai-khoan").get_data(as_text=True)
    assert 'data-user="dieuphoi"' in page and 'data-user="thanhdoan"' in page
    form = {"username": "dinhcong", "display_name": "UBND Định Công", "role": "ward", "ward": DINH_CONG}
    response = client.post("/dieu-phoi/tai-khoan", data={**form, "password": "mot-mat-khau-dai"})
    assert response.status_code == 200 and 'data-created="dinhcong"' in response.get_data(as_text=True)
    assert "data-generated" not in response.get_data(as_text=True)
    user = _user(loaded_app, "dinhcong")
    assert (user.role, user.ward_code, user.display_name) == ("ward", DINH_CONG, "UBND Định Công")
    assert "mot-mat-khau-dai" not in user.password_hash
    official = loaded_app.test_client()
    assert login(official, "dinhcong", "mot-mat-khau-dai").headers["Location"].endswith("/xa-phuong/")
    assert 'data-user="dinhcong"' in client.get("/dieu-phoi/tai-khoan").get_data(as_text=True)


def test_a_password_left_empty_is_generated_and_shown_once(loaded_app, client):
    login(client, "dieuphoi")
    response = client.post("/dieu-phoi/tai-khoan", data={"username": "dieudo", "role": "dispatcher", "ward": ""})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    generated = re.search(r"data-generated>.*?<code>([^<]+)</code>", response.get_data(as_text=True), re.S).group(1)
    assert len(generated) >= 12
    assert generated not in client.get("/dieu-phoi/tai-khoan").get_data(as_text=True)  # once
    desk = loaded_app.test_client()
    landing = login(desk, "dieudo", generated).headers["Location"]
    assert landing.endswith("/dieu-do/") if "desk.board" in loaded_app.view_functions else landing.endswith("/")


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"username": "a b", "role": "dispatcher"}, "username"),
        ({"username": "", "role": "dispatcher"}, "username"),
        ({"username": "dieuphoi", "role": "dispatcher"}, "username"),  # taken
        ({"username": "x1", "role": "admin"}, "role"),
        ({"username": "x1", "role": "ward", "ward": ""}, "ward"),
        ({"username": "x1", "role": "ward", "ward": "99999"}, "ward"),
        ({"username": "x1", "role": "coordinator", "ward": DINH_CONG}, "ward"),
        ({"username": "x1", "role": "dispatcher", "password": "short"}, "password"),
    ],
)
def test_refused_input_names_its_field_and_creates_nothing(loaded_app, client, form, field):
    from web.models import User, db

    login(client, "dieuphoi")
    response = client.post("/dieu-phoi/tai-khoan", data={"ward": "", **form})
    assert response.status_code == 422
    assert f'data-error="{field}"' in response.get_data(as_text=True)
    with loaded_app.app_context():
        assert sorted(db.session.scalars(select(User.username))) == ["dieuphoi", "thanhdoan"]


def test_only_coordinators_open_the_accounts_page(loaded_app, client):
    from web.auth import create_user

    with loaded_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", ward_code=DINH_CONG)
        create_user("dieudo", PASSWORD, "dispatcher")
    for username in ("thanhdoan", "dinhcong", "dieudo"):
        other = loaded_app.test_client()
        login(other, username)
        assert other.get("/dieu-phoi/tai-khoan").status_code == 403
        assert other.post("/dieu-phoi/tai-khoan", data={"username": "x", "role": "coordinator"}).status_code == 403
    assert _user(loaded_app, "x") is None


def test_each_role_sees_its_own_links(loaded_app, client):
    from web.auth import create_user

    with loaded_app.app_context():
        create_user("dinhcong", PASSWORD, "ward", ward_code=DINH_CONG)
    official = loaded_app.test_client()
    login(official, "dinhcong")
    nav = official.get("/").get_data(as_text=True).split('<nav aria-label="Trình đơn chính">')[1].split("</nav>")[0]
    assert "/xa-phuong/" in nav and "/dieu-phoi/" not in nav and "/thanh-doan" not in nav
    login(client, "dieuphoi")
    nav = client.get("/").get_data(as_text=True).split('<nav aria-label="Trình đơn chính">')[1].split("</nav>")[0]
    assert "/dieu-phoi/tai-khoan" in nav and "/xa-phuong/" in nav


def _cli(data_dir, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAQUAN_DATA_DIR": str(data_dir), "RAQUAN_NEW_PASSWORD": "mat-khau-dong-lenh"}
    env.pop("RAQUAN_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "raquan.cli", "user", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_the_command_line_creates_a_ward_officials_account(tmp_path):
    data_dir = tmp_path / "data"
    made = _cli(data_dir, "phuong", "--role", "ward", "--ward", DINH_CONG, "--name", "UBND Định Công")
    assert made.returncode == 0, made.stderr
    assert _cli(data_dir, "nophuong", "--role", "ward").returncode == 1  # a ward official needs a ward
    assert _cli(data_dir, "dieudo", "--role", "dispatcher", "--ward", DINH_CONG).returncode == 1
    assert _cli(data_dir, "dieudo", "--role", "dispatcher").returncode == 0
    from tests.web.conftest import make_app

    app = make_app(f"sqlite:///{data_dir / 'raquan.db'}", data_dir)
    with app.app_context():
        from web.models import User, db

        users = {u.username: (u.role, u.ward_code) for u in db.session.scalars(select(User))}
    assert users == {"phuong": ("ward", DINH_CONG), "dieudo": ("dispatcher", None)}
