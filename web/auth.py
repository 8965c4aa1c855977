"""Signing in: argon2 password hashes, the signed-in user in the session, role checks.

Coordinators (``coordinator``) and Youth Union officers (``youth_union``) sign in with a password.
A volunteer is identified by ``session["person_id"]`` after giving their phone number and personal
code, or opening a signed link (:mod:`web.volunteer`). Every sign-in is recorded server-side
(:mod:`web.sessions`).

Password attempts are limited like volunteers' codes (:mod:`web.limits`: per client address, per
account from one address, per account from all addresses), counted before any hashing. An argon2
check costs about 0.1 s of one core and 64 MiB, so at most :data:`HASHING_SLOTS` run at once in a
process; an attempt that finds no free slot within :data:`HASHING_WAIT_SECONDS` is told to retry,
and the server's other threads keep serving pages.
"""

from __future__ import annotations

import functools
import threading
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select

from web import sessions
from web.limits import Limit, client_address, give_back, take_all
from web.models import ROLES, User, db

_hasher = PasswordHasher()

ADDRESS_LIMIT = Limit("password-address", 30, timedelta(minutes=15))
PAIR_LIMIT = Limit("password-pair", 5, timedelta(minutes=15))
ACCOUNT_LIMIT = Limit("password-account", 50, timedelta(hours=1))
HASHING_SLOTS = 1
HASHING_WAIT_SECONDS = 0.25
_hashing = threading.BoundedSemaphore(HASHING_SLOTS)

# A residential-group or hamlet leader (tổ trưởng tổ dân phố, trưởng thôn), invited by their ward's
# official: scoped to that ward like them, and allowed only the ward's daily list of visits.
GROUP_LEADER = "group"
USER_ROLES = (*ROLES, GROUP_LEADER)
WARD_SCOPED_ROLES = ("ward", GROUP_LEADER)  # roles whose account names its ward


class TooManyAttempts(Exception):
    """The attempt was over a limit; ``limit`` says which."""

    def __init__(self, limit: Limit):
        super().__init__(limit.name)
        self.limit = limit


class HashingBusy(Exception):
    """No hashing slot came free in time; the client should retry shortly."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(username: str, password: str, role: str, display_name: str = "", ward_code: str | None = None) -> User:
    """Add a user; raises ValueError for an unknown role, a taken name, a short password, or a ward official
    or group leader without a ward (and a ward given to another role)."""
    if role not in USER_ROLES:
        raise ValueError(f"role must be one of {', '.join(USER_ROLES)}")
    if (role in WARD_SCOPED_ROLES) != bool(ward_code):
        raise ValueError("a ward official's or group leader's account needs a ward code, and only theirs has one")
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role,
        display_name=display_name or username,
        ward_code=ward_code or None,
    )
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The user with this name and password, or None.

    Raises
    ------
    TooManyAttempts
        This address or account is over a limit (nothing was hashed).
    web.limits.LimitUnavailable
        The attempt could not be counted (the caller refuses it).
    HashingBusy
        Every hashing slot stayed busy for :data:`HASHING_WAIT_SECONDS`.
    """
    account = username.casefold()[:80]
    checks = [
        (ADDRESS_LIMIT, client_address(request.remote_addr)),
        (PAIR_LIMIT, f"{account}|{client_address(request.remote_addr)}"),
    ]
    if device_identity(account) not in sessions.known_identities():  # a known browser skips the account's cap
        checks.append((ACCOUNT_LIMIT, account))
    attempt = take_all(checks)
    if attempt.exceeded is not None:
        raise TooManyAttempts(attempt.exceeded)
    user = db.session.scalar(select(User).where(User.username == username))
    db.session.commit()  # end the read before the slow hash: no transaction is held while waiting
    if not _hashing.acquire(timeout=HASHING_WAIT_SECONDS):
        raise HashingBusy()
    try:
        if user is None:
            _hasher.hash(password)  # the same work whether or not the name exists
            return None
        ok = check_password(user, password)
    finally:
        _hashing.release()
    if ok:
        give_back(checks, attempt)
        return user
    return None


def device_identity(account: str) -> str:
    """The known-device identity of an account name (:func:`web.sessions.remember_device`)."""
    return f"user:{account.casefold()[:80]}"


def sign_in(user: User) -> None:
    sessions.start(user_id=user.id)


def current_user() -> User | None:
    if "user" not in g:
        user_id = session.get("user_id")
        g.user = db.session.get(User, user_id) if user_id is not None else None
    return g.user


def role_required(*roles: str):
    """Refuse the view unless the signed-in user has one of ``roles`` (401 for JSON, login page otherwise)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.blueprint == "api" or request.accept_mimetypes.best == "application/json":
                    abort(401)
                return redirect(url_for("public.login", next=request.full_path))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate
