"""The ward officials' pages (``/xa-phuong/``): report an incident from a phone, follow the ward's incidents.

A ward official (role ``ward``) sees and reports only for their own ward (``User.ward_code``); another
ward's incident is not found for them, by list or by id. Coordinators and dispatchers open any ward's
page with ``?ward=CODE``. Reports go through :func:`web.incidents.report` (which names a refused
field; nothing is stored then) and then :func:`web.incidents.auto_dispatch`, which sends an urgent
incident at once when the campaign's ``auto_dispatch_urgent`` rule is on.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from scheduler import dispatch
from scheduler.model import Campaign
from web import incident_words, incidents, live
from web.auth import current_user, role_required
from web.forms import ActionForm, Form
from web.incidents import IncidentError, IncidentRow
from web.models import db

logger = logging.getLogger(__name__)

blueprint = Blueprint("ward", __name__, url_prefix="/xa-phuong")

ROLES = ("ward", "coordinator", "dispatcher")
CLOSED_SHOWN = 20  # closed incidents listed under the open ones
BLOCKED = "blocked"
NOT_BLOCKED = "not_blocked"


class ReportForm(Form):
    """A ward's report of an incident (phone-sized)."""

    category = SelectField(
        _l("Loại sự cố"), validators=[InputRequired(_l("Hãy chọn loại sự cố."))], validate_choice=False
    )
    urgency = RadioField(
        _l("Mức độ"),
        choices=[
            SelectChoice(BLOCKED, _l("Quầy một cửa đang phải ngừng phục vụ")),
            SelectChoice(NOT_BLOCKED, _l("Vẫn phục vụ được người dân")),
        ],
        validators=[InputRequired(_l("Hãy chọn mức độ."))],
        validate_choice=False,
    )
    description = TextAreaField(
        _l("Mô tả sự cố"),
        validators=[DataRequired(_l("Hãy mô tả sự cố.")), Length(max=incidents.DESCRIPTION_MAX_CHARS)],
    )
    place = StringField(_l("Địa điểm"), validators=[Length(max=incidents.PLACE_MAX_CHARS)])
    submit = SubmitField(_l("Gửi báo cáo"))


def _ward_code(campaign: Campaign) -> str | None:
    """The ward whose page this is: a ward official's own; for others ``?ward=`` (None when not chosen)."""
    user = current_user()
    if user.role == "ward":
        asked = request.args.get("ward")
        if asked and asked != user.ward_code:
            abort(403)
        return user.ward_code
    code = request.args.get("ward") or None
    if code is not None and not campaign.has("wards", code):
        abort(404)
    return code


def _campaign() -> Campaign:
    campaign = live.live_campaign()
    if campaign is None:
        abort(404)
    return campaign


def _visible(incident_id: int) -> IncidentRow:
    """The incident, if the signed-in user may see it (404 otherwise: another ward's does not exist for them)."""
    row = incidents.get(incident_id)
    user = current_user()
    if row is None or (user.role == "ward" and row.ward_code != user.ward_code):
        abort(404)
    return row


def describe(campaign: Campaign, rows: list[IncidentRow]) -> list[dict]:
    """The incidents as the ward's page shows them: words, the technician's given name, times, lateness."""
    at = live.now()
    steps = incident_words.timelines(campaign, rows)
    described = []
    for row in rows:
        described.append(
            {
                "row": row,
                "category": incident_words.category_label(row.category),
                "state": incident_words.state_label(row.state),
                "technician": incident_words.person_first_name(campaign, row.technician_id),
                "expected": incident_words.expected_arrival(row),
                "late": incident_words.late(row, at),
                "minutes": incident_words.minutes_since(row.reported_at, at),
                "steps": steps.get(row.id, []),
            }
        )
    return described


def _ward_rows(ward_code: str) -> tuple[list[IncidentRow], list[IncidentRow]]:
    """The ward's open incidents (urgent, then oldest first) and its latest closed ones."""
    opened = incidents.open_incidents(ward_code)
    closed = list(
        db.session.scalars(
            incidents.query(ward_code=ward_code, states=sorted(dispatch.CLOSED_STATES)).limit(CLOSED_SHOWN)
        )
    )
    return opened, closed


@blueprint.route("/", methods=["GET", "POST"])
@role_required(*ROLES)
def index():
    """The ward's page: the report form, then its incidents, open first, each with its timeline."""
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    if ward_code is None:
        return render_template("ward/choose.html", wards=campaign.wards)
    if not campaign.has("wards", ward_code):
        abort(404)
    ward = campaign.ward(ward_code)
    form = ReportForm()
    form.category.choices = incident_words.category_choices()
    default_place = incidents.default_place(campaign, ward_code)
    if request.method == "GET" and not form.place.data:
        form.place.data = default_place
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                row = incidents.report(
                    ward_code,
                    form.category.data,
                    form.urgency.data == BLOCKED,
                    form.description.data,
                    form.place.data,
                    by=current_user().username,
                )
            except IncidentError as error:
                field = getattr(form, "place" if error.field == "ward_code" else error.field, form.description)
                field.errors = [*field.errors, str(error)]
                status = 422
            else:
                if form.urgency.data == BLOCKED and incidents.auto_dispatch(row):
                    logger.info("incident %s sent at once (auto_dispatch_urgent)", row.id)
                flash(_("Đã gửi báo cáo sự cố #%(id)s. Bộ phận điều độ đã nhận được.", id=row.id))
                return redirect(_page_url(ward_code) + f"#incident-{row.id}")
        else:
            status = 422
    opened, closed = _ward_rows(ward_code)
    return render_template(
        "ward/index.html",
        ward=ward,
        form=form,
        default_place=default_place,
        opened=describe(campaign, opened),
        closed=describe(campaign, closed),
        page_url=_page_url(ward_code),
    ), status


def _page_url(ward_code: str) -> str:
    """The ward's page: bare for its official, with ``?ward=`` for others."""
    if current_user().role == "ward":
        return url_for("ward.index")
    return url_for("ward.index", ward=ward_code)


@blueprint.get("/su-co/<int:incident_id>")
@role_required(*ROLES)
def incident(incident_id: int):
    """One incident with its timeline."""
    campaign = _campaign()
    row = _visible(incident_id)
    return render_template(
        "ward/incident.html",
        item=describe(campaign, [row])[0],
        ward=campaign.ward(row.ward_code) if campaign.has("wards", row.ward_code) else None,
        page_url=_page_url(row.ward_code),
        cancellable=dispatch.can_move(row.state, dispatch.CANCELLED),
    )


@blueprint.post("/su-co/<int:incident_id>/huy")
@role_required(*ROLES)
def cancel(incident_id: int):
    """The ward withdraws its report (the problem went away): one step, once, from the revision seen."""
    row = _visible(incident_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    seen = request.form.get("revision", type=int)
    if seen is None:
        abort(400)
    if incidents.move(row, dispatch.CANCELLED, current_user().username, "xã, phường huỷ báo cáo", seen=seen):
        flash(_("Đã huỷ báo cáo sự cố #%(id)s.", id=incident_id))
    else:
        flash(_("Sự cố #%(id)s đã thay đổi trước khi bạn bấm; không có gì được ghi thêm.", id=incident_id), "error")
    return redirect(url_for("ward.incident", incident_id=incident_id))
