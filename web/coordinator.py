"""The coordinators' pages (Sở KH&CN): the data set, the rules, solve jobs, review, publish, exports, reports.

Every view needs the ``coordinator`` role. Figures over a roster (coverage per ward and day, people's
loads, the daily report) come from :mod:`scheduler.report` over the version's roster as
:func:`web.store.roster_of` maps it (kept per process, since a version's rows never change); what a
page lists (a ward's assignments, the gaps with their explanations) is read from the rows it needs.
"""

from __future__ import annotations

import io
import logging
import math
import re
import tempfile
import tomllib
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import tomli_w
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import defer
from wtforms import BooleanField, SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from scheduler.cells import format_time
from scheduler.loader import CAMPAIGN_FILE
from scheduler.model import Campaign, Pool
from scheduler.problems import CampaignLoadError
from scheduler.report import (
    WardFigures,
    assignment_counts,
    daily_rows,
    missing_by_rule,
    missing_by_ward_and_day,
    person_loads,
    ward_figures,
)
from scheduler.roster_io import MOBILE_COLUMN, write_roster_xlsx, write_ward_xlsx
from scheduler.rules import RULES_BY_LABEL
from scheduler.verify import VerifyReport, asked_person_slots
from web import store
from web.auth import current_user, role_required
from web.edge import parse_id
from web.forms import ActionForm, Form, WholeNumberField
from web.jobs import JobBusy
from web.models import AssignmentRow, CampaignFile, Job, PersonCredential, RosterVersion, UnfilledRow, db

logger = logging.getLogger(__name__)

blueprint = Blueprint("coordinator", __name__, url_prefix="/dieu-phoi")

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GAP_WARDS_PER_PAGE = 10  # the gap list pages by whole wards
GAP_ITEMS_OPEN = 30  # a page of the gap list with more gaps shows its wards folded
PEOPLE_PER_PAGE = 50
DIFF_ROWS_SHOWN = 500
RECENT_JOBS = 8
MAX_TIME_LIMIT_SECONDS = 3600

# Coverage of a ward (filled share of the person-slots asked, in percent) -> map level and colour, best first.
# Each level has a pattern too (web.charts.level_defs), so the map reads without colour and on paper.
COVERAGE_SCALE = (
    (100.0, "#2e7d32", "full"),
    (95.0, "#9ccc65", "near"),
    (80.0, "#fdd835", "some"),
    (50.0, "#fb8c00", "many"),
    (0.0, "#c62828", "severe"),
)
NO_DEMAND_COLOUR = "#cfd8dc"
NO_DEMAND_LEVEL = "none"
MAP_ORDERS = ("need", "coverage", "name")  # the ward list's orders: most missing first, lowest first, by name


# ------------------------------------------------------------------------------------------------ forms


TABLE_CHOICES = [
    SelectChoice("campaign", _l("Chiến dịch: ca, quy tắc, trọng số (campaign.toml)")),
    SelectChoice("wards", _l("Xã, phường (wards)")),
    SelectChoice("people", _l("Nhân sự: sinh viên, viễn thông, kỹ thuật viên (people)")),
    SelectChoice("mobile_points", _l("Điểm lưu động (mobile_points)")),
]

# campaign.toml [rules] keys the rules page edits (whole numbers; the loader's RULE_KEYS bound them).
RULE_FIELDS = (
    "min_support_staff_per_shift",
    "min_telecom_staff_per_day",
    "night_response_limit_minutes",
    "mobile_point_travel_limit_minutes",
    "max_work_hours_per_day",
    "max_work_hours_per_week",
    "min_rest_between_shifts_hours",
    "min_weekly_rest_hours",
    "student_weekly_cap_hours",
    "day_response_limit_minutes",
    "acknowledge_limit_minutes",
)


class ImportForm(Form):
    table = SelectField(_l("Bảng dữ liệu"), choices=TABLE_CHOICES)
    file = FileField(
        _l("Tệp (CSV hoặc XLSX; campaign.toml cho thông tin chiến dịch)"),
        validators=[FileRequired(_l("Hãy chọn một tệp."))],
    )
    submit = SubmitField(_l("Tải lên và kiểm tra"))


class RulesForm(Form):
    min_support_staff_per_shift = WholeNumberField(_l("Số nhân sự hỗ trợ tối thiểu mỗi ca"), [InputRequired()])
    min_telecom_staff_per_day = WholeNumberField(_l("Số nhân sự viễn thông tối thiểu mỗi ngày"), [InputRequired()])
    oncall_24_7 = BooleanField(_l("Kỹ thuật viên túc trực 24/7"))
    night_response_limit_minutes = WholeNumberField(_l("Thời gian ứng cứu ban đêm tối đa (phút)"), [InputRequired()])
    mobile_point_travel_limit_minutes = WholeNumberField(
        _l("Thời gian di chuyển tối đa đến điểm lưu động (phút)"), [InputRequired()]
    )
    max_work_hours_per_day = WholeNumberField(_l("Số giờ làm việc tối đa mỗi ngày"), [InputRequired()])
    max_work_hours_per_week = WholeNumberField(_l("Số giờ làm việc tối đa mỗi tuần"), [InputRequired()])
    min_rest_between_shifts_hours = WholeNumberField(
        _l("Số giờ nghỉ tối thiểu giữa hai ngày làm việc"), [InputRequired()]
    )
    min_weekly_rest_hours = WholeNumberField(_l("Số giờ nghỉ liên tục tối thiểu mỗi tuần"), [InputRequired()])
    student_weekly_cap_hours = WholeNumberField(
        _l("Số giờ tối đa mỗi tuần của sinh viên (mặc định)"), [InputRequired()]
    )
    day_response_limit_minutes = WholeNumberField(
        _l("Thời gian ứng cứu sự cố trong giờ hành chính tối đa (phút)"), [InputRequired()]
    )
    acknowledge_limit_minutes = WholeNumberField(
        _l("Kỹ thuật viên phải xác nhận sự cố trong (phút)"), [InputRequired(), NumberRange(min=1)]
    )
    auto_dispatch_urgent = BooleanField(_l("Sự cố khẩn cấp tự giao cho người xếp đầu"))
    submit = SubmitField(_l("Lưu quy tắc"))


class GenerateForm(Form):
    time_limit_seconds = WholeNumberField(
        _l("Giới hạn thời gian (giây)"), [InputRequired(), NumberRange(min=1, max=MAX_TIME_LIMIT_SECONDS)]
    )
    submit = SubmitField(_l("Xếp lịch"))


# ------------------------------------------------------------------------------------------------ helpers


def _campaign() -> Campaign | None:
    """The stored campaign, or None when nothing (loadable) is stored."""
    try:
        return store.campaign()
    except CampaignLoadError:
        logger.exception("the stored data set does not load")
        return None


def _campaign_or_redirect() -> Campaign:
    """The stored campaign; without one, the request ends in a redirect to the import page."""
    campaign = _campaign()
    if campaign is None:
        flash(_("Chưa có dữ liệu chiến dịch: hãy nhập dữ liệu trước."), "error")
        abort(redirect(url_for("coordinator.import_data")))
    return campaign


def _ward_or_404(campaign: Campaign, ward_code: str):
    try:
        return campaign.ward(ward_code)
    except KeyError:
        abort(404)


def _version(version_id: int) -> RosterVersion:
    """The roster version, or 404."""
    version = db.session.get(RosterVersion, version_id)
    if version is None:
        abort(404)
    return version


def _versions() -> list[RosterVersion]:
    """Every version, newest first, without its roster JSON (a few MB each for Hà Nội)."""
    return list(
        db.session.scalars(
            select(RosterVersion).options(defer(RosterVersion.roster_json)).order_by(RosterVersion.id.desc())
        )
    )


def _username() -> str:
    user = current_user()
    return user.username if user else ""


def pool_labels() -> dict[str, str]:
    return {
        Pool.STUDENT.value: _("Sinh viên"),
        Pool.TELECOM.value: _("Nhân sự viễn thông"),
        Pool.TECHNICIAN.value: _("Kỹ thuật viên"),
    }


def pool_short_labels() -> dict[str, str]:
    """The abbreviations of the printed rosters (SV, VT, KTV)."""
    return {Pool.STUDENT.value: _("SV"), Pool.TELECOM.value: _("VT"), Pool.TECHNICIAN.value: _("KTV")}


def rule_labels() -> dict[str, str]:
    return {
        "min_support_staff": _("Tối thiểu 02 nhân sự hỗ trợ mỗi ca"),
        "telecom_presence": _("Tối thiểu 01 nhân sự viễn thông mỗi ngày"),
        "oncall_24_7": _("Kỹ thuật viên túc trực 24/7"),
        "mobile_point_staffing": _("Đủ nhân sự cho điểm lưu động"),
    }


def rule_label(label: str) -> str:
    known = rule_labels()
    if label in known:
        return known[label]
    return RULES_BY_LABEL[label].name_vi if label in RULES_BY_LABEL else label


def rule_words(label: str) -> str:
    """A rule's name in the reader's language (:func:`rule_label`, the registry's name translated)."""
    return _(rule_label(label))


def _person_of(campaign: Campaign, person_id: str):
    try:
        return campaign.person(person_id)
    except KeyError:
        return None


def _ward_name(campaign: Campaign, code: str) -> str:
    try:
        return campaign.ward(code).name
    except KeyError:
        return code


def _slot_name(campaign: Campaign, shift_id: str | None, mobile_point_id: str | None) -> str:
    """The shift's name ("Ca sáng"), or the mobile point with its hours and place."""
    if shift_id is not None:
        try:
            return campaign.shift(shift_id).name
        except KeyError:
            return shift_id
    if mobile_point_id is None:
        return _("cả ngày")
    try:
        point = campaign.mobile_point(mobile_point_id)
    except KeyError:
        return mobile_point_id
    return f"{mobile_point_id} {format_time(point.start_minute)}–{format_time(point.end_minute)} {point.place}"


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@dataclass
class Page:
    """One page of a list: its items, its number and how many pages there are."""

    items: list
    number: int
    count: int
    total: int


def _paginate(items: list, size: int) -> Page:
    count = max(1, math.ceil(len(items) / size))
    number = min(_page_number(), count)
    return Page(items[(number - 1) * size : number * size], number, count, len(items))


def page_url(number: int) -> str:
    """The current page's URL with ``page`` set to ``number`` (other filters kept)."""
    args = {
        key: value
        for key, value in request.args.items()
        if key not in (request.view_args or {}) and not key.startswith("_")
    }
    args["page"] = number
    return url_for(request.endpoint, **(request.view_args or {}), **args)


@blueprint.context_processor
def _helpers():
    return {"page_url": page_url}


def ascii_slug(text: str) -> str:
    """ "Phường Định Công" -> "phuong-dinh-cong", for file names."""
    text = text.replace("đ", "d").replace("Đ", "D")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _date_arg(name: str, campaign: Campaign) -> date | None:
    text = request.args.get(name, "")
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if campaign.contains_date(value) else None


# ------------------------------------------------------------------------------------------------ figures


def coverage_level(percent: float | None) -> str:
    """The map level of a coverage percent: ``full``, ``near``, ``some``, ``many``, ``severe``, or ``none``."""
    if percent is None:
        return NO_DEMAND_LEVEL
    for floor, _colour, level in COVERAGE_SCALE:
        if percent >= floor:
            return level
    return COVERAGE_SCALE[-1][2]


def coverage_colour(percent: float | None) -> str:
    """The map colour of a coverage percent (grey when nothing is asked)."""
    if percent is None:
        return NO_DEMAND_COLOUR
    for floor, colour, _level in COVERAGE_SCALE:
        if percent >= floor:
            return colour
    return COVERAGE_SCALE[-1][1]


def coverage_legend() -> list[dict]:
    """The map's levels, best first: key, colour, name in words and range in the reader's locale."""
    from web.numbers import number, percent

    names = {
        "full": _("Đủ người"),
        "near": _("Gần đủ"),
        "some": _("Thiếu ít"),
        "many": _("Thiếu nhiều"),
        "severe": _("Thiếu nặng"),
        NO_DEMAND_LEVEL: _("Không có yêu cầu"),
    }
    ranges = [
        percent(100, 0),
        f"{number(95)} – {percent(99.9)}",
        _("%(low)s – dưới %(high)s", low=number(80), high=percent(95, 0)),
        _("%(low)s – dưới %(high)s", low=number(50), high=percent(80, 0)),
        _("dưới %(high)s", high=percent(50, 0)),
        "",
    ]
    levels = [(level, colour) for _floor, colour, level in COVERAGE_SCALE] + [(NO_DEMAND_LEVEL, NO_DEMAND_COLOUR)]
    return [
        {"key": key, "colour": colour, "name": names[key], "range": span}
        for (key, colour), span in zip(levels, ranges, strict=True)
    ]


def missing_class(missing: int) -> str:
    """The grid cell's class: ``ok`` (nothing missing) or ``m1``–``m3`` by how many people are missing."""
    if missing <= 0:
        return "ok"
    if missing <= 2:
        return "m1"
    return "m2" if missing <= 5 else "m3"


def ward_map(campaign: Campaign, figures: list[WardFigures]) -> dict | None:
    """The SVG map of the campaign's wards by coverage level, or None when the polygons are not available.

    Each path has its ward's figures, colour and level; ``unit`` is the size of the levels' pattern marks in
    map units (about a hundredth of the map's width).
    """
    from geo.svgmap import ward_map as build_map

    try:
        svg = build_map(campaign.province, [w.code for w in campaign.wards])
    except Exception:  # a map is a nicety: the page works without it
        logger.exception("no ward map for %s", campaign.province)
        return None
    by_code = {f.code: f for f in figures}
    paths = []
    for code, name, path_d in svg.wards:
        figure = by_code.get(code)
        if figure is None:
            continue
        paths.append(
            {
                "code": code,
                "name": name,
                "d": path_d,
                "figure": figure,
                "colour": coverage_colour(figure.percent),
                "level": coverage_level(figure.percent),
            }
        )
    unit = round(max(svg.width, svg.height) / 110, 3)
    return {"view_box": svg.view_box, "paths": paths, "width": svg.width, "height": svg.height, "unit": unit}


@blueprint.context_processor
def _chart_helpers():
    """The charts the ward and gaps pages draw: ``ward_coverage_chart(version, place)``,
    ``shortfall_chart(version)``."""
    from web import charts

    return {"ward_coverage_chart": charts.ward_coverage_chart, "shortfall_chart": charts.version_shortfall_chart}


def _ward_labels(figures: list[WardFigures]) -> dict[str, dict]:
    """Each ward's figures as the map and the list show them, formatted once per page (Babel is not free):
    ``percent``, ``missing``, ``asked``, ``level`` and ``label``, the ward's name with its figures in words."""
    from web.numbers import number, percent

    words = _("%(name)s: phủ %(percent)s, thiếu %(missing)s/%(asked)s người-ca, %(assigned)s phân công")
    formatted: dict[int, str] = {}

    def whole(value: int) -> str:
        if value not in formatted:
            formatted[value] = number(value)
        return formatted[value]

    labels = {}
    for f in figures:
        shown = {
            "percent": percent(f.percent),
            "missing": whole(f.missing),
            "asked": whole(f.asked),
            "level": coverage_level(f.percent),
        }
        shown["label"] = words % {**shown, "name": f.name, "assigned": whole(f.assigned)}
        labels[f.code] = shown
    return labels


def _map_block(campaign: Campaign, roster, figures: list[WardFigures]) -> dict:
    """The version page's map and charts: the day and shift chosen (GET ``date``, ``shift``), the map of that
    coverage, the ward list beside it (GET ``order``: need, coverage or name; ``short=1``: short wards only)
    and the city's coverage by day."""
    from scheduler.coverage import coverage_by_day, ward_coverage
    from web import charts

    day = _date_arg("date", campaign)
    shift_ids = [shift.id for shift in campaign.shifts]
    shift = request.args.get("shift") if request.args.get("shift") in shift_ids else None
    order = request.args.get("order") if request.args.get("order") in MAP_ORDERS else "need"
    short_only = request.args.get("short") == "1"
    chosen = figures if day is None and shift is None else ward_coverage(campaign, roster, day, shift)
    rows = [f for f in chosen if f.missing or not short_only]
    if order == "need":
        rows.sort(key=lambda f: (-f.missing, f.percent if f.percent is not None else 101.0, f.name))
    elif order == "coverage":
        rows.sort(key=lambda f: (f.percent if f.percent is not None else 101.0, -f.missing, f.name))
    else:
        rows.sort(key=lambda f: f.name)
    dates = list(campaign.dates)
    index = dates.index(day) if day is not None else None
    asked = sum(f.asked for f in chosen)
    missing = sum(f.missing for f in chosen)
    legend = coverage_legend()
    labels = _ward_labels(chosen)
    anchor = f"d{day.isoformat()}" if day is not None else None
    shift_choices = [
        (item.id, f"{item.name} ({format_time(item.start_minute)}–{format_time(item.end_minute)})")
        for item in campaign.shifts
    ]
    return {
        "map": ward_map(campaign, chosen),
        "legend": legend,
        "level_defs": charts.level_defs([(level["key"], level["colour"]) for level in legend], "sw-", 4),
        "map_defs": charts.level_defs,
        "map_levels": [(level["key"], level["colour"]) for level in legend],
        "map_shifts": shift_choices,
        "map_shift_label": dict(shift_choices).get(shift, ""),
        "level_swatch": charts.level_swatch,
        "level_names": {level["key"]: level["name"] for level in legend},
        "coverage_level": coverage_level,
        "map_day": day,
        "map_shift": shift,
        "map_order": order,
        "map_short": short_only,
        "map_rows": rows,
        "map_listed": {f.code for f in rows},
        "map_labels": labels,
        "ward_url": lambda code: url_for(
            "coordinator.ward", version_id=request.view_args["version_id"], ward_code=code, _anchor=anchor
        ),
        "map_asked": asked,
        "map_missing": missing,
        "map_percent": 100.0 * (asked - missing) / asked if asked else None,
        "map_short_wards": sum(1 for f in chosen if f.missing),
        "previous_day": dates[index - 1] if index else None,
        "next_day": dates[index + 1] if index is not None and index + 1 < len(dates) else None,
        "day_chart": charts.day_coverage_chart(coverage_by_day(campaign, roster), _("Độ phủ toàn thành phố theo ngày")),
    }


def _loaded_report(campaign: Campaign, roster, version: RosterVersion) -> VerifyReport | None:
    """The summary figures of a stored version for the workbook, or None to have them recomputed.

    The stored figures are used when the version was solved from the current data set and broke no rule
    (then the roster's declared gaps are the checker's); otherwise the workbook reruns the checker.
    """
    if version.violations or version.dataset_revision != store.revision() or version.objective is None:
        return None
    asked = sum(asked_person_slots(campaign).values())
    missing = sum(u.missing for u in roster.unfilled)
    return VerifyReport(
        violations=(),
        unfilled=tuple(roster.unfilled),
        objective=version.objective,
        terms=store.terms_of(version) or {},
        asked=asked,
        filled=asked - missing,
    )


# ------------------------------------------------------------------------------------------------ dashboard


@blueprint.get("/")
@role_required("coordinator")
def dashboard():
    """The data set, the latest jobs and the roster versions."""
    campaign = _campaign()
    stored = db.session.execute(
        select(
            CampaignFile.name,
            CampaignFile.uploaded_at,
            CampaignFile.uploaded_by,
            func.length(CampaignFile.content).label("size"),
        ).order_by(CampaignFile.name)
    ).all()
    counts = None
    if campaign is not None:
        pools = Counter(person.pool.value for person in campaign.people)
        counts = {
            "wards": len(campaign.wards),
            "people": len(campaign.people),
            "pools": pools,
            "mobile_points": len(campaign.mobile_points),
            "days": campaign.days,
            "pins": len(campaign.pins),
        }
    jobs = list(db.session.scalars(select(Job).order_by(Job.id.desc()).limit(RECENT_JOBS)))
    from web import live

    published = store.latest_published()
    return render_template(
        "coordinator/dashboard.html",
        open_events=live.count_events("open"),
        unrepaired=live.unrepaired_count(published),
        campaign=campaign,
        files=stored,
        counts=counts,
        jobs=jobs,
        versions=_versions(),
        published=published,
        revision=store.revision(),
        pool_labels=pool_labels(),
    )


# ------------------------------------------------------------------------------------------------ import and rules


@blueprint.route("/nhap-du-lieu", methods=["GET", "POST"])
@role_required("coordinator")
def import_data():
    """Upload one file of the data set; nothing is stored when the data set would have an error.

    A file over :func:`web.store.max_upload_file_bytes` is refused before any check. A refused
    upload's errors are shown bounded with their exact count, and its warnings and notes apart. The
    page also shows the stored data set's warnings and notes, so a good upload that has some comes
    back here (otherwise it goes to the dashboard).
    """
    form = ImportForm()
    limit_bytes = store.max_upload_file_bytes()

    def page(report=None, error_count=0, filename=None):
        return render_template(
            "coordinator/import.html",
            form=form,
            limit=store.size_text(limit_bytes),
            filename=filename,
            problems=report.errors if report else None,
            error_count=error_count,
            warnings=report.warnings if report else (),
            notes=report.notes if report else (),
            warning_count=report.warning_count if report else 0,
            note_count=report.note_count if report else 0,
        )

    if request.method == "POST":
        if not form.validate_on_submit():
            return page(), 400
        upload = form.file.data
        try:
            name = store.stored_name(form.table.data, upload.filename or "")
        except ValueError:
            form.file.errors.append(_("Tệp phải là .csv hoặc .xlsx (campaign.toml cho bảng chiến dịch)."))
            return page(), 400
        upload.stream.seek(0, io.SEEK_END)
        size_bytes = upload.stream.tell()
        upload.stream.seek(0)
        if size_bytes > limit_bytes:
            form.file.errors.append(
                _(
                    "Tệp %(name)s lớn %(size)s, vượt giới hạn %(limit)s của một tệp tải lên. Hãy bỏ "
                    "các cột, trang tính không cần thiết hoặc lưu dạng .xlsx (nhỏ hơn CSV).",
                    name=upload.filename,
                    size=store.size_text(size_bytes),
                    limit=store.size_text(limit_bytes),
                )
            )
            return page(), 413
        try:
            report = store.import_files({name: upload.read()}, _username())
        except store.ImportRejected as rejected:
            flash(_("Tệp bị từ chối, chưa lưu gì: %(count)s lỗi.", count=rejected.count), "error")
            return page(rejected.report, rejected.count, upload.filename), 422
        flash(_("Đã lưu %(name)s.", name=name))
        if report.warnings or report.notes:
            flash(
                _(
                    "Dữ liệu có %(warnings)s cảnh báo và %(notes)s ghi chú, xem bên dưới.",
                    warnings=report.warning_count,
                    notes=report.note_count,
                )
            )
            return redirect(url_for("coordinator.import_data"))
        return redirect(url_for("coordinator.dashboard"))
    stored = store.stored_report()
    return page(stored, stored.error_count if stored else 0)


def rewritten_rules(toml_bytes: bytes, values: dict) -> bytes:
    """campaign.toml with the ``[rules]`` keys in ``values`` replaced (other keys and tables kept)."""
    data = tomllib.loads(toml_bytes.decode("utf-8").removeprefix("\ufeff"))
    rules = data.get("rules")
    if not isinstance(rules, dict):
        rules = {}
    rules.update(values)
    data["rules"] = rules
    return tomli_w.dumps(data).encode("utf-8")


def _field_problem(form: RulesForm, problem) -> bool:
    """Put a problem of a ``[rules]`` key under the form's field for it (the coordinator reads the field's label,
    not ``rules.max_work_hours_per_day``); False when no field shows that key."""
    key = (problem.column or "").removeprefix("rules.")
    field = getattr(form, key, None) if (problem.column or "").startswith("rules.") else None
    if field is None or not hasattr(field, "errors"):
        return False
    field.errors = [*field.errors, problem.message]
    return True


@blueprint.route("/quy-tac", methods=["GET", "POST"])
@role_required("coordinator")
def rules():
    """The campaign's rules: stored back into campaign.toml, checked like any upload."""
    campaign = _campaign_or_redirect()
    current = campaign.rules
    form = RulesForm(
        data={name: getattr(current, name) for name in (*RULE_FIELDS, "oncall_24_7", "auto_dispatch_urgent")}
    )
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("coordinator/rules.html", form=form, problems=None), 400
        values = {name: getattr(form, name).data for name in RULE_FIELDS}
        values["oncall_24_7"] = bool(form.oncall_24_7.data)
        values["auto_dispatch_urgent"] = bool(form.auto_dispatch_urgent.data)
        content = rewritten_rules(store.files()[CAMPAIGN_FILE], values)
        try:
            store.import_files({CAMPAIGN_FILE: content}, _username())
        except store.ImportRejected as rejected:
            flash(_("Quy tắc bị từ chối, chưa lưu gì: %(count)s lỗi.", count=rejected.count), "error")
            others = [problem for problem in rejected.problems if not _field_problem(form, problem)]
            return render_template("coordinator/rules.html", form=form, problems=others), 422
        flash(_("Đã lưu quy tắc. Hãy xếp lịch lại để áp dụng."))
        return redirect(url_for("coordinator.rules"))
    return render_template("coordinator/rules.html", form=form, problems=None)


# ------------------------------------------------------------------------------------------------ jobs


def _runner():
    return current_app.extensions["raquan_jobs"]


@blueprint.route("/xep-lich", methods=["GET", "POST"])
@role_required("coordinator")
def generate():
    """Start a solve job (one at a time)."""
    _runner().reap()
    form = GenerateForm(data={"time_limit_seconds": int(current_app.config["RAQUAN_DEFAULT_TIME_LIMIT"])})
    jobs = list(db.session.scalars(select(Job).order_by(Job.id.desc()).limit(RECENT_JOBS)))
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("coordinator/generate.html", form=form, jobs=jobs), 400
        try:
            job_id = _runner().submit(form.time_limit_seconds.data, _username())
        except JobBusy:
            flash(_("Đang có một lượt xếp lịch chạy; hãy chờ nó xong hoặc dừng nó."), "error")
            return render_template("coordinator/generate.html", form=form, jobs=jobs), 409
        except LookupError:
            flash(_("Chưa có dữ liệu chiến dịch: hãy nhập dữ liệu trước."), "error")
            return render_template("coordinator/generate.html", form=form, jobs=jobs), 409
        return redirect(url_for("coordinator.job", job_id=job_id))
    return render_template("coordinator/generate.html", form=form, jobs=jobs)


@blueprint.get("/cong-viec/<int:job_id>")
@role_required("coordinator")
def job(job_id: int):
    """A solve job's progress; the page reloads itself while the job runs.

    A job whose server is gone is ended first (:meth:`web.jobs.JobRunner.reap`), with the reason.
    """
    _runner().reap()
    record = db.session.get(Job, job_id)
    if record is None:
        abort(404)
    running = record.status in ("queued", "running")
    return render_template("coordinator/job.html", job=record, running=running)


@blueprint.post("/cong-viec/<int:job_id>/dung")
@role_required("coordinator")
def stop_job(job_id: int):
    """Stop a running solve job."""
    if db.session.get(Job, job_id) is None:
        abort(404)
    if ActionForm().validate_on_submit():
        if _runner().stop(job_id):
            flash(_("Đã yêu cầu dừng lượt xếp lịch."))
        else:
            flash(_("Lượt xếp lịch này không còn chạy."), "error")
    return redirect(url_for("coordinator.job", job_id=job_id))


# ------------------------------------------------------------------------------------------------ review


@blueprint.get("/phien-ban/<int:version_id>")
@role_required("coordinator")
def version(version_id: int):
    """A version's figures, its coverage map and the ward × day grid."""
    record = _version(version_id)
    campaign = _campaign_or_redirect()
    # The gaps and the database's counts give every figure; a day's or a shift's map counts the assignments.
    roster = store.gap_roster(record)
    figures = ward_figures(campaign, roster, store.assigned_per_ward(record))
    missing = missing_by_ward_and_day(roster)
    asked = sum(f.asked for f in figures)
    grid = [(f, [missing.get((f.code, day), 0) for day in campaign.dates]) for f in figures]
    published = store.latest_published()
    return render_template(
        "coordinator/version.html",
        version=record,
        campaign=campaign,
        figures=figures,
        grid=grid,
        **_map_block(
            campaign,
            store.roster_of(record) if request.args.get("date") or request.args.get("shift") else roster,
            figures,
        ),
        missing_class=missing_class,
        by_rule=missing_by_rule(roster),
        terms=store.terms_of(record),
        rule_label=rule_label,
        asked=asked,
        stale=record.dataset_revision != store.revision(),
        published=published,
        to_tell=people_to_tell(record, published) if record.status == "draft" else 0,
    )


@blueprint.get("/phien-ban/<int:version_id>/thieu")
@role_required("coordinator")
def gaps(version_id: int):
    """The version's unfilled slots grouped by ward and day, filtered by ward, rule, pool and date, each with
    its cause and links to where its fix is made; a page holds whole wards."""
    from web import gap_list

    record = _version(version_id)
    campaign = _campaign_or_redirect()
    rules_known = rule_labels()
    pools_known = {**pool_labels(), gap_list.ANY_POOL: _("Bất kỳ lực lượng nào")}
    ward_codes = {place.code for place in campaign.wards}
    filters = gap_list.Filters(
        ward=request.args.get("ward") if request.args.get("ward") in ward_codes else None,
        rule=request.args.get("rule") if request.args.get("rule") in rules_known else None,
        pool=request.args.get("pool") if request.args.get("pool") in pools_known else None,
        day=_date_arg("date", campaign),
    )
    items = gap_list.gap_items(
        campaign,
        store.gaps(version_id, filters.ward),
        lambda row: _slot_name(campaign, row.shift_id, row.mobile_point_id),
        rule_label,
    )
    items = gap_list.filtered(items, filters)
    order = {place.code: index for index, place in enumerate(campaign.wards)}
    groups = gap_list.grouped(items, lambda code: _ward_name(campaign, code), order)
    page = _paginate(groups, GAP_WARDS_PER_PAGE)
    places = gap_list.FixPlaces.of(record, store.latest_published())
    places.attach(item for group in page.items for day in group.days for item in day.items)
    return render_template(
        "coordinator/gaps.html",
        version=record,
        campaign=campaign,
        page=page,
        filters=filters,
        rule_labels=rules_known,
        pool_labels=pools_known,
        day_text=gap_list.day_text,
        words=gap_list.item_words(),
        open_limit=GAP_ITEMS_OPEN,
        gap_count=len(items),
        ward_count=len(groups),
        missing_total=sum(item.row.missing for item in items),
    )


def _load_spread_charts(campaign: Campaign, roster, pool: str | None) -> list:
    """The people page's charts: per pool (or the one chosen), each person's hours in their busiest week."""
    from scheduler.coverage import busiest_weeks
    from web import charts

    labels = pool_labels()
    by_pool: dict[str, list] = defaultdict(list)
    for load in busiest_weeks(campaign, roster):
        by_pool[load.pool.value].append(load)
    return [
        charts.load_spread_chart(by_pool[value], label, f"loads-{value}")
        for value, label in labels.items()
        if by_pool.get(value) and (pool is None or pool == value)
    ]


@blueprint.get("/phien-ban/<int:version_id>/nguoi")
@role_required("coordinator")
def people(version_id: int):
    """Each person's load in the version (assignments, busiest week, nights), by pool, one page at a time."""
    record = _version(version_id)
    campaign = _campaign_or_redirect()
    pool = request.args.get("pool") or None
    query = (request.args.get("q") or "").strip().casefold()
    order = request.args.get("order", "id")
    roster = store.roster_of(record)
    counts = assignment_counts(roster)
    chosen = [
        p
        for p in campaign.people
        if (pool is None or p.pool.value == pool)
        and (not query or query in p.name.casefold() or query in p.id.casefold() or query in p.phone)
    ]
    idle = sum(1 for p in chosen if not counts.get(p.id))
    if order == "most":
        chosen.sort(key=lambda p: (-counts.get(p.id, 0), p.id))
    elif order == "least":
        chosen.sort(key=lambda p: (counts.get(p.id, 0), p.id))
    page = _paginate(chosen, PEOPLE_PER_PAGE)
    loads = person_loads(campaign, roster, page.items)
    return render_template(
        "coordinator/people.html",
        version=record,
        campaign=campaign,
        page=page,
        loads=loads,
        spread_charts=_load_spread_charts(campaign, roster, pool),
        pool=pool,
        q=request.args.get("q", ""),
        order=order,
        idle=idle,
        pool_labels=pool_labels(),
        ward_name=lambda code: _ward_name(campaign, code),
    )


@blueprint.get("/phien-ban/<int:version_id>/xa/<ward_code>")
@role_required("coordinator")
def ward(version_id: int, ward_code: str):
    """One ward's roster by day and shift, with names and phone numbers, its empty slots marked, and its gaps
    by day with where each is fixed.

    The people whose slot an open event takes away (a cancellation, an absence) are struck through
    with "đã báo vắng", and the days they touch are counted again without them: a slot they leave
    short is marked short. On a phone the grid shows one day (``ngay``, else today or the first day).
    """
    from web import gap_list, live

    record = _version(version_id)
    campaign = _campaign_or_redirect()
    place = _ward_or_404(campaign, ward_code)
    cancelled = live.cancelled_slots(version_id)
    cells: dict[tuple[date, str], list[dict]] = defaultdict(list)
    for row in store.ward_assignments(version_id, ward_code):
        key = row.shift_id if row.shift_id is not None else MOBILE_COLUMN
        cells[(row.date, key)].append(_entry(campaign, row, None, cancelled))
    for row in _remote_cover(version_id, ward_code):
        cells[(row.date, row.shift_id)].append(_entry(campaign, row, _ward_name(campaign, row.ward_code), cancelled))
    columns = [
        (shift.id, f"{shift.name} ({format_time(shift.start_minute)}–{format_time(shift.end_minute)})")
        for shift in campaign.shifts
    ] + [(MOBILE_COLUMN, _("Điểm lưu động"))]
    gap_rows = store.gaps(version_id, ward_code)
    missing: dict[tuple[str, date], int] = defaultdict(int)  # (ward, day) -> people missing: the stored gaps
    short: dict[tuple[date, str], int] = {}  # (day, column) -> people missing
    whole_day: dict[date, int] = defaultdict(int)  # day -> people missing over the whole day (telecom presence)
    first_gap: dict[tuple[date, str], int] = {}  # (day, column) -> the first stored gap there, listed below
    for gap in gap_rows:
        missing[(ward_code, gap.date)] += gap.missing
        key = gap.shift_id or (MOBILE_COLUMN if gap.mobile_point_id else None)
        if key is None:
            whole_day[gap.date] += gap.missing
        else:
            short[(gap.date, key)] = short.get((gap.date, key), 0) + gap.missing
            first_gap.setdefault((gap.date, key), gap.id)
    touched = {entry["date"] for entries in cells.values() for entry in entries if entry["cancelled"]}
    if touched:  # the days as they stand, from the whole roster (a person's other work counts)
        current = live.live_campaign() or campaign
        roster = store.roster_of(record)
        for day in touched:
            gaps = [g for g in live.day_shortfalls(current, roster, day, cancelled) if g.ward_code == ward_code]
            missing[(ward_code, day)] = sum(g.missing for g in gaps)
            short = {key: count for key, count in short.items() if key[0] != day}
            whole_day[day] = 0
            for gap in gaps:
                key = gap.shift_id or (MOBILE_COLUMN if gap.mobile_point_id else None)
                if key is None:
                    whole_day[day] += gap.missing
                else:
                    short[(day, key)] = short.get((day, key), 0) + gap.missing
    shown = _date_arg("ngay", campaign)
    if shown is None:
        shown = _today() if campaign.contains_date(_today()) else campaign.start_date
    days = [(day, gap_list.day_text(day), missing.get((ward_code, day), 0)) for day in campaign.dates]
    items = gap_list.gap_items(
        campaign, gap_rows, lambda row: _slot_name(campaign, row.shift_id, row.mobile_point_id), rule_label
    )
    gap_list.FixPlaces.of(record, store.latest_published()).attach(items)
    gap_days = gap_list.grouped(items, lambda code: place.name, {}) if items else []
    return render_template(
        "coordinator/ward.html",
        version=record,
        campaign=campaign,
        place=place,
        cells=cells,
        columns=columns,
        days=days,
        shown=shown,
        short=short,
        first_gap=first_gap,
        whole_day=whole_day,
        cancelled_count=sum(1 for entries in cells.values() for entry in entries if entry["cancelled"]),
        gap_count=len(items),
        gap_days=gap_days[0].days if gap_days else [],
        words=gap_list.item_words(),
        pool_labels=pool_labels(),
        gap_pools={**pool_labels(), gap_list.ANY_POOL: _("Bất kỳ lực lượng nào")},
        pool_short=pool_short_labels(),
    )


def _remote_cover(version_id: int, ward_code: str) -> list[AssignmentRow]:
    """On-call assignments posted in another ward that list this ward among the wards they cover."""
    rows = db.session.scalars(
        select(AssignmentRow).where(
            AssignmentRow.version_id == version_id,
            AssignmentRow.ward_code != ward_code,
            AssignmentRow.covered_ward_codes.like(f"%{ward_code}%"),
        )
    )
    return [row for row in rows if ward_code in row.covered_ward_codes.split(",")]


def _entry(campaign: Campaign, row: AssignmentRow, posted_at: str | None, cancelled: set = frozenset()) -> dict:
    person = _person_of(campaign, row.person_id)
    return {
        "id": row.person_id,
        "date": row.date,
        "cancelled": (row.person_id, row.date, row.shift_id or row.mobile_point_id or "") in cancelled,
        "name": person.name if person else row.person_id,
        "pool": person.pool.value if person else "",
        "phone": person.phone if person else "",
        "point": _slot_name(campaign, None, row.mobile_point_id) if row.mobile_point_id else None,
        "posted_at": posted_at,
    }


# ------------------------------------------------------------------------------------------------ publish and diff


@blueprint.post("/phien-ban/<int:version_id>/cong-bo")
@role_required("coordinator")
def publish(version_id: int):
    """Publish a draft: volunteers see it from now on, it can no longer change, and the people it changes are told.

    A repair draft is published from its own page, which also marks the events it answers repaired.
    """
    from web import outbox, repairs

    record = _version(version_id)
    if db.session.get(repairs.Repair, version_id) is not None:
        return redirect(url_for("coordinator.repair_publish_page", version_id=version_id))
    if ActionForm().validate_on_submit():
        previous = store.latest_published()
        if record.status == "published" or not store.publish_once(version_id, _username()):
            flash(_("Phiên bản này đã được công bố."), "error")
        else:
            told = outbox.enqueue_version_notices(version_id, previous.id if previous else None)
            flash(_("Đã công bố phiên bản %(id)s; %(n)s người được báo.", id=version_id, n=told))
    return redirect(url_for("coordinator.version", version_id=version_id))


def people_to_tell(record: RosterVersion, published: RosterVersion | None) -> int:
    """How many people publishing ``record`` tells: everyone on it, or those whose shifts change against ``published``
    (counted by the database, as :func:`scheduler.changes.roster_changes` finds them)."""
    return store.people_changed(published, record)


@blueprint.get("/so-sanh")
@role_required("coordinator")
def diff():
    """Assignments added and removed between two versions."""
    campaign = _campaign_or_redirect()
    versions = _versions()
    first, second = request.args.get("a", type=parse_id), request.args.get("b", type=parse_id)
    if first is None and second is None and len(versions) >= 2:
        first, second = versions[1].id, versions[0].id
    result = None
    if first is not None and second is not None:
        old, new = _version(first), _version(second)
        found = store.differences(old, new, DIFF_ROWS_SHOWN)  # compared by the database
        wards_changed = sorted(found.wards.items(), key=lambda item: (-item[1], _ward_name(campaign, item[0])))
        result = {
            "old": old,
            "new": new,
            "added": [_diff_row(campaign, k) for k in found.added],
            "removed": [_diff_row(campaign, k) for k in found.removed],
            "added_count": found.added_count,
            "removed_count": found.removed_count,
            "kept_count": found.kept_count,
            "wards_changed": [(_ward_name(campaign, code), count) for code, count in wards_changed[:20]],
        }
    return render_template(
        "coordinator/diff.html", versions=versions, first=first, second=second, result=result, shown=DIFF_ROWS_SHOWN
    )


def _diff_row(campaign: Campaign, key: tuple) -> dict:
    person_id, ward_code, day, shift_id, point_id, _need = key
    person = _person_of(campaign, person_id)
    return {
        "person_id": person_id,
        "name": person.name if person else person_id,
        "ward": _ward_name(campaign, ward_code),
        "ward_code": ward_code,
        "date": day,
        "slot": _slot_name(campaign, shift_id, point_id),
    }


# ------------------------------------------------------------------------------------------------ exports


def _xlsx_response(write, filename: str):
    with tempfile.TemporaryDirectory(prefix="raquan-export-") as scratch:
        path = Path(scratch) / "roster.xlsx"
        write(path)
        content = path.read_bytes()
    return send_file(io.BytesIO(content), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=filename)


@blueprint.get("/phien-ban/<int:version_id>/lich.xlsx")
@role_required("coordinator")
def export_city(version_id: int):
    """The whole city's roster as a printable workbook (a summary sheet and one sheet per ward)."""
    record = _version(version_id)
    campaign = _campaign_or_redirect()

    def build(path: Path) -> None:
        roster = store.roster_of(record)
        write_roster_xlsx(campaign, roster, path, _loaded_report(campaign, roster, record))

    content = store.kept_export(record, "city", build)  # made once per version and data revision
    return send_file(
        io.BytesIO(content),
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=f"lich-truc-phien-ban-{version_id}.xlsx",
    )


@blueprint.get("/phien-ban/<int:version_id>/xa/<ward_code>/lich.xlsx")
@role_required("coordinator")
def export_ward(version_id: int, ward_code: str):
    """One ward's roster as a workbook: the date × shift grid, the contact list and the gaps."""
    record = _version(version_id)
    campaign = _campaign_or_redirect()
    place = _ward_or_404(campaign, ward_code)
    roster = store.ward_roster(record, ward_code)  # the ward's rows only
    gaps = store.explained_gaps(version_id, ward_code)
    return _xlsx_response(
        lambda path: write_ward_xlsx(campaign, roster, ward_code, path, gaps),
        f"lich-truc-phien-ban-{version_id}-{ward_code}-{ascii_slug(place.name)}.xlsx",
    )


# ------------------------------------------------------------------------------------------------ daily report


def _day_text(day: date) -> str:
    """The weekday and date in the reader's language."""
    from web.gap_list import day_text

    return day_text(day)


def _today() -> date:
    """Today by the campaign's clock (``RAQUAN_NOW`` fixes it)."""
    from web import live

    return live.today()


@blueprint.get("/bao-cao-ngay")
@role_required("coordinator")
def daily_report():
    """Every ward's coverage on one day of the latest published roster (the 16:00 report), short wards first
    with their reasons, the totals, and the day's incidents: reported, resolved, minutes to arrival and
    resolution, late ones, wards left uncovered. It prints as an administrative report of the body chosen in
    ``don_vi`` (the Department, the public-administration service centre, or one ward, then of that ward only)."""
    campaign = _campaign_or_redirect()
    record = store.latest_published()
    day = _date_arg("date", campaign)
    if day is None:
        day = _today() if campaign.contains_date(_today()) else campaign.start_date
    senders = report_senders(campaign)
    sender = request.args.get("don_vi") if request.args.get("don_vi") in senders else DEFAULT_SENDER
    sender_ward = sender if campaign.has("wards", sender) else None
    rows, cancelled_by_ward, day_gaps = [], Counter(), []
    if record:
        from web import live

        roster = store.roster_of(record)
        cancelled = {key for key in live.cancelled_slots(record.id) if key[1] == day}
        if cancelled or live.count_events("open"):
            # The day as it stands: the cancelled assignments off, the gaps recomputed by the checker's rules.
            current = live.live_campaign() or campaign
            standing = live.day_roster(current, roster, day, cancelled)
            rows = daily_rows(current, standing, day)
            cancelled_by_ward = Counter(a.ward_code for a in roster.assignments if live.is_cancelled(cancelled, a))
            day_gaps = list(standing.unfilled)
        else:
            rows = daily_rows(campaign, roster, day)
            day_gaps = [gap for gap in roster.unfilled if gap.date == day]
    if sender_ward:
        rows = [row for row in rows if row.code == sender_ward]
    order = {place.code: index for index, place in enumerate(campaign.wards)}
    rows.sort(key=lambda row: (not row.missing, -row.missing, order.get(row.code, 0)))
    reasons = _short_reasons(campaign, record.id if record else None, day, day_gaps, cancelled_by_ward)
    from web import desk, live, visit_plans

    incidents = desk.day_incidents(live.live_campaign() or campaign, day, live.now())
    visits = visit_plans.day_figures(day, campaign)
    if sender_ward:
        incidents.wards = [ward for ward in incidents.wards if ward["code"] == sender_ward]
        visits = {**visits, "wards": [ward for ward in visits["wards"] if ward["code"] == sender_ward]}
    return render_template(
        "coordinator/daily.html",
        visits=visits,
        campaign=campaign,
        version=record,
        incidents=incidents,
        day=day,
        day_text=_day_text(day),
        rows=rows,
        reasons=reasons,
        totals=_daily_totals(rows, cancelled_by_ward),
        cancelled=cancelled_by_ward,
        senders=senders,
        sender=sender,
        sender_ward=sender_ward,
        agency=senders[sender],
        recipients=_report_recipients(sender),
        generated=datetime.now(TIMEZONE),
        card_labels_css=css_string,
    )


DEFAULT_SENDER = "so"


def report_senders(campaign: Campaign) -> dict[str, tuple[str, str, str]]:
    """The bodies that send the daily report: value -> (the body above it, the body itself, the place named
    before the date), for the administrative header."""
    city = _("UBND %(province)s", province=campaign.province).upper()
    place = _short_place(campaign.province)
    senders = {
        DEFAULT_SENDER: (city, _("Sở Khoa học và Công nghệ").upper(), place),
        "trung_tam": (city, _("Trung tâm Phục vụ hành chính công").upper(), place),
    }
    for ward in campaign.wards:
        senders[ward.code] = (city, _("UBND %(ward)s", ward=ward.name).upper(), _short_place(ward.name))
    return senders


def _report_recipients(sender: str) -> list[str]:
    """Where the report goes ("Nơi nhận"): the city, the Department when another body sends it, the archive."""
    recipients = [_("UBND Thành phố (để báo cáo);")]
    if sender != DEFAULT_SENDER:
        recipients.append(_("Sở Khoa học và Công nghệ (để tổng hợp);"))
    return [*recipients, _("Lưu: VT.")]


def _short_place(name: str) -> str:
    """ "Thành phố Hà Nội" -> "Hà Nội", "Phường Định Công" -> "Định Công": the place before a document's date."""
    for prefix in ("Thành phố ", "Tỉnh ", "Phường ", "Xã ", "Đặc khu "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _short_reasons(
    campaign: Campaign, version_id: int | None, day: date, day_gaps, cancelled_by_ward: Counter
) -> dict[str, list[str]]:
    """Each short ward's reasons on ``day``: the slot, who is missing, and why (the stored explanation's cause),
    and how many people sent word they cannot come."""
    from web import gap_list
    from web.numbers import number

    lang = gap_list.reader_language()
    causes: dict[tuple, str] = {}
    if version_id is not None:
        for row in db.session.scalars(
            select(UnfilledRow).where(UnfilledRow.version_id == version_id, UnfilledRow.date == day)
        ):
            key = (row.rule, row.ward_code, row.shift_id, row.mobile_point_id, row.need or "")
            causes[key] = row.explanation_in(lang).partition(" — ")[2]
    pools = pool_labels()
    reasons: dict[str, list[str]] = defaultdict(list)
    for gap in day_gaps:
        pool = gap_list.gap_pool(campaign, gap)
        who = pools[pool].lower() if pool in pools else _("nhân sự hỗ trợ")
        text = _(
            "%(slot)s: thiếu %(count)s %(who)s",
            slot=_slot_name(campaign, gap.shift_id, gap.mobile_point_id),
            count=number(gap.missing),
            who=who,
        )
        cause = causes.get((gap.rule, gap.ward_code, gap.shift_id, gap.mobile_point_id, gap.need or ""))
        reasons[gap.ward_code].append(f"{text} — {cause}" if cause else text)
    for code, count in cancelled_by_ward.items():
        reasons[code].append(_("%(count)s người báo vắng, chưa có người thay", count=number(count)))
    return reasons


def _daily_totals(rows, cancelled_by_ward: Counter) -> dict:
    """The report's totals over its rows."""
    return {
        "wards": len(rows),
        "short": sum(1 for row in rows if row.missing),
        "assigned": sum(row.assigned for row in rows),
        "missing": sum(row.missing for row in rows),
        "telecom_present": sum(1 for row in rows if row.telecom_present),
        "telecom_required": sum(1 for row in rows if row.telecom_required),
        "oncall_covered_hours": sum(row.oncall_covered_hours for row in rows if row.oncall_required),
        "oncall_asked_hours": sum(row.oncall_asked_hours for row in rows if row.oncall_required),
        "cancelled": sum(cancelled_by_ward.get(row.code, 0) for row in rows),
    }


def css_string(text: str) -> str:
    """``text`` as a CSS string literal, every character but letters, digits and spaces escaped."""
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in str(text)) + '"'


# ------------------------------------------------------------------------------------------------ one person


def _person_or_404(person_id: str):
    """(campaign, person) for a person of the stored campaign; 404 if there is no such person."""
    campaign = _campaign_or_redirect()
    found = _person_of(campaign, person_id)
    if found is None:
        abort(404)
    return campaign, found


@blueprint.get("/nguoi/<person_id>")
@role_required("coordinator")
def person(person_id: str):
    """A person's details, their code, personal link and calendar feed to send, and their revocation."""
    from web.codes import feed_token, format_code, link_token, personal_code
    from web.volunteer import generation

    campaign, found = _person_or_404(person_id)
    current = generation(person_id)
    secret = current_app.config["SECRET_KEY"]
    credential = db.session.get(PersonCredential, person_id)
    version = store.latest_published()
    shifts = len(store.person_assignments(version.id, person_id)) if version else 0
    return render_template(
        "coordinator/person.html",
        person=found,
        pool_label=pool_labels().get(found.pool.value, ""),
        ward=_ward_name(campaign, found.home_ward_code),
        code=format_code(personal_code(secret, person_id, current)),
        link=url_for("volunteer.link", token=link_token(secret, person_id, current), _external=True),
        feed=url_for("volunteer.calendar", token=feed_token(secret, person_id, current), _external=True),
        credential=credential,
        version=version,
        shifts=shifts,
        link_days=int(current_app.config["RAQUAN_LINK_MAX_AGE_DAYS"]),
    )


@blueprint.post("/nguoi/<person_id>/thu-hoi")
@role_required("coordinator")
def revoke_person(person_id: str):
    """A new code, link and calendar feed for one person; the old ones and their open sessions stop working."""
    from web.sessions import renew_credentials

    _person_or_404(person_id)
    if ActionForm().validate_on_submit():
        renew_credentials(person_id, _username())
        logger.info("credentials of %s renewed by %s", person_id, _username())
        flash(_("Đã cấp mã, liên kết và lịch mới; mã, liên kết và lịch cũ không còn dùng được."))
    return redirect(url_for("coordinator.person", person_id=person_id))


@blueprint.post("/nguoi/<person_id>/mo-khoa")
@role_required("coordinator")
def unlock_person(person_id: str):
    """Forget the wrong-code attempts on a person's phone, so they can sign in with their code again."""
    from web.limits import reset
    from web.volunteer import PAIR_LIMIT, PHONE_LIMIT

    _campaign, found = _person_or_404(person_id)
    if ActionForm().validate_on_submit():
        reset(PHONE_LIMIT, found.phone)
        reset(PAIR_LIMIT, found.phone)
        flash(_("Đã mở khoá đăng nhập bằng mã cho số %(phone)s.", phone=found.phone))
    return redirect(url_for("coordinator.person", person_id=person_id))
