"""Scoping rules of the ledger, registered with campaign.scoping at start-up.

A unit row is visible where its unit is; member and team rows are filed under their
unit, so they follow it. County rows (no unit) are for those who see a campaign whole.
"""

from campaign.scoping import ADMIN, OFFICE, SECRETARY, SUPERVISOR, Rule, register, register_action
from reports.models import LedgerRow

register(LedgerRow, Rule(campaign="campaign_id", path="unit__path"))

# Members see their own feedback list elsewhere, never a ledger.
register_action("ledgers.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
register_action("ledgers.export", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})

# The dashboards (reports/dashboard/): the office, supervisors and secretaries, each over
# what they see. The stage summary report (reports/summary_report/): read by the same;
# written (its narrative) and verified by the county office.
register_action("dashboards.view", {ADMIN, OFFICE, SUPERVISOR, SECRETARY})
register_action("stage_report.view", {ADMIN, OFFICE})
register_action("stage_report.edit", {ADMIN, OFFICE})
