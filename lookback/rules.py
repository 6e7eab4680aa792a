"""Scoping rules of the look-back, registered with campaign.scoping at start-up.

Training sessions are in reach of the organising committee's subtree and of the
branches they trained; a secretary's
terms and attendance of the branch's; checks, items, evidence and orders of the unit's.
A member sees his or her own terms as a branch secretary, nothing else here.
"""

from campaign.scoping import ADMIN, OFFICE, SECRETARY, SUPERVISOR, Rule, register, register_action
from lookback.models import (
    Attendance,
    BranchSecretary,
    CheckEvidence,
    CheckItem,
    LookbackCheck,
    LookbackSettings,
    RemedialOrder,
    TrainingSession,
)

register(LookbackSettings, Rule(campaign="campaign_id", path=None))
# A session is also in reach of the branches whose secretaries it trained.
register(
    TrainingSession,
    Rule(campaign="campaign_id", path="committee__path", also_paths=("attendance__secretary__branch__path",)),
)
register(BranchSecretary, Rule(campaign="campaign_id", path="branch__path", member="member"))
register(Attendance, Rule(campaign="session__campaign_id", path="secretary__branch__path"))
register(LookbackCheck, Rule(campaign="campaign_id", path="unit__path"))
register(CheckItem, Rule(campaign="check_record__campaign_id", path="check_record__unit__path"))
register(CheckEvidence, Rule(campaign="check_record__campaign_id", path="check_record__unit__path"))
register(RemedialOrder, Rule(campaign="campaign_id", path="unit__path"))

STAFF = {ADMIN, OFFICE, SUPERVISOR, SECRETARY}
# Reading the look-back (training, checks, orders): every kind of staff, each within reach.
register_action("lookback.view", STAFF)
# Training sessions and their attendance, branch secretaries named: the office and the
# secretaries (a party committee's for its own sessions; the services check which).
register_action("lookback.training", {ADMIN, OFFICE, SECRETARY})
# The self-check and the redo of an order: the unit's secretary.
register_action("lookback.self_check", {SECRETARY})
# The verdict, the orders, closing and returning them: the unit's supervisory team.
register_action("lookback.judge", {SUPERVISOR})
# Make a rectification problem of an item the verdict found not met: the unit's
# supervisory team, or the office (lookback/services.py, ``problem_from_item``).
register_action("lookback.problem", {ADMIN, OFFICE, SUPERVISOR})
# Imports of attendance and check results: every kind of staff; each row only as its
# services allow (attendance: the organiser; a check: the unit's secretary or team).
register_action("lookback.import", STAFF)
# The figures page and the workbooks of the look-back (reports/lookback/views.py).
register_action("lookback.progress", STAFF)
# The training deadline and the thresholds of the proposals: the county office.
register_action("lookback.settings", {ADMIN, OFFICE})
