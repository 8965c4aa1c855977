"""The `raquan` command line. It owns all file input and output.

raquan scenario hanoi --seed 7 --out DIR   write a realistic Hanoi campaign
raquan scenario tiny --out DIR             three wards, a dozen people
raquan scenario province NAME --seed 7 --out DIR [--days N]
                                           a campaign in any province, pools sized from its communes
raquan scenario country --seed 7 --out DIR [--provinces "Lai Châu,Điện Biên"] [--days N]
                                           a country directory: one campaign per province
raquan check DIR                           validate a campaign directory, or every province of a country
raquan wards [--province P] [--format F]   communes of Vietnam as CSV or GeoJSON
raquan solve DIR --out FILE [--time-limit S] [--processes N] [--cp-sat-workers N] [--seed N]
             [--cluster-work W] [--dask | --scheduler tcp://HOST:PORT] [--published ROSTER.json [--now ISO]]
                                           roster a campaign (.json, .xlsx or .csv); from a published
                                           roster, change only what the data forces
raquan solve COUNTRY_DIR --out DIR [--formats json,csv,xlsx] [--scheduler tcp://HOST:PORT]
                                           every province on Dask; a roster each and the national summary
raquan verify DIR ROSTER                   re-check a roster without the solver
raquan repair DIR ROSTER.json --event KIND,key=value,... [--events FILE.json] [--now ISO] --out NEW.json
                                           repair a published roster after events, with minimal change
raquan demo [--port P] [--time-limit S] [--no-browser] [--start YYYY-MM-DD] [--workers N]
                                           the main job: load Hanoi into a fresh data directory,
                                           solve, publish and serve the web app
raquan serve [--port P] [--workers N]      serve the web app (RAQUAN_DATA_DIR, RAQUAN_DATABASE_URL)
raquan outbox [--once] [--poll-seconds S]  send the notices (e-mail, SMS, reminders) from their own process
raquan user NAME --role ROLE [--ward CODE]   add a web account (coordinator, youth_union, dispatcher, ward, group)
raquan visits plan [--day YYYY-MM-DD] [--seconds S]
                                           plan every ward's home-visit routes for a day (default tomorrow)
                                           from the stored lists and the roster in force
raquan bench curtois [--instances 1-6,13] [--time-limit S] [--workers N] [--format table|csv]
                     [--data DIR] [--out DIR]
                                           solve Curtois–Qu benchmark instances, check each with the evaluator
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
import time
from pathlib import Path

logger = logging.getLogger(__name__)


def _write_scenario(name: str, seed: int, out: Path, table_format: str, days: int | None = None, target=None):
    """Write the scenario ``name`` to ``out``: one campaign (returned), or for ``country`` a country
    directory (the list of its campaigns returned). ``target`` is the province's name for ``province``,
    the provinces to keep (names or codes) for ``country``."""
    from scheduler.country_io import export_country
    from scheduler.io import export_campaign
    from scheduler.scenarios import CAMPAIGN_DAYS, country_scenario, hanoi_scenario, province_scenario, tiny_scenario

    if name == "country":
        campaigns = country_scenario(seed, days=days or CAMPAIGN_DAYS, provinces=target)
        export_country(campaigns, out, seed, table_format=table_format)
        return campaigns
    if name == "province":
        campaign = province_scenario(target, seed, days=days or CAMPAIGN_DAYS)
    elif name == "hanoi":
        campaign = hanoi_scenario(seed) if days is None else province_scenario("01", seed, days=days)
    else:
        campaign = tiny_scenario()
    export_campaign(campaign, out, table_format=table_format)
    return campaign


def cmd_scenario(args: argparse.Namespace) -> int:
    """Write a scenario directory (a country directory for ``country``)."""
    from geo.units import UnknownPlaceError
    from scheduler.problems import number_vi
    from scheduler.summary import format_summary, summarise

    if args.name == "province" and not args.province:
        print(
            'raquan scenario province: thiếu tên tỉnh, thành phố (ví dụ: raquan scenario province "Lai Châu")',
            file=sys.stderr,
        )
        return 2
    if args.name != "province" and args.province:
        print(f"raquan scenario {args.name}: không nhận tên tỉnh '{args.province}'", file=sys.stderr)
        return 2
    if args.provinces is not None and args.name != "country":
        print("raquan scenario: --provinces chỉ dùng với 'country'", file=sys.stderr)
        return 2
    if args.days is not None and args.name == "tiny":
        print("raquan scenario tiny: kịch bản ba ngày, không nhận --days", file=sys.stderr)
        return 2
    target = args.province
    if args.name == "country" and args.provinces is not None:
        target = [name.strip() for name in args.provinces.split(",") if name.strip()]
    started = time.perf_counter()
    try:
        written = _write_scenario(args.name, args.seed, Path(args.out), args.format, args.days, target)
    except UnknownPlaceError as error:
        print(f"raquan scenario: {error}", file=sys.stderr)
        return 2
    if isinstance(written, list):
        for campaign in written:
            print(
                f"{campaign.province}: {number_vi(len(campaign.wards))} xã phường, "
                f"{number_vi(len(campaign.people))} người, {number_vi(len(campaign.mobile_points))} điểm lưu động"
            )
        print(
            f"Cả nước: {number_vi(len(written))} tỉnh, thành phố, "
            f"{number_vi(sum(len(c.wards) for c in written))} xã phường, "
            f"{number_vi(sum(len(c.people) for c in written))} người, "
            f"{number_vi(sum(len(c.mobile_points) for c in written))} điểm lưu động "
            f"({time.perf_counter() - started:.1f} giây)"
        )
    else:
        print(format_summary(summarise(written)))
    print(f"Đã ghi kịch bản vào {args.out}")
    return 0


def _check_country(directory: Path) -> int:
    """Check every province of a country directory: each problem named with its province, a line per
    province, a national total; 1 when any province has an error."""
    from scheduler.country_io import CountryDirError, check_country
    from scheduler.problems import number_vi

    try:
        result = check_country(directory)
    except CountryDirError as error:
        print(f"Từ chối: {error}", file=sys.stderr)
        return 1
    for heading, severity in (("Lỗi", "errors"), ("Cảnh báo", "warnings"), ("Ghi chú", "notes")):
        lines = [
            province.prefix(problem) for province in result.provinces for problem in getattr(province.report, severity)
        ]
        count = sum(getattr(province.report, severity[:-1] + "_count") for province in result.provinces)
        if lines:
            print(f"{heading} ({number_vi(count)}):")
            for line in lines:
                print(f"  {line}")
    print(f"{result.country.name or directory}:")
    totals = [0, 0, 0]
    for province in result.provinces:
        campaign = province.campaign
        if campaign is None:
            print(f"  {province.label}: {number_vi(province.report.error_count)} lỗi, không nạp được")
            continue
        figures = (len(campaign.wards), len(campaign.people), len(campaign.mobile_points))
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        print(
            f"  {province.label}: {number_vi(figures[0])} xã phường, {number_vi(figures[1])} người, "
            f"{number_vi(figures[2])} điểm lưu động"
        )
    loaded = sum(p.campaign is not None for p in result.provinces)
    print(
        f"Cả nước: {number_vi(loaded)}/{number_vi(len(result.provinces))} tỉnh, thành phố hợp lệ; "
        f"{number_vi(totals[0])} xã phường, {number_vi(totals[1])} người, {number_vi(totals[2])} điểm lưu động"
    )
    if not result.ok:
        failed = [p.label for p in result.provinces if not p.report.ok]
        print(
            f"Từ chối: {number_vi(result.error_count)} lỗi ở {number_vi(len(failed))} tỉnh, thành phố "
            f"({'; '.join(failed)}); các tỉnh đó không được nạp.",
            file=sys.stderr,
        )
        return 1
    print(f"Hợp lệ: {directory}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a campaign directory, or every province of a country directory; print its errors, warnings
    and notes under a heading each.

    The exit code is 1 when there is an error, 0 otherwise (warnings and notes do not block a load).
    """
    from scheduler.country_io import is_country_dir
    from scheduler.loader import load_campaign_report
    from scheduler.problems import number_vi
    from scheduler.summary import format_summary, summarise

    if is_country_dir(args.directory):
        return _check_country(Path(args.directory))
    campaign, report = load_campaign_report(Path(args.directory))
    for heading, problems, count in (
        ("Lỗi", report.errors, report.error_count),
        ("Cảnh báo", report.warnings, report.warning_count),
        ("Ghi chú", report.notes, report.note_count),
    ):
        if problems:
            print(f"{heading} ({number_vi(count)}):")
            for problem in problems:
                print(f"  {problem}")
    if report.errors:
        print(
            f"Từ chối: {number_vi(report.error_count)} lỗi trong {args.directory}; không dữ liệu nào được nạp.",
            file=sys.stderr,
        )
        return 1
    print(format_summary(summarise(campaign)))
    print(f"Hợp lệ: {args.directory}")
    return 0


def cmd_wards(args: argparse.Namespace) -> int:
    """Print the communes of Vietnam (or of one province) as CSV or GeoJSON."""
    from geo.export import write_wards_csv, write_wards_geojson
    from geo.units import UnknownPlaceError

    try:
        if args.format == "csv":
            write_wards_csv(sys.stdout, province=args.province)
        else:
            write_wards_geojson(sys.stdout, province=args.province)
    except UnknownPlaceError as error:
        print(f"raquan wards: {error}", file=sys.stderr)
        return 2
    return 0


def _load_or_report(directory: Path):
    from scheduler.io import CampaignLoadError, load_campaign

    try:
        return load_campaign(directory)
    except CampaignLoadError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"Từ chối: {error.count} lỗi trong {directory}.", file=sys.stderr)
        return None


def _solve_with_progress(campaign, settings, deadline: float, published=None, now=None, runner=None):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from scheduler.pipeline import solve

    with Progress(
        TextColumn("Giải theo cụm xã/phường"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as progress:
        task = progress.add_task("solve", total=None)
        return solve(
            campaign,
            settings,
            deadline=deadline,
            explain_late=False,
            progress=lambda outcome: progress.advance(task),
            on_plan=lambda n: progress.update(task, total=n),
            published=published,
            now=now,
            runner=runner,
        )


def _write_roster(campaign, roster, report, out: Path) -> None:
    from scheduler.roster_io import write_roster_csv, write_roster_json, write_roster_xlsx

    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix == ".json":
        write_roster_json(roster, out)
    elif suffix == ".xlsx":
        write_roster_xlsx(campaign, roster, out, report)
    else:
        write_roster_csv(campaign, roster, out)


def cmd_solve(args: argparse.Namespace) -> int:
    """Solve a campaign directory and write the roster, all within ``--time-limit`` of the command's start.

    A country directory (``country.toml`` and a campaign per province) is solved on Dask: :func:`_solve_country`.
    """
    from scheduler.country_io import is_country_dir
    from scheduler.io import read_solve_settings

    if is_country_dir(args.directory):
        return _solve_country(args)
    out = Path(args.out)
    if out.suffix.lower() not in (".json", ".xlsx", ".csv"):
        print("raquan solve: --out phải là tệp .json, .xlsx hoặc .csv", file=sys.stderr)
        return 2
    try:  # [solver] of campaign.toml, then the flags given
        settings = read_solve_settings(Path(args.directory) / "campaign.toml").with_changes(
            time_limit_seconds=args.time_limit,
            processes=args.processes,
            cp_sat_workers=args.cp_sat_workers,
            seed=args.seed,
            cluster_work=args.cluster_work,
        )
    except ValueError as error:
        print(f"raquan solve: {error}", file=sys.stderr)
        return 2
    published, now = None, None
    if args.published:
        from scheduler import clock
        from scheduler.roster_io import read_roster_json

        try:
            published, now = read_roster_json(args.published), clock.now(args.now)
        except (OSError, ValueError) as error:
            print(f"raquan solve: {error}", file=sys.stderr)
            return 2
    # The deadline counts from the command's start: loading, solving, checking and writing all fit in it.
    writing = 0.5 if out.suffix.lower() == ".json" else 2.0
    deadline = args.started + settings.time_limit_seconds - writing
    campaign = _load_or_report(Path(args.directory))
    if campaign is None:
        return 1
    try:
        with _runner(args, settings) as runner:
            result = _solve_with_progress(campaign, settings, deadline, published, now, runner)
    except OSError as error:
        print(f"raquan solve: không kết nối được bộ lập lịch Dask {args.scheduler}: {error}", file=sys.stderr)
        return 2
    _write_roster(campaign, result.roster, result.report, out)
    print(result.summary())
    print(f"Đã ghi lịch vào {out}")
    return 0 if result.is_feasible() else 1


def _runner(args: argparse.Namespace, settings, country: bool = False):
    """Where the solve's tasks run: a running Dask scheduler (``--scheduler``), a Dask LocalCluster of
    ``settings.processes`` workers (``--dask``, and always for a country), else local processes."""
    import contextlib

    from scheduler.runners import DaskRunner, LocalRunner

    level = logging.INFO if args.verbose else logging.WARNING
    if args.scheduler:
        return DaskRunner.connect(args.scheduler, log_level=level)
    if args.dask or country:
        return DaskRunner.local(settings.processes, settings.cp_sat_workers, log_level=level)
    return contextlib.nullcontext(LocalRunner(settings.processes))


# Writing a province's roster, per 58,000 person-slots asked (Hà Nội's size), measured on this project's
# 2-core reference machine with half as much again in hand: JSON 0.4 s, CSV 0.4 s, XLSX 4.8 s.
WRITE_SECONDS_PER_HANOI = {"json": 0.6, "csv": 0.6, "xlsx": 7.2}


def _solve_country(args: argparse.Namespace) -> int:
    """Solve every province of a country directory on Dask, by one deadline; write one roster per province and
    the national summary into ``--out`` (a directory). Exit code 0 when every province is solved and verified."""
    from scheduler.country_io import CountryDirError, read_country
    from scheduler.io import CampaignLoadError, load_campaign
    from scheduler.national import national_summary, summary_lines
    from scheduler.verify import asked_person_slots

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or any(f not in WRITE_SECONDS_PER_HANOI for f in formats):
        print("raquan solve: --formats là danh sách trong json, csv, xlsx", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.suffix.lower() in (".json", ".xlsx", ".csv"):
        print("raquan solve: với thư mục cả nước, --out là một thư mục (mỗi tỉnh một tệp lịch)", file=sys.stderr)
        return 2
    try:
        country = read_country(args.directory)
        settings = country.solver.with_changes(
            time_limit_seconds=args.time_limit,
            processes=args.processes,
            cp_sat_workers=args.cp_sat_workers,
            seed=args.seed,
            cluster_work=args.cluster_work,
        )
    except (CountryDirError, ValueError) as error:
        print(f"raquan solve: {error}", file=sys.stderr)
        return 2
    if args.published:
        print("raquan solve: --published chỉ dùng cho một chiến dịch, không cho thư mục cả nước", file=sys.stderr)
        return 2
    campaigns, not_loaded = {}, {}
    for directory in country.provinces:
        try:
            campaigns[directory.name] = load_campaign(directory)
        except CampaignLoadError as error:
            not_loaded[directory.name] = f"không nạp được ({error.count} lỗi; xem raquan check)"
            for problem in error.problems[:20]:
                print(f"{directory.name}: {problem}", file=sys.stderr)
    slots = {key: sum(asked_person_slots(c).values()) for key, c in campaigns.items()}
    writing = sum(WRITE_SECONDS_PER_HANOI[f] for f in formats) * sum(slots.values()) / 58_000
    deadline = args.started + settings.time_limit_seconds - writing - 1.0
    try:
        with _runner(args, settings, country=True) as runner:
            print(f"Giải {len(campaigns)} tỉnh, thành phố trên {runner.describe()}", file=sys.stderr)
            result = _solve_many_with_progress(campaigns, settings, deadline, runner)
    except OSError as error:
        print(f"raquan solve: không kết nối được bộ lập lịch Dask {args.scheduler}: {error}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for key, solved in result.results.items():
        for suffix in formats:
            _write_roster(campaigns[key], solved.roster, solved.report, out / f"{key}.{suffix}")
    summary = national_summary(campaigns, result, not_loaded)
    _write_national_summary(summary, out / "national-summary.csv")
    for line in summary_lines(summary):
        print(line)
    stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in result.figures["stage_seconds"].items())
    print(f"Thời gian: {time.time() - args.started:.1f} s cả lệnh ({stages}); {result.figures['workers']} luồng Dask")
    print(f"Đã ghi lịch từng tỉnh và bảng tổng hợp vào {out}")
    return 0 if summary.verified == len(summary.provinces) else 1


def _solve_many_with_progress(campaigns, settings, deadline: float, runner):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from scheduler.pipeline import solve_many

    words = {"plan": "Lập cụm", "clusters": "Giải các cụm", "close": "Lấp chỗ trống, kiểm tra"}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as progress:
        tasks = {stage: progress.add_task(text, total=None) for stage, text in words.items()}

        def report(stage: str, done: int, total: int) -> None:
            progress.update(tasks[stage], completed=done, total=total)

        return solve_many(campaigns, settings, runner=runner, deadline=deadline, progress=report)


def _write_national_summary(summary, path: Path) -> None:
    """The national summary as CSV: a row per province, worst first, then the whole country."""
    rules = list(summary.unfilled_by_rule)
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["province", "wards", "people", "asked", "filled", "coverage_percent", "violations", *rules, "failure"]
        )
        for line in summary.provinces:
            writer.writerow(
                [
                    line.key,
                    line.wards,
                    line.people,
                    line.asked,
                    line.filled,
                    f"{line.coverage_percent:.2f}",
                    line.violations,
                    *(line.unfilled_by_rule.get(rule, 0) for rule in rules),
                    line.failure or "",
                ]
            )
        writer.writerow(
            [
                "ALL",
                sum(line.wards for line in summary.provinces),
                sum(line.people for line in summary.provinces),
                summary.asked,
                summary.filled,
                f"{summary.coverage_percent:.2f}",
                summary.violations,
                *summary.unfilled_by_rule.values(),
                "",
            ]
        )


def cmd_verify(args: argparse.Namespace) -> int:
    """Re-check a roster against a campaign with the independent checker."""
    from geo.travel import province_travel
    from scheduler.explain import explain
    from scheduler.roster_io import read_roster_json
    from scheduler.verify import verify

    campaign = _load_or_report(Path(args.directory))
    if campaign is None:
        return 1
    try:
        roster = read_roster_json(args.roster)
    except (OSError, ValueError) as error:
        print(f"raquan verify: {error}", file=sys.stderr)
        return 2
    travel = province_travel(campaign.province)
    report = verify(campaign, roster, travel)
    for violation in report.violations:
        print(violation)
    print(
        f"Phủ: {report.coverage_percent:.2f}%; ô chưa đủ người: "
        + ", ".join(f"{rule} {n}" for rule, n in report.missing_by_rule().items())
    )
    print(f"Hàm mục tiêu tính lại: {report.objective} (lịch ghi: {roster.objective})")
    if args.explain:
        for item in explain(campaign, roster, report.unfilled, travel)[: args.explain]:
            print(f"- {item.text_vi}" + (f" → {item.suggestion_vi}" if item.suggestion_vi else ""))
    print(f"Vi phạm: {len(report.violations)}")
    return 0 if report.ok else 1


def _read_events(args: argparse.Namespace, now):
    """The events of ``--events FILE.json`` (a list of event objects), then of each ``--event``."""
    import json

    from scheduler.events import event_from_dict, parse_event

    events = []
    if args.events:
        data = json.loads(Path(args.events).read_text(encoding="utf-8"))
        if not isinstance(data, list):
            raise ValueError(f"{args.events}: a JSON list of events is expected")
        events += [event_from_dict(item) for item in data]
    events += [parse_event(text, now, "raquan repair") for text in args.event or ()]
    return events


def _slot_text(campaign, a) -> str:
    from scheduler.verify import slot_name

    return f"{campaign.person(a.person_id).name} ({a.person_id}), {slot_name(campaign, a)}"


def print_changes(campaign, changes) -> None:
    """The changes by ward and date: who is added (+), who moves (~), who is removed (−)."""
    from scheduler.verify import ward_name

    moved = {id(a) for pair in changes.moves() for a in pair}
    for (ward, day), (added, removed) in changes.by_ward_and_date().items():
        print(f"{ward_name(campaign, ward)}, {day.strftime('%d/%m/%Y')}:")
        for a in added:
            print(f"  {'~' if id(a) in moved else '+'} {_slot_text(campaign, a)}")
        for a in removed:
            print(f"  {'~' if id(a) in moved else '−'} bỏ {_slot_text(campaign, a)}")


def cmd_repair(args: argparse.Namespace) -> int:
    """Repair a published roster after events and write the new one, within ``--time-limit``."""
    from scheduler import clock
    from scheduler.events import EventError, apply_events
    from scheduler.io import read_solve_settings
    from scheduler.pipeline import repair
    from scheduler.roster_io import read_roster_json, write_roster_json

    try:
        now = clock.now(args.now)
        settings = read_solve_settings(Path(args.directory) / "campaign.toml").with_changes(
            time_limit_seconds=args.time_limit, seed=args.seed
        )
        roster = read_roster_json(args.roster)
        events = _read_events(args, now)
    except (OSError, ValueError) as error:
        print(f"raquan repair: {error}", file=sys.stderr)
        return 2
    deadline = args.started + settings.time_limit_seconds - 0.5
    campaign = _load_or_report(Path(args.directory))
    if campaign is None:
        return 1
    try:
        after = apply_events(campaign, events, now)
    except EventError as error:
        print(f"raquan repair: {error}", file=sys.stderr)
        return 2
    result = repair(after, roster, now, settings, deadline=deadline, explain_late=False, retry_gaps=args.retry_gaps)
    write_roster_json(result.roster, Path(args.out))
    changes = result.changes
    assert changes is not None  # a repair always compares with the published roster
    print(f"Bây giờ: {now.isoformat(' ', 'minutes')}; {len(events)} sự kiện")
    print_changes(after, changes)
    before = result.figures
    print(f"Thay đổi: {changes.summary_vi(len(result.report.unfilled))}")
    print(
        f"Phân công thay đổi: {changes.changed} (+{len(changes.added)} / −{len(changes.removed)}); "
        f"người bị ảnh hưởng: {len(changes.people)}; bị bỏ do sự kiện: {before['dropped']}; "
        f"ô mở cần sửa: {before['open_before']} lượt người"
    )
    print(f"Phủ: {result.report.coverage_percent:.2f}%; vi phạm: {len(result.report.violations)}")
    for problem in before["changes_outside"]:
        print(f"Sai phạm vi: {problem}", file=sys.stderr)
    print(f"Thời gian: {result.wall_seconds:.2f} s. Đã ghi lịch vào {args.out}")
    return 0 if result.is_feasible() else 1


def cmd_demo(args: argparse.Namespace) -> int:
    """Load the Hanoi scenario into a fresh data directory, solve, publish and serve the web app."""
    from datetime import date

    from web.server import demo

    try:
        start = date.fromisoformat(args.start) if args.start else None
    except ValueError:
        print(f"raquan demo: --start '{args.start}' is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    demo(
        port=args.port,
        time_limit_seconds=args.time_limit,
        open_browser=not args.no_browser,
        seed=args.seed,
        host=args.host,
        data_dir=args.data_dir,
        start=start,
        workers=args.workers,
        threads=args.threads,
    )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the web app over RAQUAN_DATA_DIR / RAQUAN_DATABASE_URL."""
    from web.server import serve

    if args.workers < 1 or args.threads < 1:
        print("raquan serve: --workers and --threads must be at least 1", file=sys.stderr)
        return 2
    if args.server == "waitress" and args.workers != 1:
        print("raquan serve: waitress serves from one process; use --server gunicorn", file=sys.stderr)
        return 2
    serve(host=args.host, port=args.port, threads=args.threads, workers=args.workers, server=args.server)
    return 0


def cmd_outbox(args: argparse.Namespace) -> int:
    """Send the outbox's notices (e-mail, SMS, reminders) from a process of their own."""
    from web.outbox import main as outbox_main

    return outbox_main(
        (["--once"] if args.once else []) + (["--poll-seconds", str(args.poll_seconds)] if args.poll_seconds else [])
    )


def cmd_user(args: argparse.Namespace) -> int:
    """Add a web account (coordinator, Youth Union officer, dispatcher, or ward official with --ward)."""
    import getpass

    from web import create_app, store
    from web.auth import create_user

    password = args.password or os.environ.get("RAQUAN_NEW_PASSWORD") or getpass.getpass("Mật khẩu: ")
    app = create_app()
    with app.app_context():
        try:
            if args.ward and store.campaign() is not None and not store.campaign().has("wards", args.ward):
                raise ValueError(f"no ward {args.ward!r} in the stored campaign")
            create_user(args.username, password, args.role, args.name or args.username, ward_code=args.ward)
        except ValueError as error:
            print(f"raquan user: {error}", file=sys.stderr)
            return 1
    print(f"Đã tạo tài khoản {args.username} ({args.role}).")
    return 0


def cmd_visits_plan(args: argparse.Namespace) -> int:
    """Plan every ward's visits for a day that has no plan in force yet (run after the lists' cut-off)."""
    from datetime import date, timedelta

    from web import create_app, live, visit_plans

    app = create_app()
    with app.app_context():
        now = live.now()
        try:
            day = date.fromisoformat(args.day) if args.day else now.date() + timedelta(days=1)
        except ValueError:
            print(f"raquan visits plan: --day '{args.day}' is not a date (YYYY-MM-DD)", file=sys.stderr)
            return 2
        started = time.perf_counter()
        planned = visit_plans.plan_all(day, "raquan visits plan", now, args.seconds)
    print(f"Đã lập lộ trình ngày {day:%d/%m/%Y} cho {planned} xã, phường trong {time.perf_counter() - started:.1f} s.")
    return 0


REPO_ROOT = Path(__file__).resolve().parent.parent
CURTOIS_DATA = REPO_ROOT.parent / "shared" / "benchmarks" / "curtois"
BENCH_COLUMNS = ("instance", "objective", "best_known", "gap_pct", "bound", "seconds")


def parse_instance_numbers(text: str) -> list[int]:
    """``"1-6,13"`` -> ``[1, 2, 3, 4, 5, 6, 13]`` (ranges inclusive, order kept, no repeats)."""
    numbers: list[int] = []
    for part in text.split(","):
        part = part.strip()
        low, dash, high = part.partition("-")
        try:
            span = range(int(low), int(high) + 1) if dash else [int(low)]
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an instance list: {text!r} (e.g. 1-10,13)") from None
        if not span:
            raise argparse.ArgumentTypeError(f"empty range {part!r}")
        numbers += [n for n in span if n not in numbers]
    return numbers


def cmd_bench(args: argparse.Namespace) -> int:
    """Solve Curtois–Qu instances, re-check every solution with the evaluator, print one row each.

    The benchmark is a package of its own (:mod:`benchmarks.curtois`), imported only here.
    """
    from benchmarks.curtois.instance import (
        CurtoisFormatError,
        evaluate,
        read_best_known,
        read_instance,
        write_solution,
    )
    from benchmarks.curtois.search import solve_instance

    if args.data:
        data = Path(args.data)
    elif CURTOIS_DATA.is_dir():
        data = CURTOIS_DATA
    else:
        print(f"raquan bench: no data at {CURTOIS_DATA}; give --data DIR", file=sys.stderr)
        return 2
    best_known = read_best_known(data)
    writer = csv.writer(sys.stdout, lineterminator="\n") if args.format == "csv" else None
    widths = (12, 10, 11, 8, 10, 8)

    def emit(cells) -> None:
        if writer:
            writer.writerow(cells)
        else:
            print(
                "  ".join(
                    str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                    for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
                )
            )
        sys.stdout.flush()

    emit(BENCH_COLUMNS)
    failures = 0
    for number in args.instances:
        name = f"Instance{number}"
        try:
            instance = read_instance(data / f"{name}.txt")
        except (OSError, CurtoisFormatError) as error:
            print(f"raquan bench: {error}", file=sys.stderr)
            failures += 1
            continue
        try:
            result = solve_instance(instance, time_limit_seconds=args.time_limit, num_workers=args.workers)
        except RuntimeError as error:
            print(f"raquan bench: {error}", file=sys.stderr)
            failures += 1
            continue
        evaluation = evaluate(instance, result.solution)
        if evaluation.violations or evaluation.objective != result.objective:
            failures += 1
            print(
                f"raquan bench: {name}: the evaluator disagrees with the solver: objective "
                f"{evaluation.objective} vs {result.objective}; {len(evaluation.violations)} violations",
                file=sys.stderr,
            )
            for violation in evaluation.violations:
                print(f"  {violation}", file=sys.stderr)
        best = best_known.get(name)
        gap = f"{100.0 * (result.objective - best) / best:.2f}" if best else ""
        emit((name, result.objective, best if best is not None else "", gap, result.bound, f"{result.seconds:.1f}"))
        if args.out:
            write_solution(instance, result.solution, Path(args.out) / f"{name}.csv")
    return 1 if failures else 0


def _positive_days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"số ngày không hợp lệ '{text}'") from None
    if not 1 <= days <= 366:
        raise argparse.ArgumentTypeError(f"số ngày phải từ 1 đến 366, không phải {days}")
    return days


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raquan", description="Ra Quân: xếp lịch và điều phối lực lượng hỗ trợ chuyển đổi số tại các xã, phường."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    scenario = sub.add_parser("scenario", help="write a scenario directory (a country directory for 'country')")
    scenario.add_argument("name", choices=("hanoi", "tiny", "province", "country"))
    scenario.add_argument("province", nargs="?", help="the province, for 'province' (e.g. \"Lai Châu\" or 12)")
    scenario.add_argument("--seed", type=int, default=1, help="random seed (not tiny; default 1)")
    scenario.add_argument("--out", required=True, help="directory to write")
    scenario.add_argument("--format", choices=("csv", "xlsx"), default="csv", help="table format (default csv)")
    scenario.add_argument(
        "--days", type=_positive_days, default=None, help="campaign days (not tiny; default 45, from 24/07/2025)"
    )
    scenario.add_argument(
        "--provinces", default=None, help='for country: only these, comma-separated ("Lai Châu,Điện Biên" or "12,11")'
    )
    scenario.set_defaults(func=cmd_scenario)

    check = sub.add_parser("check", help="validate a campaign directory, or every province of a country directory")
    check.add_argument("directory")
    check.set_defaults(func=cmd_check)

    wards = sub.add_parser("wards", help="list the communes of Vietnam")
    wards.add_argument("--province", help='a province, with or without diacritics ("Hà Nội", "Ha Noi")')
    wards.add_argument("--format", choices=("csv", "geojson"), default="csv")
    wards.set_defaults(func=cmd_wards)

    solve = sub.add_parser("solve", help="roster a campaign directory")
    solve.add_argument("directory")
    solve.add_argument(
        "--out",
        required=True,
        help="roster file: .json (for verify and the web app), .xlsx or .csv; for a country directory, a directory",
    )
    solve.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds for the whole command (default: [solver] of campaign.toml, else 30)",
    )
    solve.add_argument(
        "--processes",
        "--workers",
        type=int,
        default=None,
        dest="processes",
        help="cluster models solved at once, one process each (default 2)",
    )
    solve.add_argument(
        "--cp-sat-workers",
        "--threads",
        type=int,
        default=None,
        dest="cp_sat_workers",
        help="CP-SAT search workers inside each cluster model (default 1)",
    )
    solve.add_argument("--seed", type=int, default=None)
    solve.add_argument(
        "--published",
        metavar="ROSTER.json",
        help="start from this published roster and change only what the data forces (a stable re-solve)",
    )
    solve.add_argument(
        "--now", help="with --published: the campaign's now, ISO (default: RAQUAN_NOW, else the real time)"
    )
    solve.add_argument(
        "--cluster-work",
        type=float,
        default=None,
        metavar="W",
        help="bound each cluster's search by W units of work instead of the clock: the same roster for the same "
        "seed on any machine and any number of workers (default: [solver] cluster_work, else 0: by the clock)",
    )
    solve.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the solve's tasks on this running Dask scheduler's workers",
    )
    solve.add_argument(
        "--dask",
        action="store_true",
        help="run a campaign's cluster solves on a Dask LocalCluster of --processes workers (a country always is)",
    )
    solve.add_argument(
        "--formats",
        default="json",
        help="for a country directory: the roster files written per province, among json, csv, xlsx (default json)",
    )
    solve.set_defaults(func=cmd_solve)

    verify = sub.add_parser("verify", help="re-check a roster (JSON) without the solver")
    verify.add_argument("directory")
    verify.add_argument("roster")
    verify.add_argument("--explain", type=int, default=10, metavar="N", help="explain the first N gaps (default 10)")
    verify.set_defaults(func=cmd_verify)

    repair = sub.add_parser("repair", help="repair a published roster (JSON) after events, with minimal change")
    repair.add_argument("directory")
    repair.add_argument("roster", help="the published roster (.json)")
    repair.add_argument(
        "--event",
        action="append",
        metavar="KIND,key=value,...",
        help="an event, e.g. cancellation,person=SV0001,dates=2025-08-01..2025-08-03[,slots=sang] (repeatable); "
        "kinds: cancellation, decline, absence, left, unavailable, demand_changed (ward=, min_support_staff=, ...), "
        "mobile_point_cancelled (point=)",
    )
    repair.add_argument("--events", metavar="FILE.json", help="a JSON list of events (the web app's form)")
    repair.add_argument("--now", help="the campaign's now, ISO (default: RAQUAN_NOW, else the real time)")
    repair.add_argument("--out", required=True, help="the repaired roster (.json)")
    repair.add_argument("--time-limit", type=float, default=20.0, help="seconds for the whole command (default 20)")
    repair.add_argument("--seed", type=int, default=None)
    repair.add_argument("--retry-gaps", action="store_true", help="also try the gaps the published roster already had")
    repair.set_defaults(func=cmd_repair)

    demo = sub.add_parser(
        "demo",
        help="the main job: load the Hanoi scenario into a fresh data directory, solve, publish and serve the web app",
    )
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--time-limit", type=float, default=60.0, help="seconds for the solve (default 60)")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser when ready")
    demo.add_argument("--data-dir", help="data directory (default: a new temporary directory)")
    demo.add_argument(
        "--start",
        help="the campaign's first day, YYYY-MM-DD (default: today, so upcoming shifts show; 2025-07-24 replays 2025)",
    )
    demo.add_argument(
        "--workers", type=int, default=1, help="server processes (default 1: waitress; more: gunicorn workers)"
    )
    demo.add_argument("--threads", type=int, default=8, help="threads per server process (default 8)")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser(
        "serve", help="serve the web app (waitress, or gunicorn workers) over RAQUAN_DATA_DIR or RAQUAN_DATABASE_URL"
    )
    serve.add_argument("--port", type=int, default=8080, help="port (0: a free one, printed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--workers", type=int, default=1, help="server processes (default 1; more: gunicorn workers)")
    serve.add_argument("--threads", type=int, default=8, help="threads per server process (default 8)")
    serve.add_argument(
        "--server",
        choices=("waitress", "gunicorn"),
        default=None,
        help="waitress (one process, the default for one worker) or gunicorn (the default for more)",
    )
    serve.set_defaults(func=cmd_serve)

    outbox = sub.add_parser("outbox", help="send the outbox's notices from a process of their own")
    outbox.add_argument(
        "--once", action="store_true", help="one round (version notices, reminders, delivery), then exit"
    )
    outbox.add_argument("--poll-seconds", type=float, default=None, help="seconds between rounds (default 10)")
    outbox.set_defaults(func=cmd_outbox)

    visits_parser = sub.add_parser("visits", help="the mobile visits' routes")
    visits_sub = visits_parser.add_subparsers(dest="visits_command", required=True)
    visits_plan = visits_sub.add_parser(
        "plan", help="plan every ward's home-visit routes for a day from the stored lists and the roster in force"
    )
    visits_plan.add_argument("--day", help="the day (YYYY-MM-DD; default: tomorrow by the campaign's clock)")
    visits_plan.add_argument("--seconds", type=float, default=60.0, help="for every ward together (default 60)")
    visits_plan.set_defaults(func=cmd_visits_plan)

    user = sub.add_parser("user", help="add a web account (coordinator, youth_union, dispatcher or ward)")
    user.add_argument("username")
    user.add_argument("--role", choices=("coordinator", "youth_union", "dispatcher", "ward", "group"), required=True)
    user.add_argument("--ward", help="the ward's five-digit code (required for --role ward or group, only for them)")
    user.add_argument("--name", help="display name")
    user.add_argument("--password", help="password (default: RAQUAN_NEW_PASSWORD or a prompt)")
    user.set_defaults(func=cmd_user)

    bench = sub.add_parser("bench", help="solve public benchmark instances and check each solution")
    bench.add_argument("suite", choices=("curtois",), help="curtois: the Curtois–Qu shift-scheduling instances")
    bench.add_argument(
        "--instances",
        type=parse_instance_numbers,
        default=parse_instance_numbers("1-6"),
        help="instance numbers, e.g. 1-10,13 (default 1-6)",
    )
    bench.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance (default 30)")
    bench.add_argument(
        "--workers",
        type=int,
        default=2,
        help="CP-SAT workers, and moves of the neighbourhood search at a time (default 2)",
    )
    bench.add_argument("--format", choices=("table", "csv"), default="table")
    bench.add_argument("--data", help=f"directory of the instance files (default {CURTOIS_DATA} if present)")
    bench.add_argument("--out", help="directory to write each solution (InstanceN.csv)")
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    started = time.time()
    args = build_parser().parse_args(argv)
    args.started = started
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.func(args)
    except BrokenPipeError:  # output piped into head or similar: stop quietly
        sys.stdout = open(os.devnull, "w")
        return 0


if __name__ == "__main__":
    sys.exit(main())
