"""Charts drawn on the server as inline SVG: no script, no network resource, printable in black and white.

Each chart is a ``<figure>`` holding an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its
accessible name and description), one ``<title>`` per mark for the pointer, and a ``<figcaption>`` that says
in words what the chart shows. Numbers go through :mod:`web.numbers` in the reader's locale. Marks that
mean "missing" or "over the limit" are hatched as well as coloured, so they read on paper and without
colour. The view boxes are about 400 units wide: the charts scale to the width of a phone (``charts.css``).

- :func:`day_coverage_chart`: coverage by day, of the city or of one ward (stacked bars: filled, missing);
- :func:`load_spread_chart`: each person's hours in their busiest week, as a histogram per pool with the cap;
- :func:`shortfall_chart`: people missing by coverage rule (bars with the numbers);
- :func:`level_swatch`, :func:`level_defs`, :func:`map_patterns`: the coverage map's levels as patterns;
- :func:`ward_coverage_chart`, :func:`version_shortfall_chart`: what the ward and gaps pages call.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable

from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup, escape

from scheduler.coverage import DayCoverage, WeekLoad, coverage_by_day
from web.numbers import number, percent

WIDTH = 400
FONT_SIZE = 13
INK = "#1d2733"
MUTED = "#5b6b7c"
GRID = "#d5dde6"
FILLED = "#455a64"  # prints as dark grey
MISSING = "#b3261e"  # hatched, so it reads without colour too
HOURS_PER_BIN = 4

_ids = itertools.count(1)


def _next_id(prefix: str) -> str:
    """A document-unique id for a chart's title, description and patterns."""
    return f"{prefix}{next(_ids)}"


def _n(value: float) -> str:
    """A coordinate as SVG wants it (a dot, never the locale's comma)."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _hatch(pattern_id: str, colour: str, size: float = 5.0, width: float = 1.4, background: str = "#fff") -> str:
    """A diagonal hatch pattern in user units."""
    return (
        f'<pattern id="{pattern_id}" width="{_n(size)}" height="{_n(size)}" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="{_n(size)}" height="{_n(size)}" fill="{background}"/>'
        f'<line x1="0" y1="0" x2="0" y2="{_n(size)}" stroke="{colour}" stroke-width="{_n(width)}"/></pattern>'
    )


def _svg(chart_id: str, height: float, title: str, desc: str, body: str, defs: str = "") -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {_n(height)}" role="img" aria-labelledby="{chart_id}-t" '
        f'aria-describedby="{chart_id}-d" xmlns="http://www.w3.org/2000/svg" font-size="{FONT_SIZE}">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        f"{'<defs>' + defs + '</defs>' if defs else ''}{body}</svg>"
    )


def _figure(kind: str, svg: str, caption: str, key: str) -> Markup:
    return Markup(
        f'<figure class="chart {kind}" data-chart="{escape(key)}">{svg}<figcaption>{caption}</figcaption></figure>'
    )


def _key_item(swatch: str, text: str) -> str:
    return f'<span class="key"><svg viewBox="0 0 16 12" aria-hidden="true">{swatch}</svg>{escape(text)}</span>'


# ------------------------------------------------------------------------------------------------ coverage by day


def _axis_floor(lowest: float | None) -> int:
    """Where the percent axis starts: 0, or a round value a little under the lowest day (at most 90)."""
    if lowest is None or lowest < 60:
        return 0
    return min(90, int(math.floor((lowest - 5) / 10) * 10))


def day_coverage_chart(days: list[DayCoverage], title: str, key: str = "days") -> Markup:
    """Coverage by day: a bar per day, filled person-slots solid and the missing ones hatched on top.

    The percent axis starts at a round value under the lowest day (said in the caption), so that a day at
    97 % stands out from one at 100 %. ``key`` names the chart in ``data-chart`` (for tests and styles).
    """
    chart_id = _next_id("cd")
    asked_days = [d for d in days if d.asked]
    lowest = min((d.percent for d in asked_days), default=None)
    floor = _axis_floor(lowest)
    left, right, top, bottom, plot_height = 40, 6, 8, 22, 130
    height = top + plot_height + bottom
    plot_width = WIDTH - left - right
    step = plot_width / max(1, len(days))
    bar = min(step * 0.8, 36)

    def y(value: float) -> float:
        return top + (100 - max(floor, min(100, value))) / (100 - floor) * plot_height

    parts = []
    for tick in (floor, (floor + 100) / 2, 100):
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - right}" y1="{_n(y(tick))}" y2="{_n(y(tick))}" stroke="{GRID}"/>'
            f'<text x="{left - 4}" y="{_n(y(tick) + 4)}" text-anchor="end" fill="{MUTED}">'
            f"{escape(percent(tick, 0))}</text>"
        )
    label_every = max(1, math.ceil(len(days) / 7))
    for index, d in enumerate(days):
        x = left + index * step + (step - bar) / 2
        if index % label_every == 0:
            parts.append(
                f'<text x="{_n(x + bar / 2)}" y="{_n(height - 6)}" text-anchor="middle" fill="{MUTED}">'
                f"{d.day.strftime('%d/%m')}</text>"
            )
        if not d.asked:
            continue
        tip = _("%(day)s: %(percent)s — %(filled)s/%(asked)s người-ca có người, thiếu %(missing)s") % {
            "day": format_date(d.day, "EEEE dd/MM/yyyy"),
            "percent": percent(d.percent),
            "filled": number(d.filled),
            "asked": number(d.asked),
            "missing": number(d.missing),
        }
        fill_top = y(d.percent)
        parts.append(
            f'<g data-day="{d.day.isoformat()}" data-asked="{d.asked}" data-filled="{d.filled}">'
            f"<title>{escape(tip)}</title>"
            f'<rect class="filled" x="{_n(x)}" y="{_n(fill_top)}" width="{_n(bar)}" '
            f'height="{_n(top + plot_height - fill_top)}" fill="{FILLED}"/>'
        )
        if d.missing:
            parts.append(
                f'<rect class="missing" x="{_n(x)}" y="{_n(y(100))}" width="{_n(bar)}" '
                f'height="{_n(max(1.5, fill_top - y(100)))}" fill="url(#{chart_id}-h)" stroke="{MISSING}" '
                f'stroke-width=".8"/>'
            )
        parts.append("</g>")
    asked = sum(d.asked for d in days)
    missing = sum(d.missing for d in days)
    worst = min(asked_days, key=lambda d: (d.percent, d.day), default=None)
    short_days = sum(1 for d in asked_days if d.missing)
    if worst is None:
        summary = _("Không có yêu cầu nào trong những ngày này.")
    else:
        summary = _(
            "%(short)s/%(count)s ngày còn thiếu người. Thấp nhất: %(day)s, %(percent)s (thiếu %(missing)s "
            "người-ca). Cả kỳ: %(total)s."
        ) % {
            "short": number(short_days),
            "count": number(len(asked_days)),
            "day": format_date(worst.day, "EEEE dd/MM"),
            "percent": percent(worst.percent),
            "missing": number(worst.missing),
            "total": percent(100.0 * (asked - missing) / asked) if asked else "—",
        }
    desc = (
        summary + " " + _("Trục dọc từ %(floor)s đến %(top)s.") % {"floor": percent(floor, 0), "top": percent(100, 0)}
    )
    svg = _svg(chart_id, height, title, desc, "".join(parts), _hatch(f"{chart_id}-h", MISSING))
    keys = _key_item(f'<rect width="16" height="12" fill="{FILLED}"/>', _("có người")) + _key_item(
        f'<rect width="16" height="12" fill="url(#{chart_id}-h)" stroke="{MISSING}"/>', _("còn thiếu")
    )
    caption = f'<span class="keys">{keys}</span> {escape(desc)}'
    return _figure("days", svg, caption, key)


# ------------------------------------------------------------------------------------------------ people's loads


def load_spread_chart(loads: Iterable[WeekLoad], pool_label: str, key: str) -> Markup:
    """A histogram of each person's hours in their busiest week (4-hour bins; 0 is "no shift yet"), with a line
    at the pool's weekly cap (the most common one; people with their own cap are counted against theirs).

    The people over their own cap are the hatched top of their bar.
    """
    chosen = list(loads)
    chart_id = _next_id("ls")
    caps = Counter(load.cap_hours for load in chosen)
    cap = caps.most_common(1)[0][0] if caps else 0
    over = sum(1 for load in chosen if load.over_cap)
    idle = sum(1 for load in chosen if load.hours == 0)
    top_hours = max([cap, *(load.hours for load in chosen)], default=0)
    bins = max(1, math.ceil(top_hours / HOURS_PER_BIN)) + 1  # bin 0 holds exactly 0 hours

    def bin_of(load: WeekLoad) -> int:
        return 0 if load.hours == 0 else math.ceil(load.hours / HOURS_PER_BIN)

    counts = Counter(bin_of(load) for load in chosen)
    over_counts = Counter(bin_of(load) for load in chosen if load.over_cap)
    tallest = max(counts.values(), default=0)
    left, right, top, bottom, plot_height = 40, 8, 22, 30, 100
    height = top + plot_height + bottom
    plot_width = WIDTH - left - right
    step = plot_width / bins

    def x_of(hours: float) -> float:
        """The x of an hour count: bin 0 is its own column, then one column per 4 hours."""
        return left + step + hours / HOURS_PER_BIN * step if hours else left

    parts = [
        f'<line x1="{left}" x2="{WIDTH - right}" y1="{top + plot_height}" y2="{top + plot_height}" stroke="{INK}"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" fill="{MUTED}">{escape(number(tallest))}</text>',
        f'<text x="{left - 4}" y="{top + plot_height}" text-anchor="end" fill="{MUTED}">0</text>',
    ]
    for index in range(bins):
        count = counts.get(index, 0)
        low, high = (0, 0) if index == 0 else ((index - 1) * HOURS_PER_BIN, index * HOURS_PER_BIN)
        if index == 0:
            span = _("0 giờ (chưa có ca)")
        else:
            span = _("trên %(low)s đến %(high)s giờ") % {"low": number(low), "high": number(high)}
        x = left + index * step
        beyond = over_counts.get(index, 0)
        tip = _("%(span)s: %(count)s người") % {"span": span, "count": number(count)}
        if beyond:
            tip += " " + _("(%(over)s người vượt giới hạn của mình)") % {"over": number(beyond)}
        within_height = plot_height * (count - beyond) / tallest if tallest else 0
        beyond_height = plot_height * beyond / tallest if tallest else 0
        base = top + plot_height
        body = f'<g data-bin="{index}" data-count="{count}" data-over="{beyond}"><title>{escape(tip)}</title>'
        if count - beyond:
            body += (
                f'<rect x="{_n(x + 1)}" y="{_n(base - within_height)}" width="{_n(max(1.0, step - 2))}" '
                f'height="{_n(within_height)}" fill="{FILLED}"/>'
            )
        if beyond:
            body += (
                f'<rect class="over" x="{_n(x + 1)}" y="{_n(base - within_height - beyond_height)}" '
                f'width="{_n(max(1.0, step - 2))}" height="{_n(max(1.5, beyond_height))}" '
                f'fill="url(#{chart_id}-h)" stroke="{MISSING}"/>'
            )
        parts.append(body + "</g>")
    tick_hours = 8 if top_hours <= 48 else 12
    for hours in range(0, int(bins * HOURS_PER_BIN) + 1, tick_hours):
        if hours and (hours / HOURS_PER_BIN) >= bins:
            break
        x = x_of(hours) + (step / 2 if hours == 0 else 0)
        parts.append(
            f'<text x="{_n(x)}" y="{top + plot_height + 14}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(number(hours))}</text>"
        )
    unit = _("giờ/tuần")
    parts.append(f'<text x="{WIDTH - right}" y="{height - 2}" text-anchor="end" fill="{MUTED}">{escape(unit)}</text>')
    if cap:
        cap_x = x_of(cap)
        cap_words = _("giới hạn %(hours)s giờ", hours=number(cap))
        parts.append(
            f'<g class="cap" data-cap="{cap}"><line x1="{_n(cap_x)}" x2="{_n(cap_x)}" y1="{top - 4}" '
            f'y2="{top + plot_height}" stroke="{INK}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{_n(min(cap_x, WIDTH - right - 4))}" y="{top - 8}" '
            f'text-anchor="{"end" if cap_x > WIDTH / 2 else "start"}" dx="{-4 if cap_x > WIDTH / 2 else 4}" '
            f'fill="{INK}">{escape(cap_words)}</text></g>'
        )
    busiest = [load.hours for load in chosen if load.hours]
    facts = {
        "people": number(len(chosen)),
        "idle": number(idle),
        "median": number(sorted(busiest)[len(busiest) // 2], 1) if busiest else "—",
        "cap": number(cap),
        "over": number(over),
    }
    desc = (
        _(
            "%(people)s người; %(idle)s người chưa có ca; giữa nhóm: %(median)s giờ ở tuần nhiều giờ nhất; "
            "giới hạn thường gặp %(cap)s giờ/tuần; %(over)s người vượt giới hạn của mình."
        )
        % facts
    )
    if len(caps) > 1:
        desc += " " + _("Giới hạn riêng từng người: %(low)s–%(high)s giờ.") % {
            "low": number(min(caps)),
            "high": number(max(caps)),
        }
    title = _("%(pool)s: số người theo số giờ làm trong tuần nhiều giờ nhất", pool=pool_label)
    svg = _svg(chart_id, height, title, desc, "".join(parts), _hatch(f"{chart_id}-h", MISSING))
    caption = f"<strong>{escape(pool_label)}</strong> {escape(desc)}"
    return _figure("loads", svg, caption, key)


# ------------------------------------------------------------------------------------------------ shortfalls


def shortfall_chart(
    missing_by_rule: dict[str, int], asked_by_rule: dict[str, int], label_of: Callable[[str], str]
) -> Markup:
    """People missing by coverage rule: one hatched bar per rule with its number and its share of what the rule
    asks. Rules without a gap are listed with 0, so the chart also says what is whole."""
    chart_id = _next_id("sf")
    rules = list(dict.fromkeys([*asked_by_rule, *missing_by_rule]))
    rules = [rule for rule in rules if asked_by_rule.get(rule) or missing_by_rule.get(rule)]
    largest = max(missing_by_rule.values(), default=0)
    row, left, right = 44, 4, 180
    height = max(1, len(rules)) * row + 4
    bar_room = WIDTH - left - right
    parts = []
    total = sum(missing_by_rule.values())
    for index, rule in enumerate(rules):
        missing = missing_by_rule.get(rule, 0)
        asked = asked_by_rule.get(rule, 0)
        y = index * row + 2
        width = bar_room * missing / largest if largest else 0
        share = percent(100.0 * missing / asked) if asked else "—"
        figure = _("thiếu %(missing)s/%(asked)s (%(share)s)") % {
            "missing": number(missing),
            "asked": number(asked),
            "share": share,
        }
        parts.append(
            f'<g data-rule="{escape(rule)}" data-missing="{missing}"><title>{escape(label_of(rule))}: '
            f"{escape(figure)}</title>"
            f'<text x="{left}" y="{y + 13}" fill="{INK}">{escape(label_of(rule))}</text>'
            f'<rect x="{left}" y="{y + 19}" width="{_n(max(width, 1.5 if missing else 0))}" height="16" '
            f'fill="url(#{chart_id}-h)" stroke="{MISSING}"/>'
            f'<text x="{_n(left + width + 6)}" y="{y + 32}" fill="{INK}">{escape(figure)}</text></g>'
        )
    desc = (
        _("Thiếu %(total)s người-ca:") % {"total": number(total)}
        + " "
        + "; ".join(f"{label_of(rule)} {number(missing_by_rule.get(rule, 0))}" for rule in rules)
        + "."
    )
    svg = _svg(chart_id, height, _("Thiếu người theo quy tắc"), desc, "".join(parts), _hatch(f"{chart_id}-h", MISSING))
    caption = _("Tổng cộng thiếu %(total)s người-ca.") % {"total": number(total)}
    return _figure("rules", svg, escape(caption), "rules")


# ------------------------------------------------------------------------------------------------ map levels


def _level_fill(pattern_id: str, level: str, colour: str, unit: float) -> str:
    """A level's pattern: its colour with a mark of its own (none, dots, lines, cross-hatch, dense cross-hatch)."""
    u = unit
    base = f'<rect width="{_n(2 * u)}" height="{_n(2 * u)}" fill="{colour}"/>'
    ink = INK if level not in ("severe", "full") else "#fff"
    marks = {
        "full": "",
        "near": f'<circle cx="{_n(u / 2)}" cy="{_n(u / 2)}" r="{_n(u * 0.18)}" fill="{ink}"/>'
        f'<circle cx="{_n(1.5 * u)}" cy="{_n(1.5 * u)}" r="{_n(u * 0.18)}" fill="{ink}"/>',
        "some": f'<path d="M0 {_n(2 * u)}L{_n(2 * u)} 0" stroke="{ink}" stroke-width="{_n(u * 0.2)}"/>',
        "many": f'<path d="M0 {_n(2 * u)}L{_n(2 * u)} 0M0 0L{_n(2 * u)} {_n(2 * u)}" stroke="{ink}" '
        f'stroke-width="{_n(u * 0.2)}"/>',
        "severe": f'<path d="M0 {_n(u)}H{_n(2 * u)}M{_n(u)} 0V{_n(2 * u)}" stroke="{ink}" '
        f'stroke-width="{_n(u * 0.35)}"/>',
        "none": f'<path d="M0 {_n(u / 2)}H{_n(2 * u)}M0 {_n(1.5 * u)}H{_n(2 * u)}" stroke="{MUTED}" '
        f'stroke-width="{_n(u * 0.12)}"/>',
    }
    return (
        f'<pattern id="{pattern_id}" width="{_n(2 * u)}" height="{_n(2 * u)}" patternUnits="userSpaceOnUse">'
        f"{base}{marks.get(level, '')}</pattern>"
    )


def level_defs(levels: Iterable[tuple[str, str]], prefix: str, unit: float) -> Markup:
    """The patterns of the coverage levels (``(key, colour)`` pairs) as ids ``<prefix><key>``, ``unit`` user
    units a side of each mark's cell: a small number for a swatch, the map's scale for the map."""
    return Markup("".join(_level_fill(f"{prefix}{key}", key, colour, unit) for key, colour in levels))


def level_swatch(key: str) -> Markup:
    """A legend swatch of a coverage level, filled with the level's pattern ``sw-<key>`` (see :func:`level_defs`)."""
    return Markup(
        f'<svg class="swatch" aria-hidden="true"><rect width="24" height="16" fill="url(#sw-{escape(key)})"/></svg>'
    )


# ------------------------------------------------------------------------------------------------ page helpers


def ward_coverage_chart(version, place) -> Markup:
    """The ward page's chart: the ward's coverage by day in a stored version (``version``: a RosterVersion)."""
    from web import store

    campaign = store.campaign()
    if campaign is None:
        return Markup("")
    days = coverage_by_day(campaign, store.gap_roster(version), place.code)  # gaps only
    return day_coverage_chart(days, _("Độ phủ theo ngày — %(ward)s", ward=place.name), "ward-days")


def version_shortfall_chart(version) -> Markup:
    """The gaps page's chart: people missing by coverage rule in a stored version, against what each rule asks."""
    from scheduler.report import missing_by_rule
    from scheduler.verify import asked_person_slots
    from web import store
    from web.coordinator import rule_label

    campaign = store.campaign()
    if campaign is None:
        return Markup("")
    by_rule = missing_by_rule(store.gap_roster(version))  # gaps only
    return shortfall_chart(by_rule, asked_person_slots(campaign), rule_label)
