"""Parsing and formatting of single table cells.

Every parser takes the text of one cell, already cleaned by :func:`clean`
(Unicode NFC, no padding), and returns a value of the domain model or raises
:class:`CellError` whose message says in Vietnamese what is wrong and why.
Formatters do the reverse, in the one canonical form the exporter writes.

A parser may also say what it did on the user's behalf (an old ward name it
converted): it calls :func:`note`, and whoever reads the cell collects those
notes with :func:`collecting_notes` to report them.

The accepted forms, with examples, are listed in ``docs/data-format.md``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

from geo.units import AdminUnit, UnknownPlaceError, fold, match_commune
from scheduler.model import MINUTES_PER_DAY, Pool, PriorityGroup, ShiftKind

LIST_SEPARATOR = ";"

# Whitespace a cell may be padded with; everything else of category C* is refused.
_PADDING = " \t\r\n\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
# Punctuation allowed in free text (organisation, place, campaign and shift names).
FREE_TEXT_PUNCTUATION = ".,;:-–—/()&'\"+°’‘“”"
# Punctuation allowed in a person's name besides letters and spaces.
NAME_PUNCTUATION = "'’-."

_DIGITS = "0123456789"
_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_ISO_DATE_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_VN_DATE_RE = re.compile(r"([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4})")
_TIME_RE = re.compile(r"([0-9]{1,2})(?::([0-9]{2})(?::00)?|[hHgG]([0-9]{2})?)")
_INT_RE = re.compile(r"[0-9]+")
# A phone a spreadsheet kept as a number and a program then wrote as a float: "912000001.0".
_FLOAT_PHONE_RE = re.compile(r"([0-9]{9,12})\.0+")
# A number in scientific notation, as a narrow numeric column shows a phone: "9.12E+08".
_SCIENTIFIC_RE = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE][+]?[0-9]+")

MOBILE_PREFIXES = ("03", "05", "07", "08", "09")

POOL_NAMES = {
    Pool.STUDENT: (
        "student",
        "sinh viên",
        "sinh viên CNTT",
        "SV",
        "đoàn viên",
        "đoàn viên thanh niên",
        "tình nguyện viên",
    ),
    Pool.TELECOM: (
        "telecom",
        "viễn thông",
        "nhân sự viễn thông",
        "nhân viên viễn thông",
        "doanh nghiệp viễn thông",
        "nhân sự doanh nghiệp",
    ),
    Pool.TECHNICIAN: ("technician", "kỹ thuật viên", "kĩ thuật viên", "cán bộ kỹ thuật", "cán bộ kĩ thuật", "KTV"),
}
PRIORITY_NAMES = {
    PriorityGroup.ELDERLY: ("elderly", "người cao tuổi", "người già"),
    PriorityGroup.DISABLED: ("disabled", "người khuyết tật"),
    PriorityGroup.POOR: ("poor", "hộ nghèo"),
    PriorityGroup.NEAR_POOR: ("near_poor", "near-poor", "hộ cận nghèo"),
    PriorityGroup.GENERAL: ("general", "người dân", "mọi người dân"),
}
SHIFT_KIND_NAMES = {
    ShiftKind.SERVICE: ("service", "phục vụ", "ca phục vụ"),
    ShiftKind.ONCALL: ("oncall", "on-call", "trực", "ca trực"),
}
# The skills the campaign knows, by id, with the names coordinators write for them. A skill written with
# other words is kept as written, in lower case.
SKILL_NAMES = {
    "vneid": (
        "VNeID",
        "cài đặt VNeID",
        "cài VNeID",
        "kích hoạt VNeID",
        "định danh điện tử",
        "tài khoản định danh điện tử",
    ),
    "ihanoi": ("iHanoi", "cài đặt iHanoi", "cài iHanoi", "ứng dụng iHanoi"),
    "dich_vu_cong": ("dịch vụ công", "dịch vụ công trực tuyến", "cổng dịch vụ công", "DVC"),
    "ai_co_ban": ("AI cơ bản", "trí tuệ nhân tạo cơ bản", "kỹ năng AI cơ bản"),
    "sim_chinh_chu": ("SIM chính chủ", "chuẩn hóa thông tin thuê bao", "chuẩn hóa thuê bao"),
    "chu_ky_so": ("chữ ký số", "chữ kí số", "ký số", "kí số"),
    "mang": ("mạng", "hạ tầng mạng", "mạng máy tính", "kỹ thuật mạng"),
    "may_tinh": ("máy tính", "sửa máy tính", "phần cứng máy tính"),
    "mot_cua_dien_tu": ("một cửa điện tử", "hệ thống một cửa điện tử"),
}
TRUE_WORDS = ("yes", "y", "true", "1", "x", "có", "đúng")
FALSE_WORDS = ("no", "n", "false", "0", "không", "sai")


class CellError(ValueError):
    """The text of a cell cannot be read; the message says why, in Vietnamese."""


_NOTES: ContextVar[list[str] | None] = ContextVar("cell_notes", default=None)


@contextmanager
def collecting_notes() -> Iterator[list[str]]:
    """Collect, in the list it yields, the notes the parsers called within make (see :func:`note`)."""
    notes: list[str] = []
    token = _NOTES.set(notes)
    try:
        yield notes
    finally:
        _NOTES.reset(token)


def note(message: str) -> None:
    """Say what a parser did on the user's behalf (Vietnamese); kept when someone is collecting notes."""
    notes = _NOTES.get()
    if notes is not None:
        notes.append(message)


def _key(text: str) -> str:
    return fold(text)


def clean(raw: str) -> str:
    """The cell's text in NFC without padding; refuses control and invisible characters.

    Raises
    ------
    CellError
        When the text holds a control, format (zero-width) or unassigned character.
    """
    text = unicodedata.normalize("NFC", str(raw)).strip(_PADDING)
    for ch in text:
        if unicodedata.category(ch).startswith("C") or ch in "\u2028\u2029":
            raise CellError(f"có ký tự điều khiển hoặc ký tự ẩn U+{ord(ch):04X}; hãy gõ lại ô này")
    return text


def _show(text: str, limit: int = 40) -> str:
    """The text quoted for a message, shortened when long."""
    return f"'{text if len(text) <= limit else text[:limit] + '…'}'"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def parse_int(text: str, minimum: int = 0, maximum: int = 1000) -> int:
    """A whole number written with ASCII digits, within ``[minimum, maximum]``."""
    if not _INT_RE.fullmatch(text):
        if text.startswith("-") and _INT_RE.fullmatch(text[1:]):
            raise CellError(f"số không được âm: {_show(text)}")
        raise CellError(f"không phải số nguyên: {_show(text)}")
    if len(text) > 9:
        raise CellError(f"số {_show(text)} quá lớn (tối đa {maximum})")
    value = int(text)
    if value < minimum:
        raise CellError(f"số {value} nhỏ hơn mức tối thiểu {minimum}")
    if value > maximum:
        raise CellError(f"số {value} quá lớn (tối đa {maximum})")
    return value


def parse_bool(text: str) -> bool:
    """yes/no, có/không, true/false, 1/0, x (ticked) — any case, with or without diacritics."""
    key = _key(text)
    if key in {_key(w) for w in TRUE_WORDS}:
        return True
    if key in {_key(w) for w in FALSE_WORDS}:
        return False
    raise CellError(f"không hiểu giá trị có/không {_show(text)}; hãy ghi 'có' hoặc 'không' (yes/no)")


def format_bool(value: bool) -> str:
    return "yes" if value else "no"


def _enum(text: str, names: dict, what: str):
    key = _key(text)
    for member, words in names.items():
        if key in {_key(w) for w in words}:
            return member
    allowed = ", ".join(f"'{words[1]}' ({words[0]})" for words in names.values())
    raise CellError(f"{what} không hợp lệ {_show(text)}; chọn một trong: {allowed}")


def parse_pool(text: str) -> Pool:
    """A pool by its English value or a Vietnamese name ("sinh viên", "viễn thông", "kỹ thuật viên")."""
    return _enum(text, POOL_NAMES, "nhóm")


def parse_priority_group(text: str) -> PriorityGroup:
    """A priority group by its English value or Vietnamese label ("người cao tuổi", "hộ nghèo"...)."""
    return _enum(text, PRIORITY_NAMES, "nhóm ưu tiên")


def parse_shift_kind(text: str) -> ShiftKind:
    return _enum(text, SHIFT_KIND_NAMES, "loại ca")


def parse_date(text: str) -> date:
    """A date written dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy) or yyyy-mm-dd."""
    match = _ISO_DATE_RE.fullmatch(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _VN_DATE_RE.fullmatch(text)
        if not match:
            raise CellError(
                f"không đọc được ngày {_show(text)}; hãy ghi dd/mm/yyyy (26/08/2025) hoặc yyyy-mm-dd (2025-08-26)"
            )
        day, month, year = int(match.group(1)), int(match.group(3)), int(match.group(4))
    try:
        return date(year, month, day)
    except ValueError:
        pass
    if not _ISO_DATE_RE.fullmatch(text) and month > 12 and _exists(year, day, month):
        raise CellError(
            f"ngày không tồn tại {_show(text)}: có vẻ ghi theo kiểu tháng/ngày (ngày {month} "
            f"tháng {day}); hãy ghi ngày trước, tháng sau: {month:02d}/{day:02d}/{year:04d}"
        )
    raise CellError(f"ngày không tồn tại {_show(text)}")


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def format_date(value: date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def parse_time(text: str, allow_end_of_day: bool = False) -> int:
    """A time of day "HH:MM" (also "7:30", "07:30:00", "7h30", "7h") as minutes after midnight.

    ``allow_end_of_day`` admits "24:00" (1440) for the end of a slot.
    """
    match = _TIME_RE.fullmatch(text)
    if not match:
        raise CellError(f"không đọc được giờ {_show(text)}; hãy ghi HH:MM, ví dụ 07:30")
    hour = int(match.group(1))
    minute = int(match.group(2) or match.group(3) or 0)
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not allow_end_of_day)):
        raise CellError(f"giờ không tồn tại {_show(text)}")
    return hour * 60 + minute


def format_time(minute: int) -> str:
    """Minutes after midnight as "HH:MM"; 1440 is "24:00", later minutes wrap to the next day."""
    if minute != MINUTES_PER_DAY:
        minute %= MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def parse_phone(text: str) -> str:
    """A Vietnamese mobile number in any usual form, normalised to "0912345678".

    Accepts spaces, dots, dashes and brackets between digits, the +84 / 84 / 0084
    country prefix, and the nine digits left when a spreadsheet dropped the leading 0 (also
    written as a float, "912345678.0", by a program that read the number cell).
    """
    floating = _FLOAT_PHONE_RE.fullmatch(text)
    if floating:
        text = floating.group(1)
    elif _SCIENTIFIC_RE.fullmatch(text):
        raise CellError(
            f"số điện thoại {_show(text)} bị ghi dạng số khoa học nên đã mất chữ số; hãy định dạng "
            "cột là Văn bản (Text) rồi gõ lại số, ví dụ 0912345678"
        )
    bad = [ch for ch in text if ch not in _DIGITS + " .-()+"]
    if bad:
        raise CellError(f"số điện thoại {_show(text)} có ký tự không hợp lệ '{bad[0]}'")
    digits = "".join(ch for ch in text if ch in _DIGITS)
    plus = text.count("+")
    first_digit = next((i for i, ch in enumerate(text) if ch in _DIGITS), len(text))
    if plus > 1 or (plus == 1 and text.index("+") > first_digit):
        raise CellError(f"số điện thoại {_show(text)} đặt dấu '+' sai chỗ")
    if plus:
        if not digits.startswith("84"):
            raise CellError(f"số điện thoại {_show(text)} không phải số Việt Nam (+84)")
        local = "0" + digits[2:].removeprefix("0")
    elif digits.startswith("0084"):
        local = "0" + digits[4:].removeprefix("0")
    elif len(digits) == 11 and digits.startswith("84"):
        local = "0" + digits[2:]
    elif len(digits) == 9 and digits[:1] in ("3", "5", "7", "8", "9"):
        local = "0" + digits  # a spreadsheet dropped the leading zero
    else:
        local = digits
    if len(local) >= 2 and local.startswith("0") and local[:2] not in MOBILE_PREFIXES:
        landline = " (số máy bàn)" if local.startswith("02") else ""
        raise CellError(
            f"số điện thoại {_show(text)} không phải số di động{landline}; "
            f"số di động bắt đầu bằng {', '.join(MOBILE_PREFIXES)}"
        )
    if len(local) != 10 or not local.startswith("0"):
        raise CellError(
            f"số điện thoại {_show(text)} phải có 10 chữ số bắt đầu bằng 0 "
            f"(hoặc +84 và 9 chữ số); số này có {len(local)} chữ số"
        )
    return local


def parse_identifier(text: str, what: str = "mã") -> str:
    """An id: ASCII letters and digits, then also '_', '-', '.'; at most 40 characters."""
    if not _ID_RE.fullmatch(text):
        raise CellError(
            f"{what} {_show(text)} không hợp lệ: chỉ dùng chữ không dấu, chữ số, "
            "'-', '_' và '.', bắt đầu bằng chữ hoặc số"
        )
    if len(text) > 40:
        raise CellError(f"{what} {_show(text)} dài quá 40 ký tự")
    return text


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LM"


def parse_person_name(text: str) -> str:
    """A person's name: letters, spaces and ' - . only; no digits or other symbols."""
    for ch in text:
        if not (_is_letter(ch) or ch.isspace() or ch in NAME_PUNCTUATION):
            kind = "chữ số" if ch.isdigit() else "ký tự"
            raise CellError(f"họ tên {_show(text)} có {kind} không hợp lệ '{ch}'; tên chỉ gồm chữ cái và dấu cách")
    if not any(_is_letter(ch) for ch in text):
        raise CellError(f"họ tên {_show(text)} không có chữ cái nào")
    if len(text) > 100:
        raise CellError("họ tên dài quá 100 ký tự")
    return _collapse(text)


def parse_free_text(text: str, what: str, max_length: int = 200) -> str:
    """Free text (organisation, place): letters, digits, spaces and ordinary punctuation."""
    for ch in text:
        if not (_is_letter(ch) or ch in _DIGITS or ch.isspace() or ch in FREE_TEXT_PUNCTUATION):
            raise CellError(f"{what} {_show(text)} có ký tự không hợp lệ '{ch}'")
    if not any(_is_letter(ch) or ch in _DIGITS for ch in text):
        raise CellError(f"{what} {_show(text)} không có chữ hoặc số nào")
    if len(text) > max_length:
        raise CellError(f"{what} dài quá {max_length} ký tự")
    return _collapse(text)


def parse_skill(text: str) -> str:
    """A skill: the id of a known skill written by its id or a Vietnamese name ("Chữ ký số" → "chu_ky_so",
    "Cài đặt VNeID" → "vneid", see :data:`SKILL_NAMES`), else the name lower-cased; letters, digits,
    spaces, '-', '_', '.'."""
    for ch in text:
        if not (_is_letter(ch) or ch in _DIGITS or ch == " " or ch in "-_."):
            raise CellError(f"kỹ năng {_show(text)} có ký tự không hợp lệ '{ch}'")
    if not text or not (_is_letter(text[0]) or text[0] in _DIGITS):
        raise CellError(f"kỹ năng {_show(text)} phải bắt đầu bằng chữ hoặc số")
    if len(text) > 50:
        raise CellError(f"kỹ năng {_show(text)} dài quá 50 ký tự")
    return _SKILL_KEYS.get(_skill_key(text)) or _collapse(text).lower()


def _skill_key(text: str) -> str:
    """Folded, with '_', '-', '.' and runs of spaces as one space: "Chữ ký số" and "chu_ky_so" → "chu ky so"."""
    return " ".join(re.split(r"[\s_.\-]+", fold(text))).strip()


_SKILL_KEYS = {_skill_key(name): skill for skill, names in SKILL_NAMES.items() for name in (skill, *names)}


def parse_ward(text: str, province: str) -> AdminUnit:
    """A 2025 commune of ``province`` written as people write it (see :func:`geo.units.match_commune`):
    code, name, "P.Định Công", "Phường Định Công, Quận Hoàng Mai, Hà Nội", or a pre-2025 name, which
    is converted and noted (:func:`note`)."""
    unit, message = _ward(text, province)
    if unit is None:
        raise CellError(message)
    if message:
        note(message)
    return unit


@functools.lru_cache(maxsize=8192)
def _ward(text: str, province: str) -> tuple[AdminUnit | None, str | None]:
    """(unit, note) or (None, error message); cached, as a list names the same wards again and again."""
    try:
        match = match_commune(text, province)
    except UnknownPlaceError as error:
        return None, str(error)
    return match.unit, match.note


def split_list(text: str) -> list[str]:
    """The items of a ';'-separated list, cleaned; empty items are dropped."""
    items = [clean(item) for item in text.split(LIST_SEPARATOR)]
    items = [item for item in items if item]
    return items


def parse_list(text: str, parse_item, key=None) -> list:
    """A ';'-separated list, each item read by ``parse_item``; an item twice is an error."""
    values: list = []
    seen: dict[object, str] = {}  # marker -> the item that gave it
    for item in split_list(text):
        value = parse_item(item)
        marker = key(value) if key else value
        if marker in seen:
            raise CellError(f"{_show(item)} ghi hai lần (trùng với {_show(seen[marker])})")
        seen[marker] = item
        values.append(value)
    return values


def parse_skill_counts(text: str) -> dict[str, int]:
    """Skills a mobile point needs, "skill:count; skill:count" (e.g. "vneid:1; ihanoi:2")."""
    counts: dict[str, int] = {}
    for item in split_list(text):
        name, sep, count = item.rpartition(":")
        if not sep:
            raise CellError(f"{_show(item)} thiếu số người; hãy ghi kỹ_năng:số_người, ví dụ vneid:1")
        skill = parse_skill(clean(name))
        if skill in counts:
            raise CellError(f"kỹ năng '{skill}' ghi hai lần")
        counts[skill] = parse_int(clean(count), minimum=1, maximum=100)
    return counts


def join_list(items) -> str:
    return f"{LIST_SEPARATOR} ".join(items)
