"""The web app's tables (SQLAlchemy). The schema changes only through migrations (``web/migrations``).

A published roster version is immutable: once ``status`` is ``published`` no column of the version
changes and its assignments are never touched again (``_refuse_changes_to_published``).
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, mapped_column

db = SQLAlchemy()


def utcnow() -> datetime:
    return datetime.now(dt.UTC).replace(tzinfo=None)


def changed_rows(statement) -> int:
    """Run a conditional UPDATE in its own transaction and commit: the number of rows it changed.

    Any error rolls the session back and is raised again. The session's objects are not synchronised:
    callers read what they need afresh.
    """
    try:
        changed = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changed


ROLES = ("coordinator", "youth_union", "dispatcher", "ward")


class User(db.Model):
    """Someone who signs in with a password: a coordinator (Sở KH&CN), a Youth Union officer (Thành đoàn), a
    dispatcher (the service centre's duty desk) or a ward official (scoped to ``ward_code``)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(db.String(80), unique=True)
    display_name: Mapped[str] = mapped_column(db.String(200), default="")
    role: Mapped[str] = mapped_column(db.String(20))
    password_hash: Mapped[str] = mapped_column(db.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ward_code: Mapped[str | None] = mapped_column(db.String(10), nullable=True)  # a ward official's ward


class CampaignFile(db.Model):
    """One file of the campaign's data set (campaign.toml, wards.csv, people.csv, mobile_points.csv)."""

    __tablename__ = "campaign_files"
    name: Mapped[str] = mapped_column(db.String(100), primary_key=True)
    content: Mapped[bytes] = mapped_column(db.LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[str] = mapped_column(db.String(80), default="")


class Setting(db.Model):
    """A small named value: ``dataset_revision`` (raised on every change of the campaign's data)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(db.String(100), primary_key=True)
    value: Mapped[str] = mapped_column(db.Text)


class Team(db.Model):
    """The Youth Union's placement of a student: a ward (a preference for the solver) and a team name."""

    __tablename__ = "teams"
    person_id: Mapped[str] = mapped_column(db.String(40), primary_key=True)
    ward_code: Mapped[str] = mapped_column(db.String(10))
    team: Mapped[str] = mapped_column(db.String(100), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(db.String(80), default="")


class Pin(db.Model):
    """An assignment the next solve must keep."""

    __tablename__ = "pins"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(db.String(40), index=True)
    ward_code: Mapped[str] = mapped_column(db.String(10))
    date: Mapped[dt.date] = mapped_column(db.Date)
    shift_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(db.String(80), default="")


class RosterVersion(db.Model):
    """A roster from a solve: a draft until published, then immutable."""

    __tablename__ = "roster_versions"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(db.String(20), default="draft")  # draft | published
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    published_by: Mapped[str | None] = mapped_column(db.String(80), nullable=True)
    dataset_revision: Mapped[int] = mapped_column(default=0)
    solve_status: Mapped[str] = mapped_column(db.String(20), default="")
    objective: Mapped[int | None] = mapped_column(db.BigInteger, nullable=True)
    best_bound: Mapped[int | None] = mapped_column(db.BigInteger, nullable=True)
    coverage_percent: Mapped[float] = mapped_column(default=0.0)
    violations: Mapped[int] = mapped_column(default=0)
    assignment_count: Mapped[int] = mapped_column(default=0)
    unfilled_count: Mapped[int] = mapped_column(default=0)
    wall_seconds: Mapped[float | None] = mapped_column(nullable=True)
    roster_json: Mapped[str] = mapped_column(db.Text, deferred=True)  # the canonical roster JSON, for a download
    objective_terms: Mapped[str | None] = mapped_column(db.Text, nullable=True)  # JSON: term -> unweighted value
    campaign_name: Mapped[str | None] = mapped_column(db.String(200), nullable=True)


class AssignmentRow(db.Model):
    """One assignment of a roster version, kept in rows for the per-person and per-ward pages."""

    __tablename__ = "assignments"
    __table_args__ = (
        db.Index("ix_assignments_version_person", "version_id", "person_id"),
        db.Index("ix_assignments_version_ward_date", "version_id", "ward_code", "date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(db.ForeignKey("roster_versions.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(db.String(40))
    ward_code: Mapped[str] = mapped_column(db.String(10))
    date: Mapped[dt.date] = mapped_column(db.Date)
    shift_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True)
    mobile_point_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True)
    need_index: Mapped[int | None] = mapped_column(nullable=True)
    covered_ward_codes: Mapped[str] = mapped_column(db.Text, default="")  # comma-separated


class UnfilledRow(db.Model):
    """A gap of a roster version with its explanation and suggestion in Vietnamese and English."""

    __tablename__ = "unfilled"
    __table_args__ = (db.Index("ix_unfilled_version_ward", "version_id", "ward_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(db.ForeignKey("roster_versions.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(db.String(60))
    ward_code: Mapped[str] = mapped_column(db.String(10))
    date: Mapped[dt.date] = mapped_column(db.Date)
    shift_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True)
    mobile_point_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True)
    missing: Mapped[int] = mapped_column(default=1)
    need: Mapped[str] = mapped_column(db.String(60), default="")
    explanation: Mapped[str] = mapped_column(db.Text, default="")  # Vietnamese
    suggestion: Mapped[str] = mapped_column(db.Text, default="")
    explanation_en: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    suggestion_en: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    suggestion_kind: Mapped[str] = mapped_column(db.String(20), default="", server_default="")  # SUGGESTION_KINDS
    suggestion_person_id: Mapped[str] = mapped_column(db.String(40), default="", server_default="")

    def explanation_in(self, lang: str) -> str:
        """The explanation in ``lang`` ("vi" or "en"); the Vietnamese one for a gap stored without English."""
        return (self.explanation_en if lang == "en" else "") or self.explanation or ""

    def suggestion_in(self, lang: str) -> str:
        """The suggestion in ``lang``; the Vietnamese one for a gap stored without English."""
        return (self.suggestion_en if lang == "en" else "") or self.suggestion or ""


class Job(db.Model):
    """A solve job run off the request thread by :mod:`web.jobs`.

    ``host``, ``server_pid``/``server_start`` (the web process that watches the job) and
    ``solver_pid``/``solver_start`` (the solve process) name who runs it; a ``*_start`` is the
    process's start time, so a pid reused by another process is told apart. The watcher renews
    ``heartbeat_at``; an active job whose heartbeat is stale has lost its server. At most one job per
    ``dataset`` is queued or running (a unique partial index).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        db.Index(
            "uq_jobs_active_dataset",
            "dataset",
            unique=True,
            sqlite_where=db.text("status IN ('queued', 'running')"),
            postgresql_where=db.text("status IN ('queued', 'running')"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(db.String(20), default="queued")  # queued|running|done|failed|stopped
    time_limit_seconds: Mapped[float] = mapped_column(default=60.0)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(db.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(db.String(80), default="")
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    version_id: Mapped[int | None] = mapped_column(db.ForeignKey("roster_versions.id"), nullable=True)
    dataset_revision: Mapped[int] = mapped_column(default=0)
    dataset: Mapped[str] = mapped_column(db.String(40), default="campaign", server_default="campaign")
    host: Mapped[str | None] = mapped_column(db.String(255), nullable=True)
    server_pid: Mapped[int | None] = mapped_column(nullable=True)
    server_start: Mapped[str | None] = mapped_column(db.String(80), nullable=True)
    solver_pid: Mapped[int | None] = mapped_column(nullable=True)
    solver_start: Mapped[str | None] = mapped_column(db.String(80), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RateCounter(db.Model):
    """Attempts of one kind by one key in one fixed window, counted atomically (:mod:`web.limits`)."""

    __tablename__ = "rate_counters"
    key: Mapped[str] = mapped_column(db.String(200), primary_key=True)  # kind:subject:window start
    window_start: Mapped[datetime] = mapped_column(index=True)
    hits: Mapped[int] = mapped_column(default=0)


class AuthSession(db.Model):
    """A signed-in browser: the session cookie names it, and signing out or a revocation ends it here."""

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    person_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PersonCredential(db.Model):
    """A volunteer's credential generation: raising it revokes their code, links, calendar feed and sessions."""

    __tablename__ = "person_credentials"
    person_id: Mapped[str] = mapped_column(db.String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by: Mapped[str] = mapped_column(db.String(80), default="")


class PublishedVersionError(RuntimeError):
    """Raised on an attempt to change or delete a published roster version."""


@event.listens_for(RosterVersion, "before_update")
def _refuse_changes_to_published(mapper, connection, target) -> None:
    state = inspect(target)
    status = state.attrs.status.history
    was_published = (status.deleted and status.deleted[0] == "published") or (
        not status.has_changes() and target.status == "published"
    )
    if was_published and any(state.attrs[key].history.has_changes() for key in mapper.columns.keys()):  # noqa: SIM118 (iterating columns gives Column objects, not keys)
        raise PublishedVersionError(f"roster version {target.id} is published and cannot change")


@event.listens_for(RosterVersion, "before_delete")
def _refuse_deleting_published(mapper, connection, target) -> None:
    if target.status == "published":
        raise PublishedVersionError(f"roster version {target.id} is published and cannot be deleted")


SWAP_KINDS = ("offer", "swap")  # give a shift away, or exchange it for one of the colleague's
SWAP_STATES = ("open", "accepted", "applying", "approved", "refused", "stale", "withdrawn", "declined")
SWAP_WAITING = ("open", "accepted")


class SwapRequest(db.Model):
    """A volunteer's request to give one of their shifts to a colleague (``offer``) or to exchange it for one of a
    named colleague's (``swap``), and where it stands.

    ``give_key`` is the requester's assignment and ``take_key`` the colleague's in a swap, each as
    :func:`web.repairs.change_key` writes it. ``to_person_id`` is empty while an offer is open to anyone who may
    take it. States: ``open`` (waiting for the colleague), ``accepted`` (waiting for the coordinator),
    ``applying`` (a new version is being made), ``approved`` (``applied_version_id``), ``refused`` (by the
    coordinator), ``stale`` (the roster changed under it and the rules no longer allow it), ``withdrawn`` (by the
    requester), ``declined`` (by the colleague). ``reasons`` is a JSON list of why it was refused or went stale.
    Every change of state is one conditional UPDATE from the state seen (one click never applies twice).
    """

    __tablename__ = "swap_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(db.String(20))
    state: Mapped[str] = mapped_column(db.String(20), default="open", index=True)
    from_person_id: Mapped[str] = mapped_column(db.String(40), index=True)
    give_key: Mapped[str] = mapped_column(db.String(200))
    to_person_id: Mapped[str | None] = mapped_column(db.String(40), nullable=True, index=True)
    take_key: Mapped[str | None] = mapped_column(db.String(200), nullable=True)
    note: Mapped[str] = mapped_column(db.Text, default="")
    reasons: Mapped[str] = mapped_column(db.Text, default="")
    version_id: Mapped[int | None] = mapped_column(nullable=True)  # the published version last checked against
    applied_version_id: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_by: Mapped[str] = mapped_column(db.String(80), default="")
