"""The words of the notices the outbox sends: a roster published, a roster changed, a reminder.

Each builder returns a :class:`Notice`: a subject and a full Vietnamese text for e-mail, and a short
Vietnamese text for SMS, which :func:`sms_text` turns into one plain-ASCII segment. The texts name
shifts the way the volunteer's page does ("Thứ Năm 21/08/2025, Ca sáng 07:30–11:30, Phường Định
Công") and never carry a personal link or code: the volunteer signs in on "Ca trực của tôi".
"""

from __future__ import annotations

from dataclasses import dataclass

from unidecode import unidecode

from scheduler.cells import format_date, format_time
from scheduler.model import MINUTES_PER_DAY, Assignment, Campaign, Person

SMS_MAX_CHARS = 160  # one GSM-7 segment
WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
SLOTS_LISTED = 10  # shifts named in one e-mail; the rest are counted
SIGNATURE = "Ban điều phối chiến dịch 45 ngày đêm ra quân hỗ trợ chuyển đổi số"


@dataclass(frozen=True)
class Notice:
    """What one person is told: the e-mail's subject and text, and the SMS text before it is made ASCII."""

    subject: str
    text: str
    sms: str


def sms_text(text_vi: str, limit: int = SMS_MAX_CHARS) -> str:
    """Vietnamese text as one SMS: without diacritics, plain ASCII, spaces collapsed, at most ``limit`` characters.

    A text that is too long is cut at a word boundary and ends with "...".
    """
    plain = " ".join(unidecode(text_vi).split())
    plain = "".join(ch for ch in plain if 32 <= ord(ch) < 127)
    if len(plain) <= limit:
        return plain
    cut = plain[: limit - 3]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "..."


def first_name(person: Person) -> str:
    parts = person.name.split()
    return parts[-1] if parts else person.name


def _hours(start_minute: int, end_minute: int) -> str:
    text = f"{format_time(start_minute)}–{format_time(end_minute % MINUTES_PER_DAY or MINUTES_PER_DAY)}"
    return text + (" (hôm sau)" if end_minute > MINUTES_PER_DAY else "")


def _ward_name(campaign: Campaign, code: str) -> str:
    try:
        return campaign.ward(code).name
    except KeyError:
        return code


def slot_text(campaign: Campaign, assignment: Assignment, with_date: bool = True) -> str:
    """ "Thứ Năm 21/08/2025, Ca sáng 07:30–11:30, Phường Định Công"."""
    parts = [f"{WEEKDAYS[assignment.date.weekday()]} {format_date(assignment.date)}"] if with_date else []
    if assignment.shift_id:
        try:
            shift = campaign.shift(assignment.shift_id)
            parts.append(f"{shift.name} {_hours(shift.start_minute, shift.end_minute)}")
        except KeyError:
            parts.append(assignment.shift_id)
    elif assignment.mobile_point_id:
        try:
            point = campaign.mobile_point(assignment.mobile_point_id)
            parts.append(f"điểm lưu động {point.place} {_hours(point.start_minute, point.end_minute)}")
        except KeyError:
            parts.append(f"điểm lưu động {assignment.mobile_point_id}")
    parts.append(_ward_name(campaign, assignment.ward_code))
    return ", ".join(parts)


def _short_slot(campaign: Campaign, assignment: Assignment) -> str:
    """ "21/08 Ca sáng 07:30, Phường Định Công": for an SMS."""
    when = assignment.date.strftime("%d/%m")
    start = ""
    if assignment.shift_id:
        try:
            shift = campaign.shift(assignment.shift_id)
            start = f"{shift.name} {format_time(shift.start_minute)}"
        except KeyError:
            start = assignment.shift_id
    elif assignment.mobile_point_id:
        try:
            start = f"điểm lưu động {format_time(campaign.mobile_point(assignment.mobile_point_id).start_minute)}"
        except KeyError:
            start = "điểm lưu động"
    return f"{when} {start}, {_ward_name(campaign, assignment.ward_code)}"


def _start_minute(campaign: Campaign, assignment: Assignment) -> int:
    try:
        if assignment.shift_id:
            return campaign.shift(assignment.shift_id).start_minute
        if assignment.mobile_point_id:
            return campaign.mobile_point(assignment.mobile_point_id).start_minute
    except KeyError:
        pass
    return 0


def in_order(campaign: Campaign, assignments: list[Assignment]) -> list[Assignment]:
    """By date and start time."""
    return sorted(assignments, key=lambda a: (a.date, _start_minute(campaign, a), a.shift_id or "", a.ward_code))


def _listed(campaign: Campaign, assignments: list[Assignment]) -> list[str]:
    ordered = in_order(campaign, assignments)
    lines = [f"- {slot_text(campaign, a)}" for a in ordered[:SLOTS_LISTED]]
    if len(ordered) > SLOTS_LISTED:
        lines.append(f"- và {len(ordered) - SLOTS_LISTED} ca khác")
    return lines


def _closing(page_url: str | None) -> list[str]:
    where = f"trang Ca trực của tôi: {page_url}" if page_url else "trang Ca trực của tôi"
    return [
        "",
        f"Xem lịch đầy đủ, thêm vào lịch điện thoại hoặc báo không đến được tại {where} "
        "(đăng nhập bằng số điện thoại và mã cá nhân).",
        "",
        SIGNATURE,
    ]


def published_notice(campaign: Campaign, person: Person, assignments: list[Assignment], page_url=None) -> Notice:
    """The first roster a person is in: how many shifts and which."""
    ordered = in_order(campaign, assignments)
    lines = [
        f"Chào {first_name(person)},",
        "",
        f"Lịch trực chiến dịch đã được công bố. Bạn có {len(ordered)} ca:",
        *_listed(campaign, ordered),
        *_closing(page_url),
    ]
    first = _short_slot(campaign, ordered[0]) if ordered else ""
    sms = f"Ra Quân: lịch trực đã công bố, bạn có {len(ordered)} ca, ca đầu {first}. Xem trang Ca trực của tôi."
    return Notice("Lịch trực chiến dịch Ra Quân của bạn", "\n".join(lines), sms)


def changed_notice(
    campaign: Campaign, person: Person, added: list[Assignment], removed: list[Assignment], page_url=None
) -> Notice:
    """A new version changes a person's shifts: the shifts added (to confirm) and the shifts taken off."""
    lines = [f"Chào {first_name(person)},", "", "Lịch trực của bạn đã thay đổi."]
    if added:
        lines += ["", "Ca mới (vui lòng bấm Nhận ca hoặc Không nhận trên trang của bạn):", *_listed(campaign, added)]
    if removed:
        lines += ["", "Ca không còn trong lịch của bạn:", *_listed(campaign, removed)]
    lines += _closing(page_url)
    parts = []
    if added:
        parts.append(f"thêm {len(added)} ca ({_short_slot(campaign, in_order(campaign, added)[0])})")
    if removed:
        parts.append(f"bỏ {len(removed)} ca ({_short_slot(campaign, in_order(campaign, removed)[0])})")
    sms = f"Ra Quân: lịch trực của bạn đã thay đổi: {'; '.join(parts)}. Xem và xác nhận trên trang Ca trực của tôi."
    return Notice("Lịch trực của bạn đã thay đổi", "\n".join(lines), sms)


def reminder_notice(campaign: Campaign, person: Person, assignments: list[Assignment], page_url=None) -> Notice:
    """The evening before: tomorrow's shifts."""
    ordered = in_order(campaign, assignments)
    day = ordered[0].date
    lines = [
        f"Chào {first_name(person)},",
        "",
        f"Nhắc lịch: ngày mai, {WEEKDAYS[day.weekday()]} {format_date(day)}, bạn có ca trực:",
        *[f"- {slot_text(campaign, a, with_date=False)}" for a in ordered],
        "",
        "Nếu không thể đến, hãy báo ngay trên trang Ca trực của tôi để điều phối viên sắp xếp người thay.",
        *_closing(page_url)[1:],
    ]
    slots = "; ".join(_short_slot(campaign, a) for a in ordered)
    sms = f"Ra Quân nhắc lịch: ngày mai bạn trực {slots}. Không đến được, hãy báo trên trang Ca trực của tôi."
    return Notice(f"Nhắc lịch: ngày mai {format_date(day)} bạn có ca trực", "\n".join(lines), sms)
