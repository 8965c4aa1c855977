"""The OpenAPI 3.1 description of the JSON API (:mod:`web.api`), served at ``GET /api/openapi.json``."""

from __future__ import annotations

from web.edge import JSON_INT_RANGE, MAX_ID, MAX_JSON_DEPTH

OPENAPI_VERSION = "3.1.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema_type: str, **extra) -> dict:
    return {"type": [schema_type, "null"], **extra}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return {"$ref": f"#/components/responses/{description}"}


SCHEMAS = {
    "FieldError": {
        "type": "object",
        "required": ["error", "field"],
        "properties": {
            "error": {"type": "string", "description": "The field's name, a colon and what is wrong with it."},
            "field": {"type": "string", "description": "The field (or query argument) refused."},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What went wrong, in English."}},
    },
    "WardCoverage": {
        "type": "object",
        "required": ["code", "name", "kind", "lat", "lon", "assigned", "missing", "coverage_percent"],
        "properties": {
            "code": {"type": "string", "description": "The official five-digit ward code.", "examples": ["00292"]},
            "name": {"type": "string", "examples": ["Phường Bạch Mai"]},
            "kind": {"type": "string", "enum": ["Phường", "Xã", "Đặc khu"]},
            "lat": {"type": "number"},
            "lon": {"type": "number"},
            "assigned": _nullable(
                "integer",
                description="Assignments in this ward over the whole campaign (null without a published roster).",
            ),
            "missing": _nullable(
                "integer", description="People missing from slots the rules ask for, summed over the campaign's days."
            ),
            "coverage_percent": _nullable(
                "number",
                description="100 × assigned / (assigned + missing); null "
                "without a published roster or when the ward "
                "asks for nobody.",
            ),
        },
    },
    "Slot": {
        "type": "object",
        "description": "Where and when an assignment is: a shift at a ward, or a need of a mobile point.",
        "required": ["date", "ward_code", "shift_id", "mobile_point_id", "start", "end"],
        "properties": {
            "date": {"type": "string", "format": "date"},
            "ward_code": {"type": "string"},
            "ward_name": _nullable("string"),
            "shift_id": _nullable("string", description="Null for a mobile point."),
            "shift_name": _nullable("string"),
            "mobile_point_id": _nullable("string", description="Null for a shift."),
            "place": _nullable("string", description="The mobile point's place."),
            "start": _nullable("string", description="HH:MM, local time (Asia/Ho_Chi_Minh)."),
            "end": _nullable("string", description="HH:MM; earlier than start for a night shift."),
            "covered_ward_codes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Wards an on-call shift answers for.",
            },
        },
    },
    "StaffedSlot": {
        "allOf": [
            _ref("Slot"),
            {
                "type": "object",
                "required": ["person_id", "person_name", "pool", "phone"],
                "properties": {
                    "person_id": {"type": "string"},
                    "person_name": _nullable("string"),
                    "pool": _nullable("string", enum=["student", "telecom", "technician", None]),
                    "phone": _nullable("string"),
                },
            },
        ],
    },
    "PublicSlot": {
        "description": "An assignment as the public sees it: no ids, no phones, the given name only.",
        "type": "object",
        "required": ["date", "ward_code", "shift_id", "mobile_point_id", "start", "end", "first_name", "pool"],
        "properties": {
            "date": {"type": "string", "format": "date"},
            "ward_code": {"type": "string"},
            "ward_name": _nullable("string"),
            "shift_id": _nullable("string"),
            "shift_name": _nullable("string"),
            "mobile_point_id": _nullable("string"),
            "place": _nullable("string"),
            "start": _nullable("string"),
            "end": _nullable("string"),
            "first_name": _nullable("string", description="The given name (tên), the last word of the full name."),
            "pool": _nullable("string"),
        },
    },
    "Gap": {
        "type": "object",
        "properties": {
            "rule": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "ward_code": {"type": "string"},
            "shift_id": _nullable("string"),
            "mobile_point_id": _nullable("string"),
            "missing": {"type": "integer"},
            "need": {"type": "string"},
            "explanation": {"type": "string", "description": "In Vietnamese."},
            "suggestion": {"type": "string", "description": "The smallest change that closes the gap, in Vietnamese."},
            "explanation_en": {"type": "string", "description": "The explanation in English."},
            "suggestion_en": {"type": "string", "description": "The suggestion in English."},
        },
    },
    "Version": {
        "type": "object",
        "required": [
            "id",
            "status",
            "created_at",
            "published_at",
            "coverage_percent",
            "unfilled_count",
            "assignment_count",
            "objective",
        ],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["draft", "published"]},
            "created_at": {"type": "string", "format": "date-time"},
            "published_at": _nullable("string", format="date-time"),
            "published_by": _nullable("string"),
            "coverage_percent": {"type": "number"},
            "unfilled_count": {"type": "integer"},
            "assignment_count": {"type": "integer"},
            "objective": _nullable("integer"),
            "solve_status": {"type": "string"},
            "violations": {"type": "integer"},
            "dataset_revision": {"type": "integer"},
            "wall_seconds": _nullable("number"),
        },
    },
    "PersonShifts": {
        "type": "object",
        "required": ["person", "version", "shifts"],
        "properties": {
            "person": {
                "type": "object",
                "required": ["id", "name", "pool"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "pool": {"type": "string"},
                    "phone": {"type": "string", "description": "Coordinators only."},
                },
            },
            "version": _nullable("integer", description="The roster version the shifts come from."),
            "shifts": {"type": "array", "items": _ref("Slot")},
        },
    },
    "Job": {
        "type": "object",
        "required": ["id", "status", "progress_done", "progress_total", "message", "version_id"],
        "properties": {
            "id": {"type": "integer"},
            "status": {"type": "string", "enum": ["queued", "running", "done", "failed", "stopped"]},
            "time_limit_seconds": {"type": "number"},
            "progress_done": {"type": "integer", "description": "Clusters of wards solved so far."},
            "progress_total": {"type": "integer"},
            "message": {"type": "string", "description": "In Vietnamese."},
            "version_id": _nullable("integer", description="The draft version the job stored, once done."),
            "created_by": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "started_at": _nullable("string", format="date-time"),
            "finished_at": _nullable("string", format="date-time"),
            "stop_requested": {"type": "boolean", "description": "Only in the answer to a stop."},
        },
    },
    "JobRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "time_limit_seconds": {
                "type": "number",
                "minimum": 1,
                "maximum": 3600,
                "description": "The solver's time limit; the server's default when absent.",
            },
        },
    },
}

_LOCAL_TIME = "Local time in Hanoi (ISO 8601 with +07:00); null until the step is taken."
INCIDENT_STATES = [
    "reported",
    "assigned",
    "acknowledged",
    "on_the_way",
    "arrived",
    "resolved",
    "resolved_remote",
    "cancelled",
]
INCIDENT_CATEGORIES = ["network", "computer", "portal", "signature", "vneid", "procedure"]
SCHEMAS["Incident"] = {
    "type": "object",
    "description": "An incident a ward reported, and where its handling stands.",
    "required": [
        "id",
        "ward_code",
        "category",
        "urgent",
        "description",
        "place",
        "state",
        "reported_at",
        "limit_minutes",
        "revision",
    ],
    "properties": {
        "id": {"type": "integer"},
        "ward_code": {"type": "string"},
        "ward_name": _nullable("string"),
        "category": {"type": "string", "enum": INCIDENT_CATEGORIES},
        "urgent": {"type": "boolean", "description": "Service at the counter is blocked."},
        "description": {"type": "string"},
        "place": {"type": "string", "description": "Where it is; the ward's office by default."},
        "state": {"type": "string", "enum": INCIDENT_STATES},
        "reported_at": {"type": "string", "description": "Local time in Hanoi (ISO 8601 with +07:00)."},
        "reported_by": {"type": "string", "description": "The account that reported it."},
        "limit_minutes": {"type": "integer", "description": "The ward's response limit when it was reported."},
        "technician_id": _nullable(
            "string", description="The technician sent (coordinators and dispatchers only; absent for wards)."
        ),
        "technician_first_name": _nullable("string", description="The given name of the technician sent."),
        "expected_arrival_minutes": _nullable("integer", description="Minutes to arrival expected when sent."),
        "assigned_at": _nullable("string", description=_LOCAL_TIME),
        "acknowledged_at": _nullable("string", description=_LOCAL_TIME),
        "on_the_way_at": _nullable("string", description=_LOCAL_TIME),
        "arrived_at": _nullable("string", description=_LOCAL_TIME),
        "resolved_at": _nullable("string", description=_LOCAL_TIME),
        "cancelled_at": _nullable("string", description=_LOCAL_TIME),
        "revision": {"type": "integer", "description": "Raised by every step."},
        "steps": {
            "type": "array",
            "description": "The history, oldest first (single incidents only).",
            "items": {
                "type": "object",
                "required": ["step", "at", "by"],
                "properties": {
                    "step": {"type": "string", "enum": [*INCIDENT_STATES, "escalated"]},
                    "at": {"type": "string"},
                    "by": {"type": "string", "description": "An account, person:<id> (a technician) or system."},
                    "technician_id": _nullable("string"),
                    "note": {"type": "string"},
                },
            },
        },
    },
}
SCHEMAS["IncidentReport"] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["category", "urgent", "description"],
    "properties": {
        "ward_code": {
            "type": "string",
            "description": "Required for coordinators and dispatchers; a ward "
            "official's own ward by default (another is 403).",
        },
        "category": {"type": "string", "enum": INCIDENT_CATEGORIES},
        "urgent": {"type": "boolean", "description": "Service at the counter is blocked."},
        "description": {"type": "string", "minLength": 1, "maxLength": 2000},
        "place": {"type": "string", "maxLength": 200, "description": "Empty or absent: the ward's office."},
    },
}

RESPONSES = {
    "BadRequest": _json(
        _ref("Error"),
        "Bad request: a POST without a valid CSRF token, or a body that is not JSON "
        "the API reads (see the description of the API).",
    ),
    "Unauthorized": _json(_ref("Error"), "Not signed in."),
    "Forbidden": _json(_ref("Error"), "Signed in with a role that may not do this."),
    "NotFound": _json(_ref("Error"), "No such ward, version, person, job or incident."),
    "Conflict": _json(_ref("Error"), "The request conflicts with a job's state."),
    "Unprocessable": _json(_ref("Error"), "The request is well formed but cannot be done."),
    "PayloadTooLarge": _json(_ref("Error"), "The body is larger than the server accepts."),
}

COORDINATOR = [{"session": []}]
COORDINATOR_POST = [{"session": [], "csrfToken": []}]
SIGNED_IN = [{"session": []}]
SIGNED_IN_POST = [{"session": [], "csrfToken": []}]
PUBLIC: list = [{}]


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _path_parameter(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


VERSION_ID = _path_parameter("version_id", ID_SCHEMA, "A roster version's id (a larger number is 404).")
WARD_CODE = _path_parameter("code", {"type": "string"}, "A ward's five-digit code.")
JOB_ID = _path_parameter("job_id", ID_SCHEMA, "A solve job's id (a larger number is 404).")
INCIDENT_ID = _path_parameter("incident_id", ID_SCHEMA, "An incident's id (a larger number is 404).")
PERSON_ID = _path_parameter("person_id", {"type": "string"}, "A person's id from the people table.")

PATHS = {
    "/api/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": PUBLIC,
            "responses": {
                "200": {
                    "description": "The OpenAPI description.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    },
    "/api/csrf-token": {
        "get": {
            "operationId": "csrfToken",
            "summary": "A CSRF token bound to the session, for the X-CSRFToken header.",
            "description": "Sets the session cookie if there was none. Send the token back in the `X-CSRFToken` "
            "header of every POST made with the same session cookie.",
            "security": PUBLIC,
            "responses": {
                "200": _json(
                    {"type": "object", "required": ["csrf_token"], "properties": {"csrf_token": {"type": "string"}}},
                    "The token.",
                )
            },
        }
    },
    "/api/wards": {
        "get": {
            "operationId": "listWards",
            "summary": "Every ward with its coverage in the latest published roster.",
            "security": PUBLIC,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["wards", "version"],
                        "properties": {
                            "wards": {"type": "array", "items": _ref("WardCoverage")},
                            "version": _nullable("integer", description="The latest published version, if any."),
                        },
                    },
                    "The wards, in the data set's order (empty before any import).",
                )
            },
        }
    },
    "/api/wards/{code}/roster": {
        "get": {
            "operationId": "wardRoster",
            "summary": "A ward's latest published roster, for the public.",
            "description": "Given names only; no phones and no person ids.",
            "security": PUBLIC,
            "parameters": [WARD_CODE],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["ward", "version", "assignments"],
                        "properties": {
                            "ward": {
                                "type": "object",
                                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                            },
                            "version": _nullable("integer"),
                            "assignments": {"type": "array", "items": _ref("PublicSlot")},
                        },
                    },
                    "The roster (empty, version null, before anything is published).",
                ),
                "404": _error("NotFound"),
            },
        }
    },
    "/api/me/shifts": {
        "get": {
            "operationId": "myShifts",
            "summary": "The signed-in volunteer's shifts in the latest published roster.",
            "description": "The volunteer is identified by the session the volunteer pages set (personal link, or "
            "phone number and personal code).",
            "security": [{"session": []}],
            "responses": {
                "200": _json(_ref("PersonShifts"), "The shifts."),
                "401": _error("Unauthorized"),
                "404": _error("NotFound"),
            },
        }
    },
    "/api/versions": {
        "get": {
            "operationId": "listVersions",
            "summary": "Roster versions, newest first (coordinators).",
            "security": COORDINATOR,
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["versions"],
                        "properties": {"versions": {"type": "array", "items": _ref("Version")}},
                    },
                    "The versions.",
                ),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
            },
        }
    },
    "/api/versions/{version_id}/wards/{code}": {
        "get": {
            "operationId": "versionWardRoster",
            "summary": "A ward's roster in one version, with phones (coordinators).",
            "security": COORDINATOR,
            "parameters": [VERSION_ID, WARD_CODE],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["version", "ward", "assignments", "unfilled"],
                        "properties": {
                            "version": _ref("Version"),
                            "ward": {
                                "type": "object",
                                "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                            },
                            "assignments": {"type": "array", "items": _ref("StaffedSlot")},
                            "unfilled": {"type": "array", "items": _ref("Gap")},
                        },
                    },
                    "The ward's assignments and gaps.",
                ),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
            },
        }
    },
    "/api/people/{person_id}/shifts": {
        "get": {
            "operationId": "personShifts",
            "summary": "A person's shifts (coordinators).",
            "security": COORDINATOR,
            "parameters": [
                PERSON_ID,
                {
                    "name": "version",
                    "in": "query",
                    "required": False,
                    "schema": ID_SCHEMA,
                    "description": "A version id; the latest published version by default.",
                },
            ],
            "responses": {
                "200": _json(_ref("PersonShifts"), "The shifts, with the person's phone."),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
                "422": _error("Unprocessable"),
            },
        }
    },
    "/api/jobs": {
        "post": {
            "operationId": "submitJob",
            "summary": "Start a solve of the stored campaign (coordinators).",
            "description": "One job runs at a time. The result is stored as a draft version. Send the CSRF token in "
            "the `X-CSRFToken` header.",
            "security": COORDINATOR_POST,
            "requestBody": {"required": False, "content": {"application/json": {"schema": _ref("JobRequest")}}},
            "responses": {
                "202": {
                    **_json(_ref("Job"), "The job has started."),
                    "headers": {"Location": {"description": "The job's URL.", "schema": {"type": "string"}}},
                },
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "409": _error("Conflict"),
                "413": _error("PayloadTooLarge"),
                "422": _json(_ref("Error"), "A bad time limit, or no campaign data imported yet."),
            },
        }
    },
    "/api/jobs/{job_id}": {
        "get": {
            "operationId": "getJob",
            "summary": "A solve job's status and progress (coordinators).",
            "security": COORDINATOR,
            "parameters": [JOB_ID],
            "responses": {
                "200": _json(_ref("Job"), "The job."),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
            },
        }
    },
    "/api/jobs/{job_id}/stop": {
        "post": {
            "operationId": "stopJob",
            "summary": "Stop a running solve job (coordinators).",
            "description": "The job's status turns `stopped` once its process has ended; poll `GET /api/jobs/{job_id}`. "
            "Send the CSRF token in the `X-CSRFToken` header.",
            "security": COORDINATOR_POST,
            "parameters": [JOB_ID],
            "responses": {
                "200": _json(_ref("Job"), "The stop was asked for (stop_requested is true)."),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
                "409": _json(_ref("Error"), "The job is not running."),
            },
        }
    },
}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PATHS["/api/incidents"] = {
    "get": {
        "operationId": "listIncidents",
        "summary": "Incidents, newest first (coordinators and dispatchers: all; ward officials: their ward's).",
        "security": SIGNED_IN,
        "parameters": [
            _query("ward", {"type": "string"}, "A ward's code (a ward official's other than their own is 403)."),
            _query("state", {"type": "string", "enum": INCIDENT_STATES}, "Only incidents in this state."),
            _query("category", {"type": "string", "enum": INCIDENT_CATEGORIES}, "Only this category."),
            _query("from", {"type": "string", "format": "date"}, "Reported on or after this day (local)."),
            _query("to", {"type": "string", "format": "date"}, "Reported on or before this day (local)."),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "At most this many (200)."),
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["incidents", "truncated"],
                    "properties": {
                        "incidents": {"type": "array", "items": _ref("Incident")},
                        "truncated": {"type": "boolean", "description": "More matched than the limit."},
                    },
                },
                "The incidents (without their steps).",
            ),
            "401": _error("Unauthorized"),
            "403": _error("Forbidden"),
            "422": _json(_ref("FieldError"), "A filter is not valid; the answer names it."),
        },
    },
    "post": {
        "operationId": "reportIncident",
        "summary": "Report an incident (ward officials for their ward; coordinators and dispatchers for any).",
        "description": "Unknown fields are refused. When the campaign's rule auto_dispatch_urgent is on, an "
        "urgent incident is sent to its first candidate at once (the answer shows it assigned). Send the "
        "CSRF token in the `X-CSRFToken` header.",
        "security": SIGNED_IN_POST,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("IncidentReport")}}},
        "responses": {
            "201": {
                **_json(_ref("Incident"), "Stored, with its steps."),
                "headers": {"Location": {"description": "The incident's URL.", "schema": {"type": "string"}}},
            },
            "400": _error("BadRequest"),
            "401": _error("Unauthorized"),
            "403": _error("Forbidden"),
            "413": _error("PayloadTooLarge"),
            "422": _json(_ref("FieldError"), "A field is missing or not valid; the answer names it."),
        },
    },
}
PATHS["/api/incidents/{incident_id}"] = {
    "get": {
        "operationId": "getIncident",
        "summary": "One incident with its steps (a ward official: only their ward's; another's is 404).",
        "security": SIGNED_IN,
        "parameters": [INCIDENT_ID],
        "responses": {
            "200": _json(_ref("Incident"), "The incident and its steps."),
            "401": _error("Unauthorized"),
            "403": _error("Forbidden"),
            "404": _error("NotFound"),
        },
    }
}


def document(session_cookie_name: str = "session") -> dict:
    """The OpenAPI document; ``session_cookie_name`` is the app's session cookie."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Ra Quân API",
            "version": "1.0.0",
            "description": (
                "The JSON API of Ra Quân, the volunteer roster of Hanoi's wards. Every answer is JSON; an error is "
                '`{"error": "..."}` with its HTTP status: 401 when not signed in, 403 for the wrong role.\n\n'
                "Authentication is the session cookie: coordinators, Youth Union officers, dispatchers and ward "
                "officials sign in at "
                "`POST /dang-nhap` (a form); volunteers by opening their personal link or giving their phone "
                "number and personal code on the volunteer pages.\n\n"
                "CSRF: every POST must carry the session's CSRF token in the `X-CSRFToken` header (get it from "
                "`GET /api/csrf-token` with the same cookie, or from any page's form field `csrf_token`). "
                "A POST without a valid token is refused with 400.\n\n"
                "Input: a JSON body holding `NaN` or `Infinity`, a whole number outside "
                f"[{JSON_INT_RANGE[0]}, {JSON_INT_RANGE[1]}], a number too large for a double, or arrays and "
                f"objects nested more than {MAX_JSON_DEPTH} levels deep is refused with 400. Strings are read in "
                "Unicode NFC without control characters (tab and newline kept) or bidirectional overrides. "
                f"An id above {MAX_ID} names nothing (404)."
            ),
        },
        "servers": [{"url": "/"}],
        "security": COORDINATOR,
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": session_cookie_name,
                    "description": "The signed session cookie set by the sign-in or volunteer pages.",
                },
                "csrfToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-CSRFToken",
                    "description": "The session's CSRF token; required on every POST.",
                },
            },
        },
    }
