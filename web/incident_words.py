"""The incidents' words on the pages: categories, states and steps in the page's language, and an
incident's timeline as the ward's and the technician's pages show it.

The Vietnamese labels are :mod:`scheduler.dispatch`'s; each is marked here for the catalogue, so the
English page translates them (a test checks every label of the library has its mark).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from scheduler import dispatch
from scheduler.model import Campaign
from web import incidents
from web.incidents import IncidentRow, IncidentStep
from web.models import User, db
from web.volunteer import first_name


def N_(text: str) -> str:
    """Marks a string for the catalogue without translating it yet (Babel's ``N_`` keyword)."""
    return text


MARKED = frozenset(
    {
        N_("Mạng, đường truyền"),
        N_("Máy tính, máy in"),
        N_("Cổng dịch vụ công, phần mềm một cửa"),
        N_("Chữ ký số"),
        N_("VNeID, iHanoi"),
        N_("Hỏi đáp thủ tục, nghiệp vụ"),
        N_("Đã báo"),
        N_("Đã giao"),
        N_("Đã nhận"),
        N_("Đang đến"),
        N_("Đã đến"),
        N_("Đã xử lý"),
        N_("Đã xử lý qua điện thoại"),
        N_("Đã huỷ"),
        N_("Cảnh báo chậm xử lý"),
    }
)
ESCALATED_LABEL = N_("Cảnh báo chậm xử lý")


def category_label(code: str) -> str:
    category = dispatch.CATEGORIES.get(code)
    return _(category.label_vi) if category else code


def category_choices() -> list[SelectChoice]:
    """Every category for a select field, in the library's order."""
    return [SelectChoice(code, _(category.label_vi)) for code, category in dispatch.CATEGORIES.items()]


def state_label(state: str) -> str:
    """A state, or a step of the history ("escalated"), in words."""
    if state == incidents.ESCALATED:
        return _(ESCALATED_LABEL)
    label = dispatch.STATE_LABELS_VI.get(state)
    return _(label) if label else state


def person_first_name(campaign: Campaign | None, person_id: str | None) -> str:
    """A technician's given name (the pages show no full names or phones to wards)."""
    if not person_id:
        return ""
    if campaign is not None and campaign.has("people", person_id):
        return first_name(campaign.person(person_id).name)
    return person_id


def who(campaign: Campaign | None, by: str, names: dict[str, str]) -> str:
    """Who took a step: an account's display name, a technician's given name, or the system."""
    if by == "system":
        return _("Hệ thống")
    if by.startswith("person:"):
        return person_first_name(campaign, by.removeprefix("person:"))
    return names.get(by, by)


def late(row: IncidentRow, at: datetime) -> bool:
    """Whether the incident is past its limit: arrived after it, or not arrived and past it now."""
    return dispatch.incident_figures([row.record()], at).late > 0


def expected_arrival(row: IncidentRow) -> datetime | None:
    """When the technician sent is expected at the ward (None before anyone is sent)."""
    if row.assigned_at is None or row.expected_arrival_minutes is None or row.technician_id is None:
        return None
    return row.assigned_at + timedelta(minutes=row.expected_arrival_minutes)


def timelines(campaign: Campaign | None, rows: list[IncidentRow]) -> dict[int, list[dict]]:
    """Incident id → its steps in order, each with the time, the step in words, who and the note."""
    if not rows:
        return {}
    steps = list(
        db.session.scalars(
            select(IncidentStep)
            .where(IncidentStep.incident_id.in_([row.id for row in rows]))
            .order_by(IncidentStep.incident_id, IncidentStep.id)
        )
    )
    usernames = {s.by for s in steps if s.by and s.by != "system" and not s.by.startswith("person:")}
    names = (
        {
            u.username: u.display_name or u.username
            for u in db.session.scalars(select(User).where(User.username.in_(usernames)))
        }
        if usernames
        else {}
    )
    found: dict[int, list[dict]] = {row.id: [] for row in rows}
    for step in steps:
        found[step.incident_id].append(
            {
                "at": step.at,
                "step": step.step,
                "label": state_label(step.step),
                "who": who(campaign, step.by, names),
                "technician": person_first_name(campaign, step.technician_id) if step.step == dispatch.ASSIGNED else "",
                "note": step.note if step.step != dispatch.ASSIGNED else "",
            }
        )
    return found


def minutes_since(start: datetime, at: datetime) -> int:
    return max(0, int((at - start).total_seconds() // 60))
