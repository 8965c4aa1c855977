"""Volunteers' personal codes and signed links.

A personal code is six digits derived from the app's secret key and the person's id (HMAC-SHA256),
so it needs no storage, stays the same across roster versions, and changes for everyone if the
secret key changes. A signed link carries the person id signed with the same key (itsdangerous).
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeSerializer

CODE_DIGITS = 6


def personal_code(secret_key: str, person_id: str) -> str:
    digest = hmac.new(secret_key.encode(), f"code:{person_id}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10 ** CODE_DIGITS).zfill(CODE_DIGITS)


def codes_match(secret_key: str, person_id: str, given: str) -> bool:
    return hmac.compare_digest(personal_code(secret_key, person_id), given.strip())


def link_token(secret_key: str, person_id: str) -> str:
    return URLSafeSerializer(secret_key, salt="volunteer-link").dumps(person_id)


def feed_token(secret_key: str, person_id: str) -> str:
    """The token of a person's calendar feed: it reads the feed but cannot sign in (its own salt)."""
    return URLSafeSerializer(secret_key, salt="volunteer-calendar").dumps(person_id)


def person_from_feed_token(secret_key: str, token: str) -> str | None:
    try:
        value = URLSafeSerializer(secret_key, salt="volunteer-calendar").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def person_from_token(secret_key: str, token: str) -> str | None:
    try:
        value = URLSafeSerializer(secret_key, salt="volunteer-link").loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None
