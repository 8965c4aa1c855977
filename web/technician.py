"""The technician's page for one incident (``/su-co/<token>``), reached by the signed link of their notice.

The token (:func:`web.incidents.tech_token`) names one incident and one technician; nobody signs in.
The page shows where to go and what is wrong, how long ago it was reported against the ward's limit,
and one button per step the lifecycle allows the technician from here (acknowledge, on the way,
arrived, resolved, resolved remotely by phone with a note). A step posts the revision the page
showed and goes through :func:`web.incidents.move`, so a second click, or a click on a page the desk
has changed since, records nothing. Only the technician assigned now may act: one taken off the
incident is told it went to someone else. A forged token is 404, an expired one 403.
"""

from __future__ import annotations

import math

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scheduler import dispatch
from web import incident_words, incidents, live
from web.forms import ActionForm
from web.incidents import IncidentRow

blueprint = Blueprint("technician", __name__, url_prefix="/su-co")

# The technician's own steps, in the order the buttons show them.
STEPS = (dispatch.ACKNOWLEDGED, dispatch.ON_THE_WAY, dispatch.ARRIVED, dispatch.RESOLVED, dispatch.RESOLVED_REMOTE)


def step_buttons() -> dict[str, str]:
    """Each step's button, in the page's language."""
    return {
        dispatch.ACKNOWLEDGED: _("Tôi đã nhận việc"),
        dispatch.ON_THE_WAY: _("Tôi đang đến"),
        dispatch.ARRIVED: _("Tôi đã đến nơi"),
        dispatch.RESOLVED: _("Đã xử lý xong"),
        dispatch.RESOLVED_REMOTE: _("Đã xử lý qua điện thoại"),
    }


def _open(token: str) -> tuple[IncidentRow, str]:
    """The incident and technician of a token: 404 for a forged one or an unknown incident, 403 when expired."""
    found = incidents.from_tech_token(token)
    if found is None:
        if incidents.from_tech_token(token, max_age_seconds=math.inf) is not None:
            _refuse(403, _("Liên kết này đã hết hạn. Hãy gọi bộ phận điều độ để nhận liên kết mới."))
        _refuse(404, _("Liên kết không đúng. Hãy mở đúng liên kết trong tin nhắn, hoặc gọi bộ phận điều độ."))
    incident_id, person_id = found
    row = incidents.get(incident_id)
    if row is None:
        _refuse(404, _("Liên kết không đúng. Hãy mở đúng liên kết trong tin nhắn, hoặc gọi bộ phận điều độ."))
    return row, person_id


def _refuse(status: int, message: str):
    """End the request with a page saying why the link does not open."""
    response = make_response(render_template("technician/refused.html", message=message, status=status), status)
    response.headers["Cache-Control"] = "no-store"
    abort(response)


def allowed_steps(row: IncidentRow, person_id: str) -> list[str]:
    """The steps this technician may take now (none when the incident is not theirs any more)."""
    if row.technician_id != person_id:
        return []
    return [step for step in STEPS if dispatch.can_move(row.state, step)]


def _page(token: str, row: IncidentRow, person_id: str, status: int = 200, note_error: str = ""):
    campaign = live.live_campaign()
    ward = campaign.ward(row.ward_code) if campaign is not None and campaign.has("wards", row.ward_code) else None
    at = live.now()
    mine = row.technician_id == person_id
    response = make_response(
        render_template(
            "technician/incident.html",
            token=token,
            row=row,
            ward=ward,
            mine=mine,
            category=incident_words.category_label(row.category),
            state=incident_words.state_label(row.state),
            greeting=incident_words.person_first_name(campaign, person_id),
            minutes=incident_words.minutes_since(row.reported_at, at),
            late=incident_words.late(row, at),
            expected=incident_words.expected_arrival(row) if mine else None,
            steps=incident_words.timelines(campaign, [row]).get(row.id, []),
            allowed=allowed_steps(row, person_id),
            buttons=step_buttons(),
            note_max=incidents.NOTE_MAX_CHARS,
            note_error=note_error,
        ),
        status,
    )
    response.headers["Cache-Control"] = "no-store"  # the link is personal
    return response


@blueprint.get("/<token>")
def incident(token: str):
    """The incident as its technician sees it, with a button per allowed step."""
    row, person_id = _open(token)
    return _page(token, row, person_id)


@blueprint.post("/<token>")
def step(token: str):
    """Take one step from the revision the page showed; a repeated or stale click records nothing."""
    row, person_id = _open(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    if row.technician_id != person_id:
        return _page(token, row, person_id, status=409)
    to = request.form.get("to", "")
    seen = request.form.get("revision", type=int)
    if to not in STEPS or seen is None:
        abort(400)
    note = " ".join(request.form.get("note", "").split())[: incidents.NOTE_MAX_CHARS]
    if to == dispatch.RESOLVED_REMOTE and not note:
        return _page(
            token, row, person_id, status=422, note_error=_("Hãy ghi vài lời về cách đã xử lý qua điện thoại.")
        )
    if incidents.move(row, to, f"person:{person_id}", note, seen=seen):
        flash(_("Đã ghi: %(step)s.", step=incident_words.state_label(to)))
    else:
        flash(_("Sự cố đã thay đổi trước khi bạn bấm; không có gì được ghi thêm."), "error")
    return redirect(url_for("technician.incident", token=token), code=303)
