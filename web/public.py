"""Pages for everyone: home, sign-in and sign-out, and the readiness probe."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from scheduler.problems import CampaignLoadError
from web import sessions, store
from web.auth import HashingBusy, TooManyAttempts, authenticate, current_user, device_identity, sign_in
from web.forms import ActionForm, LoginForm
from web.limits import LimitUnavailable

blueprint = Blueprint("public", __name__)

HEALTHZ_PROBLEMS = 5  # problems of a stored data set that does not load, named in /healthz


@blueprint.get("/")
def home():
    version = store.latest_published()
    return render_template("home.html", version=version)


@blueprint.get("/healthz")
def healthz():
    """Readiness: 200 when serving; 503 with a JSON reason while starting or when the stored data set does not load.

    Each server process answers for itself (it has started and warmed its caches); a demo's processes also
    wait for its roster to be published (:func:`_prepared`).

    The data set is checked through :func:`web.store.campaign`, which remembers per data revision
    whether it loads, so a probe costs two small queries once the revision has been loaded.
    """
    if not current_app.extensions["raquan_ready"].is_set() or not _prepared():
        return jsonify(status="starting"), 503
    try:
        store.campaign()
    except CampaignLoadError as error:
        # Counts only: the problems quote cells (names, phones) and this probe needs no sign-in;
        # the coordinator's import page lists them.
        return jsonify(
            status="dataset_invalid",
            reason="the stored data set does not load",
            revision=store.revision(),
            errors=error.count,
        ), 503
    return jsonify(status="ok")


def _prepared() -> bool:
    """Whether the settings row that ``RAQUAN_READY_SETTING`` names (if any) is stored: the demo's processes
    wait for its roster, which another process publishes."""
    key = current_app.config.get("RAQUAN_READY_SETTING")
    if not key:
        return True
    from web.models import Setting, db

    return db.session.get(Setting, key) is not None


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
        try:
            user = authenticate(form.username.data.strip(), form.password.data)
        except TooManyAttempts as refused:
            minutes = int(refused.limit.window.total_seconds() // 60)
            flash(_("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.", minutes=minutes), "error")
            return render_template("login.html", form=form), 429
        except (HashingBusy, LimitUnavailable):
            flash(_("Hệ thống đang bận. Vui lòng thử lại sau ít phút."), "error")
            return render_template("login.html", form=form), 503, {"Retry-After": "5"}
        if user is None:
            flash(_("Sai tên đăng nhập hoặc mật khẩu."), "error")
            return render_template("login.html", form=form), 401
        sign_in(user)
        response = redirect(_safe_next(request.args.get("next")) or landing_page(user.role))
        sessions.remember_device(response, device_identity(user.username))
        return response
    return render_template("login.html", form=form)


def landing_page(role: str) -> str:
    """Where a role lands after signing in: its own pages."""
    if role == "ward":
        return url_for("ward.index")
    if role == "group":
        return url_for("intake.index")
    if role == "dispatcher":
        return _first_url("desk.board", "ward.index")
    if role == "coordinator":
        return url_for("coordinator.dashboard")
    return url_for("youth.students")


def role_scope(role: str) -> str:
    """What a role may do, in one sentence of the page's language (shown when a page is refused)."""
    return {
        "coordinator": _("Bạn nhập dữ liệu, xếp lịch, công bố và theo dõi chiến dịch của cả thành phố."),
        "youth_union": _(
            "Bạn xếp sinh viên vào xã, phường, ghim người và xem số lượng; việc xếp lịch là của Sở KH&CN."
        ),
        "dispatcher": _("Bạn điều độ sự cố: giao kỹ thuật viên và theo dõi thời gian ứng cứu."),
        "ward": _("Bạn báo sự cố, lập danh sách người cần hỗ trợ và lộ trình phục vụ lưu động của xã, phường mình."),
        "group": _("Bạn đăng ký người cần hỗ trợ vào danh sách lưu động của xã, phường mình."),
    }.get(role, "")


def _first_url(*endpoints: str) -> str:
    """The first of ``endpoints`` the app serves (a blueprint may not be installed)."""
    for endpoint in endpoints:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("public.home")


@blueprint.post("/dang-xuat")
def logout():
    form = ActionForm()
    if form.validate_on_submit():
        sessions.end()
    return redirect(url_for("public.home"))


@blueprint.app_context_processor
def action_form():
    return {
        "action_form": ActionForm(),
        "signed_in": current_user() is not None,
        "desk_installed": "desk.board" in current_app.view_functions,
        # A volunteer signed in with their code or link (no account): they sign out, not in.
        "volunteer_signed_in": isinstance(session.get("person_id"), str) and bool(session.get("person_id")),
    }
