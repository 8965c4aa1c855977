"""The visits' plans: a ward's plan for a day, each team's printable route sheet, and the team's phone page.

* ``/xa-phuong/lo-trinh`` (ward officials for their own ward, coordinators for any with ``?xa=``): the
  day's teams and routes, the people not planned with the reason, and the buttons that plan the day
  (:func:`scheduler.visit_plan.plan_ward_day`) or re-plan it after a change
  (:func:`scheduler.visit_plan.replan_ward_day`: a request cancelled, a member dropped out; visits already
  recorded stay). Each plan is a new version in ``visit_plans``; the newest is in force.
* ``/xa-phuong/lo-trinh/<team>/in``: the team's route sheet for A4, with the route's map (SVG).
* ``/doi/<token>``: the team's phone page, reached by a signed link (ward, day, team) with no sign-in: the
  route in order, a map link per stop, and one tap per visit (done, not at home, needs a follow-up with a
  note) recorded through :func:`web.visits.record_outcome`, so a visit not done is on the next day's list.

The plan is built from the roster in force (the published version without the slots open events take
away, :func:`web.incidents.roster_in_force`) and the day's list (:func:`web.visits.day_list`).
"""

from __future__ import annotations

import json
import logging
import math
from datetime import date, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from geo.routemap import route_map_svg
from scheduler.events import PERSON_KINDS, Event
from scheduler.model import PRIORITY_LABELS_VI, Campaign, PriorityGroup, Roster
from scheduler.visit_plan import WardPlan, plan_from_dict, plan_to_dict, plan_ward_day, replan_ward_day
from scheduler.visits import service_label, teams_for_day
from web import incidents, live, visits
from web.auth import current_user, role_required
from web.forms import ActionForm
from web.models import db
from web.visits import VisitPlanRow, VisitRequestRow, VisitStep

logger = logging.getLogger(__name__)

blueprint = Blueprint("visit_plans", __name__)

ROLES = ("ward", "coordinator")
PLAN_SECONDS = 5.0  # PyVRP's search for one ward's day, from the button
_TOKEN_SALT = "raquan-team-route"
TEAM_LINK_DAYS = 3
OUTCOME_BUTTONS = ("done", "not_home", "follow_up")
# Why a version was made, as stored (data, in Vietnamese; plans are also made outside any request).
PLANNED_REASON = "Lập lộ trình"
REPLANNED_REASON = "Lập lại sau thay đổi"


def outcome_labels() -> dict[str, str]:
    return {
        "done": _("Đã xong"),
        "not_home": _("Không có nhà"),
        "follow_up": _("Cần quay lại"),
        "cancelled": _("Đã huỷ"),
    }


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


# ------------------------------------------------------------------------------------------------ store


def current_plan(ward_code: str, day: date) -> tuple[VisitPlanRow | None, WardPlan | None]:
    """The plan in force for a ward's day (its newest version), or (None, None)."""
    row = db.session.scalars(
        select(VisitPlanRow)
        .where(VisitPlanRow.ward_code == ward_code, VisitPlanRow.day == day)
        .order_by(VisitPlanRow.version.desc())
        .limit(1)
    ).first()
    if row is None:
        return None, None
    return row, plan_from_dict(json.loads(row.body))


def save_plan(plan: WardPlan, by: str, reason: str, now: datetime) -> VisitPlanRow:
    """Store ``plan`` as the next version of its ward's day and mark its requests planned, in one transaction.

    Two clicks at once: the unique version makes the second insert fail; it is not stored, and the version the
    first stored is returned.
    """
    newest = db.session.scalar(
        select(func.max(VisitPlanRow.version)).where(
            VisitPlanRow.ward_code == plan.ward_code, VisitPlanRow.day == plan.day
        )
    )
    version = (newest or 0) + 1
    try:
        row = VisitPlanRow(
            ward_code=plan.ward_code,
            day=plan.day,
            version=version,
            created_at=now,
            created_by=by,
            reason=reason,
            body=json.dumps(plan_to_dict(plan), ensure_ascii=False),
        )
        db.session.add(row)
        for route in plan.plan.routes:
            for visit in route.visits:
                db.session.add(
                    VisitStep(
                        request_id=int(visit.stop_id),
                        at=now,
                        by=by,
                        kind=visits.PLANNED,
                        day=plan.day,
                        team_id=route.vehicle_id,
                        note=clock(visit.start_minute),
                    )
                )
        _queue_team_notices(plan)  # its queries may flush the version: inside the same guard
        db.session.commit()
    except IntegrityError:  # another click or process stored this version first: theirs stands
        db.session.rollback()
        logger.info("plan of %s on %s: version %s stored by another request", plan.ward_code, plan.day, version)
        stored, _plan = current_plan(plan.ward_code, plan.day)
        if stored is None:
            raise
        return stored
    return row


ROUTE_NOTICE_KIND = "visit_route"


def _queue_team_notices(plan: WardPlan) -> None:
    """Queue (not commit) each member of a team with visits their team's link: once per team, day and person
    (a re-plan does not tell them again; the link always shows the plan in force)."""
    from web import outbox

    campaign = live.live_campaign()
    if campaign is None:
        return
    ward = campaign.ward(plan.ward_code).name if campaign.has("wards", plan.ward_code) else plan.ward_code
    base = current_app.config.get("RAQUAN_PUBLIC_URL") or outbox._setting("RAQUAN_PUBLIC_URL")
    for team in plan.teams:
        route = plan.route_of(team.id)
        if route is None or not route.visits:
            continue
        link = f"{base.rstrip('/')}{team_path(plan.ward_code, plan.day, team.id)}" if base else ""
        when = plan.day.strftime("%d/%m")
        subject = f"Lộ trình thăm tận nhà {when}: {team.label}, {ward}"
        text = (
            f"{subject}.\n{len(route.visits)} lượt thăm, xuất phát lúc {clock(route.depart_minute)} "
            f"từ {team.place}, về lúc {clock(route.return_minute)}.\n"
            + (f"Trang của đội (thứ tự, bản đồ, ghi kết quả): {link}" if link else "Xem trong “Ca trực của tôi”.")
        )
        sms = f"Lộ trình {when}" + (f": {link} -" if link else ":") + f" {len(route.visits)} lượt, {ward}"
        for person_id in team.member_ids:
            if not campaign.has("people", person_id):
                continue
            key = f"{ROUTE_NOTICE_KIND}:{plan.ward_code}:{plan.day.isoformat()}:{team.id}:{person_id}"
            outbox.enqueue_for_person(
                campaign.person(person_id), ROUTE_NOTICE_KIND, key, subject, text, sms_text_vi=sms, commit=False
            )


def day_requests(ward_code: str, day: date, entries: list | None = None) -> tuple[list, set[str]]:
    """The day's list as the planner takes it (waiting or visited that day), and the ids already visited.

    ``entries``: the day's list when the caller has read it already (:func:`web.visits.day_list`).
    """
    entries = visits.day_list(ward_code, day) if entries is None else entries
    taken = [e for e in entries if e.waiting or e.outcome in OUTCOME_BUTTONS]
    visited = {str(e.row.id) for e in entries if e.outcome in OUTCOME_BUTTONS}
    return [visits.to_visit_request(e.row, day) for e in taken], visited


def roster_now() -> tuple[Campaign | None, Roster | None]:
    campaign, assignments = incidents.roster_in_force()
    if campaign is None:
        return None, None
    return campaign, Roster(campaign.name, "FEASIBLE", tuple(assignments))


def plan_day(ward_code: str, day: date, by: str, now: datetime) -> VisitPlanRow | None:
    """Plan (or re-plan) a ward's day and store it; None when no roster is published."""
    campaign, roster = roster_now()
    if campaign is None or roster is None:
        return None
    requests, visited = day_requests(ward_code, day)
    _row, previous = current_plan(ward_code, day)
    if previous is None:
        plan = plan_ward_day(campaign, roster, ward_code, day, requests, seconds=PLAN_SECONDS)
        reason = PLANNED_REASON
    else:
        now_minute = now.hour * 60 + now.minute if now.date() == day else None
        plan = replan_ward_day(campaign, roster, previous, requests, done_ids=visited, now_minute=now_minute)
        reason = REPLANNED_REASON
    if plan.problems:  # never stored: the checker is the last word
        logger.error("plan of %s on %s not stored: %s", ward_code, day, plan.problems)
        return None
    return save_plan(plan, by, reason, now)


def plan_all(day: date, by: str, now: datetime, seconds: float) -> int:
    """Plan every ward's list for ``day`` within ``seconds`` in all (:func:`scheduler.visit_plan.plan_city_day`),
    storing each ward's valid plan; how many wards were planned. Wards with a plan in force are left as they are."""
    from scheduler.visit_plan import plan_city_day

    campaign, roster = roster_now()
    if campaign is None or roster is None:
        return 0
    planned = set(db.session.scalars(select(VisitPlanRow.ward_code).where(VisitPlanRow.day == day).distinct()))
    requests = []
    for ward in campaign.wards:
        if ward.code not in planned:
            requests.extend(day_requests(ward.code, day)[0])
    stored = 0
    for plan in plan_city_day(campaign, roster, day, requests, seconds=seconds).values():
        if not plan.problems:
            save_plan(plan, by, PLANNED_REASON, now)
            stored += 1
    return stored


def changes_since(plan: WardPlan, requests: list, campaign: Campaign | None, roster: Roster | None) -> list[str]:
    """What changed since the plan in force was made, in words (empty: it is up to date); ``requests`` is
    the day's list as the planner takes it now (:func:`day_requests`)."""
    notes = []
    now_ids = {r.id for r in requests}
    planned_ids = {r.id for r in plan.requests}
    gone = planned_ids - now_ids
    new = now_ids - planned_ids
    if gone:
        notes.append(_("%(n)s yêu cầu đã huỷ hoặc không còn trong danh sách", n=len(gone)))
    if new:
        notes.append(_("%(n)s yêu cầu mới", n=len(new)))
    if campaign is not None and roster is not None:
        teams = {t.id: t.member_ids for t in teams_for_day(campaign, roster, plan.ward_code, plan.day)}
        for team in plan.teams:
            if teams.get(team.id) != team.member_ids:
                notes.append(_("đội %(team)s thay đổi người", team=team.label))
    return notes


# ------------------------------------------------------------------------------------------------ links


def team_token(ward_code: str, day: date, team_id: str) -> str:
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)
    return serializer.dumps([ward_code, day.isoformat(), team_id])


def from_team_token(token: str, max_age_seconds: float) -> tuple[str, date, str] | None:
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_TOKEN_SALT)
    try:
        value = serializer.loads(token, max_age=max_age_seconds)
    except (BadSignature, ValueError, TypeError):
        return None
    if isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value):
        try:
            return value[0], date.fromisoformat(value[1]), value[2]
        except ValueError:
            return None
    return None


def team_path(ward_code: str, day: date, team_id: str) -> str:
    """The team page's path, in a request or not (a plan made after an event or by the demo has none)."""
    token = team_token(ward_code, day, team_id)
    if has_request_context():
        return url_for("visit_plans.team_page", token=token)
    with current_app.test_request_context():
        return url_for("visit_plans.team_page", token=token)


def _plans_naming(person_id: str, since: date) -> list[VisitPlanRow]:
    """The plans in force (the newest version of each ward's day) from ``since`` on whose text names the person."""
    newest = (
        select(VisitPlanRow.ward_code, VisitPlanRow.day, func.max(VisitPlanRow.version).label("version"))
        .where(VisitPlanRow.day >= since)
        .group_by(VisitPlanRow.ward_code, VisitPlanRow.day)
        .subquery()
    )
    return list(
        db.session.scalars(
            select(VisitPlanRow)
            .join(
                newest,
                (VisitPlanRow.ward_code == newest.c.ward_code)
                & (VisitPlanRow.day == newest.c.day)
                & (VisitPlanRow.version == newest.c.version),
            )
            .where(VisitPlanRow.body.contains(json.dumps(person_id)))
            .order_by(VisitPlanRow.day, VisitPlanRow.ward_code)
        )
    )


def _teams_of(row: VisitPlanRow, person_id: str) -> list[dict]:
    return [team for team in json.loads(row.body)["teams"] if person_id in team["member_ids"]]


def team_links_for(person_id: str, since: date) -> list[tuple[date, str, str]]:
    """(day, team label, link) of the teams this person is on in the plans in force from ``since`` on."""
    return [
        (row.day, team["label"], team_path(row.ward_code, row.day, team["id"]))
        for row in _plans_naming(person_id, since)
        for team in _teams_of(row, person_id)
    ]


def replan_for_event(event: Event, now: datetime) -> int:
    """Re-plan the days in force, from today on, whose teams lose the person an event takes away (a
    cancellation, an absence, someone who left); how many were re-planned."""
    if event.kind not in PERSON_KINDS or not event.person_id:
        return 0
    days = set(event.dates)

    def affected(day: date) -> bool:  # "left" is from its first date on
        return day >= min(days) if event.kind == "left" else day in days

    replanned = 0
    for row in _plans_naming(event.person_id, now.date()):
        if not affected(row.day) or not _teams_of(row, event.person_id):
            continue
        if plan_day(row.ward_code, row.day, f"event:{event.kind}", now) is not None:
            replanned += 1
    return replanned


# ------------------------------------------------------------------------------------------------ views


def _ward_code(campaign: Campaign) -> str:
    user = current_user()
    asked = request.args.get("xa") or request.form.get("xa")
    if user.role == "ward":
        if asked and asked != user.ward_code:
            abort(403)
        return user.ward_code
    if not asked or not campaign.has("wards", asked):
        abort(404)
    return asked


def _day() -> date:
    text = request.args.get("ngay") or request.form.get("ngay")
    if not text:
        return live.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400)


def _campaign() -> Campaign:
    campaign = live.live_campaign()
    if campaign is None:
        abort(404)
    return campaign


def describe(plan: WardPlan, outcomes: dict[str, str] | None = None) -> list[dict]:
    """Each team's route for a page: the visits in order with time, person, place, service and state."""
    outcomes = outcomes or {}
    teams = []
    for team in plan.teams:
        route = plan.route_of(team.id)
        stops = []
        for number, visit in enumerate(route.visits if route else (), 1):
            request_ = plan.request(visit.stop_id)
            place = plan.place_of(visit.stop_id)
            stops.append(
                {
                    "number": number,
                    "id": visit.stop_id,
                    "time": clock(visit.start_minute),
                    "end": clock(visit.end_minute),
                    "request": request_,
                    "group": PRIORITY_LABELS_VI.get(request_.priority_group, ""),
                    "service": service_label(request_.service)
                    + (f": {request_.procedure}" if request_.procedure else ""),
                    "place": place,
                    "at_home": request_.home_visit,
                    "outcome": outcomes.get(visit.stop_id),
                }
            )
        teams.append(
            {
                "team": team,
                "time": f"{clock(team.start_minute)}–{clock(team.end_minute)}",
                "depart": clock(route.depart_minute) if route else "",
                "back": clock(route.return_minute) if route else "",
                "stops": stops,
            }
        )
    return teams


def _outcomes(entries: list) -> dict[str, str]:
    """What was recorded for each visit on the day's list (:func:`web.visits.day_list`)."""
    return {str(e.row.id): e.outcome for e in entries if e.outcome}


def _members(campaign: Campaign, member_ids) -> list[tuple[str, str]]:
    return [
        (campaign.person(pid).name, campaign.person(pid).phone) if campaign.has("people", pid) else (pid, "")
        for pid in member_ids
    ]


@blueprint.get("/xa-phuong/lo-trinh")
@role_required(*ROLES)
def ward_plan():
    """A ward's plan for a day: teams, routes, who is not planned and why, and the plan / re-plan button."""
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    day = _day()
    row, plan = current_plan(ward_code, day)
    entries = visits.day_list(ward_code, day)
    requests, _visited = day_requests(ward_code, day, entries)
    changes = []
    if plan is not None:
        live_campaign, roster = roster_now()
        changes = changes_since(plan, requests, live_campaign, roster)
    unplanned = []
    if plan is not None:
        for request_id, reason in sorted(plan.plan.unplanned):
            unplanned.append({"request": plan.request(request_id), "reason": reason})
    response = make_response(
        render_template(
            "visits/plan.html",
            ward=campaign.ward(ward_code),
            day=day,
            days=[day - timedelta(days=1), day + timedelta(days=1)],
            row=row,
            plan=plan,
            teams=describe(plan, _outcomes(entries)) if plan else [],
            unplanned=unplanned,
            waiting=len(requests),
            changes=changes,
            links={t.id: team_path(ward_code, day, t.id) for t in plan.teams} if plan else {},
            is_coordinator=current_user().role == "coordinator",
            outcome_labels=outcome_labels(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/xa-phuong/lo-trinh")
@role_required(*ROLES)
def make_plan():
    """Plan the day, or re-plan it from the plan in force when there is one."""
    if not ActionForm().validate_on_submit():
        abort(400)
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    day = _day()
    user = current_user()
    stored = plan_day(ward_code, day, f"user:{user.username}", live.now())
    if stored is None:
        flash(_("Chưa lập được lộ trình: chưa có lịch trực được công bố."), "error")
    else:
        flash(_("Đã lập lộ trình (phiên bản %(v)s).", v=stored.version))
    args = {"ngay": day.isoformat()}
    if user.role != "ward":
        args["xa"] = ward_code
    return redirect(url_for("visit_plans.ward_plan", **args), code=303)


@blueprint.get("/xa-phuong/lo-trinh/<team_id>/in")
@role_required(*ROLES)
def route_sheet(team_id: str):
    """One team's route sheet for A4: the order, times, addresses, people, services and the map."""
    campaign = _campaign()
    ward_code = _ward_code(campaign)
    day = _day()
    row, plan = current_plan(ward_code, day)
    if plan is None or team_id not in {t.id for t in plan.teams}:
        abort(404)
    return _sheet(campaign, plan, row, team_id, show_phone=True)


def _sheet(campaign: Campaign, plan: WardPlan, row: VisitPlanRow, team_id: str, show_phone: bool):
    entries = visits.day_list(plan.ward_code, plan.day)
    team_view = next(t for t in describe(plan, _outcomes(entries)) if t["team"].id == team_id)
    team = plan.team(team_id)
    route = plan.route_of(team_id)
    base = next(p for p in plan.places if p.key == team.base)
    stops = [(s["place"].lat, s["place"].lon, str(s["number"]), s["place"].approximate) for s in team_view["stops"]]
    svg = route_map_svg(plan.ward_code, (base.lat, base.lon), stops, title=team.label)
    response = make_response(
        render_template(
            "visits/sheet.html",
            ward=campaign.ward(plan.ward_code),
            day=plan.day,
            row=row,
            team=team,
            view=team_view,
            members=_members(campaign, team.member_ids),
            base=base,
            route=route,
            map_svg=Markup(svg),  # built from escaped text by geo.routemap
            show_phone=show_phone,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _open_team(token: str) -> tuple[str, date, str]:
    found = from_team_token(token, TEAM_LINK_DAYS * 86400)
    if found is None:
        if from_team_token(token, math.inf) is not None:
            abort(make_response(render_template("visits/refused.html", message=_("Liên kết này đã hết hạn.")), 403))
        abort(make_response(render_template("visits/refused.html", message=_("Liên kết không đúng.")), 404))
    return found


@blueprint.get("/doi/<token>")
def team_page(token: str):
    """The team's route on a phone: the visits in order, a map link each, one tap per visit."""
    ward_code, day, team_id = _open_team(token)
    campaign = _campaign()
    row, plan = current_plan(ward_code, day)
    if plan is None or team_id not in {t.id for t in plan.teams}:
        abort(
            make_response(render_template("visits/refused.html", message=_("Đội này không còn trong lộ trình.")), 404)
        )
    entries = visits.day_list(ward_code, day)
    view = next(t for t in describe(plan, _outcomes(entries)) if t["team"].id == team_id)
    revisions = {str(e.row.id): e.row.revision for e in entries}
    response = make_response(
        render_template(
            "visits/team.html",
            token=token,
            ward=campaign.ward(ward_code),
            day=day,
            row=row,
            view=view,
            members=_members(campaign, plan.team(team_id).member_ids),
            revisions=revisions,
            outcome_labels=outcome_labels(),
            buttons=OUTCOME_BUTTONS,
            sheet=url_for("visit_plans.team_sheet", token=token),
        )
    )
    response.headers["Cache-Control"] = "no-store"  # the link is the team's own
    return response


@blueprint.get("/doi/<token>/in")
def team_sheet(token: str):
    """The route sheet from the team's own link."""
    ward_code, day, team_id = _open_team(token)
    campaign = _campaign()
    row, plan = current_plan(ward_code, day)
    if plan is None or team_id not in {t.id for t in plan.teams}:
        abort(404)
    return _sheet(campaign, plan, row, team_id, show_phone=True)


@blueprint.post("/doi/<token>")
def team_outcome(token: str):
    """Record one visit's outcome from the revision the page showed: a second tap records nothing."""
    ward_code, day, team_id = _open_team(token)
    if not ActionForm().validate_on_submit():
        abort(400)
    _row, plan = current_plan(ward_code, day)
    request_id = request.form.get("request", "")
    outcome = request.form.get("outcome", "")
    seen = request.form.get("revision", type=int)
    route = plan.route_of(team_id) if plan else None
    if route is None or request_id not in {v.stop_id for v in route.visits} or outcome not in OUTCOME_BUTTONS:
        abort(400)
    if seen is None:
        abort(400)
    note = " ".join(request.form.get("note", "").split())[: visits.NOTE_MAX_CHARS]
    if outcome == "follow_up" and not note:
        flash(_("Hãy ghi cần quay lại để làm gì."), "error")
        return redirect(url_for("visit_plans.team_page", token=token), code=303)
    if visits.record_outcome(
        int(request_id), outcome, note, f"team:{team_id}", live.now(), day, team_id, revision=seen
    ):
        flash(_("Đã ghi: %(outcome)s.", outcome=outcome_labels()[outcome]))
    else:
        flash(_("Lượt thăm này đã được ghi trước đó; không có gì được ghi thêm."), "error")
    return redirect(url_for("visit_plans.team_page", token=token) + f"#v{request_id}", code=303)


# ------------------------------------------------------------------------------------------------ report


def day_figures(day: date, campaign: Campaign | None = None) -> dict:
    """The 16:00 report's figures of mobile visits on ``day``: per priority group, per ward, and who still waits
    (on the next day's list: not served yet, not at home, or to follow up)."""
    labels = {g.value: PRIORITY_LABELS_VI[g] for g in PriorityGroup}
    order = list(labels)
    groups = visits.outcomes_by_group(day)
    rows = [
        {"group": labels.get(group, group), **{k: counts.get(k, 0) for k in OUTCOME_BUTTONS}}
        for group, counts in sorted(groups.items(), key=lambda item: order.index(item[0]) if item[0] in order else 99)
    ]
    per_ward: dict[str, dict[str, int]] = {}
    statement = (
        select(VisitRequestRow.ward_code, VisitStep.kind, func.count())
        .join(VisitRequestRow, VisitRequestRow.id == VisitStep.request_id)
        .where(VisitStep.day == day, VisitStep.kind.in_(OUTCOME_BUTTONS))
        .group_by(VisitRequestRow.ward_code, VisitStep.kind)
    )
    for ward_code, kind, count in db.session.execute(statement):
        per_ward.setdefault(ward_code, {k: 0 for k in OUTCOME_BUTTONS})[kind] = count
    wards = [
        {
            "code": code,
            "name": campaign.ward(code).name if campaign is not None and campaign.has("wards", code) else code,
            **counts,
            "waiting": visits.waiting_count(code, day + timedelta(days=1)),
        }
        for code, counts in sorted(per_ward.items())
    ]
    return {
        "groups": rows,
        "wards": wards,
        "done": sum(r["done"] for r in rows),
        "not_home": sum(r["not_home"] for r in rows),
        "follow_up": sum(r["follow_up"] for r in rows),
        "waiting": visits.waiting_count(None, day + timedelta(days=1)),
    }
