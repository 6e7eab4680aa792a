import pytest
from django.urls import reverse


@pytest.mark.parametrize("role", ["admin", "office", "supervisor", "secretary", "member"])
def test_home_renders_for_every_role(world, login, role):
    response = login(world.users[role]).get(reverse("campaign:home"))
    assert response.status_code == 200
    assert "分析评议" in response.content.decode() or "Analysis" in response.content.decode()
