"""The outbox: every notice to a person is a row in the database, sent once by a worker off the request thread.

Public API (inside an app context)
----------------------------------
``enqueue(key, person_id, channel, address, subject, body, kind, due_at=None, commit=True) -> int``
    One message; returns its row id. ``key`` is unique: a second call with the same key (from any
    process, at the same moment or later) adds nothing and returns the first row's id. A person who
    opted out gets a row in state ``skipped`` with the reason, never sent.
``enqueue_for_person(person, kind, key, subject, text_vi, due_at=None, sms_text_vi=None, commit=True) -> list[int]``
    The messages for one :class:`scheduler.model.Person`: an e-mail (full Vietnamese, UTF-8) when the
    person has an ``email``, and an SMS (no diacritics, ASCII, at most 160 characters, from
    ``sms_text_vi`` or else subject and text) when they have a phone and an SMS gateway is set. The row
    keys are ``f"{key}:email"`` and ``f"{key}:sms"``; use keys such as ``"publish:<version>:<person>"``,
    ``"change:<version>:<person>"``, ``"confirm_request:<version>:<person>:<date>:<slot>"``.
``plan_version_notices(version_id, previous_version_id=None) -> list[PlannedNotice]``
    Who a published (or about to be published) version tells what: against ``previous_version_id``
    (default: the version published before it) each person whose shifts changed gets a ``change``
    notice; with no earlier version, everyone with a shift gets a ``publish`` notice. ``len(...)``
    is the number of people to notify, for the confirm step before publishing.
``enqueue_version_notices(version_id, previous_version_id=None) -> int``
    Enqueues that plan (keys ``publish:<version>:<person>`` / ``change:<version>:<person>``); returns
    the number of people. The sender loop also calls it, once per process, for the latest published
    version if it was published in the last ``RAQUAN_NOTICE_CATCHUP_HOURS`` (24), so a publish whose
    notices were lost to a crash still gets them, once.
``enqueue_reminders(now=None) -> int``
    From ``RAQUAN_REMINDER_HOUR`` (19) on, one reminder per person with a shift tomorrow in the latest
    published version (cancelled shifts left out), key ``reminder:<date>:<version>:<person>``; a
    reminder with the same text already made from an earlier version is not made again.
``deliver_due(now=None, limit=50) -> DeliveryRound``
    Claims due messages one by one (a conditional UPDATE each, its own short transaction), sends
    them, and marks each ``sent`` or schedules a retry (1, 2, 4, ... minutes, at most an hour) until
    ``failed`` after ``RAQUAN_OUTBOX_MAX_ATTEMPTS`` (8). A claim is a lease (``claimed_until``): a
    sender that dies mid-send leaves the message to another sender once the lease has run out.
``retry(message_id) -> bool``, ``opt_out(person_id, by)``, ``opt_in(person_id)``, ``opted_out(person_id)``.
``start_worker(app) -> Worker | None``; ``run_sender(app, stop, poll_seconds)``; ``python -m web.outbox``.

Times: ``now`` of :func:`deliver_due` and ``due_at`` are naive UTC as the database keeps them
(:func:`web.models.utcnow`) or aware; ``now`` of :func:`enqueue_reminders` is the campaign's local
time (:func:`scheduler.clock.now`, which ``RAQUAN_NOW`` fixes).

Channels and settings (app config first, then the environment):

- e-mail: ``RAQUAN_SMTP_HOST``, ``RAQUAN_SMTP_PORT`` (25), ``RAQUAN_SMTP_USER``, ``RAQUAN_SMTP_PASSWORD``,
  ``RAQUAN_SMTP_FROM``, ``RAQUAN_SMTP_STARTTLS`` (0);
- SMS: ``RAQUAN_SMS_URL`` and ``RAQUAN_SMS_TEMPLATE`` (default ``{"to": "{phone}", "text": "{text}"}``;
  ``{phone}`` and ``{text}`` are replaced JSON-escaped), POSTed with ``RAQUAN_SMS_CONTENT_TYPE``
  (``application/json``); any answer but 2xx is a failure, retried.

With no host or URL a channel is off: its messages wait, queued, with the reason shown to
coordinators. Nothing goes to an outside address unless ``RAQUAN_ALLOW_EXTERNAL_DELIVERY=1``: a
host or URL that is not loopback turns the channel off. The worker runs when
``RAQUAN_OUTBOX_WORKER`` is on (default: on, except in tests), polling every
``RAQUAN_OUTBOX_POLL_SECONDS`` (10).
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import json
import logging
import os
import smtplib
import socket
import threading
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from scheduler import clock
from scheduler.changes import roster_changes
from scheduler.model import Person
from web import notices, store
from web.auth import role_required
from web.forms import ActionForm
from web.models import AssignmentRow, RosterVersion, changed_rows, db, utcnow

logger = logging.getLogger(__name__)

CHANNELS = ("email", "sms")
STATES = ("queued", "sending", "sent", "failed", "skipped")
KINDS = ("publish", "change", "confirm_request", "reminder", "incident", "incident-escalation", "other")
OPTED_OUT_REASON = "người nhận đã từ chối nhận tin"
DEFAULT_SMS_TEMPLATE = '{"to": "{phone}", "text": "{text}"}'
MESSAGES_PER_PAGE = 50
ERROR_MAX_CHARS = 1000


if __name__ == "__main__":  # python -m web.outbox: run the module as imported, so its tables are defined once
    from web.outbox import main as _main

    raise SystemExit(_main())


# ------------------------------------------------------------------------------------------------ tables


class OutboxMessage(db.Model):
    """One message to one person on one channel, and where its delivery stands.

    ``state``: ``queued`` (waiting for ``due_at`` and ``next_attempt_at``), ``sending`` (claimed by
    ``claimed_by`` until ``claimed_until``), ``sent``, ``failed`` (after the last attempt, the error in
    ``last_error``) or ``skipped`` (never sent: the person opted out; the reason in ``last_error``).
    """

    __tablename__ = "outbox"
    __table_args__ = (db.Index("ix_outbox_state_next", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(db.String(200), unique=True)
    person_id: Mapped[str] = mapped_column(db.String(40), index=True)
    channel: Mapped[str] = mapped_column(db.String(10))
    address: Mapped[str] = mapped_column(db.String(254))
    subject: Mapped[str] = mapped_column(db.String(300), default="")
    body: Mapped[str] = mapped_column(db.Text, default="")
    kind: Mapped[str] = mapped_column(db.String(40), default="other")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    state: Mapped[str] = mapped_column(db.String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(db.Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(db.String(200), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(nullable=True)


class NoticeOptOut(db.Model):
    """A person who receives no notices (they said so on their page, or a coordinator recorded it)."""

    __tablename__ = "notice_opt_outs"
    person_id: Mapped[str] = mapped_column(db.String(40), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(db.String(80), default="")


# ------------------------------------------------------------------------------------------------ settings


def _setting(name: str, default: str = "") -> str:
    value = current_app.config.get(name) if current_app else None
    if value is None:
        value = os.environ.get(name, default)
    return str(value).strip() if value is not None else default


def _flag(name: str, default: bool) -> bool:
    value = _setting(name, "").lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return default


def _number(name: str, default: float) -> float:
    value = _setting(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        logger.warning("%s=%r is not a number; using %s", name, value, default)
        return default


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address literal (127.0.0.0/8, ::1); names are not looked up."""
    host = host.strip().strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Settings:
    """Delivery settings; a channel is on when its ``*_off`` reason is empty."""

    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_password: str
    smtp_from: str
    smtp_starttls: bool
    sms_url: str
    sms_template: str
    sms_content_type: str
    max_attempts: int
    backoff_seconds: float
    backoff_cap_seconds: float
    lease_seconds: float
    timeout_seconds: float
    reminder_hour: int
    email_off: str
    sms_off: str

    def off_reason(self, channel: str) -> str:
        return self.email_off if channel == "email" else self.sms_off


def settings() -> Settings:
    """The delivery settings of the current app."""
    external = _flag("RAQUAN_ALLOW_EXTERNAL_DELIVERY", False)
    smtp_host = _setting("RAQUAN_SMTP_HOST")
    sms_url = _setting("RAQUAN_SMS_URL")
    if not smtp_host:
        email_off = "chưa cấu hình máy chủ thư (RAQUAN_SMTP_HOST)"
    elif not external and not is_loopback_host(smtp_host):
        email_off = (
            f"máy chủ thư {smtp_host} không phải địa chỉ loopback; đặt RAQUAN_ALLOW_EXTERNAL_DELIVERY=1 để gửi ra ngoài"
        )
    else:
        email_off = ""
    if not sms_url:
        sms_off = "chưa cấu hình cổng SMS (RAQUAN_SMS_URL)"
    else:
        parts = urlsplit(sms_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            sms_off = f"RAQUAN_SMS_URL {sms_url} không phải địa chỉ http(s)"
        elif not external and not is_loopback_host(parts.hostname):
            sms_off = (
                f"cổng SMS {parts.hostname} không phải địa chỉ loopback; "
                "đặt RAQUAN_ALLOW_EXTERNAL_DELIVERY=1 để gửi ra ngoài"
            )
        else:
            sms_off = ""
    return Settings(
        smtp_host=smtp_host,
        smtp_port=int(_number("RAQUAN_SMTP_PORT", 25)),
        smtp_user=_setting("RAQUAN_SMTP_USER"),
        smtp_password=_setting("RAQUAN_SMTP_PASSWORD"),
        smtp_from=_setting("RAQUAN_SMTP_FROM", "raquan@localhost") or "raquan@localhost",
        smtp_starttls=_flag("RAQUAN_SMTP_STARTTLS", False),
        sms_url=sms_url,
        sms_template=_setting("RAQUAN_SMS_TEMPLATE", DEFAULT_SMS_TEMPLATE) or DEFAULT_SMS_TEMPLATE,
        sms_content_type=_setting("RAQUAN_SMS_CONTENT_TYPE", "application/json") or "application/json",
        max_attempts=max(1, int(_number("RAQUAN_OUTBOX_MAX_ATTEMPTS", 8))),
        backoff_seconds=max(0.0, _number("RAQUAN_OUTBOX_BACKOFF_SECONDS", 60)),
        backoff_cap_seconds=max(0.0, _number("RAQUAN_OUTBOX_BACKOFF_CAP_SECONDS", 3600)),
        lease_seconds=max(1.0, _number("RAQUAN_OUTBOX_LEASE_SECONDS", 300)),
        timeout_seconds=max(1.0, _number("RAQUAN_OUTBOX_TIMEOUT_SECONDS", 30)),
        reminder_hour=min(23, max(0, int(_number("RAQUAN_REMINDER_HOUR", 19)))),
        email_off=email_off,
        sms_off=sms_off,
    )


def backoff(attempts: int, config: Settings) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2 × base, 4 × base, ... at most the cap."""
    return timedelta(seconds=min(config.backoff_seconds * 2 ** max(0, attempts - 1), config.backoff_cap_seconds))


def _utc(moment: datetime | None) -> datetime:
    """A naive UTC time (the database's) from a naive UTC or an aware time; now when None."""
    if moment is None:
        return utcnow()
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


# ------------------------------------------------------------------------------------------------ enqueue


def opted_out(person_id: str) -> bool:
    return db.session.get(NoticeOptOut, person_id) is not None


def opt_out(person_id: str, by: str = "") -> None:
    """The person receives no more notices; messages still waiting for them are skipped."""
    if db.session.get(NoticeOptOut, person_id) is None:
        _insert_ignoring_duplicate(NoticeOptOut, {"person_id": person_id, "created_by": by, "created_at": utcnow()})
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.person_id == person_id, OutboxMessage.state == "queued")
        .values(state="skipped", last_error=OPTED_OUT_REASON)
    )
    db.session.commit()
    logger.info("notices: %s opted out (%s)", person_id, by or "themselves")


def opt_in(person_id: str) -> None:
    """The person receives notices again (from the next message on)."""
    record = db.session.get(NoticeOptOut, person_id)
    if record is not None:
        db.session.delete(record)
        db.session.commit()


def _insert_ignoring_duplicate(model, values: dict) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on SQLite and PostgreSQL: a row already there (even one another
    process inserts at this moment) wins and nothing is raised."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the app runs on SQLite or PostgreSQL
        raise RuntimeError(f"the outbox needs SQLite or PostgreSQL, not {dialect}")
    db.session.execute(insert(model).values(**values).on_conflict_do_nothing())


def enqueue(
    key: str,
    person_id: str,
    channel: str,
    address: str,
    subject: str,
    body: str,
    kind: str,
    due_at: datetime | None = None,
    commit: bool = True,
) -> int:
    """Add one message unless its ``key`` is there already; the row's id either way (see the module's text)."""
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, not {channel!r}")
    if not key or len(key) > 200:
        raise ValueError("a message key has 1 to 200 characters")
    now = utcnow()
    skipped = opted_out(person_id)
    _insert_ignoring_duplicate(
        OutboxMessage,
        {
            "key": key,
            "person_id": person_id,
            "channel": channel,
            "address": address,
            "subject": subject[:300],
            "body": body,
            "kind": kind,
            "created_at": now,
            "due_at": _utc(due_at) if due_at else now,
            "next_attempt_at": _utc(due_at) if due_at else now,
            "state": "skipped" if skipped else "queued",
            "attempts": 0,
            "last_error": OPTED_OUT_REASON if skipped else "",
        },
    )
    message_id = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key))
    if commit:
        db.session.commit()
    assert message_id is not None
    return message_id


def enqueue_for_person(
    person: Person,
    kind: str,
    key: str,
    subject: str,
    text_vi: str,
    due_at: datetime | None = None,
    sms_text_vi: str | None = None,
    commit: bool = True,
) -> list[int]:
    """The person's messages: e-mail to ``person.email``, SMS to ``person.phone`` when SMS is set up."""
    ids = []
    if person.email:
        ids.append(enqueue(f"{key}:email", person.id, "email", person.email, subject, text_vi, kind, due_at, False))
    if person.phone and not settings().sms_off:
        text = notices.sms_text(sms_text_vi or f"{subject}. {text_vi}")
        ids.append(enqueue(f"{key}:sms", person.id, "sms", person.phone, subject, text, kind, due_at, False))
    if commit:
        db.session.commit()
    return ids


# ------------------------------------------------------------------------------------------------ what to tell


@dataclass(frozen=True)
class PlannedNotice:
    """A notice a version gives one person."""

    person_id: str
    kind: str  # publish | change
    key: str
    notice: notices.Notice


def _page_url() -> str | None:
    base = _setting("RAQUAN_PUBLIC_URL")
    return f"{base.rstrip('/')}/ca-truc/cua-toi" if base else None


def _previous_published(version: RosterVersion) -> RosterVersion | None:
    """The version published before ``version`` (for a draft: the latest published one)."""
    query = select(RosterVersion).where(RosterVersion.status == "published", RosterVersion.id != version.id)
    if version.status == "published" and version.published_at is not None:
        query = query.where(
            or_(
                RosterVersion.published_at < version.published_at,
                (RosterVersion.published_at == version.published_at) & (RosterVersion.id < version.id),
            )
        )
    return db.session.scalars(query.order_by(RosterVersion.published_at.desc(), RosterVersion.id.desc())).first()


def plan_version_notices(version_id: int, previous_version_id: int | None = None) -> list[PlannedNotice]:
    """What a version tells whom (see the module's text); people no longer in the campaign are left out."""
    campaign = _campaign()
    version = db.session.get(RosterVersion, version_id)
    if campaign is None or version is None:
        return []
    previous = (
        db.session.get(RosterVersion, previous_version_id)
        if previous_version_id is not None
        else _previous_published(version)
    )
    after = store.roster_of(version).assignments
    page = _page_url()
    planned = []
    if previous is None:
        by_person = defaultdict(list)
        for assignment in after:
            by_person[assignment.person_id].append(assignment)
        for person_id, assignments in sorted(by_person.items()):
            person = _person(campaign, person_id)
            if person is not None:
                notice = notices.published_notice(campaign, person, assignments, page)
                planned.append(PlannedNotice(person_id, "publish", f"publish:{version_id}:{person_id}", notice))
        return planned
    changes = roster_changes(store.roster_of(previous).assignments, after)
    for person_id, (added, removed) in sorted(changes.by_person().items()):
        person = _person(campaign, person_id)
        if person is not None:
            notice = notices.changed_notice(campaign, person, added, removed, page)
            planned.append(PlannedNotice(person_id, "change", f"change:{version_id}:{person_id}", notice))
    return planned


def _campaign():
    """The campaign with the events applied: a person added while the campaign runs is told too."""
    from web import live

    return live.live_campaign()


def _person(campaign, person_id: str) -> Person | None:
    try:
        return campaign.person(person_id)
    except KeyError:
        return None


def enqueue_version_notices(version_id: int, previous_version_id: int | None = None) -> int:
    """Enqueue :func:`plan_version_notices` (idempotent); the number of people told."""
    campaign = _campaign()
    planned = plan_version_notices(version_id, previous_version_id)
    for item in planned:
        person = campaign.person(item.person_id)
        enqueue_for_person(
            person,
            item.kind,
            item.key,
            item.notice.subject,
            item.notice.text,
            sms_text_vi=item.notice.sms,
            commit=False,
        )
    db.session.commit()
    if planned:
        logger.info("notices: version %s tells %d people", version_id, len(planned))
    return len(planned)


def _campaign_now(now: datetime | None) -> datetime:
    if now is None:
        return clock.now(current_app.config.get("RAQUAN_NOW"))
    if now.tzinfo is not None:
        return now.astimezone(clock.TIMEZONE).replace(tzinfo=None)
    return now


def enqueue_reminders(now: datetime | None = None) -> int:
    """Reminders for tomorrow's shifts, from the reminder hour on (see the module's text); how many were made."""
    local_now = _campaign_now(now)
    config = settings()
    if local_now.hour < config.reminder_hour:
        return 0
    version = store.latest_published()
    campaign = _campaign()
    if version is None or campaign is None:
        return 0
    tomorrow = local_now.date() + timedelta(days=1)
    rows = db.session.scalars(
        select(AssignmentRow).where(AssignmentRow.version_id == version.id, AssignmentRow.date == tomorrow)
    ).all()
    if not rows:
        return 0
    from web import live

    cancelled = live.cancelled_slots(version.id)
    by_person = defaultdict(list)
    for row in rows:
        if (row.person_id, row.date, row.shift_id or row.mobile_point_id or "") not in cancelled:
            by_person[row.person_id].append(
                store.assignment_of(
                    row.person_id,
                    row.ward_code,
                    row.date,
                    row.shift_id,
                    row.mobile_point_id,
                    row.need_index,
                    row.covered_ward_codes,
                )
            )
    prefix = f"reminder:{tomorrow.isoformat()}:"
    existing = db.session.execute(
        select(OutboxMessage.person_id, OutboxMessage.key, OutboxMessage.body).where(
            OutboxMessage.key.startswith(prefix, autoescape=True)
        )
    ).all()
    keys = {key for _, key, _ in existing}
    told = {(person_id, body) for person_id, _, body in existing}
    page = _page_url()
    count = 0
    for person_id, assignments in sorted(by_person.items()):
        person = _person(campaign, person_id)
        if person is None:
            continue
        notice = notices.reminder_notice(campaign, person, assignments, page)
        if (person_id, notice.text) in told or (person_id, notices.sms_text(notice.sms)) in told:
            continue  # the same reminder was made already, from an earlier version
        key = f"{prefix}{version.id}:{person_id}"
        if f"{key}:email" in keys or f"{key}:sms" in keys:
            continue
        made = enqueue_for_person(
            person, "reminder", key, notice.subject, notice.text, sms_text_vi=notice.sms, commit=False
        )
        count += bool(made)
    db.session.commit()
    if count:
        logger.info("notices: %d reminders for %s", count, tomorrow)
    return count


# ------------------------------------------------------------------------------------------------ sending


class PermanentFailure(Exception):
    """A delivery that no retry can fix (a refused recipient): the message fails at once."""


def _message_id(message: OutboxMessage, config: Settings) -> str:
    digest = hashlib.sha256(message.key.encode("utf-8")).hexdigest()[:32]
    domain = config.smtp_from.rpartition("@")[2] or "localhost"
    return f"<{digest}@{domain}>"


class SmtpConnection:
    """One SMTP connection kept for a round of sending, opened on first use and again after an error."""

    def __init__(self, config: Settings):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.smtp is None:
            config = self.config
            smtp = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.timeout_seconds)
            try:
                if config.smtp_starttls:
                    smtp.starttls()
                if config.smtp_user:
                    smtp.login(config.smtp_user, config.smtp_password)
            except Exception:
                smtp.close()
                raise
            self.smtp = smtp
        return self.smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def email_of(message: OutboxMessage, config: Settings) -> EmailMessage:
    """The e-mail of a message: UTF-8 text; its Message-ID comes from the key, so a receiver can tell a resend."""
    mail = EmailMessage()
    mail["From"] = formataddr(("Ra Quân", config.smtp_from))
    mail["To"] = message.address
    mail["Subject"] = message.subject
    mail["Message-ID"] = _message_id(message, config)
    mail["Date"] = format_datetime(datetime.now(UTC))
    mail.set_content(message.body, charset="utf-8")
    return mail


def send_email(message: OutboxMessage, config: Settings, connection: SmtpConnection | None = None) -> None:
    """One e-mail over SMTP, on ``connection`` when given (closed after an error, so the next one reconnects)."""
    own = connection is None
    connection = connection or SmtpConnection(config)
    try:
        connection.get().send_message(email_of(message, config))
    except smtplib.SMTPRecipientsRefused as error:
        raise PermanentFailure(f"máy chủ thư từ chối người nhận: {error.recipients}") from error
    except Exception:
        connection.close()
        raise
    finally:
        if own:
            connection.close()


def sms_request_body(config: Settings, phone: str, text: str) -> bytes:
    """The gateway's request body: the template with ``{phone}`` and ``{text}`` JSON-escaped."""
    escape = lambda value: json.dumps(value, ensure_ascii=True)[1:-1]  # noqa: E731
    return config.sms_template.replace("{phone}", escape(phone)).replace("{text}", escape(text)).encode("utf-8")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway's redirect is an answer like any other non-2xx one: never followed elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _opener(url: str) -> urllib.request.OpenerDirector:
    """No redirects; no proxy for a gateway on loopback (a proxy from the environment would take it elsewhere)."""
    handlers: list = [_NoRedirects()]
    if is_loopback_host(urlsplit(url).hostname or ""):
        handlers.append(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener(*handlers)


def send_sms(message: OutboxMessage, config: Settings) -> None:
    """One SMS POSTed to the gateway; any answer but 2xx raises."""
    request_ = urllib.request.Request(
        config.sms_url,
        data=sms_request_body(config, message.address, message.body),
        headers={"Content-Type": config.sms_content_type},
        method="POST",
    )
    try:
        with _opener(config.sms_url).open(request_, timeout=config.timeout_seconds) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"cổng SMS trả lời {error.code} {error.reason}") from error
    if not 200 <= status < 300:
        raise RuntimeError(f"cổng SMS trả lời {status}")


@dataclass
class DeliveryRound:
    """What one :func:`deliver_due` did: message ids sent, retried later and failed for good."""

    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def sender_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def _claimable(now: datetime):
    """Due and waiting, or claimed by a sender whose lease has run out."""
    return or_(
        (OutboxMessage.state == "queued") & (OutboxMessage.next_attempt_at <= now) & (OutboxMessage.due_at <= now),
        (OutboxMessage.state == "sending") & (OutboxMessage.claimed_until < now),
    )


def claim(message_id: int, sender: str, now: datetime, lease_seconds: float) -> bool:
    """Take one message for ``sender`` in one conditional UPDATE and commit; whether this sender got it."""
    claimed = changed_rows(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, _claimable(now))
        .values(
            state="sending",
            claimed_by=sender,
            claimed_until=now + timedelta(seconds=lease_seconds),
            attempts=OutboxMessage.attempts + 1,
        )
    )
    return claimed == 1


def _finish(message_id: int, sender: str, values: dict) -> bool:
    done = changed_rows(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == sender)
        .values(claimed_by=None, claimed_until=None, **values)
    )
    if not done:
        logger.warning("outbox message %s: the lease ran out before the sender finished", message_id)
    return done == 1


def _mark_waiting(config: Settings) -> None:
    """Queued messages of a channel that is off say why they wait."""
    for channel in CHANNELS:
        reason = config.off_reason(channel)
        if reason:
            db.session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.state == "queued",
                    OutboxMessage.last_error != reason,
                    OutboxMessage.attempts == 0,
                )
                .values(last_error=reason)
                .execution_options(synchronize_session=False)
            )
    db.session.commit()


def deliver_due(now: datetime | None = None, limit: int = 50, sender: str | None = None) -> DeliveryRound:
    """Send up to ``limit`` due messages on the channels that are on (see the module's text)."""
    now = _utc(now)
    sender = sender or sender_name()
    config = settings()
    _mark_waiting(config)
    result = DeliveryRound()
    channels = [c for c in CHANNELS if not config.off_reason(c)]
    if not channels:
        return result
    candidates = db.session.scalars(
        select(OutboxMessage.id)
        .where(_claimable(now), OutboxMessage.channel.in_(channels))
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    db.session.commit()
    connection = SmtpConnection(config)
    try:
        _deliver(candidates, sender, now, config, connection, result)
    finally:
        connection.close()
    return result


def _deliver(
    candidates, sender: str, now: datetime, config: Settings, connection: SmtpConnection, result: DeliveryRound
) -> None:
    for message_id in candidates:
        if not claim(message_id, sender, now, config.lease_seconds):
            continue  # another sender has it
        message = db.session.get(OutboxMessage, message_id, populate_existing=True)
        assert message is not None
        attempts = message.attempts
        if opted_out(message.person_id):  # opted out after the message was queued
            _finish(message_id, sender, {"state": "skipped", "last_error": OPTED_OUT_REASON})
            continue
        try:
            if message.channel == "email":
                send_email(message, config, connection)
            else:
                send_sms(message, config)
        except Exception as error:  # any failure of the channel is kept on the message and retried
            permanent = isinstance(error, PermanentFailure)
            text = f"{type(error).__name__}: {error}"[:ERROR_MAX_CHARS]
            if permanent or attempts >= config.max_attempts:
                _finish(message_id, sender, {"state": "failed", "last_error": text})
                result.failed.append(message_id)
                logger.warning("outbox message %s failed after %d attempts: %s", message_id, attempts, text)
            else:
                wait = backoff(attempts, config)
                _finish(message_id, sender, {"state": "queued", "last_error": text, "next_attempt_at": now + wait})
                result.retried.append(message_id)
                logger.info("outbox message %s: attempt %d failed (%s); again in %s", message_id, attempts, text, wait)
            continue
        if _finish(message_id, sender, {"state": "sent", "sent_at": utcnow(), "last_error": ""}):
            result.sent.append(message_id)


def retry(message_id: int) -> bool:
    """A failed (or skipped) message goes back to the queue, due now, its attempts counted from zero."""
    changed = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.state.in_(("failed", "skipped")))
        .values(state="queued", attempts=0, next_attempt_at=utcnow(), last_error="")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return changed == 1


def counts_by_state() -> dict[str, int]:
    counts = dict.fromkeys(STATES, 0)
    for state, count in db.session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all():
        counts[state] = count
    return counts


# ------------------------------------------------------------------------------------------------ the worker

_started_lock = threading.Lock()
_started: dict[int, Worker] = {}


class Worker:
    """The sender loop in a daemon thread of the server process; :meth:`stop` ends it cleanly."""

    def __init__(self, app: Flask, poll_seconds: float):
        self.app = app
        self.poll_seconds = poll_seconds
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="raquan-outbox", daemon=True)

    def _run(self) -> None:
        run_sender(self.app, self.stop_event, self.poll_seconds)

    def start(self) -> None:
        self.thread.start()

    def stop(self, timeout: float = 30) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


def worker_enabled(app: Flask) -> bool:
    with app.app_context():
        return _flag("RAQUAN_OUTBOX_WORKER", not app.testing)


def start_worker(app: Flask) -> Worker | None:
    """Start the app's sender thread if the outbox worker is on; once per app in a process."""
    if not worker_enabled(app):
        return None
    with _started_lock:
        worker = _started.get(id(app))
        if worker is not None and worker.thread.is_alive():
            return worker
        with app.app_context():
            poll = max(0.1, _number("RAQUAN_OUTBOX_POLL_SECONDS", 10))
        worker = Worker(app, poll)
        _started[id(app)] = worker
        app.extensions["raquan_outbox"] = worker
        worker.start()
    logger.info("outbox worker started (every %.1f s)", poll)
    return worker


def sender_round(limit: int = 50) -> DeliveryRound:
    """One round of the loop (in an app context): the latest version's notices, reminders, incidents'
    escalations (:func:`web.incidents.escalate_due`, which queues their notices), then sending."""
    version = store.latest_published()
    done = current_app.extensions.setdefault("raquan_outbox_versions", set())
    if version is not None and version.id not in done:
        catch_up = timedelta(hours=_number("RAQUAN_NOTICE_CATCHUP_HOURS", 24))
        if version.published_at is not None and version.published_at >= utcnow() - catch_up:
            enqueue_version_notices(version.id)  # idempotent: a publish whose notices a crash lost gets them
        done.add(version.id)
    reminded = current_app.extensions.setdefault("raquan_outbox_reminded", set())
    local_now = _campaign_now(None)
    marker = (version.id if version else None, local_now.date())
    if marker not in reminded and local_now.hour >= settings().reminder_hour:
        enqueue_reminders(local_now)
        reminded.add(marker)  # tomorrow's reminders are made once per version and evening in this process
    from web import incidents

    try:
        incidents.escalate_due(local_now)  # incidents past a limit alert the desk; their technician is told
    except Exception:  # escalation must never stop the notices from going out
        db.session.rollback()
        logger.exception("escalating incidents failed")
    return deliver_due(limit=limit)


def run_sender(app: Flask, stop: threading.Event, poll_seconds: float = 10, once: bool = False) -> None:
    """The sender loop: a round, then a wait, until ``stop`` is set; an error is logged and the loop goes on."""
    while not stop.is_set():
        try:
            with app.app_context():
                delivered = sender_round()
                busy = len(delivered.sent) + len(delivered.retried) + len(delivered.failed)
        except Exception:
            logger.exception("outbox round failed")
            busy = 0
        finally:
            with app.app_context():
                db.session.remove()
        if once:
            return
        if not busy:
            stop.wait(poll_seconds)


def main(argv: list[str] | None = None) -> int:
    """``python -m web.outbox [--once] [--poll-seconds S]``: the sender loop as its own process."""
    import signal

    parser = argparse.ArgumentParser(prog="python -m web.outbox", description=main.__doc__)
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument("--poll-seconds", type=float, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from web import create_app

    app = create_app({"RAQUAN_OUTBOX_WORKER": "0"})
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with app.app_context():
        poll = args.poll_seconds or max(0.1, _number("RAQUAN_OUTBOX_POLL_SECONDS", 10))
    run_sender(app, stop, poll, once=args.once)
    return 0


# ------------------------------------------------------------------------------------------------ pages

blueprint = Blueprint("outbox", __name__)


@blueprint.context_processor
def _helpers():
    from web.coordinator import page_url

    return {"page_url": page_url}


@dataclass
class _Page:
    items: list
    number: int
    count: int
    total: int


@blueprint.get("/dieu-phoi/hop-thu-di")
@role_required("coordinator")
def outbox_page():
    """The outbox, newest first, paged; a filter by state."""
    state = request.args.get("state", "")
    query = select(OutboxMessage)
    count_query = select(func.count()).select_from(OutboxMessage)
    if state in STATES:
        query = query.where(OutboxMessage.state == state)
        count_query = count_query.where(OutboxMessage.state == state)
    total = db.session.scalar(count_query) or 0
    pages = max(1, -(-total // MESSAGES_PER_PAGE))
    try:
        number = min(max(1, int(request.args.get("page", 1))), pages)
    except ValueError:
        number = 1
    items = db.session.scalars(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset((number - 1) * MESSAGES_PER_PAGE)
        .limit(MESSAGES_PER_PAGE)
    ).all()
    config = settings()
    campaign = None
    try:
        campaign = _campaign()
    except Exception:  # the page lists messages even when the stored data set does not load
        logger.info("outbox page without the campaign's names")
    names = {}
    if campaign is not None:
        for message in items:
            person = _person(campaign, message.person_id)
            names[message.person_id] = person.name if person else ""
    return render_template(
        "coordinator/outbox.html",
        page=_Page(list(items), number, pages, total),
        counts=counts_by_state(),
        state=state,
        states=STATES,
        names=names,
        channel_off={"email": config.email_off, "sms": config.sms_off},
        opt_outs=db.session.scalar(select(func.count()).select_from(NoticeOptOut)) or 0,
        form=ActionForm(),
    )


@blueprint.post("/dieu-phoi/hop-thu-di/<int:message_id>/gui-lai")
@role_required("coordinator")
def retry_message(message_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    if db.session.get(OutboxMessage, message_id) is None:
        abort(404)
    if retry(message_id):
        flash(_("Tin nhắn đã được đưa lại vào hàng đợi."), "ok")
    else:
        flash(_("Chỉ gửi lại được tin nhắn lỗi hoặc đã bỏ qua."), "error")
    return redirect(url_for("outbox.outbox_page", state=request.args.get("state") or None)), 303


@blueprint.post("/ca-truc/nhan-tin")
def volunteer_notices():
    """The signed-in volunteer stops (``choice=off``) or resumes (``choice=on``) notices."""
    from web.volunteer import _signed_in_person_id

    person_id = _signed_in_person_id()
    if person_id is None:
        return redirect(url_for("volunteer.lookup"))
    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("choice") == "on":
        opt_in(person_id)
        flash(_("Bạn sẽ nhận lại thông báo về lịch trực qua thư điện tử và tin nhắn."), "ok")
    else:
        opt_out(person_id, by="volunteer")
        flash(_("Bạn sẽ không nhận thông báo về lịch trực qua thư điện tử và tin nhắn nữa."), "ok")
    return redirect(url_for("volunteer.my_shifts")), 303


def notices_off(person_id: str) -> bool:
    """Whether the person opted out (for the volunteer's page, to show the right button)."""
    return opted_out(person_id)
