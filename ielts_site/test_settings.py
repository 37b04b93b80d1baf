"""Settings for the test suite: the real ones, with a cheap password hasher."""

import os
import sys
import tempfile
from pathlib import Path

from ielts_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Uploads of the suite (and of the daphne servers it starts) go to a scratch folder, never the repository's media/.
# A daphne server that a test starts is told the test's folder (DJANGO_MEDIA_ROOT, conftest.daphne_servers).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or Path(tempfile.gettempdir()) / f"ielts-media-{os.getpid()}")
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "1000/min"}}  # noqa: F405

# Under pytest-xdist each worker has its own test database; its Redis channels and cache keys are its own too (two
# workers' sessions share ids, and a login lockout is keyed by username and address).
if worker := os.environ.get("PYTEST_XDIST_WORKER", ""):
    CHANNEL_LAYER_PREFIX = f"{CHANNEL_LAYER_PREFIX}.{worker}"  # noqa: F405
    if REDIS_URL:  # noqa: F405
        CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = CHANNEL_LAYER_PREFIX  # noqa: F405
        CACHES["default"]["KEY_PREFIX"] = CHANNEL_LAYER_PREFIX  # noqa: F405

if REDIS_URL and "pytest" in sys.modules:  # noqa: F405
    # Inside pytest, sync tests publish and read a group from separate short-lived event loops (async_to_sync),
    # which only the storing layer supports. The daphne processes that tests start use the production layer.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "capacity": 1000, "expiry": 30, "prefix": CHANNEL_LAYER_PREFIX},  # noqa: F405
        }
    }
    # That layer's shared receive lock outlives a test's event loop if a message lands as the test ends: publish
    # before the database call returns, as the storing layer expects.
    WS_DEFER_PUBLISH = False

if "pytest" in sys.modules and "pool" in DATABASES["default"].get("OPTIONS", {}):  # noqa: F405
    # The test process itself opens and closes its connections plainly: a pool would keep connections to the
    # test database open when pytest-django drops it. The daphne processes that tests start keep the pool.
    DATABASES["default"]["OPTIONS"].pop("pool")  # noqa: F405
