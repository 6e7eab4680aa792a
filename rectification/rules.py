"""Scoping rules of problems, registered with campaign.scoping at start-up."""

from campaign.scoping import Rule, register
from rectification.models import Problem

register(Problem, Rule(campaign="campaign_id", path="unit__path", member="member"))
