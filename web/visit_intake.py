"""The ward's daily list of mobile-service visits (``/xa-phuong/danh-sach``): register, upload, follow, cancel.

Ward officials (role ``ward``) and the residential-group and hamlet leaders they invite (role
``group``, scoped to the same ward and allowed only these pages) register the people who need a
procedure done at home or at a mobile point: one at a time on a phone-sized form, or a whole list
uploaded as XLSX/CSV. Both go through one parser (:func:`scheduler.visit_io.request_from_form`,
:func:`scheduler.visit_io.read_visit_requests`): every problem is named by row and column, and an
upload with any error stores nothing. Coordinators open any ward's list with ``?xa=CODE``.

A request registered before the cut-off (the campaign's ``ward_staff_list_deadline_minute``, 15:00
by default) goes on the next day's list, after it on the day after's, and the page says so. The list
of a chosen day shows the requests still waiting (those not served earlier marked with the day they
were first registered for, with their history), those done or recorded on that day, and the same
person twice flagged. Phone numbers are shown to coordinators and ward officials; a group leader sees
only those of the people they registered.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, timedelta
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from geo.addresses import inside_ward
from scheduler import visit_io
from scheduler.model import Campaign, PriorityGroup
from scheduler.problems import Problem
from scheduler.tables import MemoryFile
from scheduler.visits import PRIORITY_RANK, SERVICES, service_date_for
from web import live, visits
from web.accounts import GENERATED_PASSWORD_BYTES, AccountForm
from web.auth import GROUP_LEADER, create_user, current_user, role_required
from web.forms import Form
from web.models import User, db

logger = logging.getLogger(__name__)

blueprint = Blueprint("intake", __name__, url_prefix="/xa-phuong/danh-sach")

ROLES = ("ward", GROUP_LEADER, "coordinator")
INVITERS = ("ward", "coordinator")  # who may invite a group leader
UPLOAD_SUFFIXES = (".xlsx", ".csv")
IN_WARD_MARGIN_KM = 0.5  # given coordinates may lie this far outside the ward's approximate polygon
HOME, POINT = "home", "point"
# The form's fields, by the list's canonical column names (scheduler.visit_io.VISIT_REQUESTS).
FORM_COLUMNS = {
    "full_name": "full_name",
    "priority_group": "priority_group",
    "phone": "phone",
    "group_name": "group_name",
    "street": "street",
    "lat": "lat",
    "lon": "lon",
    "home_visit": "home_visit",
    "service": "service",
    "procedure": "procedure",
    "window_start": "window_start",
    "window_end": "window_end",
    "service_minutes": "service_minutes",
    "note": "note",
}


def priority_labels() -> dict[str, str]:
    """Each priority group in words, in the page's language."""
    return {
        PriorityGroup.DISABLED.value: _("Người khuyết tật"),
        PriorityGroup.ELDERLY.value: _("Người cao tuổi"),
        PriorityGroup.POOR.value: _("Hộ nghèo"),
        PriorityGroup.NEAR_POOR.value: _("Hộ cận nghèo"),
        PriorityGroup.GENERAL.value: _("Khác"),
    }


def service_labels() -> dict[str, str]:
    return {
        "vneid": _("Kích hoạt tài khoản định danh điện tử mức 2 (VNeID)"),
        "ihanoi": _("Cài đặt và hướng dẫn ứng dụng iHanoi"),
        "procedure": _("Thủ tục hành chính trực tuyến"),
        "other": _("Hỗ trợ khác"),
    }


def outcome_labels() -> dict[str, str]:
    return {
        visits.DONE: _("Đã xong"),
        visits.NOT_HOME: _("Không có nhà"),
        visits.FOLLOW_UP: _("Cần hỗ trợ tiếp"),
        visits.CANCELLED: _("Đã huỷ"),
    }


def step_labels() -> dict[str, str]:
    return {
        visits.REGISTERED: _("Đăng ký"),
        visits.IMPORTED: _("Nhập từ danh sách"),
        visits.LATE: _("Sau giờ chốt"),
        visits.PLANNED: _("Đã xếp lịch"),
        visits.DONE: _("Đã xong"),
        visits.NOT_HOME: _("Không có nhà"),
        visits.FOLLOW_UP: _("Cần hỗ trợ tiếp"),
        visits.ROLLED: _("Chuyển sang ngày sau"),
        visits.CANCELLED: _("Đã huỷ"),
    }


class RequestForm(Form):
    """One person on the list (phone-sized). The parser checks the values; the form only bounds lengths."""

    full_name = StringField(_l("Họ và tên"), validators=[Length(max=visits.NAME_MAX_CHARS)])
    priority_group = SelectField(_l("Nhóm ưu tiên"), validate_choice=False)
    phone = StringField(_l("Số điện thoại"), validators=[Length(max=visits.PHONE_MAX_CHARS)])
    group_name = StringField(_l("Tổ dân phố/thôn"), validators=[Length(max=visits.TEXT_MAX_CHARS)])
    street = StringField(_l("Số nhà, đường"), validators=[Length(max=visits.TEXT_MAX_CHARS)])
    lat = StringField(_l("Vĩ độ (không bắt buộc)"), validators=[Length(max=30)])
    lon = StringField(_l("Kinh độ (không bắt buộc)"), validators=[Length(max=30)])
    home_visit = RadioField(
        _l("Hình thức"),
        choices=[
            SelectChoice(HOME, _l("Cần đến tận nhà")),
            SelectChoice(POINT, _l("Có thể đến điểm phục vụ lưu động")),
        ],
        default=HOME,
        validate_choice=False,
    )
    service = SelectField(_l("Dịch vụ cần hỗ trợ"), validate_choice=False)
    procedure = StringField(_l("Tên thủ tục (với thủ tục trực tuyến)"), validators=[Length(max=visits.TEXT_MAX_CHARS)])
    window_start = StringField(_l("Từ giờ"), default="08:00", validators=[Length(max=10)])
    window_end = StringField(_l("Đến giờ"), default="17:00", validators=[Length(max=10)])
    service_minutes = StringField(_l("Số phút dự kiến (để trống: theo dịch vụ)"), validators=[Length(max=10)])
    note = TextAreaField(_l("Nội dung cần hỗ trợ, lưu ý"), validators=[Length(max=visits.NOTE_MAX_CHARS)])
    submit = SubmitField(_l("Ghi vào danh sách"))

    def cells(self) -> dict[str, str]:
        """The typed values as the list's cells (column name -> text)."""
        values = {column: (getattr(self, name).data or "") for name, column in FORM_COLUMNS.items()}
        values["home_visit"] = visit_io.HOME_VALUE if self.home_visit.data != POINT else visit_io.POINT_VALUE
        return values


class UploadForm(Form):
    file = FileField(_l("Tệp danh sách (XLSX hoặc CSV)"))
    submit = SubmitField(_l("Tải lên"))


class CancelForm(Form):
    reason = StringField(
        _l("Lý do huỷ"),
        validators=[DataRequired(_l("Hãy ghi lý do huỷ.")), Length(max=visits.REASON_MAX_CHARS)],
    )
    submit = SubmitField(_l("Huỷ yêu cầu"))


class InviteForm(Form):
    username = AccountForm.username  # the same rule as every account's name
    display_name = StringField(_l("Họ tên, tổ dân phố/thôn (ví dụ: Tổ trưởng TDP số 5)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Tạo tài khoản tổ trưởng"))


# ------------------------------------------------------------------------------------------------ helpers


def _campaign() -> Campaign:
    campaign = live.live_campaign()
    if campaign is None:
        abort(404)
    return campaign


def _ward_code(campaign: Campaign) -> str | None:
    """The ward whose list this is: a ward official's or group leader's own; a coordinator's ``?xa=``."""
    user = current_user()
    asked = request.args.get("xa") or None
    if user.role in ("ward", GROUP_LEADER):
        if asked and asked != user.ward_code:
            abort(403)
        return user.ward_code
    if asked is not None and not campaign.has("wards", asked):
        abort(404)
    return asked


def _page_url(ward_code: str, day: date | None = None, **more) -> str:
    args = dict(more)
    if current_user().role not in ("ward", GROUP_LEADER):
        args["xa"] = ward_code
    if day is not None:
        args["ngay"] = day.isoformat()
    return url_for("intake.index", **args)


def _cutoff_minute(campaign: Campaign) -> int:
    return campaign.rules.ward_staff_list_deadline_minute


def _chosen_day(default: date) -> date:
    text = request.args.get("ngay") or ""
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        abort(404)


def _shows_phone(row: visits.VisitRequestRow) -> bool:
    """Coordinators and ward officials see every phone number; a group leader those they registered."""
    user = current_user()
    return user.role != GROUP_LEADER or row.registered_by == user.username


def _choices(form: RequestForm) -> None:
    groups = sorted(PriorityGroup, key=lambda g: PRIORITY_RANK[g])
    labels = priority_labels()
    form.priority_group.choices = [SelectChoice("", "—")] + [SelectChoice(g.value, labels[g.value]) for g in groups]
    services = service_labels()
    form.service.choices = [SelectChoice("", "—")] + [SelectChoice(key, services[key]) for key in SERVICES]


def _field_problems(problems: list[Problem]) -> tuple[dict[str, list[str]], list[Problem]]:
    """A form's problems beside their fields (field -> messages), and those of no field."""
    fields: dict[str, list[str]] = {}
    others = []
    for problem in problems:
        if problem.is_error and problem.column in FORM_COLUMNS:
            fields.setdefault(problem.column, []).append(problem.message)
        elif problem.is_error:
            others.append(problem)
    return fields, others


def _render(campaign: Campaign, ward_code: str, day: date, status: int = 200, **context):
    """The list page for ``day`` with the forms given in ``context`` (fresh ones for those not given)."""
    now = live.now()
    cutoff = _cutoff_minute(campaign)
    next_day, late_now = service_date_for(now, cutoff)
    form = context.pop("form", None) or RequestForm(formdata=None)
    _choices(form)
    entries = visits.day_list(ward_code, day)
    steps = visits.histories(e.row.id for e in entries)
    user = current_user()
    leaders = []
    if user.role in INVITERS:
        leaders = list(
            db.session.scalars(
                select(User).where(User.role == GROUP_LEADER, User.ward_code == ward_code).order_by(User.username)
            )
        )
    page = render_template(
        "visits/intake.html",
        ward=campaign.ward(ward_code),
        day=day,
        today=now.date(),
        next_day=next_day,
        late_now=late_now,
        cutoff=visits.cutoff_text(cutoff),
        entries=entries,
        steps=steps,
        waiting=sum(1 for e in entries if e.waiting),
        form=form,
        field_errors=context.pop("field_errors", {}),
        form_problems=context.pop("form_problems", []),
        upload=context.pop("upload", None) or UploadForm(formdata=None),
        cancel_form=CancelForm(formdata=None),
        invite=context.pop("invite", None) or InviteForm(formdata=None),
        can_invite=user.role in INVITERS,
        leaders=leaders,
        shows_phone=_shows_phone,
        can_cancel=lambda row: user.role != GROUP_LEADER or row.registered_by == user.username,
        hhmm=visits.cutoff_text,
        priorities=priority_labels(),
        services=service_labels(),
        outcomes=outcome_labels(),
        step_names=step_labels(),
        page_url=_page_url(ward_code, day),
        base_url=_page_url(ward_code),
        previous_url=_page_url(ward_code, day - timedelta(days=1)),
        following_url=_page_url(ward_code, day + timedelta(days=1)),
        template_xlsx=url_for("intake.template", suffix="xlsx"),
        template_csv=url_for("intake.template", suffix="csv"),
        xa=ward_code if user.role not in ("ward", GROUP_LEADER) else None,
        **context,
    )
    return page, status, {"Cache-Control": "no-store"}


# ------------------------------------------------------------------------------------------------ pages


@blueprint.route("/", methods=["GET", "POST"])
@role_required(*ROLES)
def index():
    """The day's list and the form to register one person."""
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    if ward_code is None:
        return render_template("visits/intake_choose.html", wards=campaign.wards)
    now = live.now()
    cutoff = _cutoff_minute(campaign)
    next_day, late = service_date_for(now, cutoff)
    day = _chosen_day(next_day)
    if request.method == "GET":
        return _render(campaign, ward_code, day)
    form = RequestForm()
    _choices(form)
    if not form.validate_on_submit():
        return _render(campaign, ward_code, day, 422, form=form)
    visit, problems = visit_io.request_from_form(
        form.cells(), ward_code, campaign.province, now, cutoff, locate=_in_ward(ward_code)
    )
    field_errors, others = _field_problems(problems)
    if visit is None:
        return _render(campaign, ward_code, day, 422, form=form, field_errors=field_errors, form_problems=others)
    try:
        request_id = visits.add_request(visit, current_user().username, now, late=late, cutoff_minute=cutoff)
    except visits.VisitError as error:
        column = {"name": "full_name"}.get(error.field, error.field)
        return _render(campaign, ward_code, day, 422, form=form, field_errors={column: [str(error)]})
    if late:
        flash(
            _(
                "Đã ghi %(name)s vào danh sách. Đăng ký sau %(time)s nên được chuyển sang danh sách ngày %(day)s.",
                name=visit.name,
                time=visits.cutoff_text(cutoff),
                day=visit.service_date.strftime("%d/%m/%Y"),
            )
        )
    else:
        flash(
            _(
                "Đã ghi %(name)s vào danh sách ngày %(day)s.",
                name=visit.name,
                day=visit.service_date.strftime("%d/%m/%Y"),
            )
        )
    return redirect(_page_url(ward_code, visit.service_date) + f"#request-{request_id}")


@blueprint.post("/tai-len")
@role_required(*ROLES)
def upload():
    """An uploaded list: every problem by row and column; with any error nothing is stored."""
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    if ward_code is None:
        abort(404)
    now = live.now()
    cutoff = _cutoff_minute(campaign)
    next_day, late = service_date_for(now, cutoff)
    form = UploadForm()
    if not form.validate_on_submit():
        abort(400)
    file = form.file.data
    name = Path(getattr(file, "filename", "") or "").name
    if not file or Path(name).suffix.lower() not in UPLOAD_SUFFIXES:
        problems = [Problem(name or "?", None, None, "hãy chọn một tệp .xlsx hoặc .csv")]
        return _render(campaign, ward_code, next_day, 422, upload=form, upload_problems=problems)
    source = MemoryFile(name, file.read())
    requests, problems = visit_io.read_visit_requests(
        source, ward_code, campaign.province, now, cutoff, locate=_in_ward(ward_code)
    )
    errors = [p for p in problems if p.is_error]
    remarks = [p for p in problems if not p.is_error]
    if errors or not requests:
        return _render(
            campaign, ward_code, next_day, 422 if errors else 200, upload=form, upload_problems=errors, remarks=remarks
        )
    try:
        ids = visits.import_requests(requests, current_user().username, now, late=late, cutoff_minute=cutoff)
    except visits.VisitError as error:
        problem = Problem(name, None, None, f"{error.field}: {error}")
        return _render(campaign, ward_code, next_day, 422, upload=form, upload_problems=[problem])
    logger.info("%s requests imported for %s by %s", len(ids), ward_code, current_user().username)
    imported = _(
        "Đã nhập %(count)s người vào danh sách ngày %(day)s.", count=len(ids), day=next_day.strftime("%d/%m/%Y")
    )
    return _render(campaign, ward_code, next_day, 200, imported=imported, remarks=remarks)


@blueprint.get("/mau.<suffix>")
@role_required(*ROLES)
def template(suffix: str):
    """The blank list to fill in: Vietnamese headers and one example row."""
    if f".{suffix}" not in UPLOAD_SUFFIXES:
        abort(404)
    content = visit_io.visit_requests_template_bytes(f".{suffix}")
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if suffix == "xlsx" else "text/csv"
    return (
        content,
        200,
        {
            "Content-Type": mimetype,
            "Content-Disposition": f'attachment; filename="danh_sach_luu_dong.{suffix}"',
        },
    )


def _replan_after_cancel(ward_code: str, day, username: str) -> None:
    """A day with routes in force is re-planned at once: the visit leaves its route, the rest stay in order."""
    from web import visit_plans

    if visit_plans.current_plan(ward_code, day)[0] is None:
        return
    if visit_plans.plan_day(ward_code, day, f"user:{username}", live.now()) is not None:
        flash(_("Lộ trình ngày %(day)s đã được lập lại.", day=day.strftime("%d/%m/%Y")))


def _in_ward(ward_code: str):
    """Whether given coordinates are in the ward: its approximate polygon, with half a kilometre's margin
    (the polygons are approximations, so a true address just past the edge is still taken)."""
    return lambda lat, lon: inside_ward(ward_code, lat, lon, margin_km=IN_WARD_MARGIN_KM)


@blueprint.post("/<int:request_id>/huy")
@role_required(*ROLES)
def cancel(request_id: int):
    """Cancel a waiting request with a reason, from the revision seen (a group leader: only their own)."""
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    row = visits.get(request_id)
    user = current_user()
    if row is None or (ward_code is not None and row.ward_code != ward_code):
        abort(404)
    if user.role in ("ward", GROUP_LEADER) and row.ward_code != user.ward_code:
        abort(404)
    if user.role == GROUP_LEADER and row.registered_by != user.username:
        abort(403)
    form = CancelForm()
    seen = request.form.get("revision", type=int)
    day = _chosen_day(row.service_date)
    back = _page_url(row.ward_code, day) + f"#request-{request_id}"
    if not form.validate_on_submit() or seen is None:
        flash(_("Hãy ghi lý do huỷ."), "error")
        return redirect(back)
    try:
        cancelled = visits.cancel_request(
            request_id, user.username, live.now(), form.reason.data, revision=seen, day=day
        )
    except visits.VisitError as error:
        flash(str(error), "error")
        return redirect(back)
    if cancelled:
        flash(_("Đã huỷ yêu cầu của %(name)s.", name=row.full_name))
        _replan_after_cancel(row.ward_code, day, user.username)
    else:
        flash(_("Yêu cầu đã thay đổi trước khi bạn bấm; không có gì được ghi thêm."), "error")
    return redirect(back)


@blueprint.post("/to-truong")
@role_required(*INVITERS)
def invite():
    """A ward official invites a residential-group leader: an account of their ward, its password shown once."""
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    if ward_code is None:
        abort(404)
    now = live.now()
    day = service_date_for(now, _cutoff_minute(campaign))[0]
    form = InviteForm()
    if not form.validate_on_submit():
        return _render(campaign, ward_code, day, 422, invite=form)
    username = form.username.data.strip()
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        form.username.errors = [*form.username.errors, _("Tên đăng nhập này đã có.")]
        return _render(campaign, ward_code, day, 422, invite=form)
    password = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    try:
        created = create_user(
            username, password, GROUP_LEADER, (form.display_name.data or "").strip(), ward_code=ward_code
        )
    except ValueError as error:  # a name taken between the check and the insert
        db.session.rollback()
        form.username.errors = [*form.username.errors, str(error)]
        return _render(campaign, ward_code, day, 422, invite=form)
    logger.info("group leader %s of %s invited by %s", created.username, ward_code, current_user().username)
    return _render(campaign, ward_code, day, 200, invited=created, invited_password=password)
