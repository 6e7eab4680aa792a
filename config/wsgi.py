import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Load every view now rather than on the first request, then move everything loaded so far
# out of the garbage collector's sight: apps, models, views and settings live as long as the
# process, and the collector's full passes over them (some 200,000 objects) cost a served
# page about 0.4 ms on average and stalled one page in two hundred for 80 ms or more
# (bench/README.md, "Load").
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and its views
gc.freeze()
