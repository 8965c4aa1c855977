"""Volunteers' personal codes, signed links and calendar-feed tokens.

A personal code is ten digits derived from the app's secret key, the person's id and their
credential generation (HMAC-SHA256), so it needs no storage and stays the same across roster
versions. Ten digits, because the attempts on one phone are capped at
:data:`web.volunteer.PHONE_LIMIT` per hour across all addresses: over a 45-day campaign that is at
most 100 × 24 × 45 = 108,000 guesses, a chance of 108,000 / 10¹⁰ ≈ 1 in 92,600 of finding one
volunteer's code (six digits would have allowed it after about 10⁶ / 100 hours).

A signed link and a feed token carry the person id and generation, signed with the same key
(itsdangerous, each with its own salt so a feed token cannot sign in) and a time stamp: they expire
after ``max_age_seconds``. Raising a person's generation (a coordinator's revocation) changes their
code and makes every earlier link and feed token of theirs invalid.
"""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeTimedSerializer

CODE_DIGITS = 10
_LINK_SALT = "volunteer-link"
_FEED_SALT = "volunteer-calendar"


def personal_code(secret_key: str, person_id: str, generation: int = 0) -> str:
    """The person's code: :data:`CODE_DIGITS` digits."""
    digest = hmac.new(secret_key.encode(), f"code:{person_id}:{generation}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**CODE_DIGITS).zfill(CODE_DIGITS)


def format_code(code: str) -> str:
    """The code in groups of five for reading aloud or typing: "12345 67890"."""
    return " ".join(code[i : i + 5] for i in range(0, len(code), 5))


def typed_code(given: str) -> str | None:
    """The digits of a code as typed (spaces, dots and dashes between groups allowed), or None."""
    digits = "".join(ch for ch in given if ch not in " .-\t")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


def codes_match(secret_key: str, person_id: str, given: str, generation: int = 0) -> bool:
    digits = typed_code(given)
    return digits is not None and hmac.compare_digest(personal_code(secret_key, person_id, generation), digits)


def link_token(secret_key: str, person_id: str, generation: int = 0) -> str:
    """A personal link's token: signs the volunteer in (after a confirm step)."""
    return URLSafeTimedSerializer(secret_key, salt=_LINK_SALT).dumps([person_id, generation])


def feed_token(secret_key: str, person_id: str, generation: int = 0) -> str:
    """The token of a person's calendar feed: it reads the feed but cannot sign in (its own salt)."""
    return URLSafeTimedSerializer(secret_key, salt=_FEED_SALT).dumps([person_id, generation])


def _loads(secret_key: str, salt: str, token: str, max_age_seconds: float) -> tuple[str, int] | None:
    try:
        value = URLSafeTimedSerializer(secret_key, salt=salt).loads(token, max_age=max_age_seconds)
    except (BadSignature, ValueError, TypeError):
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    ):
        return value[0], value[1]
    return None


def person_from_token(secret_key: str, token: str, max_age_seconds: float) -> tuple[str, int] | None:
    """(person id, generation) of a valid, unexpired link token, or None."""
    return _loads(secret_key, _LINK_SALT, token, max_age_seconds)


def person_from_feed_token(secret_key: str, token: str, max_age_seconds: float) -> tuple[str, int] | None:
    """(person id, generation) of a valid, unexpired feed token, or None."""
    return _loads(secret_key, _FEED_SALT, token, max_age_seconds)
