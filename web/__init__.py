"""The Ra Quân web app: an application factory and one blueprint per audience.

- ``public``: home, sign-in, language, ``/healthz``;
- ``coordinator`` (Sở KH&CN): import, rules, solve jobs, review, publish, exports, daily report;
- ``youth`` (Thành đoàn): students' wards and teams, pins, counts;
- ``volunteer``: "Ca trực của tôi", the calendar feed, "Tôi không thể đến";
- ``api``: the JSON API and its OpenAPI description.
- ``outbox``: notices to volunteers (e-mail, SMS) sent by a worker thread; the coordinators' outbox page.
- ``ward``: the ward officials' pages (report an incident, follow the ward's incidents); ``technician``: the
  technician's page for one incident, reached by a signed link; coordinators create accounts (:mod:`web.accounts`).
- ``desk``: the duty desk (Bàn điều độ): incidents, who to send, escalations, wards left uncovered.

Storage is SQLAlchemy (:mod:`web.models`, migrations in ``web/migrations``); solving runs in
:mod:`web.jobs`. Only this package imports Flask.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

from flask import Flask, g, jsonify, render_template, request, session
from flask_babel import Babel
from flask_migrate import Migrate, upgrade
from flask_wtf.csrf import CSRFProtect

from web import config
from web.edge import wants_json
from web.models import db

logger = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
MIGRATIONS = Path(__file__).parent / "migrations"

csrf = CSRFProtect()
babel = Babel()
migrate = Migrate()


def select_locale() -> str:
    return session.get("lang") if session.get("lang") in LANGUAGES else "vi"


def create_app(overrides: dict | None = None, data_dir: Path | None = None, migrate_db: bool = True) -> Flask:
    """Build the app.

    Parameters
    ----------
    overrides
        Flask settings applied last (``SQLALCHEMY_DATABASE_URI``, ``TESTING``, ...).
    data_dir
        The data directory (default :func:`web.config.data_dir`).
    migrate_db
        Bring the database schema up to date at start (Alembic ``upgrade``).
    """
    directory = Path(data_dir) if data_dir else config.data_dir()
    config.make_private(directory)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key(directory),
        SQLALCHEMY_DATABASE_URI=config.database_url(directory),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        RAQUAN_DATA_DIR=str(directory),
        RAQUAN_SOLVE_WORKERS=None,  # processes per solve job; None: [solver] processes of campaign.toml
        RAQUAN_DASK_SCHEDULER=config.dask_scheduler(),  # a Dask cluster for the jobs' cluster solves, or None
        RAQUAN_DEFAULT_TIME_LIMIT=60,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies(),
        RAQUAN_LINK_MAX_AGE_DAYS=config.link_max_age_days(),
        RAQUAN_DB_TIMEOUT_SECONDS=config.database_timeout_seconds(),
        RAQUAN_TRUSTED_PROXIES=config.trusted_proxies(),
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        WTF_CSRF_TIME_LIMIT=None,
    )
    if overrides:
        app.config.update(overrides)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["RAQUAN_DB_TIMEOUT_SECONDS"]
    )
    if app.config["RAQUAN_TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["RAQUAN_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    _sqlite_pragmas(app)

    from web import (
        accounts,  # noqa: F401 (the accounts page, on the coordinator blueprint)
        api,
        coordinator,
        desk,
        edge,
        incidents,  # noqa: F401 (the incidents' tables)
        live,  # noqa: F401 (the events table and the live pages, on the coordinator blueprint)
        numbers,
        outbox,
        public,
        repairs,  # noqa: F401 (the repair drafts, “Sửa lịch”, on the coordinator blueprint)
        technician,
        visit_intake,
        visit_plans,
        volunteer,
        ward,
        words,
        youth,
    )
    from web.jobs import JobRunner

    numbers.install(app)
    words.install(app)
    edge.install(app)  # cleaned input, bounded ids, error pages; before the blueprints bind their URLs
    for module in (public, coordinator, youth, volunteer, api, outbox, desk, ward, technician, visit_plans):
        app.register_blueprint(module.blueprint)
    app.register_blueprint(visit_intake.blueprint)  # the ward's daily list of visits, under /xa-phuong/danh-sach
    from web import swaps

    app.register_blueprint(swaps.blueprint)  # volunteers' offers, swaps and busy days; the coordinator's approval

    app.extensions["raquan_ready"] = threading.Event()
    app.extensions["raquan_jobs"] = JobRunner(app, directory / "jobs", app.config["RAQUAN_SOLVE_WORKERS"])

    @app.context_processor
    def inject():
        return {"current_user": edge.safe_current_user(), "lang": select_locale(), "languages": LANGUAGES}

    app.context_processor(page_gettext)

    @app.before_request
    def remember_language():
        lang = request.args.get("lang")
        if lang in LANGUAGES:
            session["lang"] = lang
        g.lang = select_locale()

    from web import sessions

    app.before_request(sessions.check)
    app.after_request(security_headers)
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(PoolTimeout, database_unavailable)
    from scheduler.problems import CampaignLoadError

    app.register_error_handler(CampaignLoadError, campaign_unavailable)

    if migrate_db:
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
            app.extensions["raquan_jobs"].recover()
    outbox.start_worker(app)  # the notices' sender thread (RAQUAN_OUTBOX_WORKER; off in tests)
    return app


def page_gettext() -> dict:
    """The templates' ``_``/``gettext`` and ``ngettext`` bound to the request's catalogue once per page.

    Flask-Babel's callables look the catalogue up on every string (a page of shift cards says some 300); these
    do what Jinja's new-style gettext does (mark safe when autoescaping, then fill in the variables) with the
    catalogue found once. Templates imported without context fall back to Flask-Babel's.
    """
    from flask_babel import get_translations
    from jinja2 import pass_context
    from markupsafe import Markup

    translations = get_translations()

    @pass_context
    def gettext(context, string: str, **variables):
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        return text % variables

    @pass_context
    def ngettext(context, singular: str, plural: str, count: int, **variables):
        text = translations.ungettext(singular, plural, count)
        if context.eval_ctx.autoescape:
            text = Markup(text)
        variables.setdefault("num", count)
        return text % variables

    return {"gettext": gettext, "ngettext": ngettext}


def _sqlite_pragmas(app: Flask) -> None:
    """WAL and foreign keys for SQLite, so a solve's write never blocks the volunteers' reads."""
    from sqlalchemy import event

    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _on_connect(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def security_headers(response):
    """Headers on every answer: no framing, no sniffing, no referrer (links carry personal tokens), a CSP."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.blueprint in ("coordinator", "youth", "volunteer") or session.get("user_id") or session.get("person_id"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def database_unavailable(error):
    """A locked, full or unreachable database: a clear 503 (JSON under /api), never a bare 500."""
    from flask_babel import gettext

    logger.error("database unavailable: %s", error)
    try:
        from web.models import db

        db.session.rollback()
    except Exception:  # the session may be unusable too; the answer below needs no database
        logger.exception("rollback after a database error")
    g.user = None  # the page below must not ask the database who is signed in
    message = gettext("Cơ sở dữ liệu đang bận hoặc đầy. Vui lòng thử lại sau ít phút; dữ liệu đã lưu không mất.")
    if wants_json():
        return jsonify(error="database unavailable", message=message), 503, {"Retry-After": "10"}
    return render_template("unavailable.html", message=message), 503, {"Retry-After": "10"}


def campaign_unavailable(error):
    """The stored data set does not load (a page that needs it): a clear 503, never a bare 500.

    Only the count is shown: the problems quote cells, and the coordinator's import page lists them.
    """
    from flask_babel import gettext

    logger.error("the stored campaign does not load: %s problems", getattr(error, "count", len(error.problems)))
    message = gettext(
        "Dữ liệu chiến dịch đã lưu đang có lỗi nên trang này tạm thời không hiển thị được. Điều "
        "phối viên xem các lỗi ở trang Nhập dữ liệu."
    )
    if wants_json():
        return jsonify(error="campaign data does not load", message=message), 503
    return render_template("unavailable.html", message=message), 503


def mark_ready(app: Flask) -> None:
    """``/healthz`` answers 200 from now on."""
    app.extensions["raquan_ready"].set()
