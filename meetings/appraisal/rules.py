"""Scoping rules of the democratic appraisal, registered with campaign.scoping at start-up.

A window and its paper tally are in reach of the branch's subtree (its secretaries, the
unit's and committee's above it, the county supervisory team over the unit); a member
sees his or her own branch's window. Ballots and voting records are registered with no
path and no member: no role lists them, only the tallies built from them are shown.
"""

from django.db.models import Q

from campaign.scoping import ADMIN, MEMBER, OFFICE, SECRETARY, SUPERVISOR, Rule, register, register_action
from meetings.appraisal.models import AppraisalSettings, AppraisalWindow, PaperSheet

register(
    AppraisalWindow,
    Rule(campaign="campaign_id", path="branch__path", member_q=lambda member: Q(branch_id=member.branch_id)),
)
register(PaperSheet, Rule(campaign="window__campaign_id", path="window__branch__path"))
register(AppraisalSettings, Rule(campaign="campaign_id", path=None))

# A member votes in his or her branch's open window.
register_action("appraisal.vote", {MEMBER})
# Windows and, once closed, their results: the staff over the branch.
register_action("appraisal.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
# Opening and closing windows, entering and confirming paper tallies (the tellers).
register_action("appraisal.manage", {ADMIN, OFFICE, SECRETARY})
# The thresholds, k and the public rating's dates.
register_action("appraisal.settings", {ADMIN, OFFICE})
