"""Settings of the load bench (``bench/load.py``) only: production's, plus the bench's
URLconf with its two bare views. Never used to serve anything but the bench."""

import os

os.environ.setdefault("STATIC_MANIFEST", "0")  # no collectstatic for a bench: plain static storage

from config.settings import *  # noqa: E402, F403

DEBUG = False
ROOT_URLCONF = "load_urls"
# The bench stands in for the reverse proxy in front of gunicorn: each simulated citizen
# comes from an address of its own in X-Forwarded-For, as behind nginx (README, "Behind a
# reverse proxy"); otherwise every box POST would come from 127.0.0.1 and the box's
# limit (five in ten minutes per address) would refuse all but five.
TRUSTED_PROXY_COUNT = 1
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
