"""Signing in: argon2 password hashes, the signed-in user in the session, role checks.

Coordinators (``coordinator``) and Youth Union officers (``youth_union``) sign in with a password.
A volunteer is identified by ``session["person_id"]`` after giving their phone number and personal
code, or opening a signed link (:mod:`web.volunteer`).
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import abort, g, redirect, request, session, url_for
from sqlalchemy import select

from web.models import ROLES, User, db

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(username: str, password: str, role: str, display_name: str = "") -> User:
    """Add a user; raises ValueError for an unknown role, a taken name or a short password."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role,
                display_name=display_name or username)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        _hasher.hash(password)  # the same work whether or not the name exists
        return None
    return user if check_password(user, password) else None


def sign_in(user: User) -> None:
    session.clear()
    session["user_id"] = user.id
    session.permanent = True


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
