"""The CP-SAT side of the people rules: one ``add_<label>`` function per rule, listed here.

The engine adds the time rules to every worker (:data:`scheduler.solver.engine.WORKER_RULES`);
the campaign model decides which (person, task) pairs may exist and which are pinned
(:data:`scheduler.solver.campaign_model.CAMPAIGN_RULES`). A test compares this registry
with :data:`scheduler.rules.PEOPLE_RULES`.
"""

from __future__ import annotations

from scheduler.rules import PEOPLE_RULES
from scheduler.solver.campaign_model import CAMPAIGN_RULES
from scheduler.solver.engine import WORKER_RULES

CP_SAT_RULES = {
    label: (WORKER_RULES | CAMPAIGN_RULES)[label] for label in PEOPLE_RULES if label in WORKER_RULES | CAMPAIGN_RULES
}
