"""The JSON API: wards and their coverage, roster versions, rosters by ward and by person, solve jobs.

Every answer is JSON, errors too (``{"error": "..."}`` with the HTTP status). Coordinators and Youth
Union officers are identified by the session cookie set by ``/dang-nhap``; a volunteer by
``session["person_id"]`` set by the volunteer pages. POSTs need the CSRF token in the ``X-CSRFToken``
header (from ``GET /api/csrf-token`` or any page's form). The OpenAPI description is
``GET /api/openapi.json`` (:mod:`web.openapi`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, jsonify, request, session, url_for
from flask_wtf.csrf import generate_csrf

from scheduler import dispatch
from web import incidents, store
from web.auth import current_user, role_required
from web.edge import MAX_ID, parse_id
from web.jobs import JobBusy
from web.models import Job, RosterVersion, db
from web.volunteer import first_name

blueprint = Blueprint("api", __name__, url_prefix="/api")

MIN_TIME_LIMIT_SECONDS = 1
MAX_TIME_LIMIT_SECONDS = 3600
MINUTES_PER_DAY = 24 * 60


# ------------------------------------------------------------------------------------------- helpers


def _timestamp(value: datetime | None) -> str | None:
    """A stored naive UTC time as ISO 8601 with ``Z``."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def _clock(minute: int) -> str:
    minute %= MINUTES_PER_DAY
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _lookup(getter, key):
    """The campaign's object for ``key``, or None when the data set no longer has it."""
    if key is None:
        return None
    try:
        return getter(key)
    except KeyError:
        return None


def _campaign_or_404():
    campaign = store.campaign()
    if campaign is None:
        abort(404, "no campaign data has been imported")
    return campaign


def _ward_or_404(campaign, code: str):
    ward = _lookup(campaign.ward, code)
    if ward is None:
        abort(404, f"no ward {code}")
    return ward


def _job_or_404(job_id: int) -> Job:
    found = db.session.get(Job, job_id)
    if found is None:
        abort(404, f"no job {job_id}")
    return found


def _version_or_404(version_id: int) -> RosterVersion:
    version = db.session.get(RosterVersion, version_id)
    if version is None:
        abort(404, f"no roster version {version_id}")
    return version


def _slot(row, campaign) -> dict:
    """Where and when an assignment is: date, ward, shift or mobile point, times."""
    shift = _lookup(campaign.shift, row.shift_id)
    point = _lookup(campaign.mobile_point, row.mobile_point_id)
    ward = _lookup(campaign.ward, row.ward_code)
    if shift is not None:
        start, end = _clock(shift.start_minute), _clock(shift.end_minute)
    elif point is not None:
        start, end = _clock(point.start_minute), _clock(point.end_minute)
    else:
        start = end = None
    return {
        "date": row.date.isoformat(),
        "ward_code": row.ward_code,
        "ward_name": ward.name if ward else None,
        "shift_id": row.shift_id,
        "shift_name": shift.name if shift else None,
        "mobile_point_id": row.mobile_point_id,
        "place": point.place if point else None,
        "start": start,
        "end": end,
        "covered_ward_codes": [code for code in row.covered_ward_codes.split(",") if code],
    }


def _staffed_slot(row, campaign) -> dict:
    """An assignment with the person's id, name, pool and phone (for coordinators)."""
    person = _lookup(campaign.person, row.person_id)
    return {
        **_slot(row, campaign),
        "person_id": row.person_id,
        "person_name": person.name if person else None,
        "pool": person.pool.value if person else None,
        "phone": person.phone if person else None,
    }


def _public_slot(row, campaign) -> dict:
    """An assignment as the public sees it: the given name and pool only."""
    person = _lookup(campaign.person, row.person_id)
    slot = _slot(row, campaign)
    del slot["covered_ward_codes"]
    return {
        **slot,
        "first_name": first_name(person.name) if person else None,
        "pool": person.pool.value if person else None,
    }


def _gap(row) -> dict:
    return {
        "rule": row.rule,
        "date": row.date.isoformat(),
        "ward_code": row.ward_code,
        "shift_id": row.shift_id,
        "mobile_point_id": row.mobile_point_id,
        "missing": row.missing,
        "need": row.need,
        "explanation": row.explanation,
        "suggestion": row.suggestion,
        "explanation_en": row.explanation_in("en"),
        "suggestion_en": row.suggestion_in("en"),
    }


def _version(version: RosterVersion) -> dict:
    return {
        "id": version.id,
        "status": version.status,
        "created_at": _timestamp(version.created_at),
        "published_at": _timestamp(version.published_at),
        "published_by": version.published_by,
        "coverage_percent": version.coverage_percent,
        "unfilled_count": version.unfilled_count,
        "assignment_count": version.assignment_count,
        "objective": version.objective,
        "solve_status": version.solve_status,
        "violations": version.violations,
        "dataset_revision": version.dataset_revision,
        "wall_seconds": version.wall_seconds,
    }


def _job(job: Job) -> dict:
    return {
        "id": job.id,
        "status": job.status,
        "time_limit_seconds": job.time_limit_seconds,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
        "message": job.message,
        "version_id": job.version_id,
        "created_by": job.created_by,
        "created_at": _timestamp(job.created_at),
        "started_at": _timestamp(job.started_at),
        "finished_at": _timestamp(job.finished_at),
    }


def _coverage(assigned: int | None, missing: int | None) -> float | None:
    if assigned is None or missing is None or assigned + missing == 0:
        return None
    return round(100.0 * assigned / (assigned + missing), 1)


def _person_shifts(person_id: str, version: RosterVersion | None, campaign, with_phone: bool) -> dict:
    person = _lookup(campaign.person, person_id)
    if person is None:
        abort(404, f"no person {person_id}")
    described = {"id": person.id, "name": person.name, "pool": person.pool.value}
    if with_phone:
        described["phone"] = person.phone
    rows = store.person_assignments(version.id, person_id) if version is not None else []
    return {
        "person": described,
        "version": version.id if version is not None else None,
        "shifts": [_slot(row, campaign) for row in rows],
    }


# ------------------------------------------------------------------------------------------- public


@blueprint.get("/openapi.json")
def openapi():
    from web.openapi import document

    return jsonify(document(current_app.config.get("SESSION_COOKIE_NAME", "session")))


@blueprint.get("/csrf-token")
def csrf_token():
    """A CSRF token bound to this session, for the ``X-CSRFToken`` header of POSTs."""
    return jsonify(csrf_token=generate_csrf())


@blueprint.get("/wards")
def wards():
    """Every ward of the campaign with its coverage in the latest published roster."""
    campaign = store.campaign()
    if campaign is None:
        return jsonify(wards=[], version=None)
    version = store.latest_published()
    assigned, missing = store.ward_totals(version) if version is not None else ({}, {})
    listed = []
    for ward in campaign.wards:
        ward_assigned = assigned.get(ward.code, 0) if version is not None else None
        ward_missing = missing.get(ward.code, 0) if version is not None else None
        listed.append(
            {
                "code": ward.code,
                "name": ward.name,
                "kind": ward.kind,
                "lat": ward.lat,
                "lon": ward.lon,
                "assigned": ward_assigned,
                "missing": ward_missing,
                "coverage_percent": _coverage(ward_assigned, ward_missing),
            }
        )
    return jsonify(wards=listed, version=version.id if version is not None else None)


@blueprint.get("/wards/<code>/roster")
def ward_roster(code: str):
    """A ward's latest published roster: given names only, no phones, no ids."""
    campaign = _campaign_or_404()
    ward = _ward_or_404(campaign, code)
    version = store.latest_published()
    rows = store.ward_assignments(version.id, code) if version is not None else []
    return jsonify(
        ward={"code": ward.code, "name": ward.name},
        version=version.id if version is not None else None,
        assignments=[_public_slot(row, campaign) for row in rows],
    )


@blueprint.get("/me/shifts")
def my_shifts():
    """The signed-in volunteer's shifts in the latest published roster."""
    person_id = session.get("person_id")
    if not isinstance(person_id, str) or not person_id:
        abort(401, "open your personal link or give your phone number and code first")
    return jsonify(_person_shifts(person_id, store.latest_published(), _campaign_or_404(), with_phone=False))


# ------------------------------------------------------------------------------------------- coordinators


@blueprint.get("/versions")
@role_required("coordinator")
def versions():
    return jsonify(versions=[_version(version) for version in store.versions()])


@blueprint.get("/versions/<int:version_id>/wards/<code>")
@role_required("coordinator")
def version_ward(version_id: int, code: str):
    """One ward's roster in one version, with names and phones, and its gaps."""
    version = _version_or_404(version_id)
    campaign = _campaign_or_404()
    ward = _ward_or_404(campaign, code)
    rows = store.ward_assignments(version.id, code)
    return jsonify(
        version=_version(version),
        ward={"code": ward.code, "name": ward.name},
        assignments=[_staffed_slot(row, campaign) for row in rows],
        unfilled=[_gap(row) for row in store.gaps(version.id, code)],
    )


@blueprint.get("/people/<person_id>/shifts")
@role_required("coordinator")
def person_shifts(person_id: str):
    """A person's shifts in the latest published roster, or in ``?version=<id>``."""
    version_id = request.args.get("version", type=parse_id)
    if "version" in request.args and version_id is None:
        abort(422, f"version must be a roster version's id (a whole number from 1 to {MAX_ID})")
    version = _version_or_404(version_id) if version_id is not None else store.latest_published()
    return jsonify(_person_shifts(person_id, version, _campaign_or_404(), with_phone=True))


def _json_object() -> dict:
    """The request's JSON object body, ``{}`` without a body; 400 when it is not JSON, 422 when not an object."""
    if not request.get_data(cache=True):
        return {}
    body = request.get_json(force=True)  # web.edge refuses malformed, non-finite, huge or deeply nested JSON
    if not isinstance(body, dict):
        abort(422, "the body must be a JSON object")
    return body


def _time_limit_seconds() -> float:
    """The ``time_limit_seconds`` of the request body (the app's default when absent), checked."""
    body = _json_object()
    unknown = sorted(set(body) - {"time_limit_seconds"})
    if unknown:
        abort(422, f"unknown fields: {', '.join(unknown)}")
    value = body.get("time_limit_seconds", current_app.config["RAQUAN_DEFAULT_TIME_LIMIT"])
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        abort(422, "time_limit_seconds must be a number")
    if not MIN_TIME_LIMIT_SECONDS <= value <= MAX_TIME_LIMIT_SECONDS:
        abort(422, f"time_limit_seconds must be between {MIN_TIME_LIMIT_SECONDS} and {MAX_TIME_LIMIT_SECONDS}")
    return float(value)


@blueprint.post("/jobs")
@role_required("coordinator")
def submit_job():
    """Start a solve of the stored campaign: 202 with the job and its ``Location``."""
    time_limit_seconds = _time_limit_seconds()
    runner = current_app.extensions["raquan_jobs"]
    try:
        job_id = runner.submit(time_limit_seconds, username=current_user().username)
    except JobBusy:
        abort(409, "another solve is running; stop it or wait for it to end")
    except LookupError as error:
        abort(422, str(error))
    job = db.session.get(Job, job_id)
    response = jsonify(_job(job))
    response.status_code = 202
    response.headers["Location"] = url_for("api.job", job_id=job_id)
    return response


@blueprint.get("/jobs/<int:job_id>")
@role_required("coordinator")
def job(job_id: int):
    """A solve job; one whose server is gone is ended first, with the reason in its message."""
    current_app.extensions["raquan_jobs"].reap()
    return jsonify(_job(_job_or_404(job_id)))


@blueprint.post("/jobs/<int:job_id>/stop")
@role_required("coordinator")
def stop_job(job_id: int):
    """Ask a running job to stop; its status turns ``stopped`` once its process has ended."""
    found = _job_or_404(job_id)
    if not current_app.extensions["raquan_jobs"].stop(job_id):
        abort(409, f"job {job_id} is not running")
    db.session.refresh(found)
    return jsonify({**_job(found), "stop_requested": True})


# ------------------------------------------------------------------------------------------- incidents

INCIDENT_ROLES = ("coordinator", "dispatcher", "ward")
INCIDENT_FIELDS = {"ward_code", "category", "urgent", "description", "place"}
INCIDENTS_DEFAULT_LIMIT = 200
INCIDENTS_MAX_LIMIT = 1000
LOCAL_OFFSET = "+07:00"  # the campaign's local time is Hanoi's


def _local(value: datetime | None) -> str | None:
    """A stored local time (the campaign's, naive) as ISO 8601 with Hanoi's offset."""
    return None if value is None else value.replace(microsecond=0).isoformat() + LOCAL_OFFSET


def _field_error(field: str, message: str, status: int = 422):
    """An error that names the field it is about."""
    response = jsonify(error=f"{field}: {message}", field=field)
    response.status_code = status
    return response


def _incident(row, campaign, steps=None, with_ids: bool = True) -> dict:
    """An incident as the API gives it; ``with_ids`` adds the technician's id (desk and coordinators)."""
    person = _lookup(campaign.person, row.technician_id) if campaign is not None else None
    ward = _lookup(campaign.ward, row.ward_code) if campaign is not None else None
    described = {
        "id": row.id,
        "ward_code": row.ward_code,
        "ward_name": ward.name if ward else None,
        "category": row.category,
        "urgent": row.urgent,
        "description": row.description,
        "place": row.place,
        "state": row.state,
        "reported_at": _local(row.reported_at),
        "reported_by": row.reported_by,
        "limit_minutes": row.limit_minutes,
        "technician_first_name": first_name(person.name) if person else None,
        "expected_arrival_minutes": row.expected_arrival_minutes,
        "assigned_at": _local(row.assigned_at),
        "acknowledged_at": _local(row.acknowledged_at),
        "on_the_way_at": _local(row.on_the_way_at),
        "arrived_at": _local(row.arrived_at),
        "resolved_at": _local(row.resolved_at),
        "cancelled_at": _local(row.cancelled_at),
        "revision": row.revision,
    }
    if with_ids:
        described["technician_id"] = row.technician_id
    if steps is not None:
        described["steps"] = [
            {
                "step": step.step,
                "at": _local(step.at),
                "by": step.by,
                "technician_id": step.technician_id if with_ids else None,
                "note": step.note,
            }
            for step in steps
        ]
    return described


def _date_argument(name: str) -> date | None:
    text = request.args.get(name)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(_field_error(name, "must be a date written YYYY-MM-DD"))


@blueprint.get("/incidents")
@role_required(*INCIDENT_ROLES)
def list_incidents():
    """Incidents, newest first: all of them for coordinators and dispatchers, a ward official's own ward's only."""
    user = current_user()
    ward = request.args.get("ward") or None
    if user.role == "ward":
        if ward is not None and ward != user.ward_code:
            abort(403, "a ward official sees only their own ward's incidents")
        ward = user.ward_code
    state = request.args.get("state") or None
    if state is not None and state not in dispatch.STATES:
        return _field_error("state", f"must be one of {', '.join(dispatch.STATES)}")
    category = request.args.get("category") or None
    if category is not None and category not in dispatch.CATEGORIES:
        return _field_error("category", f"must be one of {', '.join(dispatch.CATEGORIES)}")
    first, last = _date_argument("from"), _date_argument("to")
    if first is not None and last is not None and last < first:
        return _field_error("to", "must not be before from")
    limit_text = request.args.get("limit", str(INCIDENTS_DEFAULT_LIMIT))
    limit = int(limit_text) if limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 9 else None
    if limit is None or not 1 <= limit <= INCIDENTS_MAX_LIMIT:
        return _field_error("limit", f"must be a whole number from 1 to {INCIDENTS_MAX_LIMIT}")
    statement = incidents.query(
        ward_code=ward,
        states=[state] if state else None,
        category=category,
        first=datetime.combine(first, datetime.min.time()) if first else None,
        last=datetime.combine(last + timedelta(days=1), datetime.min.time()) if last else None,
    )
    rows = list(db.session.scalars(statement.limit(limit + 1)))
    campaign = store.campaign()
    with_ids = user.role != "ward"
    return jsonify(
        incidents=[_incident(row, campaign, with_ids=with_ids) for row in rows[:limit]],
        truncated=len(rows) > limit,
    )


def _visible_incident_or_404(incident_id: int):
    row = incidents.get(incident_id)
    user = current_user()
    if row is None or (user.role == "ward" and row.ward_code != user.ward_code):
        abort(404, f"no incident {incident_id}")
    return row


@blueprint.get("/incidents/<int:incident_id>")
@role_required(*INCIDENT_ROLES)
def get_incident(incident_id: int):
    """One incident with its steps (a ward official: only their own ward's; another's is 404)."""
    row = _visible_incident_or_404(incident_id)
    with_ids = current_user().role != "ward"
    return jsonify(_incident(row, store.campaign(), incidents.steps_of(row.id), with_ids=with_ids))


@blueprint.post("/incidents")
@role_required(*INCIDENT_ROLES)
def report_incident():
    """Report an incident: 201 with it and its ``Location``; then an urgent one may be sent at once."""
    user = current_user()
    body = _json_object()
    unknown = sorted(set(body) - INCIDENT_FIELDS)
    if unknown:
        return _field_error(unknown[0], f"unknown field (the fields are {', '.join(sorted(INCIDENT_FIELDS))})")
    ward = body.get("ward_code", user.ward_code if user.role == "ward" else None)
    if not isinstance(ward, str) or not ward:
        return _field_error("ward_code", "required: the ward's five-digit code")
    if user.role == "ward" and ward != user.ward_code:
        abort(403, "a ward official reports only for their own ward")
    for name in ("category", "description"):
        if not isinstance(body.get(name), str):
            return _field_error(name, "required, a string")
    if not isinstance(body.get("urgent"), bool):
        return _field_error("urgent", "required, true (service at the counter is blocked) or false")
    place = body.get("place", "")
    if not isinstance(place, str):
        return _field_error("place", "must be a string")
    if not body["description"].strip():
        return _field_error("description", "must not be empty")
    try:
        row = incidents.report(ward, body["category"], body["urgent"], body["description"], place, by=user.username)
    except incidents.IncidentError as error:
        return _field_error(error.field, str(error))
    incidents.auto_dispatch(row)
    row = incidents.get(row.id)
    response = jsonify(_incident(row, store.campaign(), incidents.steps_of(row.id), with_ids=user.role != "ward"))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_incident", incident_id=row.id)
    return response
