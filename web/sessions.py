"""Server-side sessions: signing in records a session, and only a recorded, unrevoked one counts.

Flask keeps the session in a signed cookie, so by itself a copied cookie would keep working after
its owner signed out. Here every sign-in (a coordinator's or Youth Union officer's password, a
volunteer's code or confirmed link) creates an :class:`web.models.AuthSession` row whose id the cookie
carries; :func:`check` runs before every request and forgets a cookie whose row is missing, revoked
or older than the session lifetime. Signing out revokes the row, and a coordinator's revocation of
a volunteer's credentials revokes all of that volunteer's sessions.
"""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from flask import current_app, session
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from web.models import AuthSession, PersonCredential, db, utcnow
from web.writes import quick_transaction

SIGNED_IN_KEYS = ("user_id", "person_id")
KEEP_ENDED = timedelta(days=7)  # sessions past their lifetime are kept this long, then deleted


def start(*, user_id: int | None = None, person_id: str | None = None) -> None:
    """Record a new session for a user or a volunteer and put its id in the cookie (after clearing it).

    The browser's earlier session, if any, is revoked; now and then, sessions long over are forgotten.
    The request's own transaction is committed first; the session's row is then written as a quick write
    (:func:`web.writes.quick_transaction`): a power failure may sign the person out, never in.
    """
    db.session.commit()
    earlier = session.get("sid")
    record_id = secrets.token_urlsafe(32)
    with quick_transaction() as connection:
        if isinstance(earlier, str):
            connection.execute(
                update(AuthSession)
                .where(AuthSession.id == earlier, AuthSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        if random.random() < 0.02:
            connection.execute(
                delete(AuthSession).where(
                    AuthSession.created_at < utcnow() - current_app.permanent_session_lifetime - KEEP_ENDED
                )
            )
        connection.execute(
            insert(AuthSession).values(id=record_id, user_id=user_id, person_id=person_id, created_at=utcnow())
        )
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    session["sid"] = record_id
    if user_id is not None:
        session["user_id"] = user_id
    if person_id is not None:
        session["person_id"] = person_id
    session.permanent = True


def end() -> None:
    """Sign out: revoke the recorded session and clear the cookie (the language stays)."""
    sid = session.get("sid")
    if isinstance(sid, str):
        db.session.execute(
            update(AuthSession)
            .where(AuthSession.id == sid, AuthSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        db.session.commit()
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def check() -> None:
    """Forget the signed-in identity of a cookie whose recorded session is not valid any more.

    One indexed read of the session's columns (no ORM object): this runs before every signed-in request.
    """
    if not any(key in session for key in SIGNED_IN_KEYS):
        return
    sid = session.get("sid")
    record = (
        db.session.execute(
            select(AuthSession.user_id, AuthSession.person_id, AuthSession.created_at, AuthSession.revoked_at).where(
                AuthSession.id == sid
            )
        ).first()
        if isinstance(sid, str)
        else None
    )
    lifetime = current_app.permanent_session_lifetime
    valid = (
        record is not None
        and record.revoked_at is None
        and record.created_at > utcnow() - lifetime
        and record.user_id == session.get("user_id")
        and record.person_id == session.get("person_id")
    )
    if not valid:
        for key in (*SIGNED_IN_KEYS, "sid"):
            session.pop(key, None)


def revoke_person(person_id: str) -> int:
    """Revoke every session of a volunteer; returns how many were open (the caller commits)."""
    result = db.session.execute(
        update(AuthSession)
        .where(AuthSession.person_id == person_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount or 0


def renew_credentials(person_id: str, username: str) -> int:
    """Revoke a volunteer's code, links, calendar feed and open sessions; returns the new generation.

    The generation is raised in the database itself, so two revocations at once both count.
    """
    try:
        raised = db.session.execute(
            update(PersonCredential)
            .where(PersonCredential.person_id == person_id)
            .values(generation=PersonCredential.generation + 1, revoked_at=utcnow(), revoked_by=username)
        ).rowcount
        if not raised:
            db.session.add(
                PersonCredential(person_id=person_id, generation=1, revoked_at=utcnow(), revoked_by=username)
            )
        revoke_person(person_id)
        db.session.commit()
    except IntegrityError:  # another revocation created the row first: raise it instead
        db.session.rollback()
        return renew_credentials(person_id, username)
    except Exception:
        db.session.rollback()
        raise
    return db.session.get(PersonCredential, person_id, populate_existing=True).generation


# A browser that has signed someone in before is a "known device" for them: its attempts skip the cap
# shared by every address (per phone, per account), so a stranger who exhausts that cap from many
# addresses cannot lock the owner out of their own phone or computer. The cookie only exempts from that
# cap; it signs no one in, and the per-address limits still apply to it.
DEVICE_COOKIE = "raquan_device"
_DEVICE_SALT = "known-device"


def _device_serializer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def remember_device(response, identity: str) -> None:
    """Mark this browser as known for ``identity`` (``"person:SV0001:0"``, ``"user:dieuphoi"``)."""
    max_age = int(float(current_app.config["RAQUAN_LINK_MAX_AGE_DAYS"]) * 86400)
    known = [item for item in known_identities() if item != identity][-4:] + [identity]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps(known),
        max_age=max_age,
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


def known_identities() -> list[str]:
    """The identities this browser has signed in before (a valid, unexpired device cookie), else none."""
    from flask import request
    from itsdangerous import BadSignature

    token = request.cookies.get(DEVICE_COOKIE)
    if not token:
        return []
    max_age = float(current_app.config["RAQUAN_LINK_MAX_AGE_DAYS"]) * 86400
    try:
        value = _device_serializer().loads(token, max_age=max_age)
    except BadSignature:
        return []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
