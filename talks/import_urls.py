"""URL patterns of the talks import pages."""

urlpatterns: list = []
