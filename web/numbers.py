"""Numbers and percentages in the reader's locale, through Babel: Vietnamese 32.530 and 98,7%, English 32,530
and 98.7%. The templates' filters ``num`` and ``pct`` and the exports use these, never ``'%.1f'``."""

from __future__ import annotations

from babel.numbers import format_decimal, format_percent
from flask import has_request_context
from flask_babel import get_locale
from jinja2 import pass_context

DEFAULT_LOCALE = "vi"


def _locale(locale: str | None) -> str:
    if locale:
        return locale
    if has_request_context():
        return str(get_locale() or DEFAULT_LOCALE)
    return DEFAULT_LOCALE


def number(value: float | int | None, digits: int = 0, locale: str | None = None) -> str:
    """``value`` with thousands grouped and at most ``digits`` decimals (trailing zeros dropped); ``—`` for None."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(locale))


def percent(value: float | None, digits: int = 1, locale: str | None = None) -> str:
    """A percentage given as 0–100 (``98.66`` → ``98,7%`` in Vietnamese); ``—`` for None."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(value / 100, format=pattern, locale=_locale(locale))


def install(app) -> None:
    """The templates' filters: ``{{ n|num }}``, ``{{ hours|num(1) }}``, ``{{ coverage|pct }}``.

    They take the context so that Jinja never folds ``{{ 1000|num }}`` at compile time, in whichever request's
    locale compiled the template first.
    """

    @pass_context
    def num(_context, value, digits: int = 0):
        return number(value, digits)

    @pass_context
    def pct(_context, value, digits: int = 1):
        return percent(value, digits)

    app.jinja_env.filters["num"] = num
    app.jinja_env.filters["pct"] = pct
