"""URL patterns of the ledger's talk pages (joined into reports/urls.py)."""

urlpatterns: list = []
