"""The administrative units of Vietnam (2025), read offline from `vietnamadminunits`.

The package ships a SQLite dataset of the 34 provinces and 3,321 communes of the
two-level government (official code, name, type, centroid, official area) and the
pre-2025 units. This module is the only reader of that dataset; it hands out
plain :class:`AdminUnit` records and never touches the network. An official
area the package borrowed from a same-named commune elsewhere and that is far
too large for the commune's spacing is replaced by an estimate
(:mod:`geo.area_check`); ``AdminUnit.official_area_km2`` keeps the figure.

Names match with or without diacritics: :func:`fold` turns "Phường Định Công"
into "phuong dinh cong". :func:`match_commune` reads a ward as people write it
in a list: abbreviated ("P.Định Công"), followed by its old district or its
province ("Phường Định Công, Quận Hoàng Mai, Hà Nội"), or by its pre-2025 name,
converted with the package's old→new table ("Phường Bách Khoa" is now part of
Phường Bạch Mai) and reported in a note.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import difflib
import functools
import json
import logging
import re
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import vietnamadminunits

from geo import area_check

logger = logging.getLogger(__name__)

DATASET_PATH = Path(vietnamadminunits.__file__).parent / "data" / "dataset.db"
# The package's table of the 2025 reform: each pre-2025 commune (province_district_ward key) → its new one(s).
CONVERTER_PATH = Path(vietnamadminunits.__file__).parent / "data" / "converter_2025.json"

# Prefixes a user may write before a name; folded.
_PROVINCE_PREFIXES = ("thanh pho ", "tinh ", "tp. ", "tp ")
_COMMUNE_PREFIXES = ("phuong ", "xa ", "dac khu ", "p. ", "x. ")
# Abbreviated types, with or without a space after the dot ("P.Định Công", "X. Thạch Hòa", "TT.Trâu Quỳ").
_ABBREVIATED_TYPE = re.compile(r"^(p|x|tt|dk)\s*\.\s*")
_TYPE_WORDS = {"p": "phuong ", "x": "xa ", "tt": "thi tran ", "dk": "dac khu "}
# Abbreviated old district and province types: "Q. Hoàng Mai", "H.Thạch Thất", "TX. Sơn Tây", "TP.HCM".
_ABBREVIATED_AREA = re.compile(r"^(q|h|tx|tp)\s*\.\s*")
_AREA_WORDS = ("thanh pho ", "thi xa ", "quan ", "huyen ", "tinh ", "tp ", "tx ")
# What a place name holds once folded: letters, digits, spaces, and the ' and - of names such as "Ia H'Drai".
_PLAIN_NAME = re.compile(r"[a-z0-9 '\-]+")


class UnknownPlaceError(LookupError):
    """A province or commune name that matches nothing; carries suggestions.

    ``message``, when given, says more precisely why than "không tìm thấy …".
    """

    def __init__(self, kind: str, query: str, suggestions: list[str], message: str | None = None):
        self.kind = kind
        self.query = query
        self.suggestions = suggestions
        if message is None:
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
    #: The area the project uses: the package's official figure, or the estimate that replaced
    #: an implausible one (see :mod:`geo.area_check`).
    area_km2: float | None
    #: The package's official figure, as shipped.
    official_area_km2: float | None = None
    #: Why ``area_km2`` differs from ``official_area_km2`` (Vietnamese); None when it does not.
    area_note: str | None = None

    @property
    def area_corrected(self) -> bool:
        """Whether the official area was replaced by an estimate."""
        return self.area_note is not None


def fold(text: str) -> str:
    """Lower-case ASCII key of a Vietnamese name: no diacritics, đ→d, single spaces."""
    text = unicodedata.normalize("NFD", str(text).replace("Đ", "D").replace("đ", "d"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = re.sub(r"[\s_]+", " ", text.lower()).strip()
    return text


def _strip_prefix(key: str, prefixes: tuple[str, ...]) -> str:
    for prefix in prefixes:
        if key.startswith(prefix):
            return key[len(prefix) :].strip()
    return key


@functools.lru_cache(maxsize=1)
def _rows() -> tuple[AdminUnit, ...]:
    with contextlib.closing(sqlite3.connect(f"file:{DATASET_PATH}?mode=ro", uri=True)) as conn:
        cursor = conn.execute(
            "SELECT wardCode, ward, wardShort, wardType, province, provinceCode, wardLat, wardLon, wardAreaKm2 "
            "FROM admin_units ORDER BY provinceCode, wardCode"
        )
        units = []
        for code, name, short, kind, province, pcode, lat, lon, area in cursor:
            official = float(area) if area else None
            units.append(
                AdminUnit(
                    code=code,
                    name=name,
                    short_name=short,
                    kind=kind,
                    province=province,
                    province_code=pcode,
                    lat=float(lat),
                    lon=float(lon),
                    area_km2=official,
                    official_area_km2=official,
                )
            )
    return _with_plausible_areas(units)


def _with_plausible_areas(units: list[AdminUnit]) -> tuple[AdminUnit, ...]:
    """The units with each implausible official area replaced (rule and figures in :mod:`geo.area_check`)."""
    corrections = area_check.implausible_areas(units)
    per_province: collections.Counter[str] = collections.Counter()
    result = []
    for unit in units:
        correction = corrections.get(unit.code)
        if correction is not None:
            unit = dataclasses.replace(unit, area_km2=correction.area_km2, area_note=correction.note)
            per_province[unit.province] += 1
        result.append(unit)
    if per_province:
        logger.info(
            "replaced %d implausible official areas: %s",
            sum(per_province.values()),
            ", ".join(f"{name} {count}" for name, count in sorted(per_province.items(), key=lambda item: -item[1])),
        )
    return tuple(result)


@functools.lru_cache(maxsize=1)
def provinces() -> tuple[Province, ...]:
    """The 34 provinces and centrally run cities, by code."""
    with contextlib.closing(sqlite3.connect(f"file:{DATASET_PATH}?mode=ro", uri=True)) as conn:
        rows = conn.execute(
            "SELECT DISTINCT provinceCode, province, provinceShort FROM admin_units ORDER BY provinceCode"
        ).fetchall()
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
    An abbreviated type may be written without a space ("P.Định Công").

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
    found = _named(text, candidates)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise _ambiguous(text, found)
    raise UnknownPlaceError("xã/phường", text, _suggestions(text, candidates))


def _commune_key(text: str) -> str:
    """The folded name with an abbreviated type written out: "P.Định Công" → "phuong dinh cong"."""
    return _ABBREVIATED_TYPE.sub(lambda match: _TYPE_WORDS[match.group(1)], fold(text), count=1)


def _named(text: str, candidates: tuple[AdminUnit, ...]) -> list[AdminUnit]:
    """The communes a name means: the one with that full name, else those with that short name.

    Names are compared without diacritics; where that leaves several communes whose names differ only by
    their diacritics (Tây Ninh has a Xã Tân Thành and a Xã Tân Thạnh), the one written with its own
    diacritics is meant."""
    key = _commune_key(text)
    full = [u for u in candidates if fold(u.name) == key]
    if len(full) == 1:
        return full
    if len(full) > 1:
        return _by_diacritics(text, full)
    short_key = _strip_prefix(key, _COMMUNE_PREFIXES)
    short = [u for u in candidates if fold(u.short_name) == short_key]
    if len(short) == 1 and (short_key != key or not full):
        return short
    return _by_diacritics(text, short) if len(short) > 1 else []


def _ambiguous(text: str, found: list[AdminUnit]) -> UnknownPlaceError:
    names = [u.name for u in found]
    return UnknownPlaceError(
        "duy nhất xã/phường",
        text,
        names,
        f"'{text}' ứng với {len(names)} xã/phường: {', '.join(names)} — ghi đúng dấu hoặc ghi mã xã/phường",
    )


def _by_diacritics(text: str, found: list[AdminUnit]) -> list[AdminUnit]:
    """Of communes whose names fold alike, the one whose short name the text ends with, diacritics and all
    (all of them when the text leaves it open)."""
    written = " ".join(unicodedata.normalize("NFC", str(text)).lower().split())
    exact = [u for u in found if written == u.short_name.lower() or written.endswith(" " + u.short_name.lower())]
    exact = exact or [u for u in found if written.endswith("." + u.short_name.lower())]  # "X.Tân Thạnh"
    return exact if len(exact) == 1 else found


def _suggestions(text: str, candidates: tuple[AdminUnit, ...]) -> list[str]:
    key = _commune_key(text)
    names = {fold(u.name): u.name for u in candidates}
    names.update({fold(u.short_name): u.name for u in candidates})
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(_strip_prefix(key, _COMMUNE_PREFIXES), list(names), n=3, cutoff=0.6)
    return list(dict.fromkeys(names[c] for c in close))


# --- Wards as people write them -----------------------------------------------------------------


@dataclass(frozen=True)
class CommuneMatch:
    """The 2025 commune a written ward resolved to; ``note`` says what was done, None when it was named as is."""

    unit: AdminUnit
    note: str | None = None


@dataclass(frozen=True)
class _LegacyUnit:
    """A commune before the 2025 reform, and the 2025 commune(s) it went into."""

    name: str  # "Phường Bách Khoa"
    district: str  # "Quận Hai Bà Trưng"
    district_key: str  # compact: "quanhaibatrung"
    province_code: str  # of the 2025 province it belongs to now
    keywords: frozenset[str]  # compact forms of its name: "phuongbachkhoa", "bachkhoa", aliases
    district_keywords: frozenset[str]
    new_codes: tuple[str, ...]  # 2025 commune codes; several when it was split


def _compact(text: str) -> str:
    """The folded text without spaces or punctuation, as the package's keys are: "Quận 1" → "quan1"."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _area_keys(text: str) -> set[str]:
    """Compact keys of a district or province as written, with and without its type ("Q. Hoàng Mai");
    none when it holds other characters than a name has."""
    key = _ABBREVIATED_AREA.sub("", fold(text), count=1)
    if not _PLAIN_NAME.fullmatch(key):
        return set()
    return {_compact(key), _compact(_strip_prefix(key, _AREA_WORDS))}


@functools.lru_cache(maxsize=1)
def _reform() -> tuple[dict[str, str], tuple[_LegacyUnit, ...]]:
    """The package's old→new table: old province key → new province code, and every pre-2025 commune."""
    with open(CONVERTER_PATH, encoding="utf-8") as handle:
        table = json.load(handle)
    with contextlib.closing(sqlite3.connect(f"file:{DATASET_PATH}?mode=ro", uri=True)) as conn:
        new_codes = {
            (pkey, wkey): code
            for pkey, wkey, code in conn.execute("SELECT provinceKey, wardKey, wardCode FROM admin_units")
        }
        province_codes = dict(conn.execute("SELECT DISTINCT provinceKey, provinceCode FROM admin_units"))
        legacy = conn.execute(
            "SELECT provinceKey, districtKey, wardKey, ward, district, wardKeywords, districtKeywords "
            "FROM admin_units_legacy WHERE wardKey IS NOT NULL"
        ).fetchall()
    new_province = {old: new for new, olds in table["DICT_PROVINCE"].items() for old in olds}
    targets: dict[str, list[str]] = {}
    for wards in table["DICT_PROVINCE_WARD_NO_DIVIDED"].values():
        for new_wkey, olds in wards.items():
            for old in olds:
                targets.setdefault(old, []).append(new_wkey)
    for olds in table["DICT_PROVINCE_WARD_DIVIDED"].values():
        for old, parts in olds.items():
            targets.setdefault(old, []).extend(part["newWardKey"] for part in parts)
    units = []
    for pkey, dkey, wkey, name, district, ward_keywords, district_keywords in legacy:
        npkey = new_province.get(pkey)
        codes = tuple(
            dict.fromkeys(
                new_codes[(npkey, key)] for key in targets.get(f"{pkey}_{dkey}_{wkey}", ()) if (npkey, key) in new_codes
            )
        )
        if not codes:
            continue
        units.append(
            _LegacyUnit(
                name=name,
                district=district,
                district_key=dkey,
                province_code=province_codes[npkey],
                keywords=frozenset(json.loads(ward_keywords or "[]")) | {wkey, _compact(name)},
                district_keywords=frozenset(json.loads(district_keywords or "[]")) | {dkey, _compact(district)},
                new_codes=codes,
            )
        )
    return {old: province_codes[new] for old, new in new_province.items() if new in province_codes}, tuple(units)


@functools.lru_cache(maxsize=64)
def _legacy_by_keyword(province_code: str | None) -> dict[str, tuple[_LegacyUnit, ...]]:
    """Pre-2025 communes of a (2025) province, or of all, by each compact keyword of their name."""
    index: dict[str, list[_LegacyUnit]] = {}
    for unit in _reform()[1]:
        if province_code is None or unit.province_code == province_code:
            for keyword in unit.keywords:
                index.setdefault(keyword, []).append(unit)
    return {keyword: tuple(found) for keyword, found in index.items()}


@functools.lru_cache(maxsize=1)
def _province_keywords() -> dict[str, str]:
    """Compact names, short names and aliases of the 2025 provinces and of the old ones → 2025 province code."""
    with contextlib.closing(sqlite3.connect(f"file:{DATASET_PATH}?mode=ro", uri=True)) as conn:
        now = conn.execute("SELECT DISTINCT provinceCode, provinceKeywords FROM admin_units").fetchall()
        before = conn.execute("SELECT DISTINCT provinceKey, provinceKeywords FROM admin_units_legacy").fetchall()
    keywords: dict[str, str] = {}
    old_codes = _reform()[0]
    for old_key, words in before:
        if old_key in old_codes:
            keywords.update((word, old_codes[old_key]) for word in json.loads(words or "[]"))
    for code, words in now:  # a 2025 name wins over an old one
        keywords.update((word, code) for word in json.loads(words or "[]"))
    return keywords


def _legacy_named(text: str, province_code: str | None) -> tuple[_LegacyUnit, ...]:
    """The pre-2025 communes of a province (or of all) that a name means."""
    key = _commune_key(text)
    if not _PLAIN_NAME.fullmatch(key):
        return ()
    return _legacy_by_keyword(province_code).get(_compact(key), ())


@functools.lru_cache(maxsize=64)
def _old_districts(province_code: str) -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """Of a 2025 province: each compact keyword of an old district → its district keys, and each 2025 commune
    code → the keys of the old districts it took land from."""
    by_keyword: dict[str, set[str]] = {}
    by_code: dict[str, set[str]] = {}
    for unit in _reform()[1]:
        if unit.province_code == province_code:
            for keyword in unit.district_keywords:
                by_keyword.setdefault(keyword, set()).add(unit.district_key)
            for code in unit.new_codes:
                by_code.setdefault(code, set()).add(unit.district_key)
    return (
        {key: frozenset(value) for key, value in by_keyword.items()},
        {key: frozenset(value) for key, value in by_code.items()},
    )


def _named_province(text: str) -> Province | None:
    keywords = _province_keywords()
    code = next((keywords[key] for key in _area_keys(text) if key in keywords), None)
    return next((p for p in provinces() if p.code == code), None) if code else None


def match_commune(query: str, province: str) -> CommuneMatch:
    """The 2025 commune of ``province`` that a ward cell names, written as people write it.

    Accepted forms: the official code; the full or short name with or without diacritics,
    the type abbreviated with or without a space ("P.Định Công", "X.Thạch Hòa"); either
    followed, after commas, by its pre-2025 district and/or its province ("Phường Định Công,
    Quận Hoàng Mai, Hà Nội"); and a pre-2025 name, converted offline with the package's
    old→new table and reported in the note ("Phường Bách Khoa" → Phường Bạch Mai). A 2025
    name wins over an old one; an old district written after a 2025 name must be one the
    2025 commune took land from, and after an old name it picks among old communes of that name.

    Parameters
    ----------
    query
        The cell's text.
    province
        The campaign's province, as :func:`find_province` takes it.

    Returns
    -------
    CommuneMatch
        The commune, and a note (Vietnamese) when the text was an old name.

    Raises
    ------
    UnknownPlaceError
        With a message saying why: nothing matches (with suggestions); an old commune was
        split among several new ones (naming them); several old communes have the name; the
        commune is in another province (naming it); a code of another province; a part after
        a comma that is neither a district nor a province.
    """
    home = find_province(province)
    text = str(query).strip()
    candidates = communes(home.code)
    if text.isdigit():
        try:
            return CommuneMatch(find_commune(text, home.code))
        except UnknownPlaceError as error:
            try:
                other = commune_by_code(text)
            except KeyError:
                raise error from None
            raise UnknownPlaceError(
                "xã/phường có mã",
                text,
                [],
                f"mã {other.code} là {other.name}, {other.province} — không thuộc {home.name}",
            ) from None

    name, *rest = [part.strip() for part in text.split(",")]
    districts: set[str] = set()  # keys of the old districts written
    written = None
    for part in filter(None, rest):
        elsewhere = _named_province(part)
        if elsewhere is not None and elsewhere.code != home.code:
            raise _elsewhere(text, name, home, candidates, (part, elsewhere))
        if elsewhere is None:
            district_keys = _old_districts(home.code)[0]
            known = set().union(*(district_keys.get(key, ()) for key in _area_keys(part)))
            if not known:
                raise UnknownPlaceError(
                    "xã/phường",
                    text,
                    [],
                    (
                        f"không hiểu '{part}' trong '{text}': sau tên xã/phường chỉ ghi quận/huyện (cũ) hoặc "
                        f"tỉnh/thành phố ({home.name})"
                    ),
                )
            districts |= known
            written = part

    found = _named(name, candidates)
    if len(found) > 1:
        raise _ambiguous(text, found)
    if found and not districts:
        return CommuneMatch(found[0])
    old = [unit for unit in _legacy_named(name, home.code) if not districts or unit.district_key in districts]
    if found and not old:  # a 2025 name and an old district: the district must be one it took land from
        unit = found[0]
        if not districts & _old_districts(home.code)[1].get(unit.code, frozenset()):
            raise UnknownPlaceError(
                "xã/phường",
                text,
                [],
                (
                    f"{unit.name} không gồm phần nào của {written} cũ; hãy kiểm tra lại quận/huyện, "
                    "hoặc chỉ ghi tên xã/phường"
                ),
            )
        return CommuneMatch(unit)
    if not old:
        raise _elsewhere(text, name, home, candidates)
    codes = list(dict.fromkeys(code for unit in old for code in unit.new_codes))
    if found and found[0].code in codes:  # the old commune of that name went (partly) into its namesake
        return CommuneMatch(found[0])
    new = [commune_by_code(code) for code in codes]
    described = "; ".join(f"{unit.name}, {unit.district}" for unit in old)
    listed = ", ".join(unit.name for unit in new)
    if len(new) == 1:
        return CommuneMatch(new[0], f"'{name}' là tên trước 01/07/2025 ({described}); nay thuộc {listed}")
    if len(old) == 1:
        message = f"'{name}' là tên trước 01/07/2025 ({described}), nay đã chia cho {listed}; hãy ghi tên xã/phường mới"
    else:
        message = (
            f"có {len(old)} xã/phường cũ tên '{name}' ({described}), nay thuộc {listed}; "
            "hãy ghi tên xã/phường mới, hoặc thêm quận/huyện cũ sau dấu phẩy"
        )
    raise UnknownPlaceError("xã/phường", text, [unit.name for unit in new], message)


def _elsewhere(
    text: str, name: str, home: Province, candidates: tuple[AdminUnit, ...], written: tuple[str, Province] | None = None
) -> UnknownPlaceError:
    """The error for a ward not found in ``home``: the province(s) it is a commune of (now or before 2025),
    or the province the text named, else the nearest names of ``home``."""
    places = {unit.province for unit in _named(name, communes())}
    if not places:
        codes = {unit.province_code for unit in _legacy_named(name, None)}
        places = {p.name for p in provinces() if p.code in codes}
    if written is not None and written[1].name in places:
        places = {written[1].name}
    places.discard(home.name)
    if places:
        return UnknownPlaceError(
            "xã/phường", text, [], f"'{name}' thuộc {', '.join(sorted(places))}, không thuộc {home.name}"
        )
    if written is not None:
        part, province = written
        same = fold(part) in (fold(province.name), fold(province.short_name))
        shown = province.name if same else f"{part}, nay thuộc {province.name}"
        return UnknownPlaceError(
            "xã/phường", text, [], f"'{text}' ghi tỉnh/thành phố khác ({shown}); chiến dịch ở {home.name}"
        )
    return UnknownPlaceError("xã/phường", text, _suggestions(name, candidates))


_converter_lock = threading.Lock()


def _refuse_network(address):
    raise OfflineGeocodingError(
        f"địa chỉ '{address}' cần tra cứu trực tuyến để chuyển sang đơn vị hành chính mới; "
        "Ra Quân không dùng mạng — hãy bỏ số nhà, tên đường và chỉ ghi phường/xã, quận/huyện, tỉnh/thành"
    )


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
