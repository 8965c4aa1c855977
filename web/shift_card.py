"""What a volunteer's shift card says beyond the roster, and the week of their own shifts.

- where: the ward office (its address from ``[volunteers.wards]`` in campaign.toml, else "Trụ sở UBND …") or the
  mobile point's place, with a map link to that place: a ``geo:lat,lon?q=<address>`` URI, which phones open in
  their own map app, and an OpenStreetMap link; nothing is fetched from another site while the page loads. The
  office stands at :func:`geo.addresses.office_location`; a mobile point at
  :func:`geo.addresses.approximate_location` of its place's text (where the team's route sheet puts it), which is
  approximate, so the link also carries the address for the map app to search;
- whom to call: the ward's contact and the coordinators' hotline, as ``tel:`` links;
- what to bring: :meth:`scheduler.settings.VolunteerSettings.bring_for` of the person's pool and the slot's kind;
- the week: Monday to Sunday of one's own shifts (:func:`week`).

The settings are read from the stored campaign.toml once per stored campaign and process; a page's cards are
worked out once per ward, point, pool and kind of slot (:class:`CardFacts`).
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import date, timedelta
from urllib.parse import quote

from flask_babel import gettext as _

from geo.addresses import approximate_location, office_location
from scheduler.loader import CAMPAIGN_FILE, read_volunteer_settings
from scheduler.model import Campaign, MobilePoint
from scheduler.settings import DEFAULT_BRING, VolunteerSettings
from scheduler.tables import MemoryFile
from web.models import CampaignFile, db

logger = logging.getLogger(__name__)


def N_(text: str) -> str:
    """Marks a string for the catalogue without translating it yet (Babel's ``N_`` keyword)."""
    return text


#: The default items of :data:`scheduler.settings.DEFAULT_BRING`, for the catalogue (a test checks they agree):
#: a default is shown in the reader's language, an item the campaign wrote as it is.
DEFAULT_BRING_WORDS = (
    N_("Căn cước công dân (CCCD)"),
    N_("Điện thoại đã sạc đầy pin"),
    N_("Thẻ sinh viên"),
    N_("Thẻ nhân viên"),
    N_("Dụng cụ kỹ thuật"),
    N_("Sạc dự phòng"),
    N_("Mũ, áo mưa và nước uống"),
)
_DEFAULT_ITEMS = frozenset(item for items in DEFAULT_BRING.values() for item in items)

_lock = threading.Lock()
# id(campaign) -> (the campaign, its settings): a stored campaign object stands for one data revision (see
# web.store.campaign), and holding it keeps its id from being reused.
_settings: dict[int, tuple[Campaign, VolunteerSettings]] = {}


def volunteer_settings(campaign: Campaign | None) -> VolunteerSettings:
    """``[volunteers]`` of the stored campaign.toml that ``campaign`` was loaded from (the defaults without a
    campaign), read once per stored campaign and process."""
    if campaign is None:
        return VolunteerSettings()
    with _lock:
        found = _settings.get(id(campaign))
    if found is not None and found[0] is campaign:
        return found[1]
    record = db.session.get(CampaignFile, CAMPAIGN_FILE)
    try:
        settings = read_volunteer_settings(None if record is None else MemoryFile(CAMPAIGN_FILE, record.content))
    except Exception:  # a stored file that no longer reads: the pages still show the roster
        logger.exception("reading [volunteers] of the stored %s", CAMPAIGN_FILE)
        settings = VolunteerSettings()
    with _lock:
        if len(_settings) >= 2:  # an old campaign is not kept alive for long
            _settings.clear()
        _settings[id(campaign)] = (campaign, settings)
    return settings


class CardFacts:
    """Where, whom to call and what to bring for the cards of one page, each ward's, point's and pool's once."""

    def __init__(self, campaign: Campaign | None):
        self.campaign = campaign
        self.settings = volunteer_settings(campaign)
        self._known: dict[tuple, dict] = {}

    def of(self, ward_code: str, point: MobilePoint | None, pool: str, kind: str) -> dict:
        """``address``, ``approximate``, ``geo``, ``osm`` (:func:`place`), ``contacts`` and ``bring`` of a slot."""
        key = (ward_code, point.id if point is not None else None, pool, kind)
        found = self._known.get(key)
        if found is None:
            found = {
                **place(self.campaign, self.settings, ward_code, point),
                "contacts": contacts(self.settings, ward_code),
                "bring": bring(self.settings, pool, kind),
            }
            self._known[key] = found
        return found


# ------------------------------------------------------------------------------------------- where


@functools.lru_cache(maxsize=4096)
def _office(ward_code: str) -> tuple[float, float] | None:
    try:
        return office_location(ward_code)
    except KeyError:
        return None


@functools.lru_cache(maxsize=4096)
def _point(ward_code: str, place: str) -> tuple[float, float] | None:
    try:
        return approximate_location(ward_code, place)
    except KeyError:
        return None


def map_links(lat: float, lon: float, query: str) -> dict[str, str]:
    """The ``geo:`` URI (the phone's map app, searching ``query`` near the point) and an OpenStreetMap link."""
    lat, lon = round(lat, 6), round(lon, 6)
    return {
        "geo": f"geo:{lat},{lon}?q={quote(query, safe='')}",
        "osm": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}",
    }


def place(campaign: Campaign | None, settings: VolunteerSettings, ward_code: str, point: MobilePoint | None) -> dict:
    """Where a slot is: ``address`` to read, ``lat``/``lon`` and the ``geo`` and ``osm`` links to that place (None
    and empty when the ward is not known), and ``approximate`` when the point is placed from its text."""
    ward = None
    if campaign is not None:
        try:
            ward = campaign.ward(ward_code)
        except KeyError:
            ward = None
    ward_name = ward.name if ward is not None else ward_code
    province = campaign.province if campaign is not None else ""
    if point is not None:
        address = f"{point.place}, {ward_name}"
        spot = _point(ward_code, point.place)
        approximate = True
    else:
        contact = settings.ward(ward_code)
        if contact is not None and contact.office:
            address = contact.office
            query_head = f"{contact.office}, {ward_name}"
        else:
            address = _("Trụ sở UBND %(ward)s", ward=ward_name)
            query_head = f"UBND {ward_name}"
        spot = _office(ward_code)
        approximate = False
    if spot is None and ward is not None:
        spot = (ward.lat, ward.lon)
    query = ", ".join(part for part in ((address if point is not None else query_head), province) if part)
    links = map_links(spot[0], spot[1], query) if spot is not None else {"geo": "", "osm": ""}
    return {
        "address": address,
        "approximate": approximate and spot is not None,
        "lat": spot[0] if spot is not None else None,
        "lon": spot[1] if spot is not None else None,
        **links,
    }


# ------------------------------------------------------------------------------------------- whom to call


def phone_label(digits: str) -> str:
    """A phone number grouped as people read it: "0912 345 678", "024 3825 6789", "1022"."""
    if len(digits) == 10 and digits.startswith("0"):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if len(digits) == 11 and digits.startswith("0"):
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if len(digits) == 10 and digits[:4] in ("1800", "1900"):
        return f"{digits[:4]} {digits[4:7]} {digits[7:]}"
    if len(digits) == 8 and digits[:4] in ("1800", "1900"):
        return f"{digits[:4]} {digits[4:]}"
    return digits


def tel_uri(digits: str) -> str:
    """``tel:`` in the international form for a national number (``tel:+84912345678``), as is otherwise."""
    return f"tel:+84{digits[1:]}" if digits.startswith("0") else f"tel:{digits}"


def contacts(settings: VolunteerSettings, ward_code: str) -> list[dict]:
    """Whom a volunteer of ``ward_code`` calls: the ward's contact (when the campaign names one with a phone),
    then the coordinators' hotline; each with ``role``, ``name``, ``phone`` (as read) and ``tel``."""
    found = []
    ward = settings.ward(ward_code)
    if ward is not None and ward.phone:
        found.append(
            {
                "role": _("Đầu mối xã, phường"),
                "name": ward.contact,
                "phone": phone_label(ward.phone),
                "tel": tel_uri(ward.phone),
            }
        )
    hotline = hotline_contact(settings)
    if hotline is not None:
        found.append(hotline)
    return found


def hotline_contact(settings: VolunteerSettings) -> dict | None:
    """The coordinators' hotline as a contact, or None when the campaign gives none."""
    if not settings.hotline_phone:
        return None
    return {
        "role": _("Tổ điều phối"),
        "name": settings.hotline_name,
        "phone": phone_label(settings.hotline_phone),
        "tel": tel_uri(settings.hotline_phone),
    }


# ------------------------------------------------------------------------------------------- what to bring


def bring(settings: VolunteerSettings, pool: str, kind: str) -> list[str]:
    """What to bring to a slot, the defaults in the reader's language and the campaign's own items as written."""
    return [_(item) if item in _DEFAULT_ITEMS else item for item in settings.bring_for(pool, kind)]


# ------------------------------------------------------------------------------------------- the week


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _week_range(campaign: Campaign | None, items: list[dict]) -> tuple[date | None, date | None]:
    """The Mondays of the first and last weeks of the campaign and of the person's shifts (None: unbounded)."""
    mondays = [monday(item["row"].date) for item in (items[:1] + items[-1:])]
    if campaign is not None:
        mondays += [monday(campaign.start_date), monday(campaign.end_date)]
    return (min(mondays), max(mondays)) if mondays else (None, None)


def week_start(asked: str | None, today: date, campaign: Campaign | None, items: list[dict]) -> date:
    """The Monday of the week to show: the one of ``asked`` (an ISO date) if it reads, else this week; kept
    within the campaign's weeks (and the weeks of the person's shifts)."""
    first, last = _week_range(campaign, items)
    start = monday(today)
    if asked:
        try:
            start = monday(date.fromisoformat(asked[:10]))
        except (ValueError, OverflowError):
            pass
    if first is not None and start < first:
        start = first
    if last is not None and start > last:
        start = last
    return start


def week(items: list[dict], start: date, today: date, campaign: Campaign | None) -> dict:
    """The seven days from ``start`` (a Monday) with the person's shifts of each (``items`` as
    :func:`web.volunteer.describe` gives them), today marked; the hours of the week (shifts the person said
    they cannot work left out); the previous and next week when the campaign or the person's shifts reach them;
    and the week of the next shift when this one has none ahead."""
    days = [start + timedelta(days=offset) for offset in range(7)]
    by_day: dict[date, list[dict]] = {day: [] for day in days}
    for item in items:
        if item["row"].date in by_day:
            by_day[item["row"].date].append(item)
    minutes = sum(
        (item["end"] - item["start"]).total_seconds() / 60
        for day in days
        for item in by_day[day]
        if not item["reported"]
    )
    first, last = _week_range(campaign, items)
    previous = start - timedelta(days=7)
    following = start + timedelta(days=7)
    ahead = [item for item in items if item["upcoming"]]
    next_week = monday(ahead[0]["row"].date) if ahead else None
    return {
        "start": start,
        "end": days[-1],
        "days": [{"date": day, "today": day == today, "items": by_day[day]} for day in days],
        "count": sum(len(by_day[day]) for day in days),
        "hours": minutes / 60,
        "previous": previous if first is None or previous >= first else None,
        "next": following if last is None or following <= last else None,
        "this_week": monday(today),
        "next_shift_week": next_week if next_week is not None and next_week != start else None,
    }
