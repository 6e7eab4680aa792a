"""``manage.py clean_stored_text``: what was stored before every input stripped control
characters and bidi overrides is found in every text column and, with --apply, cleaned."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from campaign.models import Member, OrgUnit
from tests.opinions.factories import OpinionFactory

RLO = "\u202e"
pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("clean_stored_text", *args, stdout=out)
    return out.getvalue()


def test_a_stored_override_is_counted_then_stripped(world):
    # Written around the forms, as a script or an old version would have.
    Member.objects.filter(pk=world.member.pk).update(name=f"张{RLO}三\x01")
    OrgUnit.objects.filter(pk=world.unit.pk).update(name=f"城关{RLO}镇")
    opinion = OpinionFactory(target_member=world.member)
    type(opinion).objects.filter(pk=opinion.pk).update(text=f"意见{RLO}txt.exe\n第二行\t完")

    counted = run()
    assert "campaign.member.name: 1" in counted
    assert "campaign.orgunit.name: 1" in counted
    assert "opinions.opinion.text: 1" in counted
    assert Member.objects.get(pk=world.member.pk).name == f"张{RLO}三\x01"  # counting changes nothing

    run("--apply")
    assert Member.objects.get(pk=world.member.pk).name == "张三"
    assert OrgUnit.objects.get(pk=world.unit.pk).name == "城关镇"
    # Line breaks and tabs are text, not unsafe characters.
    assert type(opinion).objects.get(pk=opinion.pk).text == "意见txt.exe\n第二行\t完"
    assert "0 stored text(s) hold characters to strip" in run()


def test_the_member_page_no_longer_carries_the_override(world, client):
    Member.objects.filter(pk=world.member.pk).update(name=f"张{RLO}三")
    run("--apply")
    client.force_login(world.users["office"])
    page = client.get(reverse("campaign:member_detail", args=[world.member.pk]))
    assert page.status_code == 200
    assert RLO not in page.content.decode()
    assert "张三" in page.content.decode()
