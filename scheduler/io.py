"""The campaign's files in one import: load, check, export.

>>> from scheduler.io import load_campaign, export_campaign
>>> campaign = load_campaign("campaigns/hanoi-2025")      # doctest: +SKIP
>>> export_campaign(campaign, "out/hanoi", "xlsx")          # doctest: +SKIP
>>> campaign, report = load_campaign_files({"campaign.toml": b"...", "wards.csv": b"..."})  # doctest: +SKIP

See :mod:`scheduler.loader`, :mod:`scheduler.export` and :mod:`scheduler.tables`;
the file format is documented in ``docs/data-format.md``.
"""

from scheduler.export import export_campaign
from scheduler.loader import (
    check_campaign,
    check_campaign_files,
    load_campaign,
    load_campaign_files,
    read_solve_settings,
)
from scheduler.problems import CampaignLoadError, Problem

__all__ = [
    "CampaignLoadError",
    "Problem",
    "check_campaign",
    "check_campaign_files",
    "export_campaign",
    "load_campaign",
    "load_campaign_files",
    "read_solve_settings",
]
