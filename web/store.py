"""The campaign's data set, rosters and their versions in the database.

The data set is the files the loader reads (``campaign.toml`` and the ``wards``, ``people``,
``mobile_points`` tables as CSV or XLSX), kept whole in ``campaign_files``. An upload is checked
together with the stored files, in memory, by the same loader as ``raquan check``
(:func:`scheduler.loader.load_campaign_files`); a file with any error is rejected and nothing is
stored (warnings and notes come back beside it).
The check and the store are serialised in the database, across server processes: the upload is
checked against the files of one data revision and stored only if a compare-and-set raises that
same revision by one; otherwise it is checked again against the newer files. The Youth Union's
pins and team wards live in their own tables and are applied to the loaded campaign.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import logging
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import (
    Integer,
    String,
    Text,
    cast,
    column,
    delete,
    except_,
    func,
    insert,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.exc import IntegrityError

from scheduler import report as figures
from scheduler.loader import CAMPAIGN_FILE, load_campaign_files, read_solve_settings
from scheduler.model import Assignment, Campaign, Pool, Roster, Unfilled
from scheduler.problems import CampaignLoadError, CheckReport, Problem, bounded, problem_count
from scheduler.roster_io import roster_json
from scheduler.settings import SolveSettings
from scheduler.tables import MemoryFile
from web.models import (
    AssignmentRow,
    CampaignFile,
    Pin,
    RosterVersion,
    Setting,
    Team,
    UnfilledRow,
    changed_rows,
    db,
    utcnow,
)

logger = logging.getLogger(__name__)

TABLES = ("wards", "people", "mobile_points")
SUFFIXES = (".csv", ".xlsx")
# One uploaded file, at most (app setting RAQUAN_MAX_UPLOAD_FILE_BYTES); MAX_CONTENT_LENGTH bounds the request.
MAX_UPLOAD_FILE_BYTES = 10 * 1024 * 1024
# Checks of one import against a data set that others keep changing, before it is refused.
IMPORT_ATTEMPTS = 3
REVISION_KEY = "dataset_revision"


class ImportRejected(ValueError):
    """An upload is refused and nothing was stored.

    Attributes
    ----------
    problems : list of Problem
        The errors, each with file, row and column, bounded (see :func:`scheduler.problems.bounded`).
    count : int
        The exact number of errors.
    report : CheckReport
        The check's errors, warnings and notes (empty when the upload was refused before any check).
    """

    def __init__(self, problems: list[Problem], report: CheckReport | None = None):
        self.problems = bounded(problems)
        self.count = problem_count(self.problems)
        self.report = report or CheckReport(errors=tuple(self.problems))
        super().__init__(f"{self.count} problems")


def max_upload_file_bytes() -> int:
    """The largest file an import takes, in bytes (``RAQUAN_MAX_UPLOAD_FILE_BYTES``, default 10 MB)."""
    return int(current_app.config.get("RAQUAN_MAX_UPLOAD_FILE_BYTES", MAX_UPLOAD_FILE_BYTES))


def size_text(size_bytes: int) -> str:
    """A file size in the reader's locale: whole KB under 1 MB, then MB with one decimal under 10 ("2,5 MB")."""
    from web.numbers import number

    if size_bytes < 1024 * 1024:
        return f"{number(-(-size_bytes // 1024))} KB"
    size = size_bytes / (1024 * 1024)
    return f"{number(size, 1 if size < 10 else 0)} MB"


def too_large(filename: str, size_bytes: int) -> str | None:
    """Why a file of ``size_bytes`` cannot be imported, in Vietnamese, or None when its size is fine."""
    limit = max_upload_file_bytes()
    if size_bytes <= limit:
        return None
    return (
        f"tệp {filename} lớn {size_text(size_bytes)}, vượt giới hạn {size_text(limit)} của một tệp tải lên; "
        "hãy bỏ các cột, trang tính không cần thiết hoặc lưu dạng .xlsx (nhỏ hơn CSV)"
    )


def stored_name(table: str, filename: str) -> str:
    """The name an upload is stored under: ``people.xlsx`` for a people table sent as XLSX."""
    suffix = Path(filename).suffix.lower()
    if table == "campaign":
        if suffix != ".toml":
            raise ValueError("campaign.toml must be a .toml file")
        return CAMPAIGN_FILE
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    if suffix not in SUFFIXES:
        raise ValueError(f"{filename}: only .csv or .xlsx")
    return f"{table}{suffix}"


def files() -> dict[str, bytes]:
    return {row.name: row.content for row in db.session.scalars(select(CampaignFile))}


def write_files(directory: Path, contents: dict[str, bytes]) -> None:
    """Write the stored files into ``directory`` (a campaign directory that ``raquan check`` reads)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in contents.items():
        (directory / name).write_bytes(content)


def _replaced(contents: dict[str, bytes], name: str, content: bytes) -> dict[str, bytes]:
    stem = Path(name).stem
    kept = {n: c for n, c in contents.items() if Path(n).stem != stem}
    kept[name] = content
    return kept


@dataclasses.dataclass(frozen=True)
class _Stored:
    """The stored data set as read for one revision."""

    campaign: Campaign | None  # None when it does not load
    report: CheckReport


def import_files(uploads: dict[str, bytes], username: str = "") -> CheckReport:
    """Replace stored files by ``uploads`` if the whole data set then loads.

    Parameters
    ----------
    uploads
        Stored name (see :func:`stored_name`) -> the file's bytes.
    username
        Who uploaded them.

    Returns
    -------
    CheckReport
        The check of the data set as stored: no errors, and its warnings and notes to show.

    Raises
    ------
    ImportRejected
        A file is over :func:`max_upload_file_bytes`, the data set would have an error (every one is
        listed, bounded), or others changed the data set during each of :data:`IMPORT_ATTEMPTS`
        checks. Nothing is stored then.

    Notes
    -----
    The check and the store hold together across server processes and on PostgreSQL: the upload
    is checked against the files of the revision read first, and stored in the transaction whose
    compare-and-set raises exactly that revision; when another change came first, it is checked
    again against the new files.
    """
    oversized = [
        Problem(name, None, None, message)
        for name, content in uploads.items()
        if (message := too_large(name, len(content)))
    ]
    if oversized:
        raise ImportRejected(oversized)
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        report = _import_checked(uploads, username)
        if report is not None:
            return report
        logger.info(
            "the data set changed while %s was checked (attempt %d); checking again",
            ", ".join(sorted(uploads)),
            attempt,
        )
    raise ImportRejected(
        [Problem(", ".join(sorted(uploads)), None, None, "dữ liệu vừa được người khác thay đổi, hãy thử lại")]
    )


def _import_checked(uploads: dict[str, bytes], username: str) -> CheckReport | None:
    """One check and store: the report when stored, None when the data set changed since it was read.

    Raises :class:`ImportRejected` when the data set with the uploads has an error.
    """
    seen = revision()  # read before the files: files read after it are this revision's or newer
    contents = files()
    db.session.commit()  # end the reading transaction, so the compare-and-set below sees the latest revision
    for name, content in uploads.items():
        contents = _replaced(contents, name, content)
    report = check_campaign_files(contents)
    if report.errors:
        raise ImportRejected(list(report.errors), report)
    try:
        if not _raise_revision_from(seen):
            db.session.rollback()
            return None
        for name, content in uploads.items():
            stem = Path(name).stem
            for row in db.session.scalars(select(CampaignFile)):
                if Path(row.name).stem == stem and row.name != name:
                    db.session.delete(row)
            db.session.merge(CampaignFile(name=name, content=content, uploaded_at=utcnow(), uploaded_by=username))
        db.session.commit()
    except IntegrityError:  # another first import created the revision at the same time
        db.session.rollback()
        return None
    except Exception:
        db.session.rollback()
        raise
    return report


def _raise_revision_from(seen: int) -> bool:
    """Set the data revision to ``seen + 1`` if it is still ``seen``; whether it was.

    The row stays locked until the transaction ends (a row lock on PostgreSQL, the write lock on
    SQLite), so of two imports that read the same revision exactly one raises it. The first import
    creates the row; a second first import then fails on its key (``IntegrityError``).
    """
    raised = db.session.execute(
        update(Setting)
        .where(Setting.key == REVISION_KEY, Setting.value == str(seen))
        .values(value=str(seen + 1))
        .execution_options(synchronize_session=False)
    )
    if raised.rowcount == 1:
        return True
    if seen == 0:  # no row yet, or one that another import has just created (then the key refuses this one)
        db.session.add(Setting(key=REVISION_KEY, value="1"))
        db.session.flush()
        return True
    return False


def import_directory(directory: Path, username: str = "") -> CheckReport:
    """Import a whole campaign directory (as ``raquan scenario`` writes it); see :func:`import_files`."""
    uploads = {
        p.name: p.read_bytes()
        for p in Path(directory).iterdir()
        if p.name == CAMPAIGN_FILE or (p.stem in TABLES and p.suffix in SUFFIXES)
    }
    return import_files(uploads, username)


def has_campaign() -> bool:
    return db.session.get(CampaignFile, CAMPAIGN_FILE) is not None


def revision() -> int:
    """The data revision as stored now (0 before the first import), read from the database, not the session."""
    value = db.session.scalar(select(Setting.value).where(Setting.key == REVISION_KEY))
    return int(value) if value is not None else 0


def bump_revision() -> int:
    """Raise the data revision in the database itself, so two changes at once never share a number."""
    raised = db.session.execute(
        update(Setting).where(Setting.key == REVISION_KEY).values(value=cast(cast(Setting.value, Integer) + 1, Text))
    )
    if raised.rowcount == 0:
        db.session.add(Setting(key=REVISION_KEY, value="1"))
        db.session.flush()
    return revision()


_cache_lock = threading.Lock()
_load_lock = threading.Lock()
_cache: dict[tuple, _Stored] = {}


def _stored() -> _Stored | None:
    """The stored data set read once per data revision (and database): the campaign or None, and the check's report.

    None when nothing is stored. One thread loads; the others wait for its result instead of loading it again.
    """
    if not has_campaign():
        return None
    key = (db.engine.url.render_as_string(hide_password=False), revision())
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    with _load_lock:
        with _cache_lock:
            cached = _cache.get(key)
        if cached is not None:
            return cached
        loaded, report = _loaded(files())
        if loaded is not None:
            loaded = apply_youth_union(
                loaded, list(db.session.scalars(select(Team))), list(db.session.scalars(select(Pin)))
            )
        stored = _Stored(loaded, report)
        with _cache_lock:
            _cache.clear()
            _cache[key] = stored
        return stored


# ------------------------------------------------------------------------- the loaded data set, kept on disk
#
# Loading the Hà Nội data set takes seconds (every cell parsed and checked), so each data set is loaded once
# for every server process: the import that stores it keeps the loaded campaign in the data directory, keyed by
# the SHA-256 of the stored files and of the code that loads them, signed with the app's secret key (a file
# that does not match its signature is ignored and loaded again).

LOADED_DIR = "cache"
LOADED_KEPT = 3
_code_digest: str | None = None


def _files_digest(contents: dict[str, bytes]) -> str:
    """The key of a data set: its files' names and bytes, and the campaign code that loads them."""
    digest = hashlib.sha256(_loader_code_digest().encode())
    for name in sorted(contents):
        digest.update(name.encode() + b"\0" + hashlib.sha256(contents[name]).digest())
    return digest.hexdigest()


def _loader_code_digest() -> str:
    """SHA-256 of the scheduler package's source: a loaded campaign is kept only for the code that made it."""
    global _code_digest
    if _code_digest is None:
        digest = hashlib.sha256()
        package = Path(figures.__file__).parent
        for path in sorted(package.rglob("*.py")):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
        _code_digest = digest.hexdigest()
    return _code_digest


def _loaded_path(key: str) -> Path:
    return Path(current_app.config["RAQUAN_DATA_DIR"]) / LOADED_DIR / f"campaign-{key}.pickle"


def _signature(body: bytes) -> bytes:
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), body, hashlib.sha256).digest()


def _keep_loaded(key: str, loaded: Campaign | None, report: CheckReport) -> None:
    """Keep a loaded data set (campaign and check report) on disk for every server process; a failure is logged."""
    try:
        path = _loaded_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = pickle.dumps((loaded, report), protocol=pickle.HIGHEST_PROTOCOL)
        handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".campaign-")
        with os.fdopen(handle, "wb") as stream:
            stream.write(_signature(body) + body)
        os.replace(scratch, path)
        kept = sorted(path.parent.glob("campaign-*.pickle"), key=_modified, reverse=True)
        for old in kept[LOADED_KEPT:]:  # the newest few: the data set in use and any being imported
            old.unlink(missing_ok=True)
    except Exception:
        logger.exception("could not keep the loaded data set")


def _modified(path: Path) -> float:
    """A file's modification time; 0 for one another process has just removed."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _read_loaded(key: str) -> tuple[Campaign | None, CheckReport] | None:
    """The data set kept by :func:`_keep_loaded`, or None (none kept, or a file that fails its signature)."""
    try:
        data = _loaded_path(key).read_bytes()
    except OSError:
        return None
    mac, body = data[:32], data[32:]
    if not hmac.compare_digest(mac, _signature(body)):
        logger.warning("ignoring a kept data set whose signature does not match")
        return None
    try:
        return pickle.loads(body)
    except Exception:
        logger.exception("could not read the kept data set")
        return None


def check_campaign_files(contents: dict[str, bytes]) -> CheckReport:
    """The loader's check of a data set held in memory; a data set without errors is kept as loaded (by the
    SHA-256 of its files), so the server processes read it when it is stored instead of loading it again."""
    loaded, report = load_campaign_files(contents)
    if not report.errors:
        _keep_loaded(_files_digest(contents), loaded, report)
    return report


def _loaded(contents: dict[str, bytes]) -> tuple[Campaign | None, CheckReport]:
    """The data set of ``contents`` loaded: read from the data directory, or loaded and kept there."""
    key = _files_digest(contents)
    kept = _read_loaded(key)
    if kept is not None:
        return kept
    loaded, report = load_campaign_files(contents)
    _keep_loaded(key, loaded, report)
    return loaded, report


def campaign() -> Campaign | None:
    """The stored campaign with the Youth Union's pins and team wards applied (cached per revision).

    Raises :class:`CampaignLoadError` when the stored files do not load; that too is remembered per
    revision, so asking again does not read the files again.
    """
    stored = _stored()
    if stored is None:
        return None
    if stored.campaign is None:
        raise CampaignLoadError(stored.report.errors)
    return stored.campaign


def solve_settings() -> SolveSettings:
    """How the stored campaign is solved: ``[solver]`` of its campaign.toml (the defaults without one)."""
    content = files().get(CAMPAIGN_FILE)
    return read_solve_settings(None if content is None else MemoryFile(CAMPAIGN_FILE, content))


def stored_report() -> CheckReport | None:
    """The check of the stored data set: its warnings and notes (and its errors, if it does not load).

    None when nothing is stored; cached per revision with :func:`campaign`.
    """
    stored = _stored()
    return None if stored is None else stored.report


def apply_youth_union(loaded: Campaign, teams: list[Team], pins: list[Pin]) -> Campaign:
    """The campaign with each placed student preferring their team's ward, and the pins added."""
    ward_codes = {w.code for w in loaded.wards}
    person_ids = {p.id for p in loaded.people}
    shift_ids = {s.id for s in loaded.shifts}
    # Placements and pins that a later import made stale (an unknown person, ward, shift or date) are left out.
    ward_of = {team.person_id: team.ward_code for team in teams if team.ward_code in ward_codes}
    people = tuple(
        dataclasses.replace(person, preferred_ward_codes=(ward_of[person.id],))
        if person.id in ward_of and person.pool is Pool.STUDENT
        else person
        for person in loaded.people
    )
    extra = tuple(
        Assignment(person_id=pin.person_id, ward_code=pin.ward_code, date=pin.date, shift_id=pin.shift_id)
        for pin in pins
        if pin.person_id in person_ids
        and pin.ward_code in ward_codes
        and pin.shift_id in shift_ids
        and loaded.contains_date(pin.date)
    )
    return dataclasses.replace(loaded, people=people, pins=loaded.pins + extra)


# ------------------------------------------------------------------------------------------- versions


def store_roster(
    roster: Roster,
    report,
    explanations,
    dataset_revision: int,
    *,
    terms: dict[str, int] | None = None,
    parent_id: int | None = None,
    kind: str = "solve",
    change_summary: str | None = None,
) -> RosterVersion:
    """Store a solved roster as a draft version with its rows and explained gaps, in one transaction.

    This is the only writer of a version (:func:`roster_of` is its reader). The gaps stored are the
    checker's (``report.unfilled``), each with its explanation from ``explanations``; ``terms`` are the
    objective's terms, unweighted (``report.terms`` when not given). ``kind`` (``solve`` or ``repair``),
    ``parent_id`` (the published version a repair starts from) and ``change_summary`` say where the
    version comes from (:func:`lineage`).
    """
    if kind not in VERSION_KINDS:
        raise ValueError(f"kind must be one of {', '.join(VERSION_KINDS)}, not {kind!r}")
    terms = report.terms if terms is None else terms
    try:
        version = RosterVersion(
            status="draft",
            dataset_revision=dataset_revision,
            solve_status=roster.status,
            objective=report.objective,
            best_bound=roster.best_bound,
            coverage_percent=report.coverage_percent,
            violations=len(report.violations),
            assignment_count=len(roster.assignments),
            unfilled_count=len(report.unfilled),
            wall_seconds=roster.wall_seconds,
            roster_json=roster_json(roster),
            objective_terms=json.dumps({name: int(value) for name, value in terms.items()}),
            campaign_name=roster.campaign_name,
        )
        db.session.add(version)
        db.session.flush()
        if kind != "solve" or parent_id is not None or change_summary is not None:
            db.session.execute(
                update(_LINEAGE)
                .where(_LINEAGE.c.id == version.id)
                .values(parent_id=parent_id, kind=kind, change_summary=change_summary)
            )
        rows = [
            dict(
                version_id=version.id,
                person_id=a.person_id,
                ward_code=a.ward_code,
                date=a.date,
                shift_id=a.shift_id,
                mobile_point_id=a.mobile_point_id,
                need_index=a.need_index,
                covered_ward_codes=",".join(a.covered_ward_codes),
            )
            for a in roster.assignments
        ]
        if rows:  # one executemany of the table's insert: no ORM objects for 30,000 rows
            db.session.execute(insert(AssignmentRow.__table__), rows)
        gaps = []
        for u, explained in zip(report.unfilled, _explanations_in_order(report.unfilled, explanations), strict=True):
            gaps.append(
                dict(
                    version_id=version.id,
                    rule=u.rule,
                    ward_code=u.ward_code,
                    date=u.date,
                    shift_id=u.shift_id,
                    mobile_point_id=u.mobile_point_id,
                    missing=u.missing,
                    need=u.need,
                    explanation=explained.text_vi if explained else "",
                    suggestion=explained.suggestion_vi if explained else "",
                    explanation_en=explained.text_en if explained else "",
                    suggestion_en=explained.suggestion_en if explained else "",
                    suggestion_kind=explained.kind if explained else "",
                    suggestion_person_id=explained.person_id if explained else "",
                )
            )
        if gaps:
            db.session.execute(insert(UnfilledRow.__table__), gaps)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    _remember_roster(version, roster.assignments, report.unfilled)
    return version


def _explanations_in_order(unfilled, explanations) -> list:
    """The explanation of each unfilled slot (None when it has none): the one made for that very slot, else
    the next one made for an equal slot (explanations may come back with copies of the slots)."""
    by_id = {id(e.unfilled): e for e in explanations}
    by_slot: dict[Unfilled, list] = {}
    for e in explanations:
        by_slot.setdefault(e.unfilled, []).append(e)
    paired = []
    for u in unfilled:
        explained = by_id.get(id(u))
        if explained is None and by_slot.get(u):
            explained = by_slot[u].pop(0)
        paired.append(explained)
    return paired


# Where a version comes from: columns of roster_versions (migration 0006) read and written here only.
VERSION_KINDS = ("solve", "repair")
_LINEAGE = table(
    "roster_versions",
    column("id", Integer),
    column("parent_id", Integer),
    column("kind", String),
    column("change_summary", Text),
)


@dataclasses.dataclass(frozen=True)
class Lineage:
    """Where a version comes from: a solve, or a repair of the published version ``parent_id``."""

    version_id: int
    parent_id: int | None
    kind: str
    change_summary: str | None


def lineages(version_ids) -> dict[int, Lineage]:
    """The lineage of each of the versions (ids that do not exist are left out)."""
    ids = sorted({int(i) for i in version_ids})
    if not ids:
        return {}
    rows = db.session.execute(
        select(_LINEAGE.c.id, _LINEAGE.c.parent_id, _LINEAGE.c.kind, _LINEAGE.c.change_summary).where(
            _LINEAGE.c.id.in_(ids)
        )
    )
    return {row.id: Lineage(row.id, row.parent_id, row.kind or "solve", row.change_summary) for row in rows}


def lineage(version_id: int) -> Lineage | None:
    """The lineage of one version; None when there is no such version."""
    return lineages([version_id]).get(version_id)


def repair_drafts(parent_id: int | None = None) -> list[RosterVersion]:
    """The drafts of kind ``repair`` (of one parent, or all), newest first."""
    query = select(_LINEAGE.c.id).where(_LINEAGE.c.kind == "repair")
    if parent_id is not None:
        query = query.where(_LINEAGE.c.parent_id == parent_id)
    ids = list(db.session.scalars(query))
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(RosterVersion)
            .where(RosterVersion.id.in_(ids), RosterVersion.status == "draft")
            .order_by(RosterVersion.id.desc())
        )
    )


def published_versions() -> list[RosterVersion]:
    """Every published version in the order published, oldest first."""
    return list(
        db.session.scalars(
            select(RosterVersion)
            .where(RosterVersion.status == "published")
            .order_by(RosterVersion.published_at, RosterVersion.id)
        )
    )


def published_before(version: RosterVersion) -> RosterVersion | None:
    """The version published just before ``version`` (for a draft: the latest published one)."""
    earlier = [v for v in published_versions() if v.id != version.id]
    if version.status == "published":
        order = (version.published_at, version.id)
        earlier = [v for v in earlier if (v.published_at, v.id) < order]
    return earlier[-1] if earlier else None


def publish(version_id: int, username: str) -> RosterVersion:
    """Publish a draft (see :func:`publish_once`); returns the version, published now or before."""
    publish_once(version_id, username)
    return db.session.get(RosterVersion, version_id)


def publish_once(version_id: int, username: str) -> bool:
    """Publish a draft in one conditional UPDATE; whether this call published it.

    Only a draft row changes, so of many simultaneous requests (in any number of server processes)
    exactly one publishes, and a published version's time and author are never rewritten.
    Raises LookupError if there is no such version.
    """
    changed = changed_rows(
        update(RosterVersion)
        .where(RosterVersion.id == version_id, RosterVersion.status == "draft")
        .values(status="published", published_at=utcnow(), published_by=username)
    )
    if changed:
        version = db.session.get(RosterVersion, version_id)
        if version is not None:
            db.session.refresh(version)
        return True
    if db.session.get(RosterVersion, version_id) is None:
        raise LookupError(f"no roster version {version_id}")
    return False


def latest_published() -> RosterVersion | None:
    return db.session.scalars(
        select(RosterVersion)
        .where(RosterVersion.status == "published")
        .order_by(RosterVersion.published_at.desc(), RosterVersion.id.desc())
    ).first()


def versions() -> list[RosterVersion]:
    return list(db.session.scalars(select(RosterVersion).order_by(RosterVersion.id.desc())))


# The columns of an assignment row, in the order :func:`assignment_of` takes them.
ASSIGNMENT_COLUMNS = (
    AssignmentRow.person_id,
    AssignmentRow.ward_code,
    AssignmentRow.date,
    AssignmentRow.shift_id,
    AssignmentRow.mobile_point_id,
    AssignmentRow.need_index,
    AssignmentRow.covered_ward_codes,
)
UNFILLED_COLUMNS = (
    UnfilledRow.rule,
    UnfilledRow.ward_code,
    UnfilledRow.date,
    UnfilledRow.shift_id,
    UnfilledRow.missing,
    UnfilledRow.mobile_point_id,
    UnfilledRow.need,
)
ROSTER_CACHE_ENTRIES = 4  # mapped rosters kept per process; a Hà Nội roster is some 30,000 assignments


def assignment_of(
    person_id: str,
    ward_code: str,
    day: date,
    shift_id: str | None,
    mobile_point_id: str | None,
    need_index: int | None,
    covered_ward_codes: str,
) -> Assignment:
    """The assignment of one stored row (its columns in :data:`ASSIGNMENT_COLUMNS` order)."""
    covered = tuple(covered_ward_codes.split(",")) if covered_ward_codes else ()
    return Assignment(person_id, ward_code, day, shift_id, mobile_point_id, need_index, covered)


def unfilled_of(
    rule: str,
    ward_code: str,
    day: date,
    shift_id: str | None,
    missing: int,
    mobile_point_id: str | None,
    need: str | None,
) -> Unfilled:
    """The unfilled slot of one stored gap (its columns in :data:`UNFILLED_COLUMNS` order)."""
    return Unfilled(rule, ward_code, day, shift_id, missing, mobile_point_id, need or "")


_roster_lock = threading.Lock()
_roster_cache: OrderedDict = OrderedDict()


def _version_roster(version: RosterVersion, assignments, unfilled) -> Roster:
    """A Roster of the stored version's figures with these assignments and gaps."""
    return Roster(
        campaign_name=version.campaign_name or "",
        status=version.solve_status,
        assignments=assignments,
        unfilled=unfilled,
        objective=version.objective,
        best_bound=version.best_bound,
        wall_seconds=version.wall_seconds,
    )


def roster_of(version: RosterVersion) -> Roster:
    """The roster of a stored version, read from its rows: assignments and gaps in the order stored, and the
    version's status, objective, bound and wall seconds.

    A version's rows never change once stored, so the roster is kept per process (the last
    :data:`ROSTER_CACHE_ENTRIES`), keyed by database, id and creation time (a deleted draft's id may be
    reused, never with the same creation time). Treat it as read-only.
    """
    key = _roster_key(version)
    with _roster_lock:
        if key in _roster_cache:
            _roster_cache.move_to_end(key)
            return _roster_cache[key]
    rows = db.session.execute(
        select(*ASSIGNMENT_COLUMNS).where(AssignmentRow.version_id == version.id).order_by(AssignmentRow.id)
    ).all()
    known = _known_assignments(key[0])
    assignments = tuple(known.get(tuple(row)) or assignment_of(*row) for row in rows)
    unfilled = tuple(
        unfilled_of(*row)
        for row in db.session.execute(
            select(*UNFILLED_COLUMNS).where(UnfilledRow.version_id == version.id).order_by(UnfilledRow.id)
        )
    )
    roster = _version_roster(version, assignments, unfilled)
    _cache_roster(key, roster)
    return roster


def _known_assignments(database: str) -> dict[tuple, Assignment]:
    """The assignments of the newest roster kept for ``database``, by their stored columns: a version made from
    another (a repair draft, a re-solve from the published roster) shares nearly all of them, and an equal
    immutable assignment is taken over instead of made again."""
    with _roster_lock:
        newest = next((roster for (url, *_rest), roster in reversed(_roster_cache.items()) if url == database), None)
    if newest is None:
        return {}
    return {
        (
            a.person_id,
            a.ward_code,
            a.date,
            a.shift_id,
            a.mobile_point_id,
            a.need_index,
            ",".join(a.covered_ward_codes),
        ): a
        for a in newest.assignments
    }


def _roster_key(version: RosterVersion) -> tuple:
    return (db.engine.url.render_as_string(hide_password=False), version.id, version.created_at)


def _cache_roster(key: tuple, roster: Roster) -> None:
    with _roster_lock:
        _roster_cache[key] = roster
        _roster_cache.move_to_end(key)
        while len(_roster_cache) > ROSTER_CACHE_ENTRIES:
            _roster_cache.popitem(last=False)


def _remember_roster(version: RosterVersion, assignments, unfilled) -> None:
    """Keep the roster just stored as :func:`roster_of` would read it back, so its first page does not read
    30,000 rows again. The stored values are the given ones, in the same order."""
    stored_unfilled = tuple(dataclasses.replace(u, need=u.need or "") for u in unfilled)
    roster = _version_roster(version, tuple(assignments), stored_unfilled)
    _cache_roster(_roster_key(version), roster)


def terms_of(version: RosterVersion) -> dict[str, int] | None:
    """The objective's terms, unweighted, stored with the version; None for a version stored without them."""
    if not version.objective_terms:
        return None
    return {name: int(value) for name, value in json.loads(version.objective_terms).items()}


def explained_gaps(version_id: int, ward_code: str | None = None) -> list[tuple[Unfilled, str, str]]:
    """The version's gaps (of one ward, or all) with their explanation and suggestion, as :func:`gaps` orders them."""
    return [
        (
            unfilled_of(row.rule, row.ward_code, row.date, row.shift_id, row.missing, row.mobile_point_id, row.need),
            row.explanation,
            row.suggestion,
        )
        for row in gaps(version_id, ward_code)
    ]


def person_assignments(version_id: int, person_id: str) -> list[AssignmentRow]:
    return list(
        db.session.scalars(
            select(AssignmentRow)
            .where(AssignmentRow.version_id == version_id, AssignmentRow.person_id == person_id)
            .order_by(AssignmentRow.date, AssignmentRow.shift_id)
        )
    )


def ward_assignments(version_id: int, ward_code: str, day: date | None = None) -> list[AssignmentRow]:
    query = select(AssignmentRow).where(AssignmentRow.version_id == version_id, AssignmentRow.ward_code == ward_code)
    if day is not None:
        query = query.where(AssignmentRow.date == day)
    return list(db.session.scalars(query.order_by(AssignmentRow.date, AssignmentRow.shift_id, AssignmentRow.person_id)))


def gaps(version_id: int, ward_code: str | None = None) -> list[UnfilledRow]:
    query = select(UnfilledRow).where(UnfilledRow.version_id == version_id)
    if ward_code:
        query = query.where(UnfilledRow.ward_code == ward_code)
    return list(db.session.scalars(query.order_by(UnfilledRow.date, UnfilledRow.ward_code, UnfilledRow.rule)))


def delete_draft(version_id: int) -> None:
    """Delete a draft version (published ones are refused by the model)."""
    version = db.session.get(RosterVersion, version_id)
    if version is None:
        return
    try:
        db.session.execute(delete(AssignmentRow).where(AssignmentRow.version_id == version_id))
        db.session.execute(delete(UnfilledRow).where(UnfilledRow.version_id == version_id))
        db.session.delete(version)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def person_assignments_any(version_id: int) -> str | None:
    """The id of some person with an assignment in this version (for the demo's printed example)."""
    return db.session.scalar(
        select(AssignmentRow.person_id)
        .where(AssignmentRow.version_id == version_id)
        .order_by(AssignmentRow.person_id)
        .limit(1)
    )


# ------------------------------------------------------------------------------ published-version cache

_published_lock = threading.Lock()
_published_cache: OrderedDict = OrderedDict()
PUBLISHED_CACHE_ENTRIES = 20_000


def cached_for_published(version: RosterVersion, key: tuple, compute):
    """``compute()``, remembered per process for a published version (its rows never change again).

    Drafts are computed every time (a deleted draft's id may be reused). The value must be plain data,
    not ORM objects, since it outlives the request's session.
    """
    if version.status != "published":
        return compute()
    full_key = (db.engine.url.render_as_string(hide_password=False), version.id, *key)
    with _published_lock:
        if full_key in _published_cache:
            _published_cache.move_to_end(full_key)
            return _published_cache[full_key]
    value = compute()
    with _published_lock:
        _published_cache[full_key] = value
        while len(_published_cache) > PUBLISHED_CACHE_ENTRIES:
            _published_cache.popitem(last=False)
    return value


def ward_totals(version: RosterVersion) -> tuple[dict[str, int], dict[str, int]]:
    """People assigned and people missing per ward over the whole campaign (cached when published)."""
    return cached_for_published(version, ("ward_totals",), lambda: figures.ward_totals(roster_of(version)))


# ------------------------------------------------------------------------------ figures counted by the database
#
# The pages that review a version read its figures without mapping its 30,000 assignments: the gaps are a
# thousand rows, and what the assignments give (how many per ward, who changes between two versions) the
# database counts.

# An assignment's identity between two versions (what scheduler.changes compares, and the comparison page shows).
DIFF_COLUMNS = (
    AssignmentRow.person_id,
    AssignmentRow.ward_code,
    AssignmentRow.date,
    AssignmentRow.shift_id,
    AssignmentRow.mobile_point_id,
    AssignmentRow.need_index,
)


def gap_roster(version: RosterVersion) -> Roster:
    """The version's roster with its gaps and figures but no assignments: enough for every figure of the gaps
    (:func:`scheduler.report.missing_by_ward_and_day`, ``missing_by_rule``, coverage by day), read from a
    thousand rows instead of thirty thousand. The full roster is :func:`roster_of`'s."""
    key = _roster_key(version)
    with _roster_lock:
        full = _roster_cache.get(key)
    unfilled = (
        full.unfilled
        if full is not None
        else tuple(
            unfilled_of(*row)
            for row in db.session.execute(
                select(*UNFILLED_COLUMNS).where(UnfilledRow.version_id == version.id).order_by(UnfilledRow.id)
            )
        )
    )
    return _version_roster(version, (), unfilled)


def assigned_per_ward(version: RosterVersion) -> dict[str, int]:
    """Assignments posted in each ward over the whole campaign (as :func:`scheduler.report.ward_totals`
    counts them), counted by the database; only wards with some."""

    def count() -> dict[str, int]:
        rows = db.session.execute(
            select(AssignmentRow.ward_code, func.count())
            .where(AssignmentRow.version_id == version.id)
            .group_by(AssignmentRow.ward_code)
        )
        return {code: int(n) for code, n in rows}

    return cached_for_published(version, ("assigned_per_ward",), count)


def _identities(version_id: int):
    return select(*DIFF_COLUMNS).where(AssignmentRow.version_id == version_id)


def _only_in(version_id: int, other_id: int) -> list[tuple]:
    """The identities of the assignments ``version_id`` has and ``other_id`` has not (one EXCEPT of the database)."""
    return [tuple(row) for row in db.session.execute(except_(_identities(version_id), _identities(other_id)))]


_pairs_lock = threading.Lock()
_pairs_cache: OrderedDict = OrderedDict()
PAIRS_CACHE_ENTRIES = 16


def _changes_between(old: RosterVersion, new: RosterVersion) -> tuple[list[tuple], list[tuple]]:
    """(identities only ``new`` has, identities only ``old`` has). A version's rows never change, so the pair's
    answer is kept per process, keyed by database, ids and creation times (as :func:`roster_of` keys a roster)."""
    key = (*_roster_key(old), *_roster_key(new)[1:])
    with _pairs_lock:
        if key in _pairs_cache:
            _pairs_cache.move_to_end(key)
            return _pairs_cache[key]
    found = (_only_in(new.id, old.id), _only_in(old.id, new.id))
    with _pairs_lock:
        _pairs_cache[key] = found
        while len(_pairs_cache) > PAIRS_CACHE_ENTRIES:
            _pairs_cache.popitem(last=False)
    return found


def people_changed(old: RosterVersion | None, new: RosterVersion) -> int:
    """How many people have an assignment that one version has and the other has not (everyone on ``new``
    when ``old`` is None): the people :func:`scheduler.changes.roster_changes` touches, compared by the
    database."""
    if old is None:
        return int(
            db.session.scalar(
                select(func.count(func.distinct(AssignmentRow.person_id))).where(AssignmentRow.version_id == new.id)
            )
        )
    added, removed = _changes_between(old, new)
    return len({row[0] for row in added} | {row[0] for row in removed})


@dataclasses.dataclass(frozen=True)
class Differences:
    """Assignments one version adds to another and removes from it, as identities (:data:`DIFF_COLUMNS`).

    ``added`` and ``removed`` hold the first ``limit`` of each in date, ward, slot and person order;
    the counts are of all of them, and ``wards`` counts both per ward.
    """

    added: list[tuple]
    removed: list[tuple]
    added_count: int
    removed_count: int
    kept_count: int
    wards: dict[str, int]


def _difference_order(identity: tuple) -> tuple:
    person_id, ward_code, day, shift_id, point_id, _need_index = identity
    return day, ward_code, shift_id or "", point_id or "", person_id


def differences(old: RosterVersion, new: RosterVersion, limit: int) -> Differences:
    """The assignments ``new`` adds to ``old`` and removes from it, compared by the database."""
    added, removed = _changes_between(old, new)
    distinct = select(func.count()).select_from(_identities(new.id).distinct().subquery())
    wards: dict[str, int] = {}
    for identity in (*added, *removed):
        wards[identity[1]] = wards.get(identity[1], 0) + 1
    return Differences(
        added=sorted(added, key=_difference_order)[:limit],
        removed=sorted(removed, key=_difference_order)[:limit],
        added_count=len(added),
        removed_count=len(removed),
        kept_count=int(db.session.scalar(distinct)) - len(added),
        wards=wards,
    )


def ward_roster(version: RosterVersion, ward_code: str) -> Roster:
    """The part of a version's roster that one ward's workbook shows: the assignments posted at the ward or
    covering it on call, and the ward's gaps, in the order stored; read from the ward's rows only."""
    rows = db.session.execute(
        select(*ASSIGNMENT_COLUMNS)
        .where(
            AssignmentRow.version_id == version.id,
            or_(AssignmentRow.ward_code == ward_code, AssignmentRow.covered_ward_codes.like(f"%{ward_code}%")),
        )
        .order_by(AssignmentRow.id)
    )
    assignments = tuple(
        a
        for a in (assignment_of(*row) for row in rows)
        if a.ward_code == ward_code or ward_code in a.covered_ward_codes
    )
    unfilled = tuple(
        unfilled_of(*row)
        for row in db.session.execute(
            select(*UNFILLED_COLUMNS)
            .where(UnfilledRow.version_id == version.id, UnfilledRow.ward_code == ward_code)
            .order_by(UnfilledRow.id)
        )
    )
    return _version_roster(version, assignments, unfilled)


# ------------------------------------------------------------------------------ workbooks kept

EXPORTS_DIR = "exports"
EXPORTS_KEPT = 8  # workbooks kept in the data directory, the newest ones


def kept_export(version: RosterVersion, name: str, build) -> bytes:
    """The bytes of a version's workbook ``name``: read from the data directory, or made by ``build(path)`` and kept.

    A workbook is kept for the version (its id and creation time: a deleted draft's id may come back) and the data
    revision (the workbook names the wards and people of the data set), so every server process of the data
    directory sends the same file and makes it once.
    """
    stamp = version.created_at.strftime("%Y%m%d%H%M%S%f") if version.created_at else "0"
    folder = Path(current_app.config["RAQUAN_DATA_DIR"]) / EXPORTS_DIR
    path = folder / f"{name}-v{version.id}-{stamp}-r{revision()}.xlsx"
    try:
        return path.read_bytes()
    except OSError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=folder, prefix=".export-", suffix=".xlsx")
    os.close(handle)
    try:
        build(Path(scratch))
        content = Path(scratch).read_bytes()
        os.replace(scratch, path)
    finally:
        Path(scratch).unlink(missing_ok=True)
    kept = sorted(folder.glob("*.xlsx"), key=_modified, reverse=True)
    for old in kept[EXPORTS_KEPT:]:
        old.unlink(missing_ok=True)
    return content
