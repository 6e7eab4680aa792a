"""Scoping rules of problems and practical results, registered with campaign.scoping.

A problem is in reach of its owning unit's subtree and, while handed over, of the
receiving department's; a member sees the problems that are his or hers. Practical
results are in reach of their unit's subtree. Members see no results.
"""

from campaign.scoping import ADMIN, MEMBER, OFFICE, SECRETARY, SUPERVISOR, Rule, register, register_action
from rectification.models import Dispute, Handover, PracticalResult, Problem

register(Problem, Rule(campaign="campaign_id", path="unit__path", member="member", also_paths=("handover_to__path",)))
register(Handover, Rule(campaign="problem__campaign_id", path="problem__unit__path"))
register(PracticalResult, Rule(campaign="campaign_id", path="unit__path"))
register(Dispute, Rule(campaign="result__campaign_id", path="result__unit__path"))

# The problem list (整改台账): staff within reach; a member his or her own problems.
register_action("rectification.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY, MEMBER})
# The list in the menu: staff (a member's few problems are reached from his or her record,
# and the member's menu keeps to one line).
register_action("rectification.menu", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
# Creating, changing, handing over, accepting, solving: the office and the secretaries.
register_action("rectification.manage", {ADMIN, OFFICE, SECRETARY})
# Practical results: read by staff within reach, entered by the office and the secretaries.
register_action("rectification.results_view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
register_action("rectification.results", {ADMIN, OFFICE, SECRETARY})
