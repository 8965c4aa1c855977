"""Seeded incident streams: what the wards report over a campaign, for the dispatch simulator.

The arrival model. Each ward reports incidents as a Poisson process whose rate
in incidents per hour, constant within each clock hour, is

    BASE_PER_HOUR × HOUR_PROFILE[hour] × day factor × campaign factor × ward busyness × load

- ``HOUR_PROFILE``: office hours are busy (1.6 in the morning rush 08–11, 1.4 in the
  afternoon 13–17), lunch and the evening are middling, the night is quiet (0.1 from
  midnight to 06:00). Summed over a day the profile is 16.1, so a ward of busyness 1
  on an ordinary weekday of the late campaign reports 0.05 × 16.1 ≈ 0.8 incidents.
- day factor: Saturdays and Sundays 0.6 (the one-stop counters open less).
- campaign factor: ``1 + CAMPAIGN_EXTRA × exp(-day / CAMPAIGN_DECAY_DAYS)``: twice the
  final rate on the first day, the extra halved after about a week (new software and
  new procedures at the start of the campaign, fewer problems as people learn).
- ward busyness: a phường (urban ward, more counters and people) 1.4, a xã 0.8.
- load: 1 (normal), 2 (double) or 5 (five times).

At normal load the Hanoi scenario's 126 wards report about 5,000 incidents over the
45 days. Each incident's category is drawn with ``CATEGORY_SHARES``; it is urgent
(service at the counter blocked) with probability ``URGENT_SHARE``; its service
minutes are the category's typical minutes (``scheduler.dispatch.CATEGORIES``) times a
log-normal spread (median 1, σ = ``SERVICE_SPREAD_SIGMA``), rounded, at least 5.

One ``random.Random`` seeded by (seed, load) draws everything, ward by ward and hour
by hour in a fixed order: the same seed and load give the same stream.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.dispatch import CATEGORIES, Incident
from scheduler.model import Campaign

BASE_PER_HOUR = 0.05
HOUR_PROFILE = (
    (0.1,) * 6  # 00–06
    + (0.3, 0.8)  # 06–08
    + (1.6,) * 3  # 08–11
    + (0.8,) * 2  # 11–13 lunch
    + (1.4,) * 4  # 13–17
    + (0.6,) * 2  # 17–19
    + (0.3,) * 3  # 19–22
    + (0.15,) * 2  # 22–24
)
WEEKEND_FACTOR = 0.6
CAMPAIGN_EXTRA = 1.0
CAMPAIGN_DECAY_DAYS = 10.0
BUSYNESS = {"Phường": 1.4, "Xã": 0.8}
CATEGORY_SHARES = {
    "network": 0.15,
    "computer": 0.20,
    "portal": 0.25,
    "signature": 0.15,
    "vneid": 0.15,
    "procedure": 0.10,
}
URGENT_SHARE = 0.3
SERVICE_SPREAD_SIGMA = 0.3
LOADS = {1: "normal", 2: "double", 5: "five times"}

assert len(HOUR_PROFILE) == 24
assert set(CATEGORY_SHARES) == set(CATEGORIES)


@dataclass(frozen=True)
class StreamIncident:
    """One reported incident and the minutes its work on site will take."""

    incident: Incident
    minute: int  # minutes from the campaign's first midnight
    service_minutes: int

    @property
    def ward_code(self) -> str:
        return self.incident.ward_code


def busyness(campaign: Campaign, ward_code: str) -> float:
    """The ward's busyness factor: by its kind (phường or xã)."""
    return BUSYNESS.get(campaign.ward(ward_code).kind, 1.0)


def hourly_rate(campaign: Campaign, ward_code: str, day: int, hour: int, load: float = 1.0) -> float:
    """Expected incidents per hour at ``ward_code`` on campaign day ``day`` (0-based) in clock hour ``hour``."""
    weekday = (campaign.start_date + timedelta(days=day)).weekday()
    return (
        BASE_PER_HOUR
        * HOUR_PROFILE[hour]
        * (WEEKEND_FACTOR if weekday >= 5 else 1.0)
        * (1.0 + CAMPAIGN_EXTRA * math.exp(-day / CAMPAIGN_DECAY_DAYS))
        * busyness(campaign, ward_code)
        * load
    )


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by Knuth's product of uniforms (the means here are small)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def incident_stream(campaign: Campaign, seed: int, load: float = 1.0, days: int | None = None) -> list[StreamIncident]:
    """The incidents of the first ``days`` campaign days (all by default), in order of report."""
    rng = random.Random(f"dispatch-stream/{seed}/{load}")
    codes = sorted(d.ward_code for d in campaign.demands)
    categories = list(CATEGORY_SHARES)
    weights = [CATEGORY_SHARES[c] for c in categories]
    midnight = datetime.combine(campaign.start_date, datetime.min.time())
    first_minute = min(shift.start_minute for shift in campaign.shifts)  # nobody is on duty before it
    drawn: list[tuple[int, str, str, bool, int]] = []
    for day in range(campaign.days if days is None else min(days, campaign.days)):
        for hour in range(24):
            if day == 0 and (hour + 1) * 60 <= first_minute:
                continue
            for code in codes:
                for _ in range(_poisson(rng, hourly_rate(campaign, code, day, hour, load))):
                    minute = day * 1440 + hour * 60 + rng.randrange(60)
                    if minute < first_minute:
                        continue
                    category = rng.choices(categories, weights)[0]
                    urgent = rng.random() < URGENT_SHARE
                    spread = math.exp(rng.gauss(0.0, SERVICE_SPREAD_SIGMA))
                    service = max(5, round(CATEGORIES[category].service_minutes * spread))
                    drawn.append((minute, code, category, urgent, service))
    drawn.sort(key=lambda row: (row[0], row[1]))
    return [
        StreamIncident(
            Incident(f"S{seed}L{load:g}-{n:06d}", code, category, urgent, midnight + timedelta(minutes=minute)),
            minute,
            service,
        )
        for n, (minute, code, category, urgent, service) in enumerate(drawn)
    ]
