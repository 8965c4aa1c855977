"""Pages for everyone: home, sign-in and sign-out, and the readiness probe."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from web import store
from web.auth import authenticate, current_user, sign_in
from web.forms import ActionForm, LoginForm

blueprint = Blueprint("public", __name__)


@blueprint.get("/")
def home():
    version = store.latest_published()
    return render_template("home.html", version=version)


@blueprint.get("/healthz")
def healthz():
    if not current_app.extensions["raquan_ready"].is_set():
        return jsonify(status="starting"), 503
    return jsonify(status="ok")


def _safe_next(target: str | None) -> str | None:
    """A path on this site to go to after signing in, or None (no scheme, host, backslash or control character)."""
    if not target or "\\" in target or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@blueprint.route("/dang-nhap", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data.strip(), form.password.data)
        if user is None:
            flash(_("Sai tên đăng nhập hoặc mật khẩu."), "error")
            return render_template("login.html", form=form), 401
        sign_in(user)
        default = url_for("coordinator.dashboard") if user.role == "coordinator" else url_for("youth.students")
        return redirect(_safe_next(request.args.get("next")) or default)
    return render_template("login.html", form=form)


@blueprint.post("/dang-xuat")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        from flask import session
        session.clear()
    return redirect(url_for("public.home"))


@blueprint.app_context_processor
def action_form():
    return {"action_form": ActionForm(), "signed_in": current_user() is not None}
