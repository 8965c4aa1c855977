"""The web app's edge: what a request carries is checked and normalised before any view reads it.

- Text: every value of ``request.args``, ``request.form`` (and so ``request.values``) and every string of a
  JSON body goes through :func:`clean_text` (NFC; no NUL, C0/C1 control, lone surrogate or bidirectional
  override character; tab and newline kept), so no such character is stored, shown back, or sent to
  PostgreSQL (which refuses NUL). Password fields are left as typed: they are compared, never stored or
  shown. Path arguments holding any of those characters match no route (404).
- Numbers: an ``<int:...>`` path argument is ASCII digits within :data:`MAX_ID` (the ``Integer`` primary
  keys are 32-bit on PostgreSQL), otherwise routing answers 404; :func:`parse_id` does the same for a query
  argument. A JSON body is refused with 400 when it holds ``NaN`` or ``Infinity``, a number outside the
  64-bit range or a float that overflows, or more than :data:`MAX_JSON_DEPTH` levels of nesting.
- Errors: the API (``/api/...``) answers every error status as JSON (``{"error": "..."}``); the pages get
  ``error.html`` in the site's layout, in the visitor's language. A server error page never needs the
  database: the signed-in user is looked up with :func:`safe_current_user`, and if the page itself fails
  a minimal one is sent.

:func:`install` puts all of this on an app; it must run before the blueprints are registered (the URL
converters are bound when a rule is added).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Mapping
from html import escape

from flask import Flask, Request, g, jsonify, render_template, request
from flask import json as flask_json
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError

logger = logging.getLogger(__name__)

MAX_ID = 2**31 - 1
"""The largest id a URL or query may name: the ``Integer`` primary keys are 32-bit on PostgreSQL."""
MAX_JSON_DEPTH = 32
"""The deepest nesting of arrays and objects a JSON body may have."""
JSON_INT_RANGE = (-(2**63), 2**63 - 1)
"""The whole numbers a JSON body may hold (signed 64-bit)."""
SECRET_FIELDS = frozenset({"password"})
"""Form fields passed on as typed: secrets are compared, never stored or shown."""

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Embeddings, overrides and isolates: they reorder the text shown around them."""
_REMOVED = {code: None for code in (*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0))}
_REMOVED.update({ord(ch): None for ch in BIDI_CONTROLS})
_SURROGATES = re.compile("[\ud800-\udfff]")
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


# ------------------------------------------------------------------------------------------- text


def clean_text(text: str, multiline: bool = True) -> str:
    """The text a user meant: NFC, without control, bidirectional override or lone surrogate characters.

    Parameters
    ----------
    text
        The text as received.
    multiline
        Keep tabs and line breaks (any of CR LF, CR, U+2028, U+2029 becomes LF). When False they become
        spaces, for a one-line field.

    Returns
    -------
    str
        The text without NUL, the other C0 and C1 controls, DEL, U+202A–U+202E, U+2066–U+2069 and lone
        surrogates, in Unicode normal form C.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    text = _SURROGATES.sub("", text.translate(_REMOVED))
    return unicodedata.normalize("NFC", text)


def _clean_value(key, value):
    if not isinstance(value, str) or key in SECRET_FIELDS:
        return value
    return clean_text(value)


class CleanMultiDict(ImmutableMultiDict):
    """The request's query and form arguments, names and text values passed through :func:`clean_text`.

    Uploaded files (non-text values) are kept as they are; so are the :data:`SECRET_FIELDS`.
    """

    def __init__(self, mapping=None):
        if isinstance(mapping, MultiDict):
            pairs = mapping.items(multi=True)
        elif isinstance(mapping, Mapping):
            pairs = [
                (key, item)
                for key, value in mapping.items()
                for item in (value if isinstance(value, (list, tuple)) else [value])
            ]
        else:
            pairs = mapping or ()
        cleaned = [(_clean_name(key), _clean_value(key, value)) for key, value in pairs]
        super().__init__(cleaned)


def _clean_name(key):
    return clean_text(key, multiline=False) if isinstance(key, str) else key


# ------------------------------------------------------------------------------------------- JSON


class JSONBodyError(ValueError):
    """A request body that is JSON in form but holds something the app refuses to read."""


def _refuse_constant(name: str):
    raise JSONBodyError(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    low, high = JSON_INT_RANGE
    if len(text.lstrip("-")) > 19 or not low <= int(text) <= high:
        raise JSONBodyError(
            f"the number {text[:20]}{'…' if len(text) > 20 else ''} is out of range "
            f"(whole numbers from {low} to {high})"
        )
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JSONBodyError(f"the number {text[:20]}{'…' if len(text) > 20 else ''} is out of range")
    return value


def _cleaned(value, depth: int):
    if depth > MAX_JSON_DEPTH:
        raise JSONBodyError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [_cleaned(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(key): _cleaned(item, depth + 1) for key, item in value.items()}
    return value


def parse_json(data: bytes | str):
    """A request body's JSON value, its strings passed through :func:`clean_text`.

    Raises
    ------
    JSONBodyError
        For ``NaN`` or ``Infinity``, a whole number outside :data:`JSON_INT_RANGE`, a float that overflows,
        or nesting deeper than :data:`MAX_JSON_DEPTH`.
    ValueError
        When ``data`` is not JSON (:class:`json.JSONDecodeError`) or not UTF-8.
    """
    try:
        value = json.loads(data, parse_constant=_refuse_constant, parse_int=_bounded_int, parse_float=_finite_float)
    except RecursionError:
        raise JSONBodyError(f"the body is nested more than {MAX_JSON_DEPTH} levels deep") from None
    return _cleaned(value, 0)


class _BodyJSON:
    """The ``json_module`` of :class:`EdgeRequest`: strict reading, Flask's writing."""

    @staticmethod
    def loads(data, **_kwargs):
        return parse_json(data)

    @staticmethod
    def dumps(value, **kwargs):
        return flask_json.dumps(value, **kwargs)


class EdgeRequest(Request):
    """Flask's request with cleaned arguments and form fields and a strict JSON body reader."""

    parameter_storage_class = CleanMultiDict

    @property
    def json_module(self):
        """The reader of JSON bodies: :func:`parse_json`."""
        return _BodyJSON

    @json_module.setter
    def json_module(self, _provider) -> None:
        """Flask hands every request the app's JSON provider; bodies are still read by :func:`parse_json`."""

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:
            raise BadRequest("the body must be JSON (Content-Type: application/json)")
        if isinstance(e, JSONBodyError):
            raise BadRequest(str(e))
        raise BadRequest(f"the body is not valid JSON: {e}")


# ------------------------------------------------------------------------------------------- URLs


def parse_id(text: str) -> int:
    """An id written in a query argument: ASCII digits, 1 to :data:`MAX_ID`.

    Use as ``request.args.get(name, type=parse_id)`` (None when absent or not an id).

    Raises
    ------
    ValueError
        When ``text`` is not such an id.
    """
    if not _ASCII_DIGITS.fullmatch(text) or not 1 <= int(text) <= MAX_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


class IdConverter(IntegerConverter):
    """``<int:...>``: ASCII digits up to :data:`MAX_ID` (a larger number names nothing: 404)."""

    regex = r"[0-9]{1,10}"

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID, signed: bool = False
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _plain_segment(value: str) -> str:
    if clean_text(value, multiline=False) != value:
        raise ValidationError()
    return value


class TextConverter(UnicodeConverter):
    """``<name>`` and ``<string:...>``: a segment with a control or bidirectional character, or not in NFC,
    matches nothing (404)."""

    def to_python(self, value: str) -> str:
        return _plain_segment(value)


class TextPathConverter(PathConverter):
    """``<path:...>`` with the same refusals as :class:`TextConverter`."""

    def to_python(self, value: str) -> str:
        return _plain_segment(value)


# ------------------------------------------------------------------------------------------- errors


def wants_json() -> bool:
    """Whether an error should be answered as JSON: anything under ``/api/``, or a client asking for JSON."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def safe_current_user():
    """The signed-in user, or None when there is none or the database cannot say (the page still renders)."""
    from web.auth import current_user
    from web.models import db

    try:
        return current_user()
    except Exception:  # a page about an error must not fail on the user lookup
        logger.warning("signed-in user unknown: the database did not answer", exc_info=True)
        try:
            db.session.rollback()
        except Exception:
            logger.warning("rollback failed", exc_info=True)
        g.user = None
        return None


def _json_message(error: HTTPException) -> str:
    default = type(error).description
    return error.description if error.description and error.description != default else error.name


def _error_texts(error: HTTPException) -> tuple[str, str]:
    """The page's heading and explanation for ``error``, in the visitor's language."""
    if isinstance(error, CSRFError):
        return (
            _("Biểu mẫu đã hết hạn"),
            _(
                "Trang này đã mở quá lâu hoặc phiên làm việc đã thay đổi, nên biểu mẫu không còn hợp lệ. "
                "Hãy mở lại trang có biểu mẫu, tải lại rồi gửi lại."
            ),
        )
    texts = {
        400: (_("Yêu cầu không hợp lệ."), _("Thông tin gửi lên không đọc được. Hãy kiểm tra rồi thử lại.")),
        401: (_("Cần đăng nhập"), _("Hãy đăng nhập để xem trang này.")),
        403: (_("Không có quyền truy cập"), _("Tài khoản của bạn không được xem trang này.")),
        404: (_("Không tìm thấy trang này."), _("Địa chỉ có thể đã gõ sai, hoặc trang không còn nữa.")),
        405: (_("Yêu cầu không hợp lệ."), _("Trang này không nhận yêu cầu theo cách vừa gửi.")),
        413: (_("Dữ liệu gửi lên quá lớn"), _("Tệp hoặc biểu mẫu vượt quá giới hạn. Hãy gửi tệp nhỏ hơn.")),
        429: (_("Quá nhiều yêu cầu"), _("Bạn đã thử quá nhiều lần. Vui lòng chờ ít phút rồi thử lại.")),
        500: (_("Đã có lỗi ở máy chủ"), _("Lỗi đã được ghi lại. Vui lòng thử lại sau ít phút.")),
        503: (_("Hệ thống đang bận"), _("Vui lòng thử lại sau ít phút.")),
    }
    if error.code in texts:
        return texts[error.code]
    return texts[500] if (error.code or 500) >= 500 else texts[400]


def _minimal_page(code: int) -> str:
    """A page that needs neither the database nor the templates, for when the error page itself fails."""
    try:
        heading, text, home = _("Đã có lỗi ở máy chủ"), _("Vui lòng thử lại sau ít phút."), _("Về trang chủ")
    except Exception:
        heading, text, home = "Đã có lỗi ở máy chủ", "Vui lòng thử lại sau ít phút.", "Về trang chủ"
    return (
        f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{code} · Ra Quân</title></head>'
        f'<body><h1>{escape(heading)}</h1><p>{escape(text)}</p><p><a href="/">{escape(home)}</a></p>'
        f"</body></html>"
    )


def _own_page(code: int) -> dict | None:
    """For a refused page (403) and a signed-in account: its role in words, what it may do, and its own page."""
    if code != 403:
        return None
    user = safe_current_user()
    if user is None:
        return None
    from web.accounts import role_labels
    from web.public import landing_page, role_scope

    try:
        url = landing_page(user.role)
    except Exception:  # a role whose pages are not installed: the home page stands
        logger.warning("no landing page for role %s", user.role, exc_info=True)
        return None
    return {"role": role_labels().get(user.role, user.role), "scope": role_scope(user.role), "url": url}


def error_response(error: HTTPException):
    """``error`` as JSON under ``/api/`` (or for a JSON client), otherwise as ``error.html`` in the layout."""
    code = error.code or 500
    headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
    if wants_json():
        response = jsonify(error=_json_message(error))
        response.headers.extend(headers)
        return response, code
    safe_current_user()
    if "form" not in request.__dict__:
        # The layout's forms read the request's form data; a body that was refused (413) or not read yet
        # is left unread, as an empty form (how werkzeug itself stores a parsed body).
        request.__dict__.update(form=CleanMultiDict(), files=CleanMultiDict())
    heading, text = _error_texts(error)
    rule = request.url_rule
    reload = request.path if isinstance(error, CSRFError) and rule is not None and "GET" in rule.methods else None
    own = _own_page(code)
    page = render_template("error.html", error=error, code=code, heading=heading, text=text, reload=reload, own=own)
    return page, code, headers


def server_error_response(error: InternalServerError):
    """A 500: the failed transaction is rolled back and the page is sent even when the database is down."""
    from web.models import db

    try:
        db.session.rollback()
    except Exception:
        logger.warning("rollback after a server error failed", exc_info=True)
    try:
        return error_response(error)
    except Exception:
        logger.exception("the error page failed; a minimal page is sent")
        if wants_json():
            return {"error": "Internal Server Error"}, 500
        return _minimal_page(500), 500, {"Content-Type": "text/html; charset=utf-8"}


def install(app: Flask) -> None:
    """Put the edge on ``app``: request class, URL converters, error handlers. Call before blueprints."""
    app.request_class = EdgeRequest
    app.url_map.converters.update(int=IdConverter, default=TextConverter, string=TextConverter, path=TextPathConverter)
    app.register_error_handler(HTTPException, error_response)
    app.register_error_handler(InternalServerError, server_error_response)
