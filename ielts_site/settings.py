"""Settings for the IELTS live class-test platform, read from the environment.

With nothing set it runs on SQLite and the in-memory channel layer in one process;
DATABASE_URL switches to PostgreSQL and REDIS_URL to Redis (channel layer and cache).
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-dev-only-change-me-in-production")
DEBUG = env_flag("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Origins (scheme://host[:port]) of other sites' pages allowed to call the API (django-cors-headers, under /api/v1/
# only) and open the sockets (realtime/handshake.py).
CORS_ALLOWED_ORIGINS = env_list("DJANGO_CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/v1/"
# GET /metrics (ielts_site/ops/metrics.py) answers the bearer of this token, and peers in these networks without one;
# with neither set it is 404.
METRICS_TOKEN = os.environ.get("DJANGO_METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = env_list("DJANGO_METRICS_ALLOWED_NETWORKS")
# Addresses or networks of the reverse proxies whose X-Forwarded-For names the client (ielts_site/security.py);
# with none, the client is the socket's peer and a forwarded header is ignored.
TRUSTED_PROXIES = env_list("DJANGO_TRUSTED_PROXIES")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "corsheaders",
    "accounts",
    "exams",
    "classes",
    "sessions_app",
    "attempts",
    "realtime",
    "monitoring",
]

MIDDLEWARE = [
    "ielts_site.ops.middleware.ResponseCountMiddleware",
    # Before anything that may answer (django-cors-headers' docs): a preflight is answered here.
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "ielts_site.ops.middleware.RequestLogMiddleware",
    "ielts_site.security.RequestBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "ielts_site.security.PermissionsPolicyMiddleware",
]

ROOT_URLCONF = "ielts_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "ielts_site.wsgi.application"
ASGI_APPLICATION = "ielts_site.asgi.application"

DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# No persistent connections: under ASGI every request runs in a fresh thread context, so CONN_MAX_AGE > 0 would
# leave one idle connection behind per request until PostgreSQL runs out (Django's docs; docs/performance.md).
DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for the write lock instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
    # A live daphne child process must find the test database by name (django/channels#2176).
    _db_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_db_file.with_name("test_" + _db_file.name))}
else:
    # PostgreSQL: each process borrows connections from its own pool (psycopg_pool) for a request or a
    # WebSocket call and gives them back at its end, so a process never holds more than DATABASE_POOL_MAX.
    # A caller that finds the pool empty waits up to DATABASE_POOL_TIMEOUT seconds for a connection.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DATABASE_POOL_MIN", "2")),
        "max_size": int(os.environ.get("DATABASE_POOL_MAX", "20")),
        "timeout": float(os.environ.get("DATABASE_POOL_TIMEOUT", "20")),
    }
    if env_flag("DATABASE_PGBOUNCER"):
        # Behind PgBouncer in transaction mode a session outlives no transaction: no server-side cursors and
        # no prepared statements (psycopg prepares a query after five runs by default).
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        DATABASES["default"]["OPTIONS"]["prepare_threshold"] = None
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_DB_NAME", "test_" + DATABASES["default"]["NAME"])
    }

REDIS_URL = os.environ.get("REDIS_URL", "")


def _channel_layer_prefix() -> str:
    """Redis pub/sub channel names are global to a Redis server, whatever the database number in the URL: two
    deployments (a staging beside production, two CI runs) on one Redis would hear each other's groups. So the
    prefix names this deployment: CHANNEL_LAYER_PREFIX, or one made of the Redis database number and the
    database's name."""
    if prefix := os.environ.get("CHANNEL_LAYER_PREFIX", "").strip():
        return prefix
    redis_db = (urlsplit(REDIS_URL).path.strip("/") or "0") if REDIS_URL else "0"
    database = DATABASES["default"]
    name = Path(str(database["NAME"])).name if database["ENGINE"].endswith("sqlite3") else str(database["NAME"])
    return f"ielts.{redis_db}.{name}"


CHANNEL_LAYER_PREFIX = _channel_layer_prefix()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: a group send is one PUBLISH and delivery is pushed to each process, where the storing
            # layer (channels_redis.core) pays four round trips to send and four to receive every message, so
            # pub/sub carries several times the messages a second (docs/performance.md). Both deliver at most
            # once: the database is the log.
            # This subclass closes the process's connections (clients resync) after a lost Redis comes back.
            "BACKEND": "realtime.channel_layer.ResyncingPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX},
        }
    }
    # The same prefix keeps the cache's keys (WebSocket tickets, throttles) apart per deployment.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_LAYER_PREFIX,
        }
    }
else:
    # The default capacity (100 per channel) drops a teacher's events when a class of 30+ answers at once.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username + address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploaded files (a Listening part's audio, a Writing task's image): stored through Django's storage API, local files
# under MEDIA_ROOT by default; another backend goes in STORAGES["default"]. Never served from MEDIA_ROOT directly:
# only through the API's protected file routes (sessions_app/file_views.py).
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Logins (the web form, the admin's and the API token): after AXES_FAILURE_LIMIT failures for one username from one
# address, that pair is refused for AXES_COOLOFF_TIME, counted in the database (shared by every process).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a refused try does not extend the lockout
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login
AXES_CLIENT_IP_CALLABLE = "ielts_site.security.client_address"
# The pages and the token view show the lockout themselves (accounts/lockout.py): no AxesMiddleware.
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

# Bodies: JSON and forms up to 1 MiB (413 beyond; file uploads have their own limits).
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
REQUEST_BODY_MAX_BYTES = DATA_UPLOAD_MAX_MEMORY_SIZE
# A file sent whole as the body (PUT .../image) has its own limit; the middleware lets it reach its view.
QUESTION_IMAGE_MAX_BYTES = 5 * 1024 * 1024
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
REQUEST_JSON_MAX_DEPTH = 64

REST_FRAMEWORK = {
    # JWT first: its WWW-Authenticate header makes DRF answer 401, not 403, to anonymous requests.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # JSON in (the browsable API's raw-data form still works).
    "DEFAULT_PARSER_CLASSES": ["ielts_site.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "ielts_site.errors.api_exception_handler",
    # A flood brake per client address on the token endpoint, generous for a school behind one NAT; the lockout of
    # guessing is axes' (per username and address).
    "DEFAULT_THROTTLE_RATES": {"login": os.environ.get("LOGIN_THROTTLE_RATE", "600/min")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "30"))),
    # Absolute: a rotated refresh token keeps the expiry of the one it replaces (accounts.serializers).
    "REFRESH_TOKEN_LIFETIME": timedelta(hours=float(os.environ.get("JWT_REFRESH_LIFETIME_HOURS", "12"))),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "USER_ID_CLAIM": "user_id",
    "TOKEN_OBTAIN_SERIALIZER": "accounts.serializers.RoleTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.RoleTokenRefreshSerializer",
}

# Content-Security-Policy (django-csp): scripts and styles from this site's static files only, no inline script.
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF, "data:"],
        "media-src": [_SELF, "blob:"],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_SELF],
        "form-action": [_SELF],
        "frame-ancestors": [_NONE],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), "
    "fullscreen=(self)"
)

SPECTACULAR_SETTINGS = {
    "TITLE": "IELTS live class-test API",
    "DESCRIPTION": "Classes, sessions, attempts and live monitoring for IELTS teachers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI and Redoc assets are served from this app's static files, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Paths as the contract writes them (every route also answers with the trailing slash).
    "PREPROCESSING_HOOKS": ["ielts_site.rest_urls.schema_paths_without_trailing_slash"],
    "ENUM_NAME_OVERRIDES": {
        "SessionStatusEnum": "sessions_app.models.SessionStatus",
        "AttemptStatusEnum": "attempts.models.AttemptStatus",
        "ClassStatusEnum": "classes.models.ClassStatus",
        "QuestionTypeEnum": "exams.models.QuestionType",
        "ViolationTypeEnum": "attempts.models.ViolationType",
    },
}

# The clock: a paper's minutes last this many seconds (tests shrink it so expiry takes seconds).
IELTS_SECONDS_PER_MINUTE = float(os.environ.get("IELTS_SECONDS_PER_MINUTE", "60"))
# Events already in flight when ends_at passes are still accepted for this long.
SESSION_GRACE_SECONDS = float(os.environ.get("SESSION_GRACE_SECONDS", "5"))
# How often each server process looks for sessions whose time is up, and beats its heart.
SESSION_CLOCK_INTERVAL_SECONDS = float(os.environ.get("SESSION_CLOCK_INTERVAL_SECONDS", "1"))
# Whether a process starts its clock on its first request: None means yes, except inside pytest (tests tick it).
SESSION_CLOCK_AUTOSTART = None
SERVER_HEARTBEAT_SECONDS = float(os.environ.get("SERVER_HEARTBEAT_SECONDS", "5"))
# A server process silent for this long is presumed dead and its connections cleared.
SERVER_DEAD_AFTER_SECONDS = float(os.environ.get("SERVER_DEAD_AFTER_SECONDS", "20"))
# A stable name for this server process (e.g. "web-1"); its stale connections are cleared when it starts.
SERVER_NAME = os.environ.get("SERVER_NAME", "")
WS_TICKET_SECONDS = 30
WS_MAX_MESSAGE_BYTES = 128 * 1024  # the longest essay (20,000 characters) fits in one
WS_RATE_BURST = 500
WS_RATE_PER_SECOND = 20
# Threads of each server process for the WebSocket consumer's database calls (realtime/db.py). SQLite takes
# one writer at a time, so one thread there.
_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
WS_DB_THREADS = int(os.environ.get("WS_DB_THREADS", "1" if _SQLITE else "4"))
# Batches of student events being written at once (realtime/batching.py), each on one of those threads. One:
# while it is written the next gathers, so under load batches grow (a fixed number of statements and one commit
# each) instead of the load being split into small ones that each pay that fixed cost (docs/performance.md).
WS_EVENT_BATCHES = int(os.environ.get("WS_EVENT_BATCHES", "1"))
# A write on that pool hands its publish to the event loop instead of waiting for it to be sent.
WS_DEFER_PUBLISH = True

if env_flag("DJANGO_SECURE"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "ielts_site.ops.logging.KeyValueFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # one line per failed login and per lockout, not three
    },
}
