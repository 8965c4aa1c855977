"""The daily list of people who need a mobile visit: read from a ward's XLSX/CSV or the phone form.

Every afternoon before the cut-off (15:00 by default) the leaders of residential groups and hamlets
send the ward the people who need an administrative procedure but cannot use the online service or
cannot travel (ward plan, III.7 and III.10). The ward uploads that list, or types one person at a
time on the phone form. Both go through one parser, :func:`_read_rows`, on top of the campaign
tables' importer (:func:`scheduler.tables.read_table`: title rows above the header, Vietnamese
headers, merged cells) and the loader's row reader, so every problem names its row and column and
all are collected before anything is kept.

* :data:`VISIT_REQUESTS` — the columns, with the Vietnamese headers a ward writes.
* :func:`read_visit_requests` — a whole list; all or nothing: one error and no request is returned.
* :func:`request_from_form` — one person from the form's fields, by canonical column name.
* :func:`write_visit_requests_template` — the blank list a ward downloads (Vietnamese headers and one
  example row); :func:`write_visit_requests` — a day's list in the canonical form, readable again.

The columns, their values and the cut-off are documented in ``docs/data-format.md`` ("The daily visit
list").
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from geo.units import fold
from scheduler import cells
from scheduler.cells import CellError
from scheduler.loader import RowReader, TableState, in_file_order, row_name
from scheduler.model import PriorityGroup
from scheduler.problems import Problem
from scheduler.tables import Column, MemoryFile, Row, Table, TableSchema, read_table, write_table
from scheduler.visits import (
    MAX_SERVICE_MINUTES,
    SERVICES,
    VisitRequest,
    default_minutes,
    same_person_key,
    service_date_for,
)

VISIT_REQUESTS = TableSchema(
    "visit_requests",
    (
        Column("full_name", ("họ và tên", "họ tên", "họ và tên người cần hỗ trợ"), required=True),
        Column("priority_group", ("nhóm ưu tiên", "đối tượng", "đối tượng ưu tiên"), required=True),
        Column("phone", ("số điện thoại", "sđt", "điện thoại", "số điện thoại liên hệ")),
        Column(
            "group_name",
            ("tổ dân phố/thôn", "thôn/tổ dân phố", "tổ dân phố", "thôn", "tổ/thôn", "thôn/tổ"),
            required=True,
        ),
        Column("street", ("địa chỉ", "số nhà, đường", "số nhà", "địa chỉ cụ thể")),
        Column("lat", ("vĩ độ", "latitude")),
        Column("lon", ("kinh độ", "longitude")),
        Column("home_visit", ("cần đến tận nhà", "hình thức", "hình thức hỗ trợ", "hỗ trợ tại nhà")),
        Column("service", ("dịch vụ", "nhu cầu", "nhu cầu hỗ trợ", "dịch vụ cần hỗ trợ"), required=True),
        Column("procedure", ("tên thủ tục", "thủ tục")),
        Column("window_start", ("từ giờ", "giờ bắt đầu")),
        Column("window_end", ("đến giờ", "giờ kết thúc")),
        Column("service_minutes", ("số phút dự kiến", "thời gian dự kiến (phút)", "số phút")),
        # "Ghi chú" is a remarks column every table ignores; the list's own notes have their own header.
        Column("note", ("nội dung cần hỗ trợ", "lưu ý", "ghi chú thêm")),
    ),
)

FORM_FILE = "biểu mẫu đăng ký"  # the file named by the form's problems
DEFAULT_WINDOW = (8 * 60, 17 * 60)
# Vietnam with its islands (Hoàng Sa, Trường Sa), as a box: a point outside is a typing mistake.
LAT_RANGE = (6.0, 23.5)
LON_RANGE = (102.0, 118.0)
OUTSIDE_WARD = "toạ độ nằm ngoài xã/phường"

# The words a ward writes for each service, besides the key and the label of SERVICES.
SERVICE_WORDS: dict[str, tuple[str, ...]] = {
    "vneid": (
        "kích hoạt VNeID mức 2",
        "kích hoạt VNeID",
        "VNeID mức 2",
        "định danh mức 2",
        "định danh điện tử mức 2",
        "định danh điện tử",
        "tài khoản định danh điện tử",
        "cài VNeID",
        "cài đặt VNeID",
    ),
    "ihanoi": ("cài iHanoi", "cài đặt iHanoi", "ứng dụng iHanoi", "hướng dẫn iHanoi"),
    "procedure": (
        "thủ tục trực tuyến",
        "thủ tục hành chính",
        "thủ tục hành chính trực tuyến",
        "dịch vụ công",
        "dịch vụ công trực tuyến",
        "nộp hồ sơ trực tuyến",
    ),
    "other": ("khác", "hỗ trợ khác"),
}
# The one word written for each service by the exporter and the template.
SERVICE_VALUES = {
    "vneid": "kích hoạt VNeID mức 2",
    "ihanoi": "cài iHanoi",
    "procedure": "thủ tục trực tuyến",
    "other": "khác",
}
# Priority words a list uses that the campaign tables do not: "khác" is everyone else.
EXTRA_PRIORITY_WORDS = {
    "khác": PriorityGroup.GENERAL,
    "người khuyết tật nặng": PriorityGroup.DISABLED,
    "NKT": PriorityGroup.DISABLED,
    "NCT": PriorityGroup.ELDERLY,
    "cao tuổi": PriorityGroup.ELDERLY,
}
HOME_WORDS = ("tận nhà", "tại nhà", "đến nhà", "đến tận nhà", "cần đến tận nhà", "home")
POINT_WORDS = ("đến điểm", "tại điểm", "ra điểm", "tới điểm", "điểm", "point")
HOME_VALUE, POINT_VALUE = "tận nhà", "đến điểm"
_NUMBER_RE = re.compile(r"[+-]?[0-9]{1,3}(?:[.,][0-9]+)?")


def _word_key(text: str) -> str:
    """A value's matching key: folded, punctuation and spaces collapsed ("VNeID (mức 2)" → "vneid muc 2")."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text)).strip()


_SERVICE_KEYS = {
    _word_key(word): service
    for service, (label, _, _) in SERVICES.items()
    for word in (service, label, *SERVICE_WORDS.get(service, ()))
}
_PRIORITY_KEYS = {_word_key(word): group for word, group in EXTRA_PRIORITY_WORDS.items()}
_HOME_KEYS = {_word_key(word): True for word in (*cells.TRUE_WORDS, *HOME_WORDS)} | {
    _word_key(word): False for word in (*cells.FALSE_WORDS, *POINT_WORDS)
}


# --- Cells ------------------------------------------------------------------------------------------


def parse_service(text: str) -> str:
    """A service of :data:`SERVICES` by its key, its label or a word a ward writes ("định danh mức 2")."""
    service = _SERVICE_KEYS.get(_word_key(text))
    if service is None:
        allowed = ", ".join(f"'{SERVICE_VALUES[key]}'" for key in SERVICES)
        raise CellError(f"dịch vụ không hợp lệ '{text}'; chọn một trong: {allowed}")
    return service


def parse_priority(text: str) -> PriorityGroup:
    """A priority group as the campaign tables read it (:func:`cells.parse_priority_group`), or "khác"."""
    group = _PRIORITY_KEYS.get(_word_key(text))
    return group if group is not None else cells.parse_priority_group(text)


def parse_home_visit(text: str) -> bool:
    """Whether the person needs a visit at home: "tận nhà", "có", "x" → yes; "đến điểm", "không" → no."""
    value = _HOME_KEYS.get(_word_key(text))
    if value is None:
        raise CellError(
            f"không hiểu hình thức '{text}'; hãy ghi '{HOME_VALUE}' (hoặc 'có') khi cần đến tận nhà, "
            f"'{POINT_VALUE}' (hoặc 'không') khi người dân đến được điểm hỗ trợ"
        )
    return value


def _coordinate(text: str, what: str, bounds: tuple[float, float], other: tuple[float, float]) -> float:
    """A latitude or longitude in decimal degrees (a decimal comma is read as a point), inside Vietnam."""
    if not _NUMBER_RE.fullmatch(text):
        raise CellError(f"{what} '{text}' không phải số thập phân; hãy ghi độ thập phân, ví dụ 21.0285")
    value = float(text.replace(",", "."))
    low, high = bounds
    if not low <= value <= high:
        swapped = " — có vẻ ghi nhầm kinh độ và vĩ độ (hai cột đổi chỗ)" if other[0] <= value <= other[1] else ""
        raise CellError(f"{what} {value:g} nằm ngoài Việt Nam (từ {low:g} đến {high:g}){swapped}")
    return value


def parse_lat(text: str) -> float:
    return _coordinate(text, "vĩ độ", LAT_RANGE, LON_RANGE)


def parse_lon(text: str) -> float:
    return _coordinate(text, "kinh độ", LON_RANGE, LAT_RANGE)


def _minutes(text: str) -> int:
    return cells.parse_int(text, 1, MAX_SERVICE_MINUTES)


# --- Reading ----------------------------------------------------------------------------------------


def read_visit_requests(
    source: Path | str | MemoryFile,
    ward_code: str,
    province: str,
    registered_at: datetime,
    cutoff_minute: int,
    first_id: int = 1,
    locate: Callable[[float, float], bool] | None = None,
) -> tuple[list[VisitRequest], list[Problem]]:
    """Read a ward's daily list (CSV or XLSX, on disk or in memory) into requests.

    Parameters
    ----------
    source
        The uploaded list; read by :func:`scheduler.tables.read_table` with :data:`VISIT_REQUESTS`.
    ward_code, province
        The ward the list is for (every request is of this ward) and its province (kept for the
        callers that check places; the cells of this list name no ward).
    registered_at, cutoff_minute
        When the list was sent and the cut-off; every request goes on the list of
        :func:`scheduler.visits.service_date_for`, with a note when the list came after the cut-off.
    first_id
        The first request id; row *i* (0-based among the requests) gets ``str(first_id + i)``.
    locate
        Says whether a point lies inside the ward; a row whose coordinates do not is an error at its
        ``lat`` cell. None: only Vietnam's bounds are checked.

    Returns
    -------
    requests, problems
        Every problem by row and column, all collected: errors (a bad cell, a missing required
        column, a procedure not named), warnings (the same person twice: on the later row, naming
        the first) and notes (the header line found, the cut-off). All or nothing: with any error
        no request is returned.
    """
    table, problems = read_table(source, VISIT_REQUESTS)
    requests = _read_rows(table, problems, ward_code, registered_at, cutoff_minute, first_id, locate)
    if table.columns and not table.rows and not any(p.is_error for p in problems):
        problems.append(Problem(table.file, None, None, "danh sách không có người nào", severity="warning"))
    problems = in_file_order(problems, VISIT_REQUESTS)
    if any(p.is_error for p in problems):
        return [], problems
    return requests, problems


def request_from_form(
    cells_by_column: Mapping[str, str],
    ward_code: str,
    province: str,
    registered_at: datetime,
    cutoff_minute: int,
    locate: Callable[[float, float], bool] | None = None,
) -> tuple[VisitRequest | None, list[Problem]]:
    """One person from the phone form: the same parser as a row of the list.

    ``cells_by_column`` maps canonical column names (:data:`VISIT_REQUESTS`) to the text typed; keys
    that are not columns are left out, a missing column is an empty cell. Problems name the column
    (their file is :data:`FORM_FILE`, their row None). The request's id is ``"1"``; the store gives
    the real one.
    """
    known = {name: str(text) for name, text in cells_by_column.items() if name in VISIT_REQUESTS.names}
    table = Table(FORM_FILE, VISIT_REQUESTS.names, (Row(1, known),))
    problems: list[Problem] = []
    requests = _read_rows(table, problems, ward_code, registered_at, cutoff_minute, 1, locate)
    problems = [replace(p, row=None) for p in in_file_order(problems, VISIT_REQUESTS)]
    if any(p.is_error for p in problems) or not requests:
        return None, problems
    return requests[0], problems


def _read_rows(
    table: Table,
    problems: list[Problem],
    ward_code: str,
    registered_at: datetime,
    cutoff_minute: int,
    first_id: int,
    locate: Callable[[float, float], bool] | None,
) -> list[VisitRequest]:
    """The requests of a table's rows; each problem is appended to ``problems`` at its row and column."""
    service_date, late = service_date_for(registered_at, cutoff_minute)
    if late and table.rows:
        problems.append(
            Problem(
                table.file,
                None,
                None,
                f"{'đăng ký' if table.file == FORM_FILE else 'danh sách nộp'} sau "
                f"{cells.format_time(cutoff_minute)} được chuyển sang ngày "
                f"{cells.format_date(service_date)}",
                severity="note",
            )
        )
    requests: list[VisitRequest] = []
    first_rows: dict[tuple[str, str], int] = {}
    state = TableState(problems)
    for row in table.rows:
        r = RowReader(table, row, problems, state)
        name = r.cell("full_name", cells.parse_person_name, required=True)
        group = r.cell("priority_group", parse_priority, required=True)
        phone = r.cell("phone", cells.parse_phone, "")
        group_name = r.cell("group_name", lambda t: cells.parse_free_text(t, "tổ dân phố/thôn", 100), required=True)
        street = r.cell("street", lambda t: cells.parse_free_text(t, "địa chỉ"), "")
        lat = r.cell("lat", parse_lat)
        lon = r.cell("lon", parse_lon)
        home_visit = r.cell("home_visit", parse_home_visit, True)
        service = r.cell("service", parse_service, required=True)
        procedure = r.cell("procedure", lambda t: cells.parse_free_text(t, "tên thủ tục"), "")
        start = r.cell("window_start", cells.parse_time, DEFAULT_WINDOW[0])
        end = r.cell("window_end", lambda t: cells.parse_time(t, allow_end_of_day=True), DEFAULT_WINDOW[1])
        minutes = r.cell("service_minutes", _minutes)
        note = r.cell("note", lambda t: cells.parse_free_text(t, "nội dung cần hỗ trợ", 300), "")
        if service == "procedure" and procedure == "":
            r.problem("procedure", "dịch vụ thủ tục trực tuyến cần ghi tên thủ tục (ví dụ 'Đăng ký thường trú')")
        _check_coordinates(r, row, lat, lon, locate)
        if minutes is None and service is not None and not _has_text(row, "service_minutes"):
            minutes = default_minutes(service)
        if start is not None and end is not None:
            if end <= start:
                r.problem(
                    "window_end",
                    f"giờ kết thúc {cells.format_time(end)} phải sau giờ bắt đầu {cells.format_time(start)}",
                )
            elif minutes is not None and end - start < minutes:
                r.problem(
                    "window_end",
                    f"khung giờ {cells.format_time(start)}–{cells.format_time(end)} ngắn hơn {minutes} phút dự kiến",
                )
        if r.failed:
            continue
        request = VisitRequest(
            id=str(first_id + len(requests)),
            ward_code=ward_code,
            service_date=service_date,
            name=name,
            priority_group=group,
            phone=phone,
            group_name=group_name,
            street=street,
            home_visit=home_visit,
            service=service,
            procedure=procedure,
            window_start_minute=start,
            window_end_minute=end,
            service_minutes=minutes,
            lat=lat,
            lon=lon,
            note=note,
        )
        key = same_person_key(request)
        first = first_rows.setdefault(key, row.number)
        if first != row.number:
            problems.append(
                Problem(
                    table.file,
                    row.number,
                    "full_name",
                    f"{name} có trong danh sách hai lần: trùng với {row_name(first)}",
                    table.headings.get("full_name"),
                    severity="warning",
                )
            )
        requests.append(request)
    return requests


def _has_text(row: Row, column: str) -> bool:
    return bool(row.get(column).strip())


def _check_coordinates(
    r: RowReader, row: Row, lat: float | None, lon: float | None, locate: Callable[[float, float], bool] | None
) -> None:
    """Both coordinates or neither; inside the ward when ``locate`` is given."""
    for column, value, other in (("lat", lat, "lon"), ("lon", lon, "lat")):
        if value is None and not _has_text(row, column) and _has_text(row, other):
            r.problem(column, "cần ghi cả vĩ độ và kinh độ, hoặc để trống cả hai")
    if lat is not None and lon is not None and locate is not None and not locate(lat, lon):
        r.problem("lat", f"{OUTSIDE_WARD} ({lat:g}, {lon:g})")


# --- Writing ----------------------------------------------------------------------------------------


def visit_request_row(request: VisitRequest) -> dict[str, str]:
    """A request as the cells of one row, in the words the reader takes back."""
    return {
        "full_name": request.name,
        "priority_group": request.priority_group.label_vi,
        "phone": request.phone,
        "group_name": request.group_name,
        "street": request.street,
        "lat": "" if request.lat is None else repr(request.lat),
        "lon": "" if request.lon is None else repr(request.lon),
        "home_visit": HOME_VALUE if request.home_visit else POINT_VALUE,
        "service": SERVICE_VALUES[request.service],
        "procedure": request.procedure,
        "window_start": cells.format_time(request.window_start_minute),
        "window_end": cells.format_time(request.window_end_minute),
        "service_minutes": str(request.service_minutes),
        "note": request.note,
    }


def write_visit_requests(path: Path | str, requests: Iterable[VisitRequest]) -> None:
    """A day's list under the canonical English header (CSV or XLSX by the suffix); read back unchanged."""
    write_table(path, VISIT_REQUESTS, (visit_request_row(request) for request in requests))


# The template's header, as a ward writes it; each is one of the column's Vietnamese headers.
TEMPLATE_HEADINGS = {
    "full_name": "Họ và tên",
    "priority_group": "Nhóm ưu tiên",
    "phone": "Số điện thoại",
    "group_name": "Tổ dân phố/thôn",
    "street": "Địa chỉ",
    "lat": "Vĩ độ",
    "lon": "Kinh độ",
    "home_visit": "Hình thức",
    "service": "Dịch vụ",
    "procedure": "Tên thủ tục",
    "window_start": "Từ giờ",
    "window_end": "Đến giờ",
    "service_minutes": "Số phút dự kiến",
    "note": "Nội dung cần hỗ trợ",
}
_TEMPLATE = TableSchema("Danh sách", tuple(Column(TEMPLATE_HEADINGS[name], ()) for name in VISIT_REQUESTS.names))
TEMPLATE_EXAMPLE = {
    "full_name": "Nguyễn Thị Hoa",
    "priority_group": "người cao tuổi",
    "phone": "0912345678",
    "group_name": "Tổ dân phố số 5",
    "street": "Số 12 ngõ 34 phố Định Công",
    "lat": "",
    "lon": "",
    "home_visit": HOME_VALUE,
    "service": SERVICE_VALUES["vneid"],
    "procedure": "",
    "window_start": "08:00",
    "window_end": "11:30",
    "service_minutes": "20",
    "note": "Đi lại khó khăn, gọi trước khi đến",
}


def write_visit_requests_template(path: Path | str) -> None:
    """The blank list a ward downloads: the Vietnamese headers and one example row (XLSX or CSV by suffix)."""
    write_table(path, _TEMPLATE, [{TEMPLATE_HEADINGS[name]: text for name, text in TEMPLATE_EXAMPLE.items()}])


def visit_requests_template_bytes(suffix: str = ".xlsx") -> bytes:
    """The template's bytes (see :func:`write_visit_requests_template`), for a download."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"danh_sach{suffix}"
        write_visit_requests_template(path)
        return path.read_bytes()
