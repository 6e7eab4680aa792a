"""Every existing campaign gets the seed's routing rules (new campaigns get them when
they are created). The table is spelt out here: a migration must not change with the code."""

from django.db import migrations

DEFAULTS = {
    "standing": "municipal_team",
    "county": "county_team_leader",
    "section": "county_team_leader",
    "ordinary": "responsible_leader",
}


def add_defaults(apps, schema_editor):
    Campaign = apps.get_model("campaign", "Campaign")
    RoutingRule = apps.get_model("reviews", "RoutingRule")
    HistoricalRoutingRule = apps.get_model("reviews", "HistoricalRoutingRule")
    from django.utils import timezone

    now = timezone.now()
    for campaign_id in Campaign.objects.values_list("pk", flat=True):
        present = set(RoutingRule.objects.filter(campaign_id=campaign_id).values_list("rank", flat=True))
        for rank, route in DEFAULTS.items():
            if rank in present:
                continue
            rule = RoutingRule.objects.create(campaign_id=campaign_id, rank=rank, route=route)
            HistoricalRoutingRule.objects.create(
                id=rule.pk,
                campaign_id=campaign_id,
                rank=rank,
                route=route,
                history_date=now,
                history_type="+",
                history_change_reason="default routing rules",
            )


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_routing_rules"),
    ]

    operations = [
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
    ]
