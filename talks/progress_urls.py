"""URL patterns of the talks progress pages."""

urlpatterns: list = []
