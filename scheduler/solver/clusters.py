"""On-call clusters: nearby wards that one technician can cover outside service hours.

A cluster has a post ward; every ward of the cluster lies within its own
response limit of the post. Clusters are also the units the campaign is
solved in, one CP-SAT model each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Cluster:
    post: str  # the ward the on-call technician is posted at
    wards: tuple[str, ...]  # the post first


def build_clusters(
    ward_codes: list[str], limit_minutes: dict[str, int], travel: Callable[[str, str], int], max_size: int = 4
) -> list[Cluster]:
    """Greedy cover: repeatedly post a technician where the most uncovered wards are in reach.

    Parameters
    ----------
    ward_codes
        The campaign's wards.
    limit_minutes
        Each ward's response limit (minutes from the post).
    travel
        Whole travel minutes between two ward codes.
    max_size
        Most wards in one cluster (keeps each model small and the night load fair).
    """
    uncovered = sorted(ward_codes)
    clusters = []
    while uncovered:
        best: tuple[int, int, str, list[str]] | None = None
        for post in uncovered:
            reach = sorted((travel(post, w), w) for w in uncovered if w != post and travel(post, w) <= limit_minutes[w])
            members = [post] + [w for _, w in reach[: max_size - 1]]
            spread = sum(m for m, _ in reach[: max_size - 1])
            key = (len(members), -spread)
            if best is None or key > best[:2]:
                best = (len(members), -spread, post, members)
        assert best is not None  # uncovered is not empty
        _, _, post, members = best
        clusters.append(Cluster(post=post, wards=tuple(members)))
        covered = set(members)
        uncovered = [w for w in uncovered if w not in covered]
    return clusters
