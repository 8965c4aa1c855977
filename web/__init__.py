"""The Ra Quân web app: an application factory and one blueprint per audience.

- ``public``: home, sign-in, language, ``/healthz``;
- ``coordinator`` (Sở KH&CN): import, rules, solve jobs, review, publish, exports, daily report;
- ``youth`` (Thành đoàn): students' wards and teams, pins, counts;
- ``volunteer``: "Ca trực của tôi", the calendar feed, "Tôi không thể đến";
- ``api``: the JSON API and its OpenAPI description.

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
    directory.mkdir(parents=True, exist_ok=True)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key(directory),
        SQLALCHEMY_DATABASE_URI=config.database_url(directory),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        RAQUAN_DATA_DIR=str(directory),
        RAQUAN_SOLVE_WORKERS=2,
        RAQUAN_DEFAULT_TIME_LIMIT=60,
        MAX_CONTENT_LENGTH=20 * 1024 * 1024,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).parent / "translations"),
        WTF_CSRF_TIME_LIMIT=None,
    )
    if overrides:
        app.config.update(overrides)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    _sqlite_pragmas(app)

    from web import api, coordinator, public, volunteer, youth
    from web.jobs import JobRunner

    for module in (public, coordinator, youth, volunteer, api):
        app.register_blueprint(module.blueprint)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def not_found(error):
        """Unknown URLs and methods: JSON under /api (blueprint handlers miss routing errors), a page elsewhere."""
        if request.path.startswith("/api/"):
            return jsonify(error=error.name), error.code
        return render_template("error.html", error=error), error.code
    app.extensions["raquan_ready"] = threading.Event()
    app.extensions["raquan_jobs"] = JobRunner(app, directory / "jobs", app.config["RAQUAN_SOLVE_WORKERS"])

    @app.context_processor
    def inject():
        from web.auth import current_user
        return {"current_user": current_user(), "lang": select_locale(), "languages": LANGUAGES}

    @app.before_request
    def remember_language():
        lang = request.args.get("lang")
        if lang in LANGUAGES:
            session["lang"] = lang
        g.lang = select_locale()

    if migrate_db:
        with app.app_context():
            upgrade(directory=str(MIGRATIONS))
            app.extensions["raquan_jobs"].recover()
    return app


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


def jobs(app: Flask):
    """The app's :class:`web.jobs.JobRunner`."""
    return app.extensions["raquan_jobs"]


def mark_ready(app: Flask) -> None:
    """``/healthz`` answers 200 from now on."""
    app.extensions["raquan_ready"].set()
