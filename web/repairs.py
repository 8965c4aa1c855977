"""“Sửa lịch”: the coordinator's repair of the published roster, as a draft to review, edit and publish.

A repair starts from the latest published version and every standing event (:func:`web.live.domain_events`,
applied at the campaign's "now"): :func:`scheduler.pipeline.repair` keeps the history, restores
coverage as far as supply allows and changes as little as it can. Its roster is stored as a draft
version of kind ``repair`` whose parent is the published version (:func:`web.store.store_roster`),
with a :class:`Repair` row naming the events it answers.

The coordinator reads the plain summary and the changes by ward and date, then edits the draft: a
change is put back (the old assignment returns, the new one goes) or kept, and an empty seat takes
a person from the ranked list (:func:`scheduler.candidates.candidates`). Every edit is checked by
the checker (:func:`scheduler.verify.verify`) for the people it touches; one that breaks a hard rule
is refused with the rule in words. An edit stores the edited roster as a new draft (with the same
parent, events and review marks) and deletes the old one, since a version's rows never change once
stored. Publishing says first how many people will be told; it makes the draft an immutable
published version, enqueues their notices (:func:`web.outbox.enqueue_version_notices`) and marks
the events answered (:func:`web.live.mark_repaired`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from collections import OrderedDict, defaultdict
from datetime import date, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.calendar import Calendar
from scheduler.candidates import candidates, seat_of
from scheduler.changes import RosterChanges, roster_changes
from scheduler.clock import is_history
from scheduler.explain import Explanation, explain
from scheduler.model import Assignment, Campaign, Roster, Unfilled
from scheduler.pipeline import repair
from scheduler.verify import (
    VerifyReport,
    asked_person_slots,
    check_people_rules,
    objective,
    term_unfilled,
    unfilled_slots,
    unfilled_sort_key,
    valid_assignments,
)
from web import incidents, live, store
from web.auth import role_required
from web.coordinator import (
    _campaign_or_redirect,
    _person_of,
    _slot_name,
    _username,
    _ward_name,
    blueprint,
    pool_labels,
    rule_label,
)
from web.forms import ActionForm
from web.models import RosterVersion, db, utcnow

logger = logging.getLogger(__name__)

REPAIR_SECONDS = 20.0  # the repair's deadline in the request (app setting or environment RAQUAN_REPAIR_SECONDS)
CHANGES_SHOWN = 500  # changes listed on the draft page
SEATS_SHOWN = 100  # empty seats listed on the draft page
CANDIDATES_SHOWN = 10
KEY_SEPARATOR = "|"


class Repair(db.Model):
    """What a repair draft answers: the events open when it was made, and its repair's figures."""

    __tablename__ = "repairs"
    version_id: Mapped[int] = mapped_column(db.ForeignKey("roster_versions.id", ondelete="CASCADE"), primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        db.ForeignKey("roster_versions.id", ondelete="SET NULL"), nullable=True
    )
    event_ids: Mapped[str] = mapped_column(db.Text, default="")  # comma-separated ids of the events answered
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    made_by: Mapped[str] = mapped_column(db.String(80), default="")
    now: Mapped[datetime] = mapped_column()  # the campaign's "now" the repair kept history by (local time)
    figures: Mapped[str] = mapped_column(db.Text, default="{}")  # JSON: the repair's figures
    edits: Mapped[int] = mapped_column(default=0)  # the coordinator's edits since the repair

    @property
    def events(self) -> list[int]:
        return [int(i) for i in self.event_ids.split(",") if i]

    @property
    def figure_values(self) -> dict:
        try:
            return json.loads(self.figures or "{}")
        except ValueError:
            return {}


class RepairMark(db.Model):
    """The coordinator's review of one change of a repair draft: ``kept`` (accepted as proposed)."""

    __tablename__ = "repair_marks"
    __table_args__ = (db.UniqueConstraint("version_id", "change_key", name="uq_repair_marks_version_change"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(db.ForeignKey("roster_versions.id", ondelete="CASCADE"))
    change_key: Mapped[str] = mapped_column(db.String(200))
    decision: Mapped[str] = mapped_column(db.String(20), default="kept")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by: Mapped[str] = mapped_column(db.String(80), default="")


class RepairRefused(ValueError):
    """A repair or an edit that cannot be made; ``reasons`` say why, in the reader's language."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__("; ".join(reasons))


# ------------------------------------------------------------------------------------------------ keys


def change_key(a: Assignment) -> str:
    """One assignment as text (a form field): person, ward, date, shift, mobile point, need, covered wards."""
    need = "" if a.need_index is None else str(a.need_index)
    parts = (a.person_id, a.ward_code, a.date.isoformat(), a.shift_id or "", a.mobile_point_id or "", need)
    return KEY_SEPARATOR.join((*parts, ",".join(a.covered_ward_codes)))


def assignment_of_key(text: str) -> Assignment:
    """The assignment :func:`change_key` wrote; ValueError when the text is not one."""
    parts = (text or "").split(KEY_SEPARATOR)
    if len(parts) != 7 or not parts[0] or not parts[1]:
        raise ValueError("not an assignment key")
    person_id, ward_code, day, shift_id, point_id, need, covered = parts
    return Assignment(
        person_id,
        ward_code,
        date.fromisoformat(day),
        shift_id or None,
        point_id or None,
        int(need) if need else None,
        tuple(c for c in covered.split(",") if c),
    )


def gap_key(u: Unfilled) -> str:
    """One unfilled slot as text: rule, ward, date, shift, mobile point, need."""
    return KEY_SEPARATOR.join(
        (u.rule, u.ward_code, u.date.isoformat(), u.shift_id or "", u.mobile_point_id or "", u.need or "")
    )


def _same_gap(u: Unfilled, key: str) -> bool:
    return gap_key(u) == key


# ------------------------------------------------------------------------------------------------ caches

# A draft's rows never change once stored (an edit stores a new draft), so what is computed from a draft is
# kept per process, keyed by database, draft id and creation time (a deleted draft's id may be reused, never
# with the same creation time): its changes against its parent, and its calendar for the ranked lists.
CHANGES_CACHE_ENTRIES = 8
_cache_lock = threading.Lock()
_changes_cache: OrderedDict = OrderedDict()
_calendar_cache: OrderedDict = OrderedDict()  # one entry: (draft key, campaign id) -> Calendar


def _draft_key(version: RosterVersion) -> tuple:
    return (db.engine.url.render_as_string(hide_password=False), version.id, version.created_at)


def _remember(cache: OrderedDict, key, value, entries: int) -> None:
    with _cache_lock:
        cache[key] = value
        cache.move_to_end(key)
        while len(cache) > entries:
            cache.popitem(last=False)


def draft_changes(version: RosterVersion, parent: RosterVersion | None) -> RosterChanges:
    """The draft's changes against its parent (none without one), kept per process."""
    if parent is None:
        return RosterChanges((), ())
    key = (*_draft_key(version), parent.id)
    with _cache_lock:
        if key in _changes_cache:
            return _changes_cache[key]
    changes = roster_changes(store.roster_of(parent).assignments, store.roster_of(version).assignments)
    _remember(_changes_cache, key, changes, CHANGES_CACHE_ENTRIES)
    return changes


def draft_calendar(version: RosterVersion, campaign: Campaign, roster: Roster, travel) -> Calendar:
    """The draft's calendar (who works when) for the ranked lists, built once per draft and campaign."""
    key = (*_draft_key(version), id(campaign))
    with _cache_lock:
        calendar = _calendar_cache.get(key)
    if calendar is None:
        calendar = Calendar(campaign, roster.assignments, travel)
        _remember(_calendar_cache, key, calendar, 1)
    return calendar


def _carry_calendar(old: RosterVersion, new: RosterVersion, campaign: Campaign, remove, add) -> None:
    """Hand the old draft's calendar, edited the same way, to the new draft (the old one is deleted)."""
    old_key = (*_draft_key(old), id(campaign))
    with _cache_lock:
        calendar = _calendar_cache.pop(old_key, None)
    if calendar is None:
        return
    for a in remove:
        calendar.remove(a)
    for a in add:
        calendar.add(a)
    _remember(_calendar_cache, (*_draft_key(new), id(campaign)), calendar, 1)


def campaign_state() -> str:
    """What the campaign with events depends on: the data revision, the newest event and the dismissed ones."""
    newest, dismissed = db.session.execute(
        select(func.max(live.EventRow.id), func.count().filter(live.EventRow.state == "dismissed"))
    ).one()
    return f"{store.revision()}:{newest or 0}:{dismissed}"


# ------------------------------------------------------------------------------------------------ the repair


def repair_seconds() -> float:
    """The repair's time limit in a request (``RAQUAN_REPAIR_SECONDS``, default 20)."""
    value = current_app.config.get("RAQUAN_REPAIR_SECONDS") or os.environ.get("RAQUAN_REPAIR_SECONDS")
    try:
        return max(1.0, float(value)) if value else REPAIR_SECONDS
    except ValueError:
        return REPAIR_SECONDS


def standing_campaign(at: datetime) -> Campaign:
    """The stored campaign with every standing event applied at ``at`` (history left as it was)."""
    campaign = live.live_campaign(at)
    if campaign is None:
        raise RepairRefused([_("Chưa có dữ liệu chiến dịch: hãy nhập dữ liệu trước.")])
    return campaign


def travel_of(campaign: Campaign):
    """Travel minutes between the campaign's wards (the solver's own)."""
    from scheduler.solver.solve import campaign_travel

    return campaign_travel(campaign)


def _gap_identity(u: Unfilled) -> tuple:
    return (u.rule, u.ward_code, u.date, u.shift_id, u.mobile_point_id, u.need)


def new_gaps(before, after) -> list[Unfilled]:
    """The gaps of ``after`` that ``before`` did not have, or has with fewer people missing."""
    had = defaultdict(int)
    for u in before:
        had[_gap_identity(u)] += u.missing
    return [u for u in after if u.missing > had.get(_gap_identity(u), 0)]


def summary_of(changes: RosterChanges, parent_unfilled, unfilled) -> str:
    """The plain summary: "2 người thêm ca, 1 người đổi ca, còn 0 ca thiếu người" (the gaps the parent did not have)."""
    return changes.summary_vi(unfilled=len(new_gaps(parent_unfilled, unfilled)))


def make_repair(username: str) -> RosterVersion:
    """Repair the latest published version for the standing events; the draft stored.

    Raises :class:`RepairRefused` when nothing is published, or when the repair changed what it may not.
    """
    published = store.latest_published()
    if published is None:
        raise RepairRefused([_("Chưa có lịch nào được công bố để sửa.")])
    at = live.now()
    open_ids = [row.id for row in live.open_events()]
    state = campaign_state()
    campaign = standing_campaign(at)
    parent_roster = incidents.with_callouts(store.roster_of(published))
    settings = store.solve_settings()
    seconds = repair_seconds()
    travel = travel_of(campaign)
    # The checker checks the people whose work changed (the others' work is the published version's, checked
    # when it was made); the gaps are explained below, the published version's explanations reused.
    result = repair(
        campaign,
        parent_roster,
        at,
        settings,
        deadline=time.time() + seconds,
        travel=travel,
        check_all=False,
        explain=False,
    )
    outside = result.figures.get("changes_outside") or []
    if outside:
        raise RepairRefused([_("Bản sửa thay đổi phần không được sửa:"), *outside[:10]])
    if not result.report.ok:
        raise RepairRefused([f"{rule_label(v.rule)}: {v.message_vi}" for v in result.report.violations[:10]])
    summary = summary_of(result.changes, parent_roster.unfilled, result.report.unfilled)
    explanations = result.explanations
    if not result.figures.get("explained", True):
        explanations = _reused_explanations(campaign, published, result.roster, result.report.unfilled, travel)
    version = store.store_roster(
        result.roster,
        result.report,
        explanations,
        store.revision(),
        terms=result.terms,
        parent_id=published.id,
        kind="repair",
        change_summary=summary,
    )
    figures = {key: value for key, value in result.figures.items() if isinstance(value, int | float | str | bool)} | {
        "seconds": round(result.wall_seconds, 2),
        "campaign": state,  # the campaign the draft's gaps were counted for (see edit_draft)
    }
    _remember(_changes_cache, (*_draft_key(version), published.id), result.changes, CHANGES_CACHE_ENTRIES)
    try:
        db.session.add(
            Repair(
                version_id=version.id,
                parent_id=published.id,
                event_ids=",".join(str(i) for i in open_ids),
                made_at=utcnow(),
                made_by=username[:80],
                now=at,
                figures=json.dumps(figures),
                edits=0,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        store.delete_draft(version.id)
        raise
    logger.info(
        "repair draft %s of version %s for %d open events: %s (%.2f s)",
        version.id,
        published.id,
        len(open_ids),
        summary,
        result.wall_seconds,
    )
    return version


def _violation_key(v) -> tuple:
    return (v.rule, v.person_id, v.ward_code, v.date, v.shift_id, v.mobile_point_id)


def _reused_explanations(campaign, version: RosterVersion, roster: Roster, unfilled, travel) -> list[Explanation]:
    """The draft's stored explanation for each gap it still has, and new ones for the gaps the edit opened."""
    stored: dict[tuple, list[tuple[str, str]]] = defaultdict(list)
    for u, text, suggestion in store.explained_gaps(version.id):
        stored[(_gap_identity(u), u.missing)].append((text, suggestion))
    explained, missing = [], []
    for u in unfilled:
        found = stored.get((_gap_identity(u), u.missing))
        if found:
            text, suggestion = found.pop(0)
            explained.append(Explanation(u, text, suggestion))
        else:
            missing.append(u)
    if missing:
        explained.extend(explain(campaign, roster, missing, travel))
    return explained


def check_draft_is_current(version: RosterVersion, info: Repair) -> None:
    """Refuse a draft that is no longer a draft, or whose parent is no longer the latest published version."""
    if version.status != "draft":
        raise RepairRefused([_("Phiên bản %(id)s đã được công bố, không sửa được nữa.", id=version.id)])
    published = store.latest_published()
    if published is None or published.id != info.parent_id:
        raise RepairRefused(
            [_("Đã có lịch khác được công bố sau khi tạo bản sửa này; hãy tạo bản sửa mới từ lịch đang công bố.")]
        )


def edit_draft(version: RosterVersion, *, remove=(), add=(), username: str = "") -> RosterVersion:
    """The draft with ``remove`` taken off and ``add`` put on, checked and stored as the new draft.

    Raises :class:`RepairRefused` when an assignment to remove is not there (or one to add is),
    when it touches a slot that has started, or when the edited roster breaks a hard rule for a
    person it touches (the rule and the checker's words). The old draft is deleted.
    """
    info = db.session.get(Repair, version.id)
    if info is None:
        abort(404)
    check_draft_is_current(version, info)
    at = live.now()
    campaign = standing_campaign(at)
    travel = travel_of(campaign)
    roster = store.roster_of(version)
    assignments = list(roster.assignments)
    for a in remove:
        if a not in assignments:
            raise RepairRefused([_("Phân công này không còn trong bản nháp.")])
        assignments.remove(a)
    for a in add:
        if a in assignments:
            raise RepairRefused([_("Phân công này đã có trong bản nháp.")])
        assignments.append(a)
    for a in (*remove, *add):
        try:
            started = is_history(campaign, a, at)
        except KeyError:
            raise RepairRefused([_("Ca hoặc điểm lưu động không còn trong dữ liệu.")]) from None
        if started:
            raise RepairRefused([_("Ca này đã bắt đầu hoặc đã qua: lịch sử không thay đổi.")])
    touched = {a.person_id for a in (*remove, *add)}
    known = {_violation_key(v) for v in people_violations(campaign, roster.assignments, touched, travel)}
    from scheduler.solver.fill import roster_order

    ordered = tuple(sorted(assignments, key=roster_order))
    violations = people_violations(campaign, ordered, touched, travel)
    broken = [v for v in violations if _violation_key(v) not in known]
    if broken:
        raise RepairRefused([f"{rule_label(v.rule)}: {v.message_vi}" for v in broken[:10]])
    figures = info.figure_values
    state = campaign_state()
    if figures.get("campaign") == state:  # the draft's gaps hold for this campaign: recount the days edited only
        gaps = gaps_after_edit(campaign, roster.unfilled, ordered, {a.date for a in (*remove, *add)}, travel)
    else:  # the data or the events changed since: every gap again
        gaps = unfilled_slots(campaign, valid_assignments(campaign, ordered), travel)
    report = edited_report(campaign, ordered, violations, gaps, travel)
    edited = dataclasses.replace(roster, assignments=ordered, unfilled=tuple(gaps), objective=report.objective)
    explanations = _reused_explanations(campaign, version, edited, report.unfilled, travel)
    parent = db.session.get(RosterVersion, info.parent_id)
    parent_roster = store.roster_of(parent)
    changes = roster_changes(parent_roster.assignments, edited.assignments)
    new = store.store_roster(
        edited,
        report,
        explanations,
        store.revision(),
        parent_id=info.parent_id,
        kind="repair",
        change_summary=summary_of(changes, parent_roster.unfilled, report.unfilled),
    )
    _remember(_changes_cache, (*_draft_key(new), parent.id), changes, CHANGES_CACHE_ENTRIES)
    marks = list(db.session.scalars(select(RepairMark).where(RepairMark.version_id == version.id)))
    try:
        db.session.add(
            Repair(
                version_id=new.id,
                parent_id=info.parent_id,
                event_ids=info.event_ids,
                made_at=info.made_at,
                made_by=info.made_by,
                now=info.now,
                figures=json.dumps(figures | {"campaign": state}),
                edits=info.edits + 1,
            )
        )
        for mark in marks:
            db.session.add(
                RepairMark(
                    version_id=new.id, change_key=mark.change_key, decision=mark.decision, at=mark.at, by=mark.by
                )
            )
        db.session.execute(delete(RepairMark).where(RepairMark.version_id == version.id))
        db.session.execute(delete(Repair).where(Repair.version_id == version.id))
        db.session.commit()
    except Exception:
        db.session.rollback()
        store.delete_draft(new.id)
        raise
    _carry_calendar(version, new, campaign, remove, add)
    store.delete_draft(version.id)
    logger.info(
        "repair draft %s edited by %s into %s: %d off, %d on", version.id, username, new.id, len(remove), len(add)
    )
    return new


def people_violations(campaign: Campaign, assignments, people: set[str], travel) -> list:
    """The people rules broken by ``people`` in ``assignments`` (as :func:`scheduler.verify.verify` checks them)."""
    from scheduler.verify import assignment_sort_key

    mine = sorted((a for a in assignments if a.person_id in people), key=assignment_sort_key)
    pins = tuple(pin for pin in campaign.pins if pin.person_id in people)
    return check_people_rules(dataclasses.replace(campaign, pins=pins), mine, travel)


def gaps_after_edit(campaign: Campaign, gaps, assignments, days: set[date], travel) -> list[Unfilled]:
    """The gaps after an edit that changed ``days`` only: the other days' gaps as they were, those days recounted.

    Every coverage rule is per day (:func:`web.live.day_campaign`), so a day's gaps depend on its assignments alone.
    """
    kept = [u for u in gaps if u.date not in days]
    for day in sorted(days):
        of_day = [a for a in assignments if a.date == day]
        kept.extend(unfilled_slots(live.day_campaign(campaign, day), valid_assignments(campaign, of_day), travel))
    kept.sort(key=unfilled_sort_key)
    return kept


def edited_report(campaign: Campaign, assignments, violations, gaps, travel) -> VerifyReport:
    """The checker's report of an edited draft: the people rules of those it touches, its gaps, the objective."""
    value, terms = objective(campaign, valid_assignments(campaign, assignments), gaps, travel)
    asked = sum(asked_person_slots(campaign).values())
    return VerifyReport(tuple(violations), tuple(gaps), value, terms, asked, asked - term_unfilled(gaps))


def mark_kept(version: RosterVersion, key: str, username: str) -> None:
    """Record that the coordinator keeps one proposed change as it is."""
    if db.session.scalar(
        select(RepairMark.id).where(RepairMark.version_id == version.id, RepairMark.change_key == key)
    ):
        return
    try:
        db.session.add(RepairMark(version_id=version.id, change_key=key[:200], decision="kept", by=username[:80]))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def people_to_notify(version: RosterVersion, parent_id: int | None) -> int:
    """How many people publishing ``version`` tells: those of the campaign whose shifts changed against
    ``parent_id`` (as :func:`web.outbox.plan_version_notices` plans them, without writing the notices)."""
    from web import outbox

    parent = db.session.get(RosterVersion, parent_id) if parent_id is not None else None
    if parent is None:
        return len(outbox.plan_version_notices(version.id, parent_id))
    campaign = live.live_campaign()
    if campaign is None:
        return 0
    return sum(1 for person_id in draft_changes(version, parent).people if _person_of(campaign, person_id))


def _notify(version_id: int, parent_id: int | None) -> int:
    from web import outbox

    return outbox.enqueue_version_notices(version_id, parent_id)


def publish_repair(version: RosterVersion, username: str) -> tuple[int, int]:
    """Publish a repair draft: (people whose notices were enqueued, events marked repaired).

    Raises :class:`RepairRefused` when it is not a current repair draft or another request published it first.
    """
    info = db.session.get(Repair, version.id)
    if info is None:
        abort(404)
    check_draft_is_current(version, info)
    if not store.publish_once(version.id, username):
        raise RepairRefused([_("Phiên bản này đã được công bố.")])
    notified = _notify(version.id, info.parent_id)
    repaired = live.mark_repaired(info.events, version.id)
    logger.info(
        "repair %s published by %s: %d people to notify, %d events repaired", version.id, username, notified, repaired
    )
    return notified, repaired


# ------------------------------------------------------------------------------------------------ pages


def _repair_or_404(version_id: int) -> tuple[RosterVersion, Repair]:
    version = db.session.get(RosterVersion, version_id)
    info = db.session.get(Repair, version_id)
    if version is None or info is None:
        flash(_("Không còn bản sửa lịch %(id)s (đã được sửa tiếp hoặc đã xoá).", id=version_id), "error")
        abort(redirect(url_for("coordinator.repairs")))
    return version, info


def _slot_text(campaign: Campaign, a: Assignment) -> str:
    return _slot_name(campaign, a.shift_id, a.mobile_point_id)


def _name(campaign: Campaign, person_id: str) -> str:
    person = _person_of(campaign, person_id)
    return person.name if person else person_id


def change_groups(
    campaign: Campaign, changes: RosterChanges, marks: set[str], limit: int = CHANGES_SHOWN
) -> list[dict]:
    """The changes by ward and date, each one with who, what, and where a moved person comes from or goes."""
    moves = changes.moves()
    moved_to = {change_key(old): new for old, new in moves}
    moved_from = {change_key(new): old for old, new in moves}
    groups, shown = [], 0
    for (ward_code, day), (added, removed) in changes.by_ward_and_date().items():
        if shown >= limit:
            break
        items = []
        for kind, group in (("added", added), ("removed", removed)):
            for a in group:
                key = change_key(a)
                other = moved_from.get(key) if kind == "added" else moved_to.get(key)
                items.append(
                    {
                        "kind": kind,
                        "moved": other is not None,
                        "key": key,
                        "person_id": a.person_id,
                        "name": _name(campaign, a.person_id),
                        "slot": _slot_text(campaign, a),
                        "other": (
                            f"{_slot_text(campaign, other)}, {_ward_name(campaign, other.ward_code)}" if other else ""
                        ),
                        "kept": key in marks,
                    }
                )
        shown += len(items)
        groups.append({"ward": _ward_name(campaign, ward_code), "ward_code": ward_code, "date": day, "items": items})
    return groups


def open_seats(
    campaign: Campaign, roster: Roster, at: datetime, parent_unfilled, limit: int = SEATS_SHOWN
) -> list[dict]:
    """The draft's gaps that can still be filled (they start after ``at``), those the parent did not have first."""
    fresh = {id(u) for u in new_gaps(parent_unfilled, roster.unfilled)}
    labels = {rule: rule_label(rule) for rule in {u.rule for u in roster.unfilled}}
    seats = []
    for u in roster.unfilled:
        try:
            seat, _pool = seat_of(campaign, u)
            if is_history(campaign, seat, at):
                continue
        except KeyError:
            continue
        seats.append(
            {
                "gap": u,
                "key": gap_key(u),
                "new": id(u) in fresh,
                "ward": _ward_name(campaign, u.ward_code),
                "slot": _slot_name(campaign, u.shift_id, u.mobile_point_id),
                "rule": labels[u.rule],
            }
        )
    seats.sort(key=lambda s: (not s["new"], s["gap"].date, s["ward"]))
    return seats[:limit]


@blueprint.get("/sua-lich")
@role_required("coordinator")
def repairs():
    """The repair drafts of the published version, the open events, and the button that makes a new draft."""
    campaign = _campaign_or_redirect()
    published = store.latest_published()
    drafts = store.repair_drafts(published.id) if published else []
    return render_template(
        "coordinator/repairs.html",
        campaign=campaign,
        published=published,
        drafts=drafts,
        lineages=store.lineages(d.id for d in drafts),
        open_count=live.count_events("open"),
        unrepaired=live.unrepaired_count(published),
        seconds=repair_seconds(),
        action=ActionForm(),
    )


@blueprint.post("/sua-lich")
@role_required("coordinator")
def make_repair_draft():
    """Make a repair draft of the published version for the standing events."""
    _campaign_or_redirect()
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        version = make_repair(_username())
    except RepairRefused as refused:
        for reason in refused.reasons:
            flash(reason, "error")
        return redirect(url_for("coordinator.repairs"), 303)
    return redirect(url_for("coordinator.repair_draft", version_id=version.id), 303)


@blueprint.get("/sua-lich/<int:version_id>")
@role_required("coordinator")
def repair_draft(version_id: int):
    """A repair draft: its summary, the changes by ward and date, the empty seats, and the edits."""
    campaign = _campaign_or_redirect()
    version, info = _repair_or_404(version_id)
    parent = db.session.get(RosterVersion, info.parent_id) if info.parent_id else None
    roster = store.roster_of(version)
    parent_roster = store.roster_of(parent) if parent else Roster(roster.campaign_name, "", (), ())
    changes = draft_changes(version, parent)
    marks = set(db.session.scalars(select(RepairMark.change_key).where(RepairMark.version_id == version.id)))
    try:
        live_campaign = standing_campaign(live.now())
    except RepairRefused:
        live_campaign = campaign
    lineage = store.lineage(version.id)
    published = store.latest_published()
    return render_template(
        "coordinator/repair.html",
        version=version,
        info=info,
        parent=parent,
        lineage=lineage,
        summary=lineage.change_summary if lineage else "",
        changes=changes,
        counts=changes.counts(),
        groups=change_groups(campaign, changes, marks),
        shown=CHANGES_SHOWN,
        seats=open_seats(live_campaign, roster, live.now(), parent_roster.unfilled),
        new_gap_count=len(new_gaps(parent_roster.unfilled, roster.unfilled)),
        current=version.status == "draft" and published is not None and published.id == info.parent_id,
        stale=version.dataset_revision != store.revision(),
        action=ActionForm(),
    )


def _edit_response(version_id: int, remove=(), add=(), done: str = ""):
    version, _info = _repair_or_404(version_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        new = edit_draft(version, remove=remove, add=add, username=_username())
    except RepairRefused as refused:
        flash(_("Không sửa được: %(reasons)s", reasons="; ".join(refused.reasons)), "error")
        return redirect(url_for("coordinator.repair_draft", version_id=version_id), 303)
    if done:
        flash(done)
    return redirect(url_for("coordinator.repair_draft", version_id=new.id), 303)


def _posted_assignment(field: str = "change") -> Assignment:
    try:
        return assignment_of_key(request.form.get(field, ""))
    except ValueError:
        abort(400)


@blueprint.post("/sua-lich/<int:version_id>/bo-thay-doi")
@role_required("coordinator")
def reject_change(version_id: int):
    """Put one change back: a new assignment comes off, a removed one returns (if the rules allow it)."""
    version, info = _repair_or_404(version_id)
    a = _posted_assignment()
    changes = draft_changes(version, db.session.get(RosterVersion, info.parent_id))
    campaign = _campaign_or_redirect()
    what = f"{_name(campaign, a.person_id)}, {_slot_text(campaign, a)} {a.date:%d/%m/%Y}"
    if a in changes.added:
        return _edit_response(version_id, remove=[a], done=_("Đã bỏ thay đổi: %(what)s không thêm nữa.", what=what))
    if a in changes.removed:
        return _edit_response(version_id, add=[a], done=_("Đã đặt lại phân công cũ: %(what)s.", what=what))
    flash(_("Thay đổi này không còn trong bản nháp."), "error")
    return redirect(url_for("coordinator.repair_draft", version_id=version_id), 303)


@blueprint.post("/sua-lich/<int:version_id>/giu")
@role_required("coordinator")
def keep_change(version_id: int):
    """Mark one change as reviewed and kept."""
    version, _info = _repair_or_404(version_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    a = _posted_assignment()
    mark_kept(version, change_key(a), _username())
    return redirect(url_for("coordinator.repair_draft", version_id=version_id, _anchor=f"w{a.ward_code}"), 303)


def _seat_or_404(campaign: Campaign, roster: Roster, key: str) -> tuple[Unfilled, Assignment, object]:
    gap = next((u for u in roster.unfilled if _same_gap(u, key)), None)
    if gap is None:
        flash(_("Ô này không còn thiếu người trong bản nháp."), "error")
        abort(redirect(request.referrer or url_for("coordinator.repairs")))
    try:
        seat, pool = seat_of(campaign, gap)
    except KeyError:
        abort(404)
    return gap, seat, pool


@blueprint.get("/sua-lich/<int:version_id>/o-trong")
@role_required("coordinator")
def repair_seat(version_id: int):
    """One empty seat of the draft: who could take it, best first, with why."""
    _campaign_or_redirect()
    version, _info = _repair_or_404(version_id)
    at = live.now()
    campaign = standing_campaign(at)
    roster = store.roster_of(version)
    key = request.args.get("gap", "")
    gap, seat, pool = _seat_or_404(campaign, roster, key)
    travel = travel_of(campaign)
    started = time.perf_counter()
    calendar = draft_calendar(version, campaign, roster, travel)
    ranked = candidates(
        campaign, roster.assignments, seat, at, travel, limit=CANDIDATES_SHOWN, pool=pool, calendar=calendar
    )
    milliseconds = (time.perf_counter() - started) * 1000
    return render_template(
        "coordinator/repair_seat.html",
        version=version,
        gap=gap,
        key=key,
        seat=seat,
        ward=_ward_name(campaign, gap.ward_code),
        slot=_slot_name(campaign, gap.shift_id, gap.mobile_point_id),
        rule=rule_label(gap.rule),
        pool=pool_labels().get(pool.value) if pool is not None else "",
        candidates=ranked,
        milliseconds=milliseconds,
        pool_labels=pool_labels(),
        action=ActionForm(),
    )


@blueprint.post("/sua-lich/<int:version_id>/o-trong")
@role_required("coordinator")
def pick_candidate(version_id: int):
    """Put a person on an empty seat of the draft (refused with the rule when it breaks one)."""
    _campaign_or_redirect()
    version, _info = _repair_or_404(version_id)
    campaign = standing_campaign(live.now())
    key = request.form.get("gap", "")
    _gap, seat, _pool = _seat_or_404(campaign, store.roster_of(version), key)
    person_id = (request.form.get("person_id") or "").strip()[:40]
    if _person_of(campaign, person_id) is None:
        flash(_("Không có người mã “%(id)s”.", id=person_id), "error")
        return redirect(url_for("coordinator.repair_seat", version_id=version_id, gap=key), 303)
    chosen = dataclasses.replace(seat, person_id=person_id)
    what = f"{_name(campaign, person_id)}, {_slot_text(campaign, chosen)} {chosen.date:%d/%m/%Y}"
    return _edit_response(version_id, add=[chosen], done=_("Đã thêm %(what)s.", what=what))


@blueprint.get("/sua-lich/<int:version_id>/cong-bo")
@role_required("coordinator")
def repair_publish_page(version_id: int):
    """Before publishing: the summary and how many people will be told."""
    _campaign_or_redirect()
    version, info = _repair_or_404(version_id)
    lineage = store.lineage(version.id)
    published = store.latest_published()
    return render_template(
        "coordinator/repair_publish.html",
        version=version,
        info=info,
        summary=lineage.change_summary if lineage else "",
        notify=people_to_notify(version, info.parent_id),
        events=len(info.events),
        current=version.status == "draft" and published is not None and published.id == info.parent_id,
        action=ActionForm(),
    )


@blueprint.post("/sua-lich/<int:version_id>/cong-bo")
@role_required("coordinator")
def publish_repair_draft(version_id: int):
    """Publish the repair draft: a new immutable version; the people affected are told."""
    version, _info = _repair_or_404(version_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        notified, repaired = publish_repair(version, _username())
    except RepairRefused as refused:
        for reason in refused.reasons:
            flash(reason, "error")
        return redirect(url_for("coordinator.repair_publish_page", version_id=version_id), 303)
    flash(
        _(
            "Đã công bố phiên bản %(id)s: %(people)s người sẽ nhận thông báo, %(events)s sự kiện đã được sửa lịch.",
            id=version_id,
            people=notified,
            events=repaired,
        )
    )
    return redirect(url_for("coordinator.version", version_id=version_id), 303)


@blueprint.post("/sua-lich/<int:version_id>/xoa")
@role_required("coordinator")
def discard_repair(version_id: int):
    """Delete a repair draft."""
    version, _info = _repair_or_404(version_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if version.status != "draft":
        flash(_("Phiên bản này đã được công bố."), "error")
        return redirect(url_for("coordinator.repairs"), 303)
    try:
        db.session.execute(delete(RepairMark).where(RepairMark.version_id == version_id))
        db.session.execute(delete(Repair).where(Repair.version_id == version_id))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    store.delete_draft(version_id)
    flash(_("Đã xoá bản sửa lịch %(id)s.", id=version_id))
    return redirect(url_for("coordinator.repairs"), 303)
