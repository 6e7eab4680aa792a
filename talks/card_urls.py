"""URL patterns of the talks card pages."""

urlpatterns: list = []
