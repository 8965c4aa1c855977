"""The administrative units of Vietnam (2025), read offline from `vietnamadminunits`.

The package ships a SQLite dataset of the 34 provinces and 3,321 communes of the
two-level government (official code, name, type, centroid, official area) and the
pre-2025 units. This module is the only reader of that dataset; it hands out
plain :class:`AdminUnit` records and never touches the network.

Names match with or without diacritics: :func:`fold` turns "Phường Định Công"
into "phuong dinh cong".
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import logging
import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import vietnamadminunits

logger = logging.getLogger(__name__)

DATASET_PATH = Path(vietnamadminunits.__file__).parent / "data" / "dataset.db"

# Prefixes a user may write before a name; folded.
_PROVINCE_PREFIXES = ("thanh pho ", "tinh ", "tp. ", "tp ")
_COMMUNE_PREFIXES = ("phuong ", "xa ", "dac khu ", "p. ", "x. ")


class UnknownPlaceError(LookupError):
    """A province or commune name that matches nothing; carries suggestions."""

    def __init__(self, kind: str, query: str, suggestions: list[str]):
        self.kind = kind
        self.query = query
        self.suggestions = suggestions
        message = f"không tìm thấy {kind} '{query}'"
        if suggestions:
            message += f" — có phải '{suggestions[0]}'?"
        super().__init__(message)


class OfflineGeocodingError(RuntimeError):
    """The address converter wanted a network geocoder, which Ra Quân never uses."""


@dataclass(frozen=True)
class Province:
    code: str  # two digits, "01" for Hà Nội
    name: str  # "Thành phố Hà Nội"
    short_name: str  # "Hà Nội"


@dataclass(frozen=True)
class AdminUnit:
    """One commune-level unit (xã, phường, đặc khu) of 2025."""

    code: str
    name: str
    short_name: str
    kind: str
    province: str
    province_code: str
    lat: float
    lon: float
    area_km2: float | None


def fold(text: str) -> str:
    """Lower-case ASCII key of a Vietnamese name: no diacritics, đ→d, single spaces."""
    text = unicodedata.normalize("NFD", str(text).replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[\s_]+", " ", text.lower()).strip()
    return text


def _strip_prefix(key: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if key.startswith(prefix):
            return key[len(prefix):].strip()
    return key


@functools.lru_cache(maxsize=1)
def _rows() -> tuple[AdminUnit, ...]:
    with contextlib.closing(sqlite3.connect(f"file:{DATASET_PATH}?mode=ro", uri=True)) as conn:
        cursor = conn.execute(
            "SELECT wardCode, ward, wardShort, wardType, province, provinceCode, wardLat, wardLon, wardAreaKm2 "
            "FROM admin_units ORDER BY provinceCode, wardCode")
        units = []
        for code, name, short, kind, province, pcode, lat, lon, area in cursor:
            units.append(AdminUnit(code=code, name=name, short_name=short, kind=kind, province=province,
                                   province_code=pcode, lat=float(lat), lon=float(lon),
                                   area_km2=float(area) if area else None))
    return tuple(units)


@functools.lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """The 34 provinces and centrally run cities, by code."""
    with contextlib.closing(sqlite3.connect(f"file:{DATASET_PATH}?mode=ro", uri=True)) as conn:
        rows = conn.execute("SELECT DISTINCT provinceCode, province, provinceShort FROM admin_units "
                            "ORDER BY provinceCode").fetchall()
    return tuple(Province(code, name, short) for code, name, short in rows)


def find_province(query: str) -> Province:
    """The province named by ``query`` ("Hà Nội", "Ha Noi", "Thành phố Hà Nội" or "01").

    Raises
    ------
    UnknownPlaceError
        When nothing matches; the error suggests the closest name.
    """
    key = _strip_prefix(fold(query), _PROVINCE_PREFIXES)
    for province in provinces():
        if key in (province.code, fold(province.short_name), fold(province.name)):
            return province
    names = {fold(p.short_name): p.name for p in provinces()}
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    raise UnknownPlaceError("tỉnh/thành phố", query, [names[c] for c in close])


def communes(province: str | None = None) -> tuple[AdminUnit, ...]:
    """Every commune of Vietnam (3,321), or of one province, ordered by code."""
    if province is None:
        return _rows()
    code = find_province(province).code
    return tuple(u for u in _rows() if u.province_code == code)


def commune_by_code(code: str) -> AdminUnit:
    """The commune with this official code. Raises KeyError when there is none."""
    index = _code_index()
    key = str(code).strip()
    if key.isdigit():
        key = key.zfill(5)
    return index[key]


@functools.lru_cache(maxsize=1)
def _code_index() -> dict[str, AdminUnit]:
    return {u.code: u for u in _rows()}


def find_commune(query: str, province: str | None = None) -> AdminUnit:
    """The commune named by ``query``: its code, its full or short name, with or without diacritics.

    A short name shared by several communes of the province ("Đông Anh" is both a
    xã and, elsewhere, a name in a phường) needs the type prefix to be unambiguous.

    Raises
    ------
    UnknownPlaceError
        When nothing or several things match; the error suggests names.
    """
    text = str(query).strip()
    candidates = communes(province)
    if text.isdigit():
        code = text.zfill(5)
        for unit in candidates:
            if unit.code == code:
                return unit
        raise UnknownPlaceError("xã/phường có mã", text, [])
    key = fold(text)
    full = [u for u in candidates if fold(u.name) == key]
    if len(full) == 1:
        return full[0]
    short_key = _strip_prefix(key, _COMMUNE_PREFIXES)
    short = [u for u in candidates if fold(u.short_name) == short_key]
    if len(short) == 1 and (short_key != key or not full):
        return short[0]
    if len(short) > 1:
        raise UnknownPlaceError("duy nhất xã/phường", text, [u.name for u in short])
    names = {fold(u.name): u.name for u in candidates}
    names.update({fold(u.short_name): u.name for u in candidates})
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(short_key, list(names), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(names[c] for c in close))
    raise UnknownPlaceError("xã/phường", text, suggestions)


_converter_lock = threading.Lock()


def _refuse_network(address):
    raise OfflineGeocodingError(
        f"địa chỉ '{address}' cần tra cứu trực tuyến để chuyển sang đơn vị hành chính mới; "
        "Ra Quân không dùng mạng — hãy bỏ số nhà, tên đường và chỉ ghi phường/xã, quận/huyện, tỉnh/thành")


def convert_legacy_address(address: str) -> AdminUnit:
    """The 2025 commune of a pre-2025 address ("Phường Mộ Lao, Quận Hà Đông, Hà Nội"), offline.

    The package's converter geocodes an address online when an old ward was split
    and a street is given; that path is refused here.

    Raises
    ------
    OfflineGeocodingError
        When the conversion would need the network geocoder.
    UnknownPlaceError
        When the address does not name a known commune.
    """
    from vietnamadminunits.converter import converter_2025

    with _converter_lock:
        original = converter_2025.get_geo_location
        converter_2025.get_geo_location = _refuse_network
        try:
            unit = converter_2025.convert_address_2025(address)
        except OfflineGeocodingError:
            raise
        except Exception as error:  # the package raises bare exceptions for unknown places
            raise UnknownPlaceError("địa chỉ", address, []) from error
        finally:
            converter_2025.get_geo_location = original
    if not unit.ward_code:
        raise UnknownPlaceError("xã/phường của địa chỉ", address, [])
    return commune_by_code(unit.ward_code)
