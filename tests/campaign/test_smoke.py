import pytest
from django.urls import reverse


@pytest.mark.parametrize("role", ["admin", "office", "supervisor", "secretary", "member"])
def test_home_renders_for_every_role(world, login, role):
    response = login(world.users[role]).get(reverse("campaign:home"))
    assert response.status_code == 200
    assert "分析评议" in response.content.decode() or "Analysis" in response.content.decode()


@pytest.mark.parametrize(
    ("role", "wanted", "not_wanted"),
    [
        ("office", ["reports:talks_county", "talks:flagged", "reports:documents_progress"], ["talks:review_queue"]),
        ("supervisor", ["talks:review_queue", "reviews:queue"], ["talks:flagged"]),
        ("secretary", ["opinions:batch_entry", "talks:card_new"], ["talks:flagged", "talks:review_queue"]),
        ("member", ["talks:card_list", "reviews:my_document", "opinions:my_feedback"], ["reports:talks_county"]),
    ],
)
def test_home_points_each_role_to_its_next_work(world, login, role, wanted, not_wanted):
    page = login(world.users[role]).get(reverse("campaign:home")).content.decode()
    todo = page[page.index('<ul class="todo">') : page.index("</ul>", page.index('<ul class="todo">'))]
    for name in wanted:
        assert f'href="{reverse(name)}"' in todo, name
    for name in not_wanted:
        assert f'href="{reverse(name)}"' not in todo, name
