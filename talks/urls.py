"""The talks pages. Each part keeps its own patterns; this module joins them."""

from talks.card_urls import urlpatterns as card_patterns
from talks.import_urls import urlpatterns as import_patterns
from talks.progress_urls import urlpatterns as progress_patterns

app_name = "talks"

urlpatterns = [*card_patterns, *progress_patterns, *import_patterns]
